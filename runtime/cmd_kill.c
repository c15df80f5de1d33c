#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "cgroup.h"
#include "cleanup.h"
#include "commands.h"
#include "log.h"
#include "signals.h"
#include "state.h"
#include "utils.h"

static int
kill_all (sr_state_t *st, int sig, sr_error_t *err)
{
  sr_cgroup_t *cg = NULL;
  int r;
  if (st->cgroup == NULL || sr_cgroup_from_json (st->cgroup, &cg, err) < 0)
    {
      sr_error_clear (err);
      return kill (st->pid, sig) < 0 ? sr_error_errno (err, "kill %d", st->pid) : 0;
    }
  r = sr_cgroup_kill (cg, sig, err);
  sr_cgroup_free (cg);
  return r;
}

int
cmd_kill (sr_global_t *g, int argc, char **argv)
{
  static const struct option opts[] = { { "all", no_argument, NULL, 'a' },
                                        { "help", no_argument, NULL, 'h' },
                                        { NULL, 0, NULL, 0 } };
  sr_container_dir_t d;
  sr_state_t st;
  sr_error_t err = { 0 };
  bool all = false;
  int c, sig = SIGTERM, r = 0;

  while ((c = getopt_long (argc, argv, "ah", opts, NULL)) != -1)
    switch (c)
      {
      case 'a': all = true; break;
      case 'h':
        printf ("Usage: secrun kill [--all] ID [SIGNAL]\n\n"
                "SIGNAL: a name (TERM, SIGKILL) or a number; default TERM.\n"
                "  -a, --all   signal every process of the container\n");
        return 0;
      default: return 1;
      }
  if (optind != argc - 1 && optind != argc - 2)
    {
      sr_log_error ("kill: usage: secrun kill [--all] ID [SIGNAL]");
      return 1;
    }
  if (optind == argc - 2 && (sig = sr_signal_parse (argv[optind + 1])) < 0)
    {
      sr_log_error ("kill: unknown signal \"%s\"", argv[optind + 1]);
      return 1;
    }
  if (sr_container_load (g->root, argv[optind], &d, &st, &err) < 0)
    return sr_fail (&err);
  sr_status_t s = sr_state_status (&d, &st);
  if (s == SR_STATUS_STOPPED || s == SR_STATUS_CREATING)
    {
      /* CRI sends kill --all after every exit: that must succeed. */
      if (!all)
        r = sr_error (&err, 0, "container not running");
    }
  else if (all)
    r = kill_all (&st, sig, &err);
  else
    {
      /* A pidfd pins the process we checked: no signal to a recycled pid. */
      _cleanup_close_ int pfd = (int) syscall (SYS_pidfd_open, st.pid, 0);
      if (pfd < 0 || !sr_proc_alive (st.pid, st.pid_start))
        r = sr_error (&err, 0, "container not running");
      else if (syscall (SYS_pidfd_send_signal, pfd, sig, NULL, 0) < 0)
        r = sr_error_errno (&err, "kill container \"%s\"", st.id);
    }
  sr_state_release (&st);
  sr_container_dir_close (&d);
  return r < 0 ? sr_fail (&err) : 0;
}
