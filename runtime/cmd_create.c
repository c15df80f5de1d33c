#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "container.h"
#include "log.h"
#include "utils.h"

enum { O_BUNDLE = 'b', O_PIDFILE = 256, O_CONSOLE, O_NOPIVOT, O_NOKEYRING, O_PRESERVE, O_DETACH = 'd' };

static const struct option create_opts[] = {
  { "bundle", required_argument, NULL, O_BUNDLE },
  { "pid-file", required_argument, NULL, O_PIDFILE },
  { "console-socket", required_argument, NULL, O_CONSOLE },
  { "no-pivot", no_argument, NULL, O_NOPIVOT },
  { "no-new-keyring", no_argument, NULL, O_NOKEYRING },
  { "preserve-fds", required_argument, NULL, O_PRESERVE },
  { "detach", no_argument, NULL, O_DETACH },
  { "help", no_argument, NULL, 'h' },
  { NULL, 0, NULL, 0 },
};

/* Shared by create and run: 0 parsed, 1 printed help, -1 bad usage. */
int sr_parse_create_opts (int argc, char **argv, bool run, sr_create_opts_t *o,
                          bool *detach);

int
sr_parse_create_opts (int argc, char **argv, bool run, sr_create_opts_t *o,
                      bool *detach)
{
  int c;
  while ((c = getopt_long (argc, argv, run ? "b:dh" : "b:h", create_opts, NULL)) != -1)
    switch (c)
      {
      case O_BUNDLE: o->bundle = optarg; break;
      case O_PIDFILE: o->pid_file = optarg; break;
      case O_CONSOLE: o->console_socket = optarg; break;
      case O_NOPIVOT: o->no_pivot = true; break;
      case O_NOKEYRING: o->no_new_keyring = true; break;
      case O_PRESERVE:
        if (sr_parse_fd_count (optarg, &o->preserve_fds) < 0)
          {
            sr_log_error ("--preserve-fds: \"%s\" is not a count of fds", optarg);
            return -1;
          }
        break;
      case O_DETACH:
        if (!run)
          return -1;
        *detach = true;
        break;
      case 'h':
        printf ("Usage: secrun %s [OPTIONS] ID\n\n"
                "  -b, --bundle DIR        bundle directory (default: .)\n"
                "      --pid-file FILE     write the init's pid (bare digits)\n"
                "      --console-socket S  send the pty master to this unix socket\n"
                "      --no-pivot          MS_MOVE + chroot instead of pivot_root\n"
                "      --no-new-keyring    keep the caller's session keyring\n"
                "      --preserve-fds N    pass fds 3..3+N-1 to the workload\n%s",
                run ? "run" : "create",
                run ? "  -d, --detach            do not wait for the workload\n" : "");
        return 1;
      default:
        return -1;
      }
  if (optind != argc - 1)
    {
      sr_log_error ("%s: exactly one container id is required", run ? "run" : "create");
      return -1;
    }
  o->id = argv[optind];
  return 0;
}

int
cmd_create (sr_global_t *g, int argc, char **argv)
{
  sr_create_opts_t o = { .root = g->root, .systemd_cgroup = g->systemd_cgroup,
                         .policy = g->policy,
                         .console_fd = -1 };
  sr_error_t err = { 0 };
  bool detach = false;
  pid_t pid;
  int r = sr_parse_create_opts (argc, argv, false, &o, &detach);

  if (r != 0)
    return r > 0 ? 0 : 1;
  if (sr_container_create (&o, &pid, &err) < 0)
    return sr_fail (&err);
  return 0;
}
