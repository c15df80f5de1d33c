/* Fuzz target: what `secrun update` reads.
 *
 * An input starting with "--" is a list of update flags, one
 * "--name=value" per line (--memory=1g, --cpu-quota=-1, --cpuset-cpus=0-3,
 * ...), applied with sr_cgroup_update_flag as the command line would; the
 * values also go through the size and duration parsers. Any other input
 * is the --resources JSON: sr_json_parse, then sr_resources_parse.
 * Resources that parse go through the checks update makes before it
 * writes a cgroup file, for both cgroup versions, and the cpu.max and
 * memory.swap.max formatting. */
#include "build-config.h"

#include <inttypes.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cgroup.h"
#include "cgroup_internal.h"
#include "config.h"

#include "fuzz.h"

static void
check_resources (const sr_resources_t *r)
{
  sr_error_t err = { 0 };
  sr_cg_needs_t needs;
  char buf[64];
  int64_t swap;
  int k;

  for (int v = 0; v < 2; v++)
    {
      k = sr_cg_check_resources (r, v ? SR_CG_V2 : SR_CG_V1, &needs, &err);
      fuzz_check_err (k, &err, "sr_cg_check_resources");
    }
  k = sr_cg_fmt_cpu_max (r, buf, sizeof buf);
  if (k)
    FUZZ_ASSERT (strlen (buf) < sizeof buf - 1, "cpu.max \"%s\"", buf);
  if (r->memory.swap.set)
    {
      k = sr_cg_swap_v2 (r->memory.swap.v,
                         r->memory.limit.set ? r->memory.limit.v : 0, &swap,
                         &err);
      fuzz_check_err (k, &err, "sr_cg_swap_v2");
      if (k == 0)
        FUZZ_ASSERT (swap >= -1, "memory.swap.max %" PRId64, swap);
    }
}

static void
fuzz_flags (const uint8_t *data, size_t size)
{
  sr_error_t err = { 0 };
  sr_resources_t r;
  size_t n;
  char *buf, **v = fuzz_lines (data, size, &buf, &n);

  memset (&r, 0, sizeof r);
  for (size_t i = 0; i < n; i++)
    {
      char *name = v[i], *value;
      int64_t sz;
      uint64_t ms;

      if (strncmp (name, "--", 2) != 0)
        continue;
      name += 2;
      value = strchr (name, '=');
      if (value)
        *value++ = '\0';
      if (value)
        {
          if (sr_cgroup_parse_size (value, &sz) == 0)
            FUZZ_ASSERT (sz >= -1, "size \"%s\" = %" PRId64, value, sz);
          if (sr_cgroup_parse_duration (value, &ms) == 0)
            FUZZ_ASSERT (ms >= 1, "duration \"%s\" = %" PRIu64 " ms", value, ms);
        }
      /* As the command does: the first bad flag ends it. */
      if (sr_cgroup_update_flag (&r, name, value, &err) < 0)
        {
          fuzz_check_err (-1, &err, "sr_cgroup_update_flag");
          goto out;
        }
    }
  check_resources (&r);
out:
  free (v);
  free (buf);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  sr_error_t err = { 0 };
  sr_resources_t r;
  json_t *obj;
  int k;

  if (size >= 2 && data[0] == '-' && data[1] == '-')
    {
      fuzz_flags (data, size);
      return 0;
    }
  obj = sr_json_parse ((const char *) data, size, "resources", &err);
  fuzz_check_err (obj ? 0 : -1, &err, "sr_json_parse");
  if (obj == NULL)
    return 0;
  k = sr_resources_parse (obj, "", &r, &err);
  fuzz_check_err (k, &err, "sr_resources_parse");
  if (k == 0)
    {
      check_resources (&r);
      sr_resources_release (&r);
    }
  json_decref (obj);
  return 0;
}
