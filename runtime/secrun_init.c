/* secrun-init: the init of `secrun launch --init`.
 *
 * A workload that is pid 1 gets no default signal handlers (SIGTERM does
 * nothing unless it installs one) and inherits every orphan, which few
 * programs reap. This runs as pid 1 instead: it starts the command, passes
 * it every signal it receives, reaps whatever dies, and exits with the
 * command's status when the command exits (the kernel then kills what is
 * left in the pid namespace).
 *
 * A separate, static binary (the image may have no libc) bind-mounted
 * read-only at /sbin/secrun-init; it runs as the workload's user with the
 * workload's seccomp filter, so it needs nothing the workload lacks. */
#ifndef _GNU_SOURCE
# define _GNU_SOURCE
#endif

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static int
exit_code (int status)
{
  if (WIFEXITED (status))
    return WEXITSTATUS (status);
  if (WIFSIGNALED (status))
    return 128 + WTERMSIG (status);
  return 1;
}

int
main (int argc, char **argv)
{
  sigset_t all, old;
  int first = 1;
  pid_t child;

  if (argc > 1 && strcmp (argv[1], "--") == 0)
    first = 2;
  if (first >= argc)
    {
      fprintf (stderr, "usage: secrun-init [--] COMMAND [ARG...]\n");
      return 2;
    }
  /* Every signal waits in the queue for sigwaitinfo; none can interrupt
   * us halfway. */
  sigfillset (&all);
  sigprocmask (SIG_BLOCK, &all, &old);

  child = fork ();
  if (child < 0)
    {
      fprintf (stderr, "secrun-init: fork: %s\n", strerror (errno));
      return 1;
    }
  if (child == 0)
    {
      /* Its own process group, in the foreground of a terminal if there is
       * one: a ^C from the terminal then reaches it once, directly, not a
       * second time through us. */
      setpgid (0, 0);
      if (isatty (STDIN_FILENO))
        tcsetpgrp (STDIN_FILENO, getpid ());
      sigprocmask (SIG_SETMASK, &old, NULL);
      execvp (argv[first], argv + first);
      int e = errno;
      fprintf (stderr, "secrun-init: exec %s: %s\n", argv[first], strerror (e));
      _exit (e == ENOENT ? 127 : 126);
    }

  for (;;)
    {
      siginfo_t si;
      int sig = sigwaitinfo (&all, &si);

      if (sig < 0)
        continue;
      if (sig != SIGCHLD)
        {
          kill (child, sig);
          continue;
        }
      for (;;)
        {
          int status;
          pid_t p = waitpid (-1, &status, WNOHANG);
          if (p <= 0)
            break;
          if (p == child)
            return exit_code (status);
        }
    }
}
