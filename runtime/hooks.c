#include "hooks.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cleanup.h"
#include "log.h"
#include "utils.h"

extern char **environ;

static int
wait_hook (pid_t pid, int64_t timeout_s, int *status)
{
  _cleanup_close_ int pfd = (int) syscall (SYS_pidfd_open, pid, 0);
  if (pfd >= 0 && timeout_s > 0)
    {
      struct pollfd p = { .fd = pfd, .events = POLLIN };
      int64_t ms = timeout_s * 1000;
      int r;
      do
        r = poll (&p, 1, ms > 0x7fffffff ? 0x7fffffff : (int) ms);
      while (r < 0 && errno == EINTR);
      if (r == 0)
        {
          kill (pid, SIGKILL);
          waitpid (pid, status, 0);
          return 1;
        }
    }
  while (waitpid (pid, status, 0) < 0)
    if (errno != EINTR)
      return -1;
  return 0;
}

static int
run_one (const sr_hook_t *h, const char *kind, size_t i, const char *state,
         sr_error_t *err)
{
  int in[2], status = 0;
  pid_t pid;

  if (pipe2 (in, O_CLOEXEC) < 0)
    return sr_error_errno (err, "%s hook[%zu]: pipe", kind, i);
  pid = fork ();
  if (pid < 0)
    {
      close (in[0]);
      close (in[1]);
      return sr_error_errno (err, "%s hook[%zu]: fork", kind, i);
    }
  if (pid == 0)
    {
      const char *argv0[] = { h->path, NULL };
      sr_reset_signals ();
      if (dup2 (in[0], 0) < 0)
        _exit (127);
      sr_close_fds_from (3, NULL, 0);
      execve (h->path, (char *const *) (h->args.n ? h->args.v : argv0),
              (char *const *) (h->env.v ? h->env.v : (const char **) environ));
      dprintf (2, "secrun: %s hook %s: %s\n", kind, h->path, sr_strerror (errno));
      _exit (127);
    }
  close (in[0]);
  /* A hook that does not read its stdin must not fail us: EPIPE is fine. */
  sr_write_all (in[1], state, strlen (state));
  close (in[1]);
  int r = wait_hook (pid, h->timeout.set ? h->timeout.v : 0, &status);
  if (r < 0)
    return sr_error_errno (err, "%s hook[%zu] (%s): wait", kind, i, h->path);
  if (r == 1)
    return sr_error (err, 0, "%s hook[%zu] (%s): timed out after %llds", kind, i,
                     h->path, (long long) h->timeout.v);
  if (WIFSIGNALED (status))
    return sr_error (err, 0, "%s hook[%zu] (%s): killed by signal %d", kind, i,
                     h->path, WTERMSIG (status));
  if (WEXITSTATUS (status) != 0)
    return sr_error (err, 0, "%s hook[%zu] (%s): exited with status %d", kind, i,
                     h->path, WEXITSTATUS (status));
  return 0;
}

int
sr_hooks_run (const sr_hook_list_t *l, const char *kind, const char *state,
              sr_error_t *err)
{
  for (size_t i = 0; i < l->n; i++)
    if (run_one (&l->v[i], kind, i, state, err) < 0)
      return -1;
  return 0;
}

void
sr_hooks_run_warn (const sr_hook_list_t *l, const char *kind, const char *state)
{
  for (size_t i = 0; i < l->n; i++)
    {
      sr_error_t err = { 0 };
      if (run_one (&l->v[i], kind, i, state, &err) < 0)
        {
          sr_log_warn ("%s", err.msg);
          sr_error_clear (&err);
        }
    }
}
