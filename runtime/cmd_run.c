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
  int pair = -1;
  int notify_fd = -1;
  pid_t pid;
  int r = sr_parse_create_opts (argc, argv, true, &o, &detach);

  o.notify_fd = &notify_fd;
  if (r != 0)
    return r > 0 ? 0 : 1;
  /* In the foreground without a console socket, we hold the pty ourselves:
   * create makes the socket the init sends it on, if the config asks for
   * a terminal. */
  if (!detach && o.console_socket == NULL)
    o.console_pair = &pair;
  if (!detach)
    {
      o.keep_dir = &kd;
      o.keep_state = &ks;
    }
  r = sr_container_create (&o, &pid, &err);
  if (r < 0)
    {
      if (pair >= 0)
        close (pair);
      return sr_fail (&err);
    }
  if (notify_fd >= 0 && sr_notify_after_run (notify_fd, pid, detach, &err) < 0)
    {
      if (pair >= 0)
        close (pair);
      return sr_fail (&err);
    }
  if (detach)
    return 0;

  int status = 0;
  if (pair >= 0)
    {
      /* The init sent the pty master before it exec'd. */
      struct timeval tv = { 0 };
      setsockopt (pair, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
      char b;
      if (recv (pair, &b, 1, MSG_DONTWAIT | MSG_PEEK) == 1)
        {
          int master = sr_terminal_recv_master (pair, &err);
          if (master >= 0)
            {
              sr_terminal_proxy (master);
              close (master);
            }
          else
            sr_log_error_t (&err);
        }
      close (pair);
    }
  status = sr_forward_until_exit (pid, 0);

  if (sr_container_reclaim (&kd, &ks, &err) < 0)
    sr_log_error_t (&err);
  return status;
}
