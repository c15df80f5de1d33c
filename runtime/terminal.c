#include "terminal.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <termios.h>
#include <unistd.h>

#include "cleanup.h"
#include "utils.h"

int
sr_terminal_connect (const char *path, sr_error_t *err)
{
  struct sockaddr_un addr = { .sun_family = AF_UNIX };
  int fd;

  if (strlen (path) >= sizeof addr.sun_path)
    return sr_error (err, ENAMETOOLONG, "--console-socket %s", path);
  strcpy (addr.sun_path, path);
  fd = socket (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0)
    return sr_error_errno (err, "--console-socket %s", path);
  if (connect (fd, (struct sockaddr *) &addr, sizeof addr) < 0)
    {
      int e = errno;
      close (fd);
      return sr_error (err, e, "--console-socket %s", path);
    }
  return fd;
}

static int
send_fd (int sock, int fd)
{
  char name[] = "/dev/ptmx";
  struct iovec iov = { .iov_base = name, .iov_len = sizeof name - 1 };
  union { char buf[CMSG_SPACE (sizeof (int))]; struct cmsghdr align; } u;
  struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1,
                        .msg_control = u.buf, .msg_controllen = sizeof u.buf };
  struct cmsghdr *c = CMSG_FIRSTHDR (&msg);
  c->cmsg_level = SOL_SOCKET;
  c->cmsg_type = SCM_RIGHTS;
  c->cmsg_len = CMSG_LEN (sizeof (int));
  memcpy (CMSG_DATA (c), &fd, sizeof fd);
  return sendmsg (sock, &msg, MSG_NOSIGNAL) < 0 ? -1 : 0;
}

int
sr_terminal_recv_master (int sock, sr_error_t *err)
{
  char name[64];
  struct iovec iov = { .iov_base = name, .iov_len = sizeof name };
  union { char buf[CMSG_SPACE (sizeof (int))]; struct cmsghdr align; } u;
  struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1,
                        .msg_control = u.buf, .msg_controllen = sizeof u.buf };
  int fd = -1;

  if (recvmsg (sock, &msg, MSG_CMSG_CLOEXEC) < 0)
    return sr_error_errno (err, "receive the pty master");
  struct cmsghdr *c = CMSG_FIRSTHDR (&msg);
  if (c == NULL || c->cmsg_type != SCM_RIGHTS)
    return sr_error (err, 0, "receive the pty master: no fd");
  memcpy (&fd, CMSG_DATA (c), sizeof fd);
  return fd;
}

int
sr_terminal_setup (int console_fd, const sr_process_t *p, sr_error_t *err)
{
  _cleanup_close_ int master = open ("/dev/pts/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
  _cleanup_close_ int slave = -1;
  int unlock = 0, ptn;

  if (master < 0)
    return sr_error_errno (err, "process.terminal: open /dev/pts/ptmx");
  if (ioctl (master, TIOCSPTLCK, &unlock) < 0)
    return sr_error_errno (err, "process.terminal: unlock the pty");
  /* The slave is opened through the master: no path lookup to race. */
  slave = ioctl (master, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (slave < 0 || ioctl (master, TIOCGPTN, &ptn) < 0)
    return sr_error_errno (err, "process.terminal: open the pty slave");
  if (p->console_height.set || p->console_width.set)
    {
      struct winsize ws = { .ws_row = (unsigned short) p->console_height.v,
                            .ws_col = (unsigned short) p->console_width.v };
      if (ioctl (slave, TIOCSWINSZ, &ws) < 0)
        return sr_error_errno (err, "process.consoleSize");
    }
  if (send_fd (console_fd, master) < 0)
    return sr_error_errno (err, "process.terminal: send the pty master");
  if (setsid () < 0)
    return sr_error_errno (err, "setsid");
  if (ioctl (slave, TIOCSCTTY, 0) < 0)
    return sr_error_errno (err, "process.terminal: make the pty our terminal");
  for (int i = 0; i < 3; i++)
    if (dup2 (slave, i) < 0)
      return sr_error_errno (err, "process.terminal: dup2");
  return 0;
}

static int master_for_winch = -1;

static void
copy_winsize (void)
{
  struct winsize ws;
  if (master_for_winch >= 0 && ioctl (0, TIOCGWINSZ, &ws) == 0)
    ioctl (master_for_winch, TIOCSWINSZ, &ws);
}

static void
on_winch (int sig)
{
  (void) sig;
  int e = errno;
  copy_winsize ();
  errno = e;
}

void
sr_terminal_proxy (int master)
{
  struct termios saved, raw;
  char buf[8192];
  bool is_tty = isatty (0);
  /* A terminal we do not hold in the foreground (timeout(1), a shell's
   * `&`) is not ours to put in raw mode or to read: either would stop us
   * with SIGTTOU/SIGTTIN. The workload's output still flows. */
  bool foreground = !is_tty || tcgetpgrp (0) == getpgrp ();
  bool restore = is_tty && foreground && tcgetattr (0, &saved) == 0;
  bool in_open = foreground;

  if (restore)
    {
      raw = saved;
      cfmakeraw (&raw);
      tcsetattr (0, TCSANOW, &raw);
    }
  master_for_winch = master;
  copy_winsize ();
  signal (SIGWINCH, on_winch);
  for (;;)
    {
      struct pollfd fds[2] = { { .fd = master, .events = POLLIN },
                               { .fd = in_open ? 0 : -1, .events = POLLIN } };
      if (poll (fds, 2, -1) < 0)
        {
          if (errno == EINTR)
            continue;
          break;
        }
      if (fds[0].revents & (POLLIN | POLLHUP | POLLERR))
        {
          ssize_t n = read (master, buf, sizeof buf);
          if (n <= 0)
            break;
          if (sr_write_all (1, buf, (size_t) n) < 0)
            break;
        }
      if (fds[1].revents & (POLLIN | POLLHUP | POLLERR))
        {
          ssize_t n = read (0, buf, sizeof buf);
          if (n <= 0)
            in_open = false;
          else
            sr_write_all (master, buf, (size_t) n);
        }
    }
  signal (SIGWINCH, SIG_DFL);
  master_for_winch = -1;
  if (restore)
    tcsetattr (0, TCSANOW, &saved);
}
