#include "notify.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <unistd.h>

#include "cleanup.h"
#include "log.h"

#define NOTIFY_IN_CONTAINER SR_NOTIFY_MOUNT "/" SR_NOTIFY_SOCK
/* How long the host may take to confirm it read READY (runc waits as long). */
#define BARRIER_TIMEOUT_MS 30000

static int
host_addr (const char *host, struct sockaddr_un *a, socklen_t *len)
{
  size_t n = strlen (host);
  memset (a, 0, sizeof *a);
  a->sun_family = AF_UNIX;
  if (n >= sizeof a->sun_path || (host[0] != '/' && host[0] != '@') || n < 2)
    return -1;
  memcpy (a->sun_path, host, n);
  if (host[0] == '@')
    a->sun_path[0] = '\0'; /* abstract: no terminator counted */
  *len = (socklen_t) (offsetof (struct sockaddr_un, sun_path) + n + (host[0] == '/'));
  return 0;
}

const char *
sr_notify_host (bool *bad, sr_error_t *err)
{
  const char *host = getenv ("NOTIFY_SOCKET");
  struct sockaddr_un a;
  socklen_t len;

  *bad = false;
  if (host == NULL || *host == '\0')
    return NULL;
  if (host_addr (host, &a, &len) < 0)
    {
      *bad = true;
      sr_error (err, EINVAL, "NOTIFY_SOCKET=%s: not an absolute socket path or "
                "@abstract name that fits a socket address", host);
      return NULL;
    }
  return host;
}

int
sr_notify_config (json_t *config, const char *statedir, sr_error_t *err)
{
  json_t *process = json_object_get (config, "process");
  json_t *mounts = json_object_get (config, "mounts");
  json_t *env;
  _cleanup_free_ char *src = NULL;

  if (!json_is_object (process))
    return 0; /* create refuses a config without a process anyway */
  if (asprintf (&src, "%s/%s", statedir, SR_NOTIFY_DIR) < 0)
    return sr_error (err, ENOMEM, "NOTIFY_SOCKET");
  if (mounts == NULL)
    {
      mounts = json_array ();
      json_object_set_new (config, "mounts", mounts);
    }
  if (!json_is_array (mounts))
    return 0; /* the parser names the wrong type */
  /* Last, so that it lands inside a /run tmpfs the config mounts. */
  json_array_append_new (mounts,
                         json_pack ("{s:s, s:s, s:s, s:[s,s,s,s,s]}",
                                    "destination", SR_NOTIFY_MOUNT, "type", "bind",
                                    "source", src, "options", "bind", "ro",
                                    "nosuid", "nodev", "noexec"));
  env = json_object_get (process, "env");
  if (env == NULL)
    {
      env = json_array ();
      json_object_set_new (process, "env", env);
    }
  if (!json_is_array (env))
    return 0;
  for (size_t i = json_array_size (env); i-- > 0;)
    {
      const char *s = json_string_value (json_array_get (env, i));
      if (s && strncmp (s, "NOTIFY_SOCKET=", 14) == 0)
        json_array_remove (env, i);
    }
  json_array_append_new (env, json_string ("NOTIFY_SOCKET=" NOTIFY_IN_CONTAINER));
  return 0;
}

int
sr_notify_listen (int dirfd, sr_error_t *err)
{
  struct sockaddr_un a = { .sun_family = AF_UNIX };
  _cleanup_close_ int dfd = -1;
  int fd;

  if (mkdirat (dirfd, SR_NOTIFY_DIR, 0755) < 0 && errno != EEXIST)
    return sr_error_errno (err, "NOTIFY_SOCKET: create %s", SR_NOTIFY_DIR);
  dfd = openat (dirfd, SR_NOTIFY_DIR, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (dfd < 0)
    return sr_error_errno (err, "NOTIFY_SOCKET: open %s", SR_NOTIFY_DIR);
  /* A socket file left by create has no listener: bind a new one. */
  unlinkat (dfd, SR_NOTIFY_SOCK, 0);
  fd = socket (AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0)
    return sr_error_errno (err, "NOTIFY_SOCKET: socket");
  snprintf (a.sun_path, sizeof a.sun_path, "/proc/self/fd/%d/%s", dfd, SR_NOTIFY_SOCK);
  /* Any uid of the container may send: the directory is the only way in,
   * and it is mounted read-only there. */
  if (bind (fd, (struct sockaddr *) &a, sizeof a) < 0
      || fchmodat (dfd, SR_NOTIFY_SOCK, 0777, 0) < 0)
    {
      int e = errno;
      close (fd);
      return sr_error (err, e, "NOTIFY_SOCKET: bind %s/%s", SR_NOTIFY_DIR, SR_NOTIFY_SOCK);
    }
  return fd;
}

static bool
says_ready (const char *buf, size_t n)
{
  const char *p = buf, *end = buf + n;
  while (p < end)
    {
      const char *nl = memchr (p, '\n', (size_t) (end - p));
      size_t l = (size_t) ((nl ? nl : end) - p);
      if (l == 7 && memcmp (p, "READY=1", 7) == 0)
        return true;
      p += l + 1;
    }
  return false;
}

/* sd_notify_barrier: the host closes the pipe once it has processed what we
 * sent before it. */
static int
barrier (int sock)
{
  int p[2];
  char b;
  struct iovec iov = { .iov_base = (char *) "BARRIER=1", .iov_len = 9 };
  union { char buf[CMSG_SPACE (sizeof (int))]; struct cmsghdr align; } u;
  struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1,
                        .msg_control = u.buf, .msg_controllen = sizeof u.buf };
  struct cmsghdr *c = CMSG_FIRSTHDR (&msg);

  if (pipe2 (p, O_CLOEXEC) < 0)
    return -1;
  c->cmsg_level = SOL_SOCKET;
  c->cmsg_type = SCM_RIGHTS;
  c->cmsg_len = CMSG_LEN (sizeof (int));
  memcpy (CMSG_DATA (c), &p[1], sizeof (int));
  int r = (int) sendmsg (sock, &msg, MSG_NOSIGNAL);
  close (p[1]);
  if (r >= 0)
    {
      struct pollfd pf = { .fd = p[0], .events = POLLIN };
      /* EOF is the answer; a host without barrier support costs the wait. */
      if (poll (&pf, 1, BARRIER_TIMEOUT_MS) == 1)
        r = (int) read (p[0], &b, 1) == 0 ? 0 : -1;
    }
  close (p[0]);
  return r < 0 ? -1 : 0;
}

int
sr_notify_forward (int fd, const char *host, pid_t pid, pid_t mainpid, sr_error_t *err)
{
  _cleanup_close_ int pidfd = (int) syscall (SYS_pidfd_open, pid, 0);
  _cleanup_close_ int out = -1;
  struct sockaddr_un a;
  socklen_t alen;
  char buf[4096];
  int n;

  if (pidfd < 0)
    return 0; /* already gone: nothing will be ready */
  for (;;)
    {
      struct pollfd pf[2] = { { .fd = fd, .events = POLLIN }, { .fd = pidfd, .events = POLLIN } };
      if (poll (pf, 2, -1) < 0)
        {
          if (errno == EINTR)
            continue;
          return sr_error_errno (err, "NOTIFY_SOCKET: poll");
        }
      if (pf[0].revents & POLLIN)
        {
          ssize_t r = recv (fd, buf, sizeof buf, MSG_DONTWAIT);
          if (r > 0 && says_ready (buf, (size_t) r))
            break;
          continue;
        }
      if (pf[1].revents)
        return 0;
    }
  if (host_addr (host, &a, &alen) < 0)
    return sr_error (err, EINVAL, "NOTIFY_SOCKET=%s", host);
  out = socket (AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (out < 0 || connect (out, (struct sockaddr *) &a, alen) < 0)
    return sr_error_errno (err, "NOTIFY_SOCKET: connect to %s", host);
  n = mainpid > 0 ? snprintf (buf, sizeof buf, "READY=1\nMAINPID=%d\n", (int) mainpid)
                  : snprintf (buf, sizeof buf, "READY=1\n");
  if (send (out, buf, (size_t) n, MSG_NOSIGNAL) < 0)
    return sr_error_errno (err, "NOTIFY_SOCKET: send READY=1 to %s", host);
  if (barrier (out) < 0)
    return sr_error_errno (err, "NOTIFY_SOCKET: barrier with %s", host);
  return 0;
}

int
sr_notify_after_run (int fd, pid_t pid, bool detach, sr_error_t *err)
{
  _cleanup_close_ int nfd = fd;
  bool bad;
  const char *host = sr_notify_host (&bad, err);

  if (host == NULL)
    return bad ? -1 : 0;
  if (detach)
    return sr_notify_forward (nfd, host, pid, pid, err);
  /* In the foreground we stay the main process: a child waits for READY
   * while we proxy the terminal and forward signals. */
  pid_t child = fork ();
  if (child < 0)
    return sr_error_errno (err, "NOTIFY_SOCKET: fork");
  if (child == 0)
    {
      sr_error_t e = { 0 };
      if (sr_notify_forward (nfd, host, pid, 0, &e) < 0)
        {
          sr_log_error_t (&e);
          _exit (1);
        }
      _exit (0);
    }
  return 0;
}
