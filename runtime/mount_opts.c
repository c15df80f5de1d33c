#include "mounts.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "compat.h"

#ifndef MOUNT_ATTR_NOSYMFOLLOW
#define MOUNT_ATTR_NOSYMFOLLOW 0x00200000
#endif

enum { F_SET, F_CLR, F_ATIME, F_PROP, F_BIND, F_RBIND, F_COPYUP, F_IGNORE };

static const struct {
  const char *name;
  int kind;
  uint64_t attr;
  bool rec;
} options[] = {
  { "ro", F_SET, MOUNT_ATTR_RDONLY, false },
  { "rw", F_CLR, MOUNT_ATTR_RDONLY, false },
  { "nosuid", F_SET, MOUNT_ATTR_NOSUID, false },
  { "suid", F_CLR, MOUNT_ATTR_NOSUID, false },
  { "nodev", F_SET, MOUNT_ATTR_NODEV, false },
  { "dev", F_CLR, MOUNT_ATTR_NODEV, false },
  { "noexec", F_SET, MOUNT_ATTR_NOEXEC, false },
  { "exec", F_CLR, MOUNT_ATTR_NOEXEC, false },
  { "nosymfollow", F_SET, MOUNT_ATTR_NOSYMFOLLOW, false },
  { "symfollow", F_CLR, MOUNT_ATTR_NOSYMFOLLOW, false },
  { "nodiratime", F_SET, MOUNT_ATTR_NODIRATIME, false },
  { "diratime", F_CLR, MOUNT_ATTR_NODIRATIME, false },
  { "noatime", F_ATIME, MOUNT_ATTR_NOATIME, false },
  { "relatime", F_ATIME, MOUNT_ATTR_RELATIME, false },
  { "strictatime", F_ATIME, MOUNT_ATTR_STRICTATIME, false },
  { "atime", F_ATIME, MOUNT_ATTR_RELATIME, false },
  { "norelatime", F_ATIME, MOUNT_ATTR_STRICTATIME, false },
  { "nostrictatime", F_ATIME, MOUNT_ATTR_RELATIME, false },
  { "shared", F_PROP, MS_SHARED, false },
  { "rshared", F_PROP, MS_SHARED, true },
  { "slave", F_PROP, MS_SLAVE, false },
  { "rslave", F_PROP, MS_SLAVE, true },
  { "private", F_PROP, MS_PRIVATE, false },
  { "rprivate", F_PROP, MS_PRIVATE, true },
  { "unbindable", F_PROP, MS_UNBINDABLE, false },
  { "runbindable", F_PROP, MS_UNBINDABLE, true },
  { "bind", F_BIND, 0, false },
  { "rbind", F_RBIND, 0, true },
  { "tmpcopyup", F_COPYUP, 0, false },
  /* Mount-time only or meaningless here; accepted like runc does. */
  { "defaults", F_IGNORE, 0, false },
  { "async", F_IGNORE, 0, false },
  { "auto", F_IGNORE, 0, false },
  { "noauto", F_IGNORE, 0, false },
  { "sync", F_IGNORE, 0, false },
  { "dirsync", F_IGNORE, 0, false },
  { "mand", F_IGNORE, 0, false },
  { "nomand", F_IGNORE, 0, false },
  { "remount", F_IGNORE, 0, false },
  { "norecursive", F_IGNORE, 0, false },
};

size_t
sr_mount_opts_known (const char **out, size_t max)
{
  size_t n = 0;
  for (size_t i = 0; i < sizeof options / sizeof *options && n < max; i++)
    out[n++] = options[i].name;
  return n;
}

long
sr_propagation_parse (const char *s)
{
  for (size_t i = 0; i < sizeof options / sizeof *options; i++)
    if (options[i].kind == F_PROP && strcmp (options[i].name, s) == 0)
      return (long) (options[i].attr | (options[i].rec ? MS_REC : 0));
  return -1;
}

static int
append_data (char **data, const char *opt)
{
  size_t old = *data ? strlen (*data) : 0, n = strlen (opt);
  char *t = realloc (*data, old + n + 2);
  if (t == NULL)
    return -1;
  if (old)
    t[old++] = ',';
  memcpy (t + old, opt, n + 1);
  *data = t;
  return 0;
}

int
sr_mount_opts_parse (const sr_strv_t *opts, sr_mount_opts_t *out,
                     sr_error_t *err)
{
  memset (out, 0, sizeof *out);
  for (size_t i = 0; i < opts->n; i++)
    {
      const char *o = opts->v[i];
      size_t k;
      for (k = 0; k < sizeof options / sizeof *options; k++)
        if (strcmp (options[k].name, o) == 0)
          break;
      if (k == sizeof options / sizeof *options)
        {
          /* idmap options need idmapped mounts: refuse rather than ignore.
           * On failure the data gathered so far is freed here: callers
           * release nothing when parsing fails (leak found by
           * tests/fuzz/fuzz_mount_opts). */
          if (strncmp (o, "idmap", 5) == 0 || strncmp (o, "ridmap", 6) == 0)
            {
              sr_mount_opts_release (out);
              return sr_error (err, 0, "mount option \"%s\" is not supported", o);
            }
          if (*o == '\0')
            continue;
          if (append_data (&out->data, o) < 0)
            {
              sr_mount_opts_release (out);
              return sr_error (err, ENOMEM, "mount options");
            }
          continue;
        }
      switch (options[k].kind)
        {
        case F_SET:
          out->attr_set |= options[k].attr;
          out->attr_clr &= ~options[k].attr;
          break;
        case F_CLR:
          out->attr_clr |= options[k].attr;
          out->attr_set &= ~options[k].attr;
          break;
        case F_ATIME:
          out->attr_clr |= MOUNT_ATTR__ATIME;
          out->attr_set = (out->attr_set & ~MOUNT_ATTR__ATIME) | options[k].attr;
          break;
        case F_PROP:
          out->propagation = options[k].attr;
          out->propagation_rec = options[k].rec;
          break;
        case F_BIND:
          out->bind = true;
          break;
        case F_RBIND:
          out->bind = out->recursive = true;
          break;
        case F_COPYUP:
          out->tmpcopyup = true;
          break;
        default:
          break;
        }
    }
  out->ro = (out->attr_set & MOUNT_ATTR_RDONLY) != 0;
  return 0;
}

void
sr_mount_opts_release (sr_mount_opts_t *o)
{
  free (o->data);
  o->data = NULL;
}
