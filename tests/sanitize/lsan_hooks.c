/* Linked into the sanitizer build of secrun and secrun-launch only
 * (tests/sanitize/run.sh), never into the runtime itself.
 *
 * LeakSanitizer checks for leaks at exit by stopping the world: it clones
 * a tracer that must see the process as its parent and ptrace it. Two
 * kinds of runtime process cannot have that:
 *   - one that joined another pid namespace for its children (`secrun
 *     exec`, and create/run of a container that joins an existing pid
 *     namespace, both setns into the container's pid namespace before
 *     they clone): its tracer lands in that namespace, where its parent is
 *     invisible, gives up at once, and LeakSanitizer waits for it forever,
 *     so the command hangs instead of exiting;
 *   - one already traced (strace, in the stress tests): LeakSanitizer
 *     stops with a fatal error.
 * These skip the leak check (every other sanitizer check still runs in
 * them) and are listed in $SECRUN_LSAN_SKIP_LOG. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* LeakSanitizer calls this at exit: non-zero skips the leak check. */
int __lsan_is_turned_off (void);

static void
note_skipped (void)
{
  const char *path = getenv ("SECRUN_LSAN_SKIP_LOG");
  char cmd[256];
  ssize_t n = 0;
  int fd;

  if (path == NULL || *path == '\0')
    return;
  fd = open ("/proc/self/cmdline", O_RDONLY | O_CLOEXEC);
  if (fd >= 0)
    {
      n = read (fd, cmd, sizeof cmd - 1);
      close (fd);
    }
  if (n < 0)
    n = 0;
  for (ssize_t i = 0; i < n; i++)
    if (cmd[i] == '\0')
      cmd[i] = ' ';
  cmd[n] = '\0';
  fd = open (path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0666);
  if (fd < 0)
    return;
  dprintf (fd, "%d %s\n", (int) getpid (), cmd);
  close (fd);
}

/* Under ptrace (the stress tests run create under strace to kill it at
 * every step) the tracer cannot attach either: LeakSanitizer stops with
 * "does not work under ptrace". */
static int
traced (void)
{
  char buf[4096];
  ssize_t n;
  int fd = open ("/proc/self/status", O_RDONLY | O_CLOEXEC);
  const char *t;

  if (fd < 0)
    return 0;
  n = read (fd, buf, sizeof buf - 1);
  close (fd);
  if (n <= 0)
    return 0;
  buf[n] = '\0';
  t = strstr (buf, "\nTracerPid:");
  return t != NULL && atoi (t + strlen ("\nTracerPid:")) != 0;
}

static int
in_other_pidns (void)
{
  char self[64], children[64];
  ssize_t a = readlink ("/proc/self/ns/pid", self, sizeof self);
  ssize_t b = readlink ("/proc/self/ns/pid_for_children", children,
                        sizeof children);

  /* Unknown (no /proc): check, as everywhere else. */
  if (a <= 0 || b <= 0)
    return 0;
  return a != b || memcmp (self, children, (size_t) a) != 0;
}

int
__lsan_is_turned_off (void)
{
  if (!in_other_pidns () && !traced ())
    return 0;
  note_skipped ();
  return 1;
}
