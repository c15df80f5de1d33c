#include <dirent.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "commands.h"
#include "log.h"
#include "state.h"

int
cmd_list (sr_global_t *g, int argc, char **argv)
{
  static const struct option opts[] = { { "format", required_argument, NULL, 'f' },
                                        { "quiet", no_argument, NULL, 'q' },
                                        { "help", no_argument, NULL, 'h' },
                                        { NULL, 0, NULL, 0 } };
  bool json = false, quiet = false;
  int c;

  while ((c = getopt_long (argc, argv, "f:qh", opts, NULL)) != -1)
    switch (c)
      {
      case 'f':
        if (strcmp (optarg, "json") == 0)
          json = true;
        else if (strcmp (optarg, "table") != 0)
          {
            sr_log_error ("list: --format: \"%s\" is not table or json", optarg);
            return 1;
          }
        break;
      case 'q': quiet = true; break;
      case 'h':
        printf ("Usage: secrun list [--format table|json] [--quiet]\n");
        return 0;
      default: return 1;
      }

  json_t *arr = json_array ();
  DIR *dir = opendir (g->root);
  struct dirent *de;
  if (!json && !quiet)
    printf ("%-24s %-8s %-10s %-40s %-32s %s\n", "ID", "PID", "STATUS", "BUNDLE",
            "CREATED", "OWNER");
  while (dir && (de = readdir (dir)) != NULL)
    {
      sr_error_t err = { 0 };
      sr_container_dir_t d;
      sr_state_t st;

      if (de->d_name[0] == '.' || sr_id_validate (de->d_name, &err) < 0)
        {
          sr_error_clear (&err);
          continue;
        }
      /* Read without the lock: state.json is replaced atomically, and
       * list must not wait behind a slow create. */
      d.rootfd = -1;
      d.id = de->d_name;
      d.dirfd = openat (dirfd (dir), de->d_name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
      if (d.dirfd < 0)
        continue;
      if (sr_state_read (&d, &st, &err) < 0)
        {
          sr_error_clear (&err);
          close (d.dirfd);
          continue;
        }
      sr_status_t s = sr_state_status (&d, &st);
      close (d.dirfd);
      if (json)
        json_array_append_new (arr, sr_state_to_json (&st, s));
      else if (quiet)
        printf ("%s\n", st.id);
      else
        printf ("%-24s %-8d %-10s %-40s %-32s %s\n", st.id,
                s == SR_STATUS_STOPPED ? 0 : st.pid, sr_status_name (s),
                st.bundle ? st.bundle : "", st.created ? st.created : "",
                st.owner ? st.owner : "");
      sr_state_release (&st);
    }
  if (dir)
    closedir (dir);
  if (json)
    {
      char *s = json_dumps (arr, JSON_COMPACT);
      printf ("%s\n", s);
      free (s);
    }
  json_decref (arr);
  return 0;
}
