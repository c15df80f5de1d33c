#include <stdio.h>
#include <stdlib.h>

#include "commands.h"
#include "state.h"

int sr_parse_id_only (int argc, char **argv, const char *what, const char **id);

int
cmd_state (sr_global_t *g, int argc, char **argv)
{
  sr_container_dir_t d;
  sr_state_t st;
  sr_error_t err = { 0 };
  const char *id;
  int r = sr_parse_id_only (argc, argv, "state", &id);

  if (r != 0)
    return r > 0 ? 0 : 1;
  if (sr_container_load (g->root, id, &d, &st, &err) < 0)
    return sr_fail (&err);
  json_t *j = sr_state_to_json (&st, sr_state_status (&d, &st));
  char *s = json_dumps (j, JSON_INDENT (2) | JSON_PRESERVE_ORDER);
  printf ("%s\n", s);
  free (s);
  json_decref (j);
  sr_state_release (&st);
  sr_container_dir_close (&d);
  return 0;
}
