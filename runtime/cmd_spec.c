#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cleanup.h"
#include "commands.h"
#include "log.h"
#include "spec.h"
#include "utils.h"

int
cmd_spec (sr_global_t *g, int argc, char **argv)
{
  static const struct option opts[] = { { "rootless", no_argument, NULL, 'r' },
                                        { "bundle", required_argument, NULL, 'b' },
                                        { "help", no_argument, NULL, 'h' },
                                        { NULL, 0, NULL, 0 } };
  const char *bundle = ".";
  bool rootless = false;
  sr_error_t err = { 0 };
  int c;

  (void) g;
  while ((c = getopt_long (argc, argv, "b:h", opts, NULL)) != -1)
    switch (c)
      {
      case 'r': rootless = true; break;
      case 'b': bundle = optarg; break;
      case 'h':
        printf ("Usage: secrun spec [--rootless] [--bundle DIR]\n\n"
                "Writes DIR/config.json (default: ./config.json).\n");
        return 0;
      default: return 1;
      }
  _cleanup_free_ char *path = sr_path_join (bundle, "config.json");
  json_t *j = sr_spec_default (rootless);
  char *s = json_dumps (j, JSON_INDENT (2) | JSON_PRESERVE_ORDER);
  json_decref (j);
  int fd = open (path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0)
    {
      free (s);
      if (errno == EEXIST)
        sr_error (&err, 0, "%s already exists: remove it first", path);
      else
        sr_error_errno (&err, "create %s", path);
      return sr_fail (&err);
    }
  size_t n = strlen (s);
  s[n] = '\n';
  int r = sr_write_all (fd, s, n + 1);
  free (s);
  close (fd);
  if (r < 0)
    {
      sr_error_errno (&err, "write %s", path);
      return sr_fail (&err);
    }
  return 0;
}
