/* The cgroup manager's front: host detection, cgroupsPath resolution,
 * validation of linux.resources, and dispatch to the v1 / v2 backends.
 *
 * The rule everything here follows: secrun writes only in cgroups it
 * created. It remembers how many levels of the path it created (persisted
 * with sr_cgroup_to_json) and destroy removes exactly those. */
#ifndef _GNU_SOURCE
# define _GNU_SOURCE
#endif
#include "cgroup_internal.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <linux/magic.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <time.h>
#include <unistd.h>

#include "cleanup.h"
#include "log.h"

/* runc's AllowedDevices (libcontainer/specconv/spec_linux.go) minus the
 * "mknod any" rules: a container gets mknod only through its config. */
const sr_device_rule_t sr_default_device_rules[] = {
  { true, 'c', 1, 3, "rwm" },   /* /dev/null */
  { true, 'c', 1, 5, "rwm" },   /* /dev/zero */
  { true, 'c', 1, 7, "rwm" },   /* /dev/full */
  { true, 'c', 1, 8, "rwm" },   /* /dev/random */
  { true, 'c', 1, 9, "rwm" },   /* /dev/urandom */
  { true, 'c', 5, 0, "rwm" },   /* /dev/tty */
  { true, 'c', 5, 2, "rwm" },   /* /dev/ptmx */
  { true, 'c', 136, -1, "rwm" }, /* /dev/pts/N */
};
const size_t sr_n_default_device_rules
    = sizeof sr_default_device_rules / sizeof sr_default_device_rules[0];

#define FIELD "linux.resources."

/* ------------------------------------------------------------------ */
/* detection */

static const char *
cg_root (void)
{
  const char *r = getenv ("SECRUN_CGROUP_ROOT");
  return r && *r == '/' ? r : SR_CG_DEFAULT_ROOT;
}

sr_cg_mode_t
sr_cgroup_detect (void)
{
  struct statfs sfs;
  const char *root = cg_root ();

  if (statfs (root, &sfs) < 0)
    return SR_CG_NONE;
  if (sfs.f_type == CGROUP2_SUPER_MAGIC)
    return SR_CG_V2;
  /* Hybrid (tmpfs with v1 mounts and a cgroup2 at unified) and legacy
   * hosts: the v1 backend; it finds the hierarchies in mountinfo. */
  return SR_CG_V1;
}

/* ------------------------------------------------------------------ */
/* paths */

static int
path_error (sr_error_t *err, const char *cp, const char *why)
{
  return sr_error (err, 0, "linux.cgroupsPath: \"%s\": %s", cp, why);
}

/* Appends the components of SRC to DST ('/'-separated, normalised),
 * refusing "..", control characters and over-long names. */
static int
append_components (char *dst, size_t cap, const char *src, const char *orig,
                   sr_error_t *err)
{
  const char *p = src;

  while (*p)
    {
      const char *e;
      size_t n, len;

      while (*p == '/')
        p++;
      if (*p == '\0')
        break;
      e = strchrnul (p, '/');
      n = (size_t) (e - p);
      if (n == 1 && p[0] == '.')
        {
          p = e;
          continue;
        }
      if (n == 2 && p[0] == '.' && p[1] == '.')
        return path_error (err, orig, "\"..\" is not allowed");
      if (n > NAME_MAX)
        return path_error (err, orig, "a component is longer than 255 bytes");
      for (size_t i = 0; i < n; i++)
        if (iscntrl ((unsigned char) p[i]))
          return path_error (err, orig, "control characters are not allowed");
      len = strlen (dst);
      if (len + 1 + n + 1 > cap)
        return path_error (err, orig, "too long");
      dst[len] = '/';
      memcpy (dst + len + 1, p, n);
      dst[len + 1 + n] = '\0';
      p = e;
    }
  return 0;
}

int
sr_cg_expand_slice (const char *slice, char **out, sr_error_t *err)
{
  /* systemd's unit naming, as runc's ExpandSlice does it:
   * "a-b-c.slice" lives at /a.slice/a-b.slice/a-b-c.slice. */
  static const char suffix[] = ".slice";
  size_t sl = strlen (slice), xl = sizeof suffix - 1;
  _cleanup_free_ char *name = NULL;
  char *buf, *q;
  size_t cap;

  if (sl <= xl || strcmp (slice + sl - xl, suffix) != 0 || strchr (slice, '/'))
    return sr_error (err, 0, "linux.cgroupsPath: invalid slice name \"%s\"",
                     slice);
  /* The whole name becomes the last component of the path, which
   * append_components refuses beyond NAME_MAX anyway: refuse it before
   * the expansion, whose time and memory grow with the square of the
   * length (a 60 KB "a-a-...-a.slice:p:n" kept create busy for over a
   * minute; found while writing tests/fuzz/fuzz_ids). */
  if (sl > NAME_MAX)
    return sr_error (err, 0, "linux.cgroupsPath: invalid slice name \"%.64s...\": "
                     "longer than %d bytes", slice, NAME_MAX);
  name = strndup (slice, sl - xl);
  if (name == NULL)
    return sr_error_errno (err, "strndup");
  if (strcmp (name, "-") == 0)
    {
      *out = strdup ("");
      return *out ? 0 : sr_error_errno (err, "strdup");
    }
  cap = sl * sl + 2;
  buf = calloc (1, cap);
  if (buf == NULL)
    return sr_error_errno (err, "calloc");
  q = name;
  for (;;)
    {
      char *dash = strchr (q, '-');
      size_t prefix = (size_t) ((dash ? dash : q + strlen (q)) - name);
      if ((dash ? dash : q + strlen (q)) == q)
        {
          free (buf);
          return sr_error (err, 0, "linux.cgroupsPath: invalid slice name \"%s\"",
                           slice);
        }
      snprintf (buf + strlen (buf), cap - strlen (buf), "/%.*s%s", (int) prefix,
                name, suffix);
      if (dash == NULL)
        break;
      q = dash + 1;
    }
  *out = buf;
  return 0;
}

static int
resolve_systemd (const char *cp, char *buf, size_t cap, sr_error_t *err)
{
  /* "slice:prefix:name", what --systemd-cgroup clients send. secrun has no
   * systemd driver: it makes the cgroupfs path systemd would use,
   * /<slice expanded>/<prefix>-<name>.scope, and manages it itself. */
  _cleanup_free_ char *copy = strdup (cp), *slice_path = NULL,
                      *unit = NULL;
  char *slice, *prefix, *name, *c1, *c2;

  if (copy == NULL)
    return sr_error_errno (err, "strdup");
  c1 = strchr (copy, ':');
  c2 = c1 ? strchr (c1 + 1, ':') : NULL;
  if (c1 == NULL || c2 == NULL || strchr (c2 + 1, ':'))
    return path_error (err, cp, "expected \"slice:prefix:name\"");
  *c1 = *c2 = '\0';
  slice = copy;
  prefix = c1 + 1;
  name = c2 + 1;
  if (*name == '\0' || strchr (name, '/') || strchr (prefix, '/'))
    return path_error (err, cp, "expected \"slice:prefix:name\"");
  if (sr_cg_expand_slice (*slice ? slice : "system.slice", &slice_path, err) < 0)
    return -1;
  if (strlen (name) > 6 && strcmp (name + strlen (name) - 6, ".slice") == 0)
    unit = strdup (name);
  else if (asprintf (&unit, "%s%s%s.scope", prefix, *prefix ? "-" : "", name) < 0)
    unit = NULL;
  if (unit == NULL)
    return sr_error_errno (err, "asprintf");
  if (append_components (buf, cap, slice_path, cp, err) < 0
      || append_components (buf, cap, unit, cp, err) < 0)
    return -1;
  return 0;
}

int
sr_cg_resolve_path (const char *id, const char *cp, char **out,
                    sr_error_t *err)
{
  char buf[PATH_MAX] = "";

  if (cp == NULL || *cp == '\0')
    {
      if (id == NULL || *id == '\0' || strchr (id, '/') || strcmp (id, ".") == 0
          || strcmp (id, "..") == 0)
        return sr_error (err, 0, "invalid container id for a cgroup name");
      if (append_components (buf, sizeof buf, SR_CG_DEFAULT_PARENT, id, err) < 0
          || append_components (buf, sizeof buf, id, id, err) < 0)
        return -1;
    }
  else if (cp[0] != '/' && strchr (cp, ':'))
    {
      if (resolve_systemd (cp, buf, sizeof buf, err) < 0)
        return -1;
    }
  else
    {
      if (cp[0] != '/'
          && append_components (buf, sizeof buf, SR_CG_DEFAULT_PARENT, cp, err) < 0)
        return -1;
      if (append_components (buf, sizeof buf, cp, cp, err) < 0)
        return -1;
    }
  if (buf[0] == '\0')
    return path_error (err, cp ? cp : "", "the root cgroup cannot be a container's cgroup");
  *out = strdup (buf);
  return *out ? 0 : sr_error_errno (err, "strdup");
}

/* ------------------------------------------------------------------ */
/* conversions and formatting */

uint64_t
sr_cg_shares_to_weight (uint64_t shares)
{
  if (shares == 0)
    return 0;
  if (shares < 2)
    shares = 2;
  if (shares > 262144)
    shares = 262144;
  return 1 + ((shares - 2) * 9999) / 262142;
}

uint64_t
sr_cg_blkio_to_io_weight (uint64_t weight)
{
  if (weight == 0)
    return 0;
  if (weight < 10)
    weight = 10;
  if (weight > 1000)
    weight = 1000;
  return 1 + (weight - 10) * 9999 / 990;
}

int
sr_cg_swap_v2 (int64_t swap, int64_t limit, int64_t *out, sr_error_t *err)
{
  /* v1 limits memory+swap together; v2's memory.swap.max is swap alone. */
  if (limit == -1 && swap == 0)
    {
      *out = -1;
      return 0;
    }
  if (swap == -1 || swap == 0)
    {
      *out = swap;
      return 0;
    }
  if (limit == 0 || limit == -1)
    return sr_error (err, 0, FIELD "memory.swap: a swap limit needs a memory limit");
  if (swap < limit)
    return sr_error (err, 0, FIELD "memory.swap: %" PRId64 " is below memory.limit %"
                     PRId64 " (swap counts memory+swap)", swap, limit);
  *out = swap - limit;
  return 0;
}

const char *
sr_cg_fmt_limit (int64_t v, char *buf, size_t n)
{
  if (v < 0)
    snprintf (buf, n, "max");
  else
    snprintf (buf, n, "%" PRId64, v);
  return buf;
}

int
sr_cg_fmt_cpu_max (const sr_resources_t *r, char *buf, size_t n)
{
  /* runc fs2/cpu.go: quota -1 (or only a period) is "max". Returns 0 when
   * neither is set, so cpu.max is left alone. */
  int64_t quota = r->cpu.quota.set ? r->cpu.quota.v : 0;
  uint64_t period = r->cpu.period.set ? r->cpu.period.v : 0;
  int k;

  if (quota == 0 && period == 0)
    return 0;
  if (quota > 0)
    k = snprintf (buf, n, "%" PRId64, quota);
  else
    k = snprintf (buf, n, "max");
  if (period)
    k += snprintf (buf + k, n - (size_t) k, " %" PRIu64, period);
  return 1;
}

int
sr_cg_unified_key_valid (const char *key, char **controller, sr_error_t *err)
{
  const char *dot = strchr (key, '.');

  if (*key == '\0' || strchr (key, '/') || strstr (key, "..") || dot == NULL
      || dot == key || dot[1] == '\0')
    return sr_error (err, 0, FIELD "unified: invalid key \"%s\" (expected "
                     "\"<controller>.<file>\")", key);
  for (const char *p = key; *p; p++)
    if (!isalnum ((unsigned char) *p) && *p != '.' && *p != '_' && *p != '-')
      return sr_error (err, 0, FIELD "unified: invalid key \"%s\"", key);
  /* Files that move, kill or restructure processes are the runtime's own
   * business, not a resource. */
  if (strcmp (key, "cgroup.procs") == 0 || strcmp (key, "cgroup.threads") == 0
      || strcmp (key, "cgroup.kill") == 0 || strcmp (key, "cgroup.freeze") == 0
      || strcmp (key, "cgroup.type") == 0
      || strcmp (key, "cgroup.subtree_control") == 0)
    return sr_error (err, 0, FIELD "unified: \"%s\" cannot be set", key);
  if (controller)
    {
      *controller = strndup (key, (size_t) (dot - key));
      if (*controller == NULL)
        return sr_error_errno (err, "strndup");
    }
  return 0;
}

bool
sr_cg_hugepage_size_valid (const char *s)
{
  const char *p = s;

  if (!isdigit ((unsigned char) *p) || *p == '0')
    return false;
  while (isdigit ((unsigned char) *p))
    p++;
  return strcmp (p, "KB") == 0 || strcmp (p, "MB") == 0 || strcmp (p, "GB") == 0;
}

bool
sr_cg_cpuset_list_valid (const char *s)
{
  /* "0-3,5,7-8": digits, ranges and commas, nothing else (no newline that
   * could smuggle a second write). */
  const char *p = s;

  if (*p == '\0')
    return false;
  for (;;)
    {
      if (!isdigit ((unsigned char) *p))
        return false;
      while (isdigit ((unsigned char) *p))
        p++;
      if (*p == '-')
        {
          p++;
          if (!isdigit ((unsigned char) *p))
            return false;
          while (isdigit ((unsigned char) *p))
            p++;
        }
      if (*p == '\0')
        return true;
      if (*p != ',')
        return false;
      p++;
    }
}

/* ------------------------------------------------------------------ */
/* resource validation */

static void
need (sr_cg_needs_t *n, unsigned c, const char *field)
{
  int i = __builtin_ctz (c);
  if (!(n->mask & c))
    n->field[i] = field;
  n->mask |= c;
}

static int
range_i64 (sr_opt_i64 v, const char *field, sr_error_t *err)
{
  if (v.set && v.v < -1)
    return sr_error (err, 0, FIELD "%s: %" PRId64 " is negative (-1 means unlimited)",
                     field, v.v);
  return 0;
}

static int
v2_unsupported (const char *field, const char *why, sr_error_t *err)
{
  return sr_error (err, 0, FIELD "%s: %s on cgroup v2 hosts", field, why);
}

static int
check_memory (const sr_resources_t *r, sr_cg_mode_t mode, sr_cg_needs_t *n,
              sr_error_t *err)
{
  const __typeof__ (r->memory) *m = &r->memory;
  static const struct { size_t off; const char *name; } i64s[] = {
    { offsetof (sr_resources_t, memory.limit), "memory.limit" },
    { offsetof (sr_resources_t, memory.reservation), "memory.reservation" },
    { offsetof (sr_resources_t, memory.swap), "memory.swap" },
    { offsetof (sr_resources_t, memory.kernel), "memory.kernel" },
    { offsetof (sr_resources_t, memory.kernel_tcp), "memory.kernelTCP" },
  };

  for (size_t i = 0; i < sizeof i64s / sizeof i64s[0]; i++)
    {
      const sr_opt_i64 *v = (const sr_opt_i64 *) ((const char *) r + i64s[i].off);
      if (range_i64 (*v, i64s[i].name, err) < 0)
        return -1;
      if (v->set && v->v != 0)
        need (n, SR_CGC_MEMORY, i64s[i].name);
    }
  if (m->limit.set && m->limit.v > 0 && m->swap.set && m->swap.v > 0
      && m->swap.v < m->limit.v)
    return sr_error (err, 0, FIELD "memory.swap: %" PRId64 " is below memory.limit %"
                     PRId64 " (swap counts memory+swap)", m->swap.v, m->limit.v);
  if (m->swappiness.set)
    {
      if (m->swappiness.v > 100)
        return sr_error (err, 0, FIELD "memory.swappiness: %" PRIu64
                         " is out of range 0-100", m->swappiness.v);
      need (n, SR_CGC_MEMORY, "memory.swappiness");
    }
  if (m->disable_oom_killer.set && m->disable_oom_killer.v)
    need (n, SR_CGC_MEMORY, "memory.disableOOMKiller");
  if (m->use_hierarchy.set)
    need (n, SR_CGC_MEMORY, "memory.useHierarchy");
  if (mode != SR_CG_V2)
    return 0;
  if (m->kernel.set && m->kernel.v != 0)
    return v2_unsupported ("memory.kernel", "kernel memory limits do not exist", err);
  if (m->kernel_tcp.set && m->kernel_tcp.v != 0)
    return v2_unsupported ("memory.kernelTCP", "kernel TCP memory limits do not exist", err);
  if (m->swappiness.set)
    return v2_unsupported ("memory.swappiness", "a per-cgroup swappiness does not exist", err);
  if (m->disable_oom_killer.set && m->disable_oom_killer.v)
    return v2_unsupported ("memory.disableOOMKiller", "the OOM killer cannot be disabled", err);
  if (m->use_hierarchy.set && !m->use_hierarchy.v)
    return v2_unsupported ("memory.useHierarchy", "accounting is always hierarchical", err);
  return 0;
}

static int
check_cpu (const sr_resources_t *r, sr_cg_mode_t mode, sr_cg_needs_t *n,
           sr_error_t *err)
{
  const __typeof__ (r->cpu) *c = &r->cpu;

  if (c->shares.set && c->shares.v != 0)
    {
      if (c->shares.v > 262144)
        return sr_error (err, 0, FIELD "cpu.shares: %" PRIu64
                         " is out of range 2-262144", c->shares.v);
      need (n, SR_CGC_CPU, "cpu.shares");
    }
  if (range_i64 (c->quota, "cpu.quota", err) < 0)
    return -1;
  if (c->quota.set && c->quota.v > 0 && c->quota.v < 1000)
    return sr_error (err, 0, FIELD "cpu.quota: %" PRId64
                     " is below the kernel's minimum of 1000 (1 ms)", c->quota.v);
  if (c->quota.set && c->quota.v != 0)
    need (n, SR_CGC_CPU, "cpu.quota");
  if (c->period.set && c->period.v != 0)
    {
      if (c->period.v < 1000 || c->period.v > 1000000)
        return sr_error (err, 0, FIELD "cpu.period: %" PRIu64
                         " is out of range 1000-1000000 (microseconds)", c->period.v);
      need (n, SR_CGC_CPU, "cpu.period");
    }
  if (c->burst.set)
    {
      if (c->burst.v > INT64_MAX)
        return sr_error (err, 0, FIELD "cpu.burst: %" PRIu64 " is too large", c->burst.v);
      need (n, SR_CGC_CPU, "cpu.burst");
    }
  if (c->idle.set)
    {
      if (c->idle.v != 0 && c->idle.v != 1)
        return sr_error (err, 0, FIELD "cpu.idle: %" PRId64 " is not 0 or 1", c->idle.v);
      need (n, SR_CGC_CPU, "cpu.idle");
    }
  if (range_i64 (c->realtime_runtime, "cpu.realtimeRuntime", err) < 0)
    return -1;
  if (c->realtime_period.set && c->realtime_period.v > INT64_MAX)
    return sr_error (err, 0, FIELD "cpu.realtimePeriod: %" PRIu64 " is too large",
                     c->realtime_period.v);
  if ((c->realtime_runtime.set && c->realtime_runtime.v != 0)
      || (c->realtime_period.set && c->realtime_period.v != 0))
    {
      if (mode == SR_CG_V2)
        return v2_unsupported (c->realtime_runtime.set ? "cpu.realtimeRuntime"
                               : "cpu.realtimePeriod",
                               "real-time group scheduling does not exist", err);
      need (n, SR_CGC_CPU, c->realtime_runtime.set ? "cpu.realtimeRuntime"
            : "cpu.realtimePeriod");
    }
  if (c->cpus && *c->cpus)
    {
      if (!sr_cg_cpuset_list_valid (c->cpus))
        return sr_error (err, 0, FIELD "cpu.cpus: \"%s\" is not a cpu list like \"0-3,5\"",
                         c->cpus);
      need (n, SR_CGC_CPUSET, "cpu.cpus");
    }
  if (c->mems && *c->mems)
    {
      if (!sr_cg_cpuset_list_valid (c->mems))
        return sr_error (err, 0, FIELD "cpu.mems: \"%s\" is not a node list like \"0-1\"",
                         c->mems);
      need (n, SR_CGC_CPUSET, "cpu.mems");
    }
  return 0;
}

static int
check_weight (uint64_t w, const char *field, sr_error_t *err)
{
  if (w != 0 && (w < 10 || w > 1000))
    return sr_error (err, 0, FIELD "%s: %" PRIu64 " is out of range 10-1000", field, w);
  return 0;
}

static int
check_block_io (const sr_resources_t *r, sr_cg_mode_t mode, sr_cg_needs_t *n,
                sr_error_t *err)
{
  const __typeof__ (r->block_io) *b = &r->block_io;
  char f[64];

  if (b->weight.set && b->weight.v != 0)
    {
      if (check_weight (b->weight.v, "blockIO.weight", err) < 0)
        return -1;
      need (n, SR_CGC_IO, "blockIO.weight");
    }
  if (b->leaf_weight.set && b->leaf_weight.v != 0)
    {
      if (check_weight (b->leaf_weight.v, "blockIO.leafWeight", err) < 0)
        return -1;
      if (mode == SR_CG_V2)
        return v2_unsupported ("blockIO.leafWeight", "leaf weights do not exist", err);
      need (n, SR_CGC_IO, "blockIO.leafWeight");
    }
  for (size_t i = 0; i < b->n_weight_device; i++)
    {
      const sr_weight_device_t *w = &b->weight_device[i];
      snprintf (f, sizeof f, "blockIO.weightDevice[%zu].weight", i);
      if (w->weight.set && check_weight (w->weight.v, f, err) < 0)
        return -1;
      if (w->leaf_weight.set && w->leaf_weight.v != 0)
        {
          snprintf (f, sizeof f, "blockIO.weightDevice[%zu].leafWeight", i);
          if (check_weight (w->leaf_weight.v, f, err) < 0)
            return -1;
          if (mode == SR_CG_V2)
            return v2_unsupported (f, "leaf weights do not exist", err);
        }
      need (n, SR_CGC_IO, "blockIO.weightDevice");
    }
  if (b->n_throttle_read_bps)
    need (n, SR_CGC_IO, "blockIO.throttleReadBpsDevice");
  if (b->n_throttle_write_bps)
    need (n, SR_CGC_IO, "blockIO.throttleWriteBpsDevice");
  if (b->n_throttle_read_iops)
    need (n, SR_CGC_IO, "blockIO.throttleReadIOPSDevice");
  if (b->n_throttle_write_iops)
    need (n, SR_CGC_IO, "blockIO.throttleWriteIOPSDevice");
  return 0;
}

int
sr_cg_check_resources (const sr_resources_t *r, sr_cg_mode_t mode,
                       sr_cg_needs_t *n, sr_error_t *err)
{
  memset (n, 0, sizeof *n);
  if (check_memory (r, mode, n, err) < 0 || check_cpu (r, mode, n, err) < 0
      || check_block_io (r, mode, n, err) < 0)
    return -1;
  if (range_i64 (r->pids.limit, "pids.limit", err) < 0)
    return -1;
  if (r->pids.limit.set && r->pids.limit.v != 0)
    need (n, SR_CGC_PIDS, "pids.limit");
  for (size_t i = 0; i < r->n_hugepage_limits; i++)
    {
      if (!sr_cg_hugepage_size_valid (r->hugepage_limits[i].page_size))
        return sr_error (err, 0, FIELD "hugepageLimits[%zu].pageSize: \"%s\" is not a "
                         "size like \"2MB\" or \"1GB\"", i,
                         r->hugepage_limits[i].page_size);
      if (r->hugepage_limits[i].limit > INT64_MAX)
        return sr_error (err, 0, FIELD "hugepageLimits[%zu].limit: %" PRIu64
                         " is too large", i, r->hugepage_limits[i].limit);
      need (n, SR_CGC_HUGETLB, "hugepageLimits");
    }
  if (r->network.set && r->network.class_id.set)
    {
      if (mode == SR_CG_V2)
        return v2_unsupported ("network.classID", "net_cls does not exist", err);
      need (n, SR_CGC_NET_CLS, "network.classID");
    }
  if (r->n_unified && mode != SR_CG_V2)
    return sr_error (err, 0, FIELD "unified: needs a cgroup v2 host (this one "
                     "uses the v1 controllers)");
  for (size_t i = 0; i < r->n_unified; i++)
    if (sr_cg_unified_key_valid (r->unified[i].key, NULL, err) < 0)
      return -1;
  return 0;
}

/* ------------------------------------------------------------------ */
/* devices */

int
sr_cg_device_rules (const sr_linux_t *linux_, sr_device_rule_t **out,
                    size_t *n, sr_error_t *err)
{
  size_t cap = sr_n_default_device_rules, k = 0;
  sr_device_rule_t *v;

  if (linux_)
    cap += linux_->resources.n_devices + linux_->n_devices;
  v = calloc (cap ? cap : 1, sizeof *v);
  if (v == NULL)
    return sr_error_errno (err, "calloc");
  if (linux_)
    {
      for (size_t i = 0; i < linux_->resources.n_devices; i++)
        v[k++] = linux_->resources.devices[i];
      /* What the config asks to create it may also use (runc does this). */
      for (size_t i = 0; i < linux_->n_devices; i++)
        {
          const sr_device_t *d = &linux_->devices[i];
          if (d->type != 'c' && d->type != 'u' && d->type != 'b')
            continue; /* fifos are not subject to the device cgroup */
          v[k++] = (sr_device_rule_t) { true, d->type == 'b' ? 'b' : 'c',
                                        d->major, d->minor, "rwm" };
        }
    }
  for (size_t i = 0; i < sr_n_default_device_rules; i++)
    v[k++] = sr_default_device_rules[i];
  *out = v;
  *n = k;
  return 0;
}

/* ------------------------------------------------------------------ */
/* files */

int
sr_cg_open_dir (const char *root, const char *path, sr_error_t *err)
{
  _cleanup_free_ char *full = NULL;
  int fd;

  if (asprintf (&full, "%s%s", root, path) < 0)
    return sr_error_errno (err, "asprintf");
  fd = open (full, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0)
    return sr_error_errno (err, "open %s", full);
  return fd;
}

int
sr_cg_write_at (int dirfd, const char *file, const char *value,
                sr_error_t *err)
{
  _cleanup_close_ int fd = openat (dirfd, file, O_WRONLY | O_CLOEXEC | O_NOFOLLOW);
  size_t len = strlen (value);
  ssize_t w;

  if (fd < 0)
    return sr_error_errno (err, "open %s", file);
  /* One write: the kernel parses each write as a whole value. */
  do
    w = write (fd, value, len);
  while (w < 0 && errno == EINTR);
  if (w < 0)
    return sr_error_errno (err, "write \"%s\" to %s", value, file);
  if ((size_t) w != len)
    return sr_error (err, EIO, "short write of \"%s\" to %s", value, file);
  return 0;
}

int
sr_cg_read_set_at (int dirfd, const char *file, char **out, sr_error_t *err)
{
  /* A v1 cpuset level made by a concurrent secrun is created empty and
   * filled a moment later: wait for it, about 1 s at most, rather than copy
   * the empty value down. A level that stays empty is returned as it is,
   * and joining it then fails with the kernel's error. */
  for (int ms = 1;; ms *= 2)
    {
      _cleanup_free_ char *s = NULL;
      if (sr_cg_read_at (dirfd, file, &s, err) < 0)
        return -1;
      s[strcspn (s, "\n")] = '\0';
      if (*s || ms > 512)
        {
          *out = sr_steal_ptr (s);
          return 0;
        }
      sr_cg_sleep_ms (ms);
    }
}

int
sr_cg_read_at (int dirfd, const char *file, char **out, sr_error_t *err)
{
  _cleanup_close_ int fd = openat (dirfd, file, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  _cleanup_free_ char *buf = NULL;
  size_t len = 0, cap = 0;

  if (fd < 0)
    return sr_error_errno (err, "open %s", file);
  for (;;)
    {
      ssize_t r;
      if (cap - len < 4096)
        {
          char *t;
          if (cap > (64u << 20))
            return sr_error (err, EFBIG, "read %s", file);
          cap = cap ? cap * 2 : 8192;
          t = realloc (buf, cap);
          if (t == NULL)
            return sr_error_errno (err, "realloc");
          buf = t;
        }
      r = read (fd, buf + len, cap - len - 1);
      if (r < 0 && errno == EINTR)
        continue;
      if (r < 0)
        return sr_error_errno (err, "read %s", file);
      if (r == 0)
        break;
      len += (size_t) r;
    }
  buf[len] = '\0';
  *out = sr_steal_ptr (buf);
  return 0;
}

static int
parse_u64_word (const char *s, uint64_t *out)
{
  char *end;

  while (*s == ' ')
    s++;
  if (strncmp (s, "max", 3) == 0)
    {
      *out = UINT64_MAX;
      return 0;
    }
  if (!isdigit ((unsigned char) *s))
    return -1;
  errno = 0;
  *out = strtoull (s, &end, 10);
  if (errno || (*end && !isspace ((unsigned char) *end)))
    return -1;
  return 0;
}

int
sr_cg_read_u64_at (int dirfd, const char *file, uint64_t *out,
                   sr_error_t *err)
{
  _cleanup_free_ char *s = NULL;

  if (sr_cg_read_at (dirfd, file, &s, err) < 0)
    return -1;
  if (parse_u64_word (s, out) < 0)
    return sr_error (err, 0, "%s: unexpected content \"%.32s\"", file, s);
  return 0;
}

static const char *
find_key (const char *text, const char *key)
{
  size_t kl = strlen (key);
  const char *p = text;

  while (p && *p)
    {
      if (strncmp (p, key, kl) == 0 && p[kl] == ' ')
        return p + kl + 1;
      p = strchr (p, '\n');
      if (p)
        p++;
    }
  return NULL;
}

int
sr_cg_read_key_at (int dirfd, const char *file, const char *key,
                   uint64_t *out, sr_error_t *err)
{
  _cleanup_free_ char *s = NULL;
  const char *v;

  if (sr_cg_read_at (dirfd, file, &s, err) < 0)
    return -1;
  v = find_key (s, key);
  if (v == NULL || parse_u64_word (v, out) < 0)
    return sr_error (err, ENOENT, "%s: no \"%s\"", file, key);
  return 0;
}

json_t *
sr_cg_flat_keyed_json (const char *text)
{
  json_t *o = json_object ();
  const char *p = text;

  while (o && p && *p)
    {
      const char *sp = strchr (p, ' '), *nl = strchrnul (p, '\n');
      uint64_t v;
      if (sp && sp < nl && parse_u64_word (sp + 1, &v) == 0)
        {
          char key[128];
          size_t kl = (size_t) (sp - p);
          if (kl < sizeof key)
            {
              memcpy (key, p, kl);
              key[kl] = '\0';
              json_object_set_new (o, key, json_integer ((json_int_t) v));
            }
        }
      p = *nl ? nl + 1 : NULL;
    }
  return o;
}

bool
sr_cg_has_word (const char *list, const char *word)
{
  size_t wl = strlen (word);
  const char *p = list;

  while (p && *p)
    {
      while (*p == ' ' || *p == '\n' || *p == ',')
        p++;
      if (strncmp (p, word, wl) == 0
          && (p[wl] == '\0' || p[wl] == ' ' || p[wl] == '\n' || p[wl] == ','))
        return true;
      p += strcspn (p, " \n,");
    }
  return false;
}

bool
sr_cg_file_exists_at (int dirfd, const char *file)
{
  return faccessat (dirfd, file, F_OK, AT_SYMLINK_NOFOLLOW) == 0;
}

static json_t *
cpu_list (const char *s)
{
  json_t *a = json_array ();
  const char *p = s;

  while (p && *p && *p != '\n')
    {
      char *end;
      unsigned long lo = strtoul (p, &end, 10), hi;
      if (end == p)
        break;
      hi = lo;
      if (*end == '-')
        {
          p = end + 1;
          hi = strtoul (p, &end, 10);
          if (end == p || hi < lo || hi - lo > 65536)
            break;
        }
      for (unsigned long i = lo; i <= hi; i++)
        json_array_append_new (a, json_integer ((json_int_t) i));
      p = *end == ',' ? end + 1 : end;
    }
  return a;
}

json_t *
sr_cg_cpuset_json (const char *cpus, const char *mems)
{
  json_t *o = json_object ();
  if (cpus && *cpus && *cpus != '\n')
    json_object_set_new (o, "cpus", cpu_list (cpus));
  if (mems && *mems && *mems != '\n')
    json_object_set_new (o, "mems", cpu_list (mems));
  return o;
}

char *
sr_cgroup_json_dumps (const json_t *j)
{
  static const char from[] = "-9223372036854775808";
  static const char to[] = "18446744073709551615";
  char *s = json_dumps (j, JSON_COMPACT), *p;

  /* Same length: replace in place. No string in these objects can hold
   * the sentinel text unquoted, so every occurrence is a number. */
  for (p = s; p && (p = strstr (p, from)); p += sizeof to - 1)
    memcpy (p, to, sizeof to - 1);
  return s;
}

/* ------------------------------------------------------------------ */
/* directories */

/* The prefix of path holding its first `levels` components. */
static char *
path_prefix (const char *root, const char *path, int levels)
{
  const char *p = path;
  char *s = NULL;

  for (int i = 0; i < levels && *p; i++)
    {
      p++;
      p = strchrnul (p, '/');
    }
  if (asprintf (&s, "%s%.*s", root, (int) (p - path), path) < 0)
    return NULL;
  return s;
}

static int
path_depth (const char *path)
{
  int n = 0;
  for (const char *p = path; *p; p++)
    if (*p == '/')
      n++;
  return n;
}

int
sr_cg_mkdir_path (const char *root, const char *path, int *created,
                  sr_error_t *err)
{
  int depth = path_depth (path), first = -1, restarts = 0;

  *created = 0;
  for (int i = 1; i <= depth; i++)
    {
      _cleanup_free_ char *dir = path_prefix (root, path, i);
      if (dir == NULL)
        return sr_error_errno (err, "asprintf");
      if (mkdir (dir, 0755) == 0)
        {
          if (first < 0)
            first = i;
          continue;
        }
      if (errno == EEXIST && first < 0 && i < depth)
        continue; /* an existing ancestor: used, never written */
      if (errno == ENOENT && first < 0 && i > 1 && restarts++ < 8)
        {
          /* The ancestor we found was made by a concurrent secrun that has
           * just removed it again (its container ended): walk again. */
          i = 0;
          continue;
        }
      if (errno == EEXIST)
        sr_error (err, 0, "cgroup %s already exists (secrun only uses "
                  "cgroups it creates; remove it or pick another cgroupsPath)",
                  dir);
      else
        sr_error_errno (err, "mkdir %s", dir);
      if (first > 0)
        {
          /* Undo levels first..i-1, deepest first. */
          _cleanup_free_ char *made = path_prefix ("", path, i - 1);
          sr_error_t ignored = { 0 };
          if (made)
            sr_cg_rmdir_path (root, made, i - first, &ignored);
          sr_error_clear (&ignored);
        }
      return -1;
    }
  *created = first > 0 ? depth - first + 1 : 0;
  return 0;
}

/* rmdir, retrying a while on EBUSY: the last killed task can take a moment
 * to leave the cgroup after cgroup.procs reads empty. */
static int
rmdir_retry (int dirfd, const char *name, int ms)
{
  for (int waited = 0;; waited += 10)
    {
      if (unlinkat (dirfd, name, AT_REMOVEDIR) == 0 || errno == ENOENT)
        return 0;
      if (errno != EBUSY || waited >= ms)
        return -1;
      sr_cg_sleep_ms (10);
    }
}

/* Removes every child cgroup under dirfd (the container may have made
 * some in its own subtree), deepest first. */
static int
rmdir_children (int dirfd, int depth, sr_error_t *err)
{
  DIR *d;
  struct dirent *e;
  int fd, ret = 0;

  if (depth > 64)
    return sr_error (err, ELOOP, "cgroup tree too deep");
  fd = dup (dirfd);
  if (fd < 0)
    return sr_error_errno (err, "dup");
  d = fdopendir (fd);
  if (d == NULL)
    {
      close (fd);
      return sr_error_errno (err, "fdopendir");
    }
  while ((e = readdir (d)))
    {
      int sub;
      if (e->d_type != DT_DIR || strcmp (e->d_name, ".") == 0
          || strcmp (e->d_name, "..") == 0)
        continue;
      sub = openat (dirfd, e->d_name, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
      if (sub < 0)
        continue;
      ret = rmdir_children (sub, depth + 1, err);
      close (sub);
      if (ret < 0)
        break;
      if (rmdir_retry (dirfd, e->d_name, SR_CG_DRAIN_MS) < 0)
        {
          ret = sr_error_errno (err, "rmdir child cgroup %s", e->d_name);
          break;
        }
    }
  closedir (d);
  return ret;
}

int
sr_cg_rmdir_fast (const char *root, const char *path, int created, sr_error_t *err)
{
  int depth = path_depth (path);

  for (int i = depth; created > 0 && i > depth - created && i > 0; i--)
    {
      _cleanup_free_ char *dir = path_prefix (root, path, i);
      if (dir == NULL)
        return sr_error_errno (err, "asprintf");
      if (rmdir (dir) == 0 || errno == ENOENT)
        continue;
      if (i == depth && errno == EBUSY)
        return 0;
      if (i < depth && (errno == EBUSY || errno == ENOTEMPTY))
        {
          sr_log_debug ("cgroup %s still in use, left in place", dir);
          break;
        }
      return sr_error_errno (err, "rmdir %s", dir);
    }
  return 1;
}

int
sr_cg_rmdir_path (const char *root, const char *path, int created,
                  sr_error_t *err)
{
  int depth = path_depth (path);

  if (created <= 0)
    return 0;
  for (int i = depth; i > depth - created && i > 0; i--)
    {
      _cleanup_free_ char *dir = path_prefix (root, path, i);
      _cleanup_close_ int fd = -1;
      if (dir == NULL)
        return sr_error_errno (err, "asprintf");
      fd = open (dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
      if (fd < 0 && errno == ENOENT)
        continue;
      if (fd < 0)
        return sr_error_errno (err, "open %s", dir);
      if (i == depth && rmdir_children (fd, 0, err) < 0)
        return sr_error_prefix (err, "%s", dir);
      if (rmdir_retry (AT_FDCWD, dir, i == depth ? SR_CG_DRAIN_MS : 0) == 0)
        continue;
      /* An upper level we created may now hold another container's cgroup
       * (pods share a parent): it stays, and is no longer only ours. */
      if (i < depth && (errno == EBUSY || errno == ENOTEMPTY))
        {
          sr_log_debug ("cgroup %s still in use, left in place", dir);
          break;
        }
      return sr_error_errno (err, "rmdir %s", dir);
    }
  return 0;
}

/* ------------------------------------------------------------------ */
/* processes */

void
sr_cg_sleep_ms (int ms)
{
  struct timespec ts = { ms / 1000, (long) (ms % 1000) * 1000000L };
  while (nanosleep (&ts, &ts) < 0 && errno == EINTR)
    ;
}

static int
procs_add (pid_t **v, size_t *n, size_t *cap, pid_t p)
{
  if (*n == *cap)
    {
      size_t nc = *cap ? *cap * 2 : 64;
      pid_t *t = realloc (*v, nc * sizeof *t);
      if (t == NULL)
        return -1;
      *v = t;
      *cap = nc;
    }
  (*v)[(*n)++] = p;
  return 0;
}

static int
procs_walk (int dirfd, int depth, pid_t **v, size_t *n, size_t *cap,
            sr_error_t *err)
{
  _cleanup_free_ char *s = NULL;
  DIR *d;
  struct dirent *e;
  int fd, ret = 0;

  if (depth > 64)
    return sr_error (err, ELOOP, "cgroup tree too deep");
  if (sr_cg_read_at (dirfd, "cgroup.procs", &s, err) < 0)
    return -1;
  for (char *p = s; *p;)
    {
      char *end;
      long pid = strtol (p, &end, 10);
      if (end == p)
        break;
      if (pid > 0 && procs_add (v, n, cap, (pid_t) pid) < 0)
        return sr_error_errno (err, "realloc");
      p = end;
      while (*p == '\n')
        p++;
    }
  fd = dup (dirfd);
  if (fd < 0)
    return sr_error_errno (err, "dup");
  d = fdopendir (fd);
  if (d == NULL)
    {
      close (fd);
      return sr_error_errno (err, "fdopendir");
    }
  while (ret == 0 && (e = readdir (d)))
    {
      int sub;
      if (e->d_type != DT_DIR || strcmp (e->d_name, ".") == 0
          || strcmp (e->d_name, "..") == 0)
        continue;
      sub = openat (dirfd, e->d_name, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
      if (sub < 0)
        continue; /* removed meanwhile */
      ret = procs_walk (sub, depth + 1, v, n, cap, err);
      close (sub);
    }
  closedir (d);
  return ret;
}

int
sr_cg_procs_tree (int dirfd, pid_t **pids, size_t *n, sr_error_t *err)
{
  pid_t *v = NULL;
  size_t cnt = 0, cap = 0;

  if (procs_walk (dirfd, 0, &v, &cnt, &cap, err) < 0)
    {
      free (v);
      return -1;
    }
  *pids = v;
  *n = cnt;
  return 0;
}

int
sr_cg_signal_tree (int dirfd, int sig, sr_error_t *err)
{
  _cleanup_free_ pid_t *v = NULL;
  size_t n = 0;

  if (sr_cg_procs_tree (dirfd, &v, &n, err) < 0)
    return -1;
  for (size_t i = 0; i < n; i++)
    if (kill (v[i], sig) < 0 && errno != ESRCH)
      return sr_error_errno (err, "kill %d", (int) v[i]);
  return 0;
}

int
sr_cg_wait_empty (int dirfd, int ms)
{
  for (int waited = 0;; waited += 10)
    {
      _cleanup_free_ pid_t *v = NULL;
      size_t n = 0;
      sr_error_t e = { 0 };
      int r = sr_cg_procs_tree (dirfd, &v, &n, &e);
      sr_error_clear (&e);
      if (r < 0 || n == 0)
        return 1; /* gone counts as empty */
      if (waited >= ms)
        return 0;
      sr_cg_sleep_ms (10);
    }
}

int
sr_cg_hugepage_sizes (char ***sizes, sr_error_t *err)
{
  DIR *d = opendir ("/sys/kernel/mm/hugepages");
  struct dirent *e;
  char **v = calloc (1, sizeof *v);
  size_t n = 0;

  if (v == NULL)
    {
      if (d)
        closedir (d);
      return sr_error_errno (err, "calloc");
    }
  *sizes = v;
  if (d == NULL)
    return 0; /* no hugetlb support: no sizes */
  while ((e = readdir (d)))
    {
      unsigned long long kb;
      char *s = NULL, **t;
      int r;
      if (sscanf (e->d_name, "hugepages-%llukB", &kb) != 1)
        continue;
      /* The cgroup files say "2MB" / "1GB" (kernel hugetlb_cgroup). */
      if (kb % (1024 * 1024) == 0)
        r = asprintf (&s, "%lluGB", kb / (1024 * 1024));
      else if (kb % 1024 == 0)
        r = asprintf (&s, "%lluMB", kb / 1024);
      else
        r = asprintf (&s, "%lluKB", kb);
      if (r < 0)
        s = NULL;
      t = s ? realloc (v, (n + 2) * sizeof *v) : NULL;
      if (t == NULL)
        {
          free (s);
          closedir (d);
          return sr_error_errno (err, "hugepage sizes");
        }
      v = t;
      v[n++] = s;
      v[n] = NULL;
      *sizes = v;
    }
  closedir (d);
  return 0;
}

/* ------------------------------------------------------------------ */
/* the public interface */

static sr_cgroup_t *
cg_new (sr_cg_mode_t mode, const char *root)
{
  sr_cgroup_t *cg = calloc (1, sizeof *cg);
  if (cg == NULL)
    return NULL;
  cg->mode = mode;
  cg->ops = mode == SR_CG_V2 ? &sr_cg_v2_ops : &sr_cg_v1_ops;
  cg->dirfd = -1;
  cg->root = strdup (root);
  if (cg->root == NULL)
    {
      free (cg);
      return NULL;
    }
  return cg;
}

void
sr_cgroup_free (sr_cgroup_t *cg)
{
  if (cg == NULL)
    return;
  if (cg->dirfd >= 0)
    close (cg->dirfd);
  for (size_t i = 0; i < cg->n_hier; i++)
    {
      if (cg->hier[i].dirfd >= 0)
        close (cg->hier[i].dirfd);
      free (cg->hier[i].mount);
      free (cg->hier[i].controllers);
    }
  free (cg->hier);
  free (cg->root);
  free (cg->path);
  free (cg);
}

int
sr_cgroup_resolve_path (const char *id, const sr_linux_t *linux_, char **path,
                        sr_error_t *err)
{
  return sr_cg_resolve_path (id, linux_ ? linux_->cgroups_path : NULL, path, err);
}

int
sr_cgroup_remove_orphan (const char *path, sr_error_t *err)
{
  const char *root = cg_root ();
  sr_cg_mode_t mode = sr_cgroup_detect ();
  _cleanup_close_ int rfd = -1;
  DIR *d;
  struct dirent *e;
  int ret = 0;

  /* (normalised: no "." or ".." components) */
  if (sr_cg_check_abs_path ("cgroup.path", path, err) < 0)
    return -1;
  if (strcmp (path, "/") == 0)
    return sr_error (err, EINVAL, "cgroup.path: %s is not a container's cgroup", path);
  if (mode == SR_CG_V2)
    {
      _cleanup_free_ char *dir = NULL;
      if (asprintf (&dir, "%s%s", root, path) < 0)
        return sr_error_errno (err, "asprintf");
      if (rmdir (dir) < 0 && errno != ENOENT)
        return sr_error_errno (err, "remove cgroup %s", dir);
      return 0;
    }
  /* v1: the leaf in every hierarchy under the root (an alias such as cpu
   * for cpu,cpuacct just finds it gone). */
  rfd = open (root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  int lfd = rfd < 0 ? -1 : fcntl (rfd, F_DUPFD_CLOEXEC, 3);
  if (lfd < 0 || (d = fdopendir (lfd)) == NULL)
    {
      sr_error_errno (err, "open %s", root);
      if (lfd >= 0)
        close (lfd);
      return -1;
    }
  while ((e = readdir (d)))
    {
      _cleanup_free_ char *leaf = NULL;
      if (e->d_name[0] == '.')
        continue;
      if (asprintf (&leaf, "%s%s", e->d_name, path) < 0)
        {
          ret = sr_error_errno (err, "asprintf");
          break;
        }
      if (unlinkat (rfd, leaf, AT_REMOVEDIR) < 0 && errno != ENOENT && errno != ENOTDIR
          && ret == 0)
        ret = sr_error_errno (err, "remove cgroup %s/%s", root, leaf);
    }
  closedir (d);
  return ret;
}

int
sr_cgroup_create (const char *id, const sr_linux_t *linux_, sr_cgroup_t **out,
                  sr_error_t *err)
{
  static const sr_resources_t none;
  const sr_resources_t *r = linux_ ? &linux_->resources : &none;
  sr_cg_mode_t mode = sr_cgroup_detect ();
  _cleanup_free_ sr_device_rule_t *rules = NULL;
  size_t n_rules = 0;
  sr_cg_needs_t needs;
  sr_cgroup_t *cg;

  if (mode == SR_CG_NONE)
    return sr_error (err, 0, "no cgroup filesystem at %s", cg_root ());
  cg = cg_new (mode, cg_root ());
  if (cg == NULL)
    return sr_error_errno (err, "calloc");
  if (sr_cg_resolve_path (id, linux_ ? linux_->cgroups_path : NULL, &cg->path, err) < 0
      || sr_cg_check_resources (r, mode, &needs, err) < 0
      || sr_cg_device_rules (linux_, &rules, &n_rules, err) < 0)
    goto fail;
  if (mode == SR_CG_V1)
    need (&needs, SR_CGC_DEVICES, "devices");
  if (cg->ops->check (cg, r, &needs, err) < 0
      || cg->ops->create (cg, &needs, err) < 0)
    goto fail;
  if (cg->ops->apply (cg, r, false, err) < 0
      || cg->ops->devices (cg, rules, n_rules, err) < 0)
    {
      /* Nothing runs in it yet: destroy only removes what was made. */
      sr_error_t e2 = { 0 };
      if (cg->ops->destroy (cg, &e2) < 0)
        sr_log_warn ("cleaning up cgroup %s: %s", cg->path, e2.msg);
      sr_error_clear (&e2);
      goto fail;
    }
  sr_log_debug ("cgroup %s (%s), %d level(s) created", cg->path,
                mode == SR_CG_V2 ? "v2" : "v1", mode == SR_CG_V2 ? cg->created
                : (cg->n_hier ? cg->hier[0].created : 0));
  *out = cg;
  return 0;

fail:
  sr_cgroup_free (cg);
  return -1;
}

int
sr_cgroup_enter (sr_cgroup_t *cg, pid_t pid, sr_error_t *err)
{
  return cg->ops->enter (cg, pid, err);
}

int
sr_cgroup_dirfd (sr_cgroup_t *cg)
{
  if (cg->mode != SR_CG_V2)
    return -1;
  if (cg->dirfd < 0)
    {
      sr_error_t e = { 0 };
      cg->dirfd = sr_cg_open_dir (cg->root, cg->path, &e);
      sr_error_clear (&e);
    }
  return cg->dirfd;
}

int
sr_cgroup_update (sr_cgroup_t *cg, const sr_resources_t *r, sr_error_t *err)
{
  sr_cg_needs_t needs;

  if (sr_cg_check_resources (r, cg->mode, &needs, err) < 0
      || cg->ops->check (cg, r, &needs, err) < 0)
    return -1;
  /* runc's update does not touch device rules either: the running
   * container keeps the ones it was created with. */
  if (r->n_devices)
    sr_log_debug ("update: linux.resources.devices ignored (set at create)");
  return cg->ops->apply (cg, r, true, err);
}

int
sr_cgroup_freeze (sr_cgroup_t *cg, bool frozen, sr_error_t *err)
{
  return cg->ops->freeze (cg, frozen, err);
}

int
sr_cgroup_is_frozen (sr_cgroup_t *cg)
{
  return cg->ops->is_frozen (cg);
}

int
sr_cgroup_kill (sr_cgroup_t *cg, int sig, sr_error_t *err)
{
  return cg->ops->kill (cg, sig, err);
}

int
sr_cgroup_pids (sr_cgroup_t *cg, pid_t **pids, size_t *n, sr_error_t *err)
{
  int fd = cg->ops->procs_dirfd (cg, err);
  if (fd < 0)
    return -1;
  return sr_cg_procs_tree (fd, pids, n, err);
}

json_t *
sr_cgroup_stats (sr_cgroup_t *cg, sr_error_t *err)
{
  return cg->ops->stats (cg, err);
}

int
sr_cgroup_oom_count (sr_cgroup_t *cg, unsigned long long *count,
                     sr_error_t *err)
{
  return cg->ops->oom_count (cg, count, err);
}

int
sr_cgroup_destroy (sr_cgroup_t *cg, sr_error_t *err)
{
  int r;

  if (cg == NULL)
    return 0;
  r = cg->ops->destroy (cg, err);
  sr_cgroup_free (cg);
  return r;
}

const char *
sr_cgroup_path (const sr_cgroup_t *cg)
{
  return cg->path;
}

json_t *
sr_cgroup_to_json (const sr_cgroup_t *cg)
{
  json_t *o = json_pack ("{s:i, s:s, s:s}", "version", cg->mode == SR_CG_V2 ? 2 : 1,
                         "root", cg->root, "path", cg->path);
  if (o == NULL)
    return NULL;
  return cg->ops->to_json (cg, o);
}

/* The state file is ours, but a cgroup path read back from disk is about
 * to be rmdir'd: it is held to the same rules as a fresh one. */
int
sr_cg_check_abs_path (const char *what, const char *p, sr_error_t *err)
{
  char buf[PATH_MAX] = "";

  if (p == NULL || p[0] != '/')
    return sr_error (err, 0, "cgroup state: %s is not absolute", what);
  if (append_components (buf, sizeof buf, p, p, err) < 0)
    return sr_error_prefix (err, "cgroup state: %s", what);
  if (strcmp (buf, p) != 0)
    return sr_error (err, 0, "cgroup state: %s \"%s\" is not normalised", what, p);
  return 0;
}

int
sr_cgroup_from_json (json_t *j, sr_cgroup_t **out, sr_error_t *err)
{
  int version = 0;
  const char *root = NULL, *path = NULL;
  sr_cgroup_t *cg;

  if (json_unpack (j, "{s:i, s:s, s:s}", "version", &version, "root", &root,
                   "path", &path) < 0 || (version != 1 && version != 2))
    return sr_error (err, 0, "cgroup state: malformed");
  if (sr_cg_check_abs_path ("root", root, err) < 0
      || sr_cg_check_abs_path ("path", path, err) < 0)
    return -1;
  if (strcmp (path, "/") == 0)
    return sr_error (err, 0, "cgroup state: the root cgroup is not a container's");
  cg = cg_new (version == 2 ? SR_CG_V2 : SR_CG_V1, root);
  if (cg == NULL || (cg->path = strdup (path)) == NULL)
    {
      sr_cgroup_free (cg);
      return sr_error_errno (err, "strdup");
    }
  if (cg->ops->from_json (cg, j, err) < 0)
    {
      sr_cgroup_free (cg);
      return -1;
    }
  *out = cg;
  return 0;
}

/* ------------------------------------------------------------------ */
/* CLI helpers */

int
sr_cgroup_parse_size (const char *s, int64_t *out)
{
  /* runc update uses docker's units.RAMInBytes: binary multiples, an
   * optional "b"/"ib" after the unit, fractions allowed ("1.5g"). */
  char *end;
  long double v;
  long double mult = 1;

  if (s == NULL || *s == '\0')
    return -1;
  if (strcmp (s, "-1") == 0)
    {
      *out = -1;
      return 0;
    }
  if (!isdigit ((unsigned char) *s) && *s != '.')
    return -1;
  errno = 0;
  v = strtold (s, &end);
  if (errno || end == s)
    return -1;
  switch (tolower ((unsigned char) *end))
    {
    case '\0':
      break;
    case 'k':
      mult = 1024.0L;
      break;
    case 'm':
      mult = 1024.0L * 1024;
      break;
    case 'g':
      mult = 1024.0L * 1024 * 1024;
      break;
    case 't':
      mult = 1024.0L * 1024 * 1024 * 1024;
      break;
    case 'p':
      mult = 1024.0L * 1024 * 1024 * 1024 * 1024;
      break;
    case 'b':
      if (end[1] != '\0')
        return -1;
      end++;
      break;
    default:
      return -1;
    }
  if (*end)
    {
      end++;
      if (tolower ((unsigned char) *end) == 'i')
        end++;
      if (tolower ((unsigned char) *end) == 'b')
        end++;
      if (*end)
        return -1;
    }
  v *= mult;
  if (v < 0 || v >= 9223372036854775807.0L)
    return -1;
  *out = (int64_t) v;
  return 0;
}

static int
flag_u64 (const char *name, const char *value, sr_opt_u64 *o, sr_error_t *err)
{
  char *end;
  if (!isdigit ((unsigned char) *value))
    return sr_error (err, 0, "--%s: \"%s\" is not a non-negative integer", name, value);
  errno = 0;
  o->v = strtoull (value, &end, 10);
  if (errno || *end)
    return sr_error (err, 0, "--%s: \"%s\" is not a non-negative integer", name, value);
  o->set = true;
  return 0;
}

static int
flag_i64 (const char *name, const char *value, sr_opt_i64 *o, sr_error_t *err)
{
  char *end;
  errno = 0;
  o->v = strtoll (value, &end, 10);
  if (errno || *end || end == value)
    return sr_error (err, 0, "--%s: \"%s\" is not an integer", name, value);
  o->set = true;
  return 0;
}

static int
flag_size (const char *name, const char *value, sr_opt_i64 *o, sr_error_t *err)
{
  if (sr_cgroup_parse_size (value, &o->v) < 0)
    return sr_error (err, 0, "--%s: \"%s\" is not a size (e.g. 512m, 2g, -1)",
                     name, value);
  o->set = true;
  return 0;
}

int
sr_cgroup_update_flag (sr_resources_t *r, const char *name, const char *value,
                       sr_error_t *err)
{
  if (value == NULL)
    return sr_error (err, 0, "--%s needs a value", name);
  r->set = true;
  if (strncmp (name, "memory", 6) == 0 || strncmp (name, "kernel-memory", 13) == 0)
    r->memory.set = true;
  else if (strncmp (name, "cpu", 3) == 0)
    r->cpu.set = true;

  if (strcmp (name, "memory") == 0)
    return flag_size (name, value, &r->memory.limit, err);
  if (strcmp (name, "memory-swap") == 0)
    return flag_size (name, value, &r->memory.swap, err);
  if (strcmp (name, "memory-reservation") == 0)
    return flag_size (name, value, &r->memory.reservation, err);
  if (strcmp (name, "kernel-memory") == 0)
    return flag_size (name, value, &r->memory.kernel, err);
  if (strcmp (name, "kernel-memory-tcp") == 0)
    return flag_size (name, value, &r->memory.kernel_tcp, err);
  if (strcmp (name, "cpu-shares") == 0 || strcmp (name, "cpu-share") == 0)
    return flag_u64 (name, value, &r->cpu.shares, err);
  if (strcmp (name, "cpu-quota") == 0)
    return flag_i64 (name, value, &r->cpu.quota, err);
  if (strcmp (name, "cpu-period") == 0)
    return flag_u64 (name, value, &r->cpu.period, err);
  if (strcmp (name, "cpu-burst") == 0)
    return flag_u64 (name, value, &r->cpu.burst, err);
  if (strcmp (name, "cpu-idle") == 0)
    return flag_i64 (name, value, &r->cpu.idle, err);
  if (strcmp (name, "cpu-rt-period") == 0)
    return flag_u64 (name, value, &r->cpu.realtime_period, err);
  if (strcmp (name, "cpu-rt-runtime") == 0)
    return flag_i64 (name, value, &r->cpu.realtime_runtime, err);
  if (strcmp (name, "cpuset-cpus") == 0 || strcmp (name, "cpuset-mems") == 0)
    {
      if (*value && !sr_cg_cpuset_list_valid (value))
        return sr_error (err, 0, "--%s: \"%s\" is not a list like \"0-3,5\"", name, value);
      r->cpu.set = true;
      if (name[7] == 'c')
        r->cpu.cpus = value;
      else
        r->cpu.mems = value;
      return 0;
    }
  if (strcmp (name, "pids-limit") == 0)
    {
      r->pids.set = true;
      return flag_i64 (name, value, &r->pids.limit, err);
    }
  if (strcmp (name, "blkio-weight") == 0)
    {
      r->block_io.set = true;
      return flag_u64 (name, value, &r->block_io.weight, err);
    }
  return sr_error (err, 0, "unknown flag --%s", name);
}

int
sr_cgroup_parse_duration (const char *s, uint64_t *ms)
{
  /* Go's time.ParseDuration for the units that make sense here. */
  static const struct { const char *u; long double ms; } units[] = {
    { "ns", 1e-6L }, { "us", 1e-3L }, { "µs", 1e-3L }, { "ms", 1 },
    { "s", 1000 }, { "m", 60000 }, { "h", 3600000 },
  };
  long double total = 0;
  const char *p = s;

  if (s == NULL || *s == '\0')
    return -1;
  while (*p)
    {
      char *end;
      long double v;
      size_t best = 0, bl = 0;

      if (!isdigit ((unsigned char) *p) && *p != '.')
        return -1;
      errno = 0;
      v = strtold (p, &end);
      if (errno || end == p)
        return -1;
      for (size_t i = 0; i < sizeof units / sizeof units[0]; i++)
        {
          size_t l = strlen (units[i].u);
          if (strncmp (end, units[i].u, l) == 0 && l > bl)
            {
              best = i;
              bl = l;
            }
        }
      if (bl == 0)
        return -1;
      total += v * units[best].ms;
      p = end + bl;
    }
  if (total < 1 || total > 1e12L)
    return -1;
  *ms = (uint64_t) total;
  return 0;
}

int
sr_cg_check_hugepage_sizes (const sr_resources_t *r, sr_error_t *err)
{
  if (r->n_hugepage_limits)
    {
      _cleanup_strv_ char **sizes = NULL;
      if (sr_cg_hugepage_sizes (&sizes, err) < 0)
        return -1;
      for (size_t k = 0; k < r->n_hugepage_limits; k++)
        {
          bool ok = false;
          for (char **s = sizes; *s; s++)
            ok = ok || strcmp (*s, r->hugepage_limits[k].page_size) == 0;
          if (!ok)
            return sr_error (err, 0, FIELD "hugepageLimits[%zu].pageSize: %s pages "
                             "are not supported on this host", k,
                             r->hugepage_limits[k].page_size);
        }
    }
  return 0;
}

/* ---- stats helpers shared by the backends -------------------------------- */

/* jansson integers are signed: UINT64_MAX ("max") travels as a sentinel
 * that sr_cgroup_json_dumps turns back into 18446744073709551615. */
json_t *
sr_cg_ju64 (uint64_t v)
{
  return json_integer (v > INT64_MAX ? SR_CG_U64_MAX_SENTINEL : (json_int_t) v);
}

void
sr_cg_set_nz (json_t *o, const char *k, uint64_t v)
{
  if (v)
    json_object_set_new (o, k, sr_cg_ju64 (v));
}

uint64_t
sr_cg_rd (int fd, const char *file)
{
  uint64_t v = 0;
  sr_error_t e = { 0 };
  if (fd < 0 || sr_cg_read_u64_at (fd, file, &v, &e) < 0)
    v = 0;
  sr_error_clear (&e);
  return v;
}

uint64_t
sr_cg_rdkey (int fd, const char *file, const char *key)
{
  uint64_t v = 0;
  sr_error_t e = { 0 };
  if (fd < 0 || sr_cg_read_key_at (fd, file, key, &v, &e) < 0)
    v = 0;
  sr_error_clear (&e);
  return v;
}
