/* Fuzz target: mounts[].options and linux.rootfsPropagation.
 *
 * The input is a list of mount options, one per line (an option may hold
 * commas: "size=64k,mode=755" is passed on as filesystem data). The list
 * goes through sr_mount_opts_parse, and every line through
 * sr_propagation_parse. Checked invariants: a flag is never both set and
 * cleared (the atime mode excepted: mount_setattr wants the whole atime
 * mask cleared and one mode set), ro matches attr_set, the filesystem
 * data holds only what the input had, and a propagation is one of the
 * four modes, with or without MS_REC. */
#include "build-config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>

#include "mounts.h"

#include "fuzz.h"

#ifndef MOUNT_ATTR__ATIME
# define MOUNT_ATTR__ATIME 0x00000070
#endif
#ifndef MOUNT_ATTR_RDONLY
# define MOUNT_ATTR_RDONLY 0x00000001
#endif

static void
check_propagation (const char *s)
{
  long p = sr_propagation_parse (s);

  if (p == -1)
    return;
  p &= ~(long) MS_REC;
  FUZZ_ASSERT (p == MS_SHARED || p == MS_SLAVE || p == MS_PRIVATE
                   || p == MS_UNBINDABLE,
               "\"%s\" gave propagation %#lx", s, p);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  sr_error_t err = { 0 };
  sr_mount_opts_t o;
  sr_strv_t opts;
  char *buf, **v;
  size_t n, total = 0;
  int r;

  v = fuzz_lines (data, size, &buf, &n);
  opts.v = (const char **) v;
  opts.n = n;
  for (size_t i = 0; i < n; i++)
    {
      check_propagation (v[i]);
      total += strlen (v[i]) + 1;
    }

  r = sr_mount_opts_parse (&opts, &o, &err);
  fuzz_check_err (r, &err, "sr_mount_opts_parse");
  if (r == 0)
    {
      FUZZ_ASSERT ((o.attr_set & o.attr_clr & ~(uint64_t) MOUNT_ATTR__ATIME) == 0,
                   "flags both set and cleared: set %#llx clr %#llx",
                   (unsigned long long) o.attr_set,
                   (unsigned long long) o.attr_clr);
      FUZZ_ASSERT (o.ro == ((o.attr_set & MOUNT_ATTR_RDONLY) != 0),
                   "ro %d but attr_set %#llx", o.ro,
                   (unsigned long long) o.attr_set);
      FUZZ_ASSERT (!o.recursive || o.bind, "recursive without bind");
      if (o.propagation)
        FUZZ_ASSERT (o.propagation == MS_SHARED || o.propagation == MS_SLAVE
                         || o.propagation == MS_PRIVATE
                         || o.propagation == MS_UNBINDABLE,
                     "propagation %#llx",
                     (unsigned long long) o.propagation);
      if (o.data)
        FUZZ_ASSERT (o.data[0] != '\0' && strlen (o.data) < total,
                     "data \"%s\" from %zu bytes of options", o.data, total);
      sr_mount_opts_release (&o);
      FUZZ_ASSERT (o.data == NULL, "release left data behind");
    }
  /* On failure the caller (mounts.c) releases nothing: a leak here is
   * one in the runtime. */

  free (v);
  free (buf);
  return 0;
}
