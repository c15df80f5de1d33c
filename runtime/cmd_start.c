#include <getopt.h>
#include <stdio.h>

#include "commands.h"
#include "container.h"
#include "log.h"

/* Parses "[--help] ID" for the commands that take nothing else: 0 ok,
 * 1 help printed, -1 bad usage. */
int sr_parse_id_only (int argc, char **argv, const char *what, const char **id);

int
sr_parse_id_only (int argc, char **argv, const char *what, const char **id)
{
  static const struct option opts[] = { { "help", no_argument, NULL, 'h' },
                                        { NULL, 0, NULL, 0 } };
  int c;
  while ((c = getopt_long (argc, argv, "h", opts, NULL)) != -1)
    {
      if (c == 'h')
        {
          printf ("Usage: secrun %s ID\n", argv[0]);
          (void) what;
          return 1;
        }
      return -1;
    }
  if (optind != argc - 1)
    {
      sr_log_error ("%s: exactly one container id is required", argv[0]);
      return -1;
    }
  *id = argv[optind];
  return 0;
}

int
cmd_start (sr_global_t *g, int argc, char **argv)
{
  sr_container_dir_t d;
  sr_state_t st;
  sr_error_t err = { 0 };
  const char *id;
  int r = sr_parse_id_only (argc, argv, "start", &id);

  if (r != 0)
    return r > 0 ? 0 : 1;
  if (sr_container_load (g->root, id, &d, &st, &err) < 0)
    return sr_fail (&err);
  sr_status_t s = sr_state_status (&d, &st);
  if (s != SR_STATUS_CREATED)
    {
      sr_error (&err, 0, "container \"%s\" is %s, not created: cannot start it",
                id, sr_status_name (s));
      r = -1;
    }
  else
    r = sr_container_start (&d, &st, &err);
  sr_state_release (&st);
  sr_container_dir_close (&d);
  return r < 0 ? sr_fail (&err) : 0;
}
