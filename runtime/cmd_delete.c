#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "container.h"
#include "launch_config.h"
#include "log.h"

int
cmd_delete (sr_global_t *g, int argc, char **argv)
{
  static const struct option opts[] = { { "force", no_argument, NULL, 'f' },
                                        { "help", no_argument, NULL, 'h' },
                                        { NULL, 0, NULL, 0 } };
  sr_container_dir_t d;
  sr_state_t st;
  sr_error_t err = { 0 };
  bool force = false;
  int c, r;

  while ((c = getopt_long (argc, argv, "fh", opts, NULL)) != -1)
    switch (c)
      {
      case 'f': force = true; break;
      case 'h':
        printf ("Usage: secrun delete [--force] ID\n\n"
                "  -f, --force   kill a running container first; exit 0 if it is gone\n");
        return 0;
      default: return 1;
      }
  if (optind != argc - 1)
    {
      sr_log_error ("delete: exactly one container id is required");
      return 1;
    }
  if (sr_id_validate (argv[optind], &err) < 0)
    return sr_fail (&err);
  if (sr_container_dir_open (g->root, argv[optind], false, &d, &err) < 0)
    {
      /* Clients always follow delete with delete --force. */
      if (force && strstr (err.msg, "does not exist"))
        {
          sr_error_clear (&err);
          return 0;
        }
      return sr_fail (&err);
    }
  if (sr_state_read (&d, &st, &err) < 0)
    {
      sr_container_dir_close (&d);
      return sr_fail (&err);
    }
  sr_status_t s = sr_state_status (&d, &st);
  if (!force && (s == SR_STATUS_RUNNING || s == SR_STATUS_PAUSED))
    {
      sr_error (&err, 0, "cannot delete container \"%s\" that is %s: stop it or "
                "use --force", st.id, sr_status_name (s));
      sr_state_release (&st);
      sr_container_dir_close (&d);
      return sr_fail (&err);
    }
  r = sr_container_destroy (&d, &st, false, &err);
  if (r == 0)
    sr_launch_cleanup (g->root, argv[optind]);
  sr_state_release (&st);
  return r < 0 ? sr_fail (&err) : 0;
}
