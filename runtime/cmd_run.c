#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "commands.h"
#include "container.h"
#include "log.h"
#include "notify.h"
#include "terminal.h"

int sr_parse_create_opts (int argc, char **argv, bool run, sr_create_opts_t *o,
                          bool *detach);

int
cmd_run (sr_global_t *g, int argc, char **argv)
{
  sr_container_dir_t kd = { .rootfd = -1, .dirfd = -1 };
  sr_state_t ks = { 0 };
  sr_create_opts_t o = { .root = g->root, .systemd_cgroup = g->systemd_cgroup,
                         .policy = g->policy,
                         .start_now = true, .console_fd = -1 };
  sr_error_t err = { 0 };
  bool detach = false;
  int sv[2] = { -1, -1 };
  int notify_fd = -1;
  pid_t pid;
  int r = sr_parse_create_opts (argc, argv, true, &o, &detach);

  o.notify_fd = &notify_fd;
  if (r != 0)
    return r > 0 ? 0 : 1;
  /* In the foreground without a console socket, we hold the pty ourselves
   * (used only if the config asks for a terminal). */
  if (!detach && o.console_socket == NULL)
    {
      if (socketpair (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
        {
          sr_error_errno (&err, "socketpair");
          return sr_fail (&err);
        }
      o.console_fd = sv[1];
    }
  if (!detach)
    {
      o.keep_dir = &kd;
      o.keep_state = &ks;
    }
  r = sr_container_create (&o, &pid, &err);
  if (sv[1] >= 0)
    close (sv[1]);
  if (r < 0)
    {
      if (sv[0] >= 0)
        close (sv[0]);
      return sr_fail (&err);
    }
  if (notify_fd >= 0 && sr_notify_after_run (notify_fd, pid, detach, &err) < 0)
    {
      if (sv[0] >= 0)
        close (sv[0]);
      return sr_fail (&err);
    }
  if (detach)
    return 0;

  /* The master arrives only if the init made a pty. */
  struct timeval tv = { 0 };
  setsockopt (sv[0], SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  int status = 0;
  {
    int flags = MSG_DONTWAIT | MSG_PEEK;
    char b;
    if (recv (sv[0], &b, 1, flags) == 1)
      {
        int master = sr_terminal_recv_master (sv[0], &err);
        if (master >= 0)
          {
            sr_terminal_proxy (master);
            close (master);
          }
        else
          sr_log_error_t (&err);
      }
    close (sv[0]);
  }
  status = sr_forward_until_exit (pid, 0);

  if (sr_container_reclaim (&kd, &ks, &err) < 0)
    sr_log_error_t (&err);
  return status;
}
