/* cgroup v1 backend (legacy and hybrid hosts): the same path in every
 * hierarchy mounted under the cgroup root. The cgroup2 mount of a hybrid
 * host (/sys/fs/cgroup/unified) is left alone: the resources live in the
 * v1 controllers. */
#ifndef _GNU_SOURCE
# define _GNU_SOURCE
#endif
#include "cgroup_internal.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cleanup.h"
#include "log.h"
#include "utils.h"

#define FIELD "linux.resources."

static const char *const known_controllers[] = {
  "cpu", "cpuacct", "cpuset", "memory", "devices", "freezer", "blkio", "pids",
  "hugetlb", "net_cls", "net_prio", "perf_event", "rdma", "misc", "debug", NULL
};

static const struct { unsigned bit; const char *name; } v1_ctrl[] = {
  { SR_CGC_CPU, "cpu" },       { SR_CGC_CPUSET, "cpuset" },
  { SR_CGC_MEMORY, "memory" }, { SR_CGC_PIDS, "pids" },
  { SR_CGC_IO, "blkio" },      { SR_CGC_HUGETLB, "hugetlb" },
  { SR_CGC_NET_CLS, "net_cls" }, { SR_CGC_DEVICES, "devices" },
};

/* ---- hierarchies -------------------------------------------------------- */

static void
unescape (char *s)
{
  /* mountinfo writes space, tab, newline and backslash as \ooo */
  char *w = s;
  for (char *r = s; *r; r++)
    {
      if (r[0] == '\\' && r[1] >= '0' && r[1] <= '7' && r[2] >= '0' && r[2] <= '7'
          && r[3] >= '0' && r[3] <= '7')
        {
          *w++ = (char) (((r[1] - '0') << 6) | ((r[2] - '0') << 3) | (r[3] - '0'));
          r += 3;
        }
      else
        *w++ = *r;
    }
  *w = '\0';
}

/* "rw,relatime,cpu,cpuacct" -> "cpu,cpuacct"; "rw,name=systemd" ->
 * "name=systemd"; NULL when there is no controller. */
static char *
controllers_of (const char *superopts)
{
  _cleanup_free_ char *copy = strdup (superopts);
  char *out = NULL, *save = NULL;
  size_t len = 0;

  if (copy == NULL)
    return NULL;
  for (char *o = strtok_r (copy, ",", &save); o; o = strtok_r (NULL, ",", &save))
    {
      bool known = strncmp (o, "name=", 5) == 0 && o[5];
      for (const char *const *k = known_controllers; !known && *k; k++)
        known = strcmp (o, *k) == 0;
      if (!known)
        continue;
      char *t = realloc (out, len + strlen (o) + 2);
      if (t == NULL)
        {
          free (out);
          return NULL;
        }
      out = t;
      len += (size_t) sprintf (out + len, "%s%s", len ? "," : "", o);
    }
  return out;
}

static int
add_hier (sr_cgroup_t *cg, const char *mount, const char *ctrls, int created,
          sr_error_t *err)
{
  sr_cg_hier_t *t = realloc (cg->hier, (cg->n_hier + 1) * sizeof *t);
  if (t == NULL)
    return sr_error_errno (err, "realloc");
  cg->hier = t;
  t = &cg->hier[cg->n_hier];
  t->mount = strdup (mount);
  t->controllers = strdup (ctrls);
  t->created = created;
  t->dirfd = -1;
  if (t->mount == NULL || t->controllers == NULL)
    {
      free (t->mount);
      free (t->controllers);
      return sr_error_errno (err, "strdup");
    }
  cg->n_hier++;
  return 0;
}

static int
discover (sr_cgroup_t *cg, sr_error_t *err)
{
  _cleanup_free_ char *text = NULL;
  size_t rl = strlen (cg->root);
  char seen[64][16];
  size_t n_seen = 0;
  char *next;

  /* Read whole, in as few reads as it takes: each read of a seq_file walks
   * the mount table again (stdio's 1 KiB reads took three, and two fcntls). */
  if (sr_read_file_max (AT_FDCWD, "/proc/self/mountinfo", &text, NULL, 64u << 20, err) < 0)
    return -1;
  for (char *line = text; *line; line = next)
    {
      char dev[16], mnt[4096], fstype[64], *sep, *sopts;
      _cleanup_free_ char *ctrls = NULL;
      bool dup = false;

      next = line + strcspn (line, "\n");
      if (*next)
        *next++ = '\0';

      /* id parent maj:min root mountpoint opts [optional...] - type src superopts */
      if (sscanf (line, "%*d %*d %15s %*s %4095s", dev, mnt) != 2)
        continue;
      sep = strstr (line, " - ");
      if (sep == NULL || sscanf (sep + 3, "%63s", fstype) != 1
          || strcmp (fstype, "cgroup") != 0)
        continue;
      /* superopts: the third field after the separator */
      sopts = strchr (sep + 3, ' ');
      sopts = sopts ? strchr (sopts + 1, ' ') : NULL;
      if (sopts == NULL)
        continue;
      sopts++;
      sopts[strcspn (sopts, " \n")] = '\0';
      unescape (mnt);
      /* Only hierarchies mounted right under the root (/sys/fs/cgroup/X). */
      if (strncmp (mnt, cg->root, rl) != 0 || mnt[rl] != '/' || strchr (mnt + rl + 1, '/')
          || mnt[rl + 1] == '\0')
        continue;
      for (size_t i = 0; i < n_seen; i++)
        dup = dup || strcmp (seen[i], dev) == 0;
      if (dup)
        continue; /* the same hierarchy bind-mounted twice */
      ctrls = controllers_of (sopts);
      if (ctrls == NULL)
        continue;
      if (n_seen < sizeof seen / sizeof seen[0])
        snprintf (seen[n_seen++], sizeof seen[0], "%s", dev);
      if (add_hier (cg, mnt, ctrls, 0, err) < 0)
        return -1;
    }
  if (cg->n_hier == 0)
    return sr_error (err, 0, "no cgroup v1 hierarchy mounted under %s", cg->root);
  return 0;
}

static sr_cg_hier_t *
hier_of (sr_cgroup_t *cg, const char *controller)
{
  for (size_t i = 0; i < cg->n_hier; i++)
    if (sr_cg_has_word (cg->hier[i].controllers, controller))
      return &cg->hier[i];
  return NULL;
}

static int
hier_fd (sr_cgroup_t *cg, sr_cg_hier_t *h, sr_error_t *err)
{
  if (h->dirfd < 0)
    h->dirfd = sr_cg_open_dir (h->mount, cg->path, err);
  return h->dirfd;
}

/* The fd of CONTROLLER's directory, or an error naming FIELD. */
static int
ctl_fd (sr_cgroup_t *cg, const char *controller, const char *field,
        sr_error_t *err)
{
  sr_cg_hier_t *h = hier_of (cg, controller);
  if (h == NULL)
    return sr_error (err, 0, FIELD "%s: the %s controller is not available on "
                     "this host", field, controller);
  return hier_fd (cg, h, err);
}

/* ---- check / create ----------------------------------------------------- */

static int
v1_check (sr_cgroup_t *cg, const sr_resources_t *r, const sr_cg_needs_t *needs,
          sr_error_t *err)
{
  if (cg->n_hier == 0 && discover (cg, err) < 0)
    return -1;
  for (size_t k = 0; k < sizeof v1_ctrl / sizeof v1_ctrl[0]; k++)
    if ((needs->mask & v1_ctrl[k].bit) && hier_of (cg, v1_ctrl[k].name) == NULL)
      {
        const char *f = needs->field[__builtin_ctz (v1_ctrl[k].bit)];
        if (v1_ctrl[k].bit == SR_CGC_DEVICES)
          return sr_error (err, 0, FIELD "devices: the devices controller is not "
                           "available on this host (secrun always restricts devices)");
        return sr_error (err, 0, FIELD "%s: the %s controller is not available on "
                         "this host", f, v1_ctrl[k].name);
      }
  return sr_cg_check_hugepage_sizes (r, err);
}

static int
copy_cpuset (const char *mount, const char *path, int created, sr_error_t *err)
{
  /* A new cpuset cgroup starts with empty cpus and mems, and a task cannot
   * join it until they are set: copy them down from the nearest existing
   * ancestor, read once, into every level we made (with clone_children
   * the kernel already wrote the same values). */
  static const char *const files[2] = { "cpuset.cpus", "cpuset.mems" };
  _cleanup_free_ char *cpus = NULL, *mems = NULL;
  char **val[2] = { &cpus, &mems };
  int depth = 0;

  for (const char *p = path; *p; p++)
    depth += *p == '/';
  for (int i = depth - created; i <= depth; i++)
    {
      const char *p = path;
      _cleanup_free_ char *dir = NULL;
      _cleanup_close_ int fd = -1;
      for (int k = 0; k < i; k++)
        p = strchrnul (p + 1, '/');
      if (asprintf (&dir, "%s%.*s", mount, (int) (p - path), path) < 0)
        return sr_error_errno (err, "asprintf");
      fd = open (dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
      if (fd < 0)
        return sr_error_errno (err, "open %s", dir);
      for (int f = 0; f < 2; f++)
        {
          if (i == depth - created)
            {
              if (sr_cg_read_set_at (fd, files[f], val[f], err) < 0)
                return -1;
            }
          else if (sr_cg_write_at (fd, files[f], *val[f], err) < 0)
            return sr_error_prefix (err, "%s", dir);
        }
    }
  return 0;
}

static void
undo_created (sr_cgroup_t *cg)
{
  for (size_t i = cg->n_hier; i-- > 0;)
    {
      sr_error_t e = { 0 };
      if (cg->hier[i].dirfd >= 0)
        {
          close (cg->hier[i].dirfd);
          cg->hier[i].dirfd = -1;
        }
      sr_cg_rmdir_path (cg->hier[i].mount, cg->path, cg->hier[i].created, &e);
      sr_error_clear (&e);
      cg->hier[i].created = 0;
    }
}

static int
v1_create (sr_cgroup_t *cg, const sr_cg_needs_t *needs, sr_error_t *err)
{
  /* Every hierarchy gets the path, needed or not: the container must be
   * confined (and counted) in all of them, as with runc. */
  (void) needs;
  for (size_t i = 0; i < cg->n_hier; i++)
    {
      sr_cg_hier_t *h = &cg->hier[i];
      if (sr_cg_mkdir_path (h->mount, cg->path, &h->created, err) < 0
          || (sr_cg_has_word (h->controllers, "cpuset")
              && copy_cpuset (h->mount, cg->path, h->created, err) < 0))
        {
          undo_created (cg);
          return -1;
        }
    }
  return 0;
}

/* ---- resources ------------------------------------------------------------ */

static int
wr (int fd, const char *file, const char *value, const char *field,
    sr_error_t *err)
{
  if (sr_cg_write_at (fd, file, value, err) < 0)
    {
      if (err->errnum == ENOENT)
        {
          sr_error_clear (err);
          return sr_error (err, 0, FIELD "%s: %s is not supported by this kernel",
                           field, file);
        }
      return sr_error_prefix (err, FIELD "%s", field);
    }
  return 0;
}

static int
wr_i64 (int fd, const char *file, int64_t v, const char *field, sr_error_t *err)
{
  char buf[24];
  snprintf (buf, sizeof buf, "%" PRId64, v);
  return wr (fd, file, buf, field, err);
}

static int
wr_u64 (int fd, const char *file, uint64_t v, const char *field, sr_error_t *err)
{
  char buf[24];
  snprintf (buf, sizeof buf, "%" PRIu64, v);
  return wr (fd, file, buf, field, err);
}

static int
apply_memory (sr_cgroup_t *cg, const sr_resources_t *r, sr_error_t *err)
{
  const __typeof__ (r->memory) *m = &r->memory;
  int64_t limit = m->limit.set ? m->limit.v : 0, swap = m->swap.set ? m->swap.v : 0;
  bool memsw;
  int fd;

  if (!((limit || swap || (m->reservation.set && m->reservation.v)
         || (m->kernel.set && m->kernel.v) || (m->kernel_tcp.set && m->kernel_tcp.v)
         || m->swappiness.set || (m->disable_oom_killer.set && m->disable_oom_killer.v)
         || m->use_hierarchy.set)))
    return 0;
  fd = ctl_fd (cg, "memory", "memory", err);
  if (fd < 0)
    return -1;
  memsw = sr_cg_file_exists_at (fd, "memory.memsw.limit_in_bytes");
  /* runc fs/memory.go: unlimited memory without a swap value means
   * unlimited swap too. */
  if (limit == -1 && swap == 0 && memsw)
    swap = -1;
  if (swap != 0 && !memsw)
    {
      if (swap != -1)
        return sr_error (err, 0, FIELD "memory.swap: swap accounting "
                         "(memory.memsw.limit_in_bytes) is not available on this host");
      swap = 0; /* no limit asked, and none is enforced */
    }
  if (limit > 0 && m->check_before_update.set && m->check_before_update.v)
    {
      uint64_t cur = 0;
      if (sr_cg_read_u64_at (fd, "memory.usage_in_bytes", &cur, err) < 0)
        return sr_error_prefix (err, FIELD "memory.checkBeforeUpdate");
      if (cur > (uint64_t) limit)
        return sr_error (err, 0, FIELD "memory.limit: %" PRId64 " is below the "
                         "current usage %" PRIu64 " (checkBeforeUpdate)", limit, cur);
    }
  /* memsw must stay >= limit at every step: raise memsw first when the
   * new swap is above the current limit (runc's setMemoryAndSwap). */
  if (limit != 0 && swap != 0)
    {
      uint64_t cur = 0;
      if (sr_cg_read_u64_at (fd, "memory.limit_in_bytes", &cur, err) < 0)
        return sr_error_prefix (err, FIELD "memory.limit");
      if (swap == -1 || cur < (uint64_t) swap)
        {
          if (wr_i64 (fd, "memory.memsw.limit_in_bytes", swap, "memory.swap", err) < 0
              || wr_i64 (fd, "memory.limit_in_bytes", limit, "memory.limit", err) < 0)
            return -1;
          limit = swap = 0;
        }
    }
  if (limit != 0 && wr_i64 (fd, "memory.limit_in_bytes", limit, "memory.limit", err) < 0)
    return -1;
  if (swap != 0 && wr_i64 (fd, "memory.memsw.limit_in_bytes", swap, "memory.swap", err) < 0)
    return -1;
  if (m->reservation.set && m->reservation.v != 0
      && wr_i64 (fd, "memory.soft_limit_in_bytes", m->reservation.v,
                 "memory.reservation", err) < 0)
    return -1;
  if (m->kernel.set && m->kernel.v != 0
      && wr_i64 (fd, "memory.kmem.limit_in_bytes", m->kernel.v, "memory.kernel", err) < 0)
    return -1;
  if (m->kernel_tcp.set && m->kernel_tcp.v != 0
      && wr_i64 (fd, "memory.kmem.tcp.limit_in_bytes", m->kernel_tcp.v,
                 "memory.kernelTCP", err) < 0)
    return -1;
  if (m->swappiness.set
      && wr_u64 (fd, "memory.swappiness", m->swappiness.v, "memory.swappiness", err) < 0)
    return -1;
  if (m->disable_oom_killer.set && m->disable_oom_killer.v
      && wr (fd, "memory.oom_control", "1", "memory.disableOOMKiller", err) < 0)
    return -1;
  if (m->use_hierarchy.set
      && wr (fd, "memory.use_hierarchy", m->use_hierarchy.v ? "1" : "0",
             "memory.useHierarchy", err) < 0)
    return -1;
  return 0;
}

static int
apply_cpu (sr_cgroup_t *cg, const sr_resources_t *r, sr_error_t *err)
{
  const __typeof__ (r->cpu) *c = &r->cpu;
  int64_t quota = c->quota.set ? c->quota.v : 0;
  uint64_t period = c->period.set ? c->period.v : 0;
  bool retry_period = false;
  int fd;

  if (c->cpus && *c->cpus)
    {
      fd = ctl_fd (cg, "cpuset", "cpu.cpus", err);
      if (fd < 0 || wr (fd, "cpuset.cpus", c->cpus, "cpu.cpus", err) < 0)
        return -1;
    }
  if (c->mems && *c->mems)
    {
      fd = ctl_fd (cg, "cpuset", "cpu.mems", err);
      if (fd < 0 || wr (fd, "cpuset.mems", c->mems, "cpu.mems", err) < 0)
        return -1;
    }
  if (!((c->shares.set && c->shares.v) || quota || period || c->burst.set || c->idle.set
        || (c->realtime_period.set && c->realtime_period.v)
        || (c->realtime_runtime.set && c->realtime_runtime.v)))
    return 0;
  fd = ctl_fd (cg, "cpu", "cpu", err);
  if (fd < 0)
    return -1;
  if (c->shares.set && c->shares.v
      && wr_u64 (fd, "cpu.shares", c->shares.v, "cpu.shares", err) < 0)
    return -1;
  if (period)
    {
      sr_error_t e = { 0 };
      /* A smaller period can be refused (EINVAL) while the old quota is in
       * place; runc retries it after the quota. */
      if (wr_u64 (fd, "cpu.cfs_period_us", period, "cpu.period", &e) < 0)
        {
          if (e.errnum != EINVAL || quota == 0)
            {
              *err = e;
              return -1;
            }
          sr_error_clear (&e);
          retry_period = true;
        }
    }
  if (quota && wr_i64 (fd, "cpu.cfs_quota_us", quota, "cpu.quota", err) < 0)
    return -1;
  if (retry_period && wr_u64 (fd, "cpu.cfs_period_us", period, "cpu.period", err) < 0)
    return -1;
  if (c->burst.set && wr_u64 (fd, "cpu.cfs_burst_us", c->burst.v, "cpu.burst", err) < 0)
    return -1;
  if (c->idle.set && wr_i64 (fd, "cpu.idle", c->idle.v, "cpu.idle", err) < 0)
    return -1;
  if (c->realtime_period.set && c->realtime_period.v
      && wr_u64 (fd, "cpu.rt_period_us", c->realtime_period.v, "cpu.realtimePeriod", err) < 0)
    return -1;
  if (c->realtime_runtime.set && c->realtime_runtime.v
      && wr_i64 (fd, "cpu.rt_runtime_us", c->realtime_runtime.v,
                 "cpu.realtimeRuntime", err) < 0)
    return -1;
  return 0;
}

static int
apply_throttle (int fd, const sr_throttle_device_t *t, size_t n, const char *file,
                const char *field, sr_error_t *err)
{
  for (size_t i = 0; i < n; i++)
    {
      char buf[64], f[64];
      snprintf (buf, sizeof buf, "%" PRId64 ":%" PRId64 " %" PRIu64, t[i].major,
                t[i].minor, t[i].rate);
      snprintf (f, sizeof f, "blockIO.%s[%zu]", field, i);
      if (wr (fd, file, buf, f, err) < 0)
        return -1;
    }
  return 0;
}

static int
apply_blkio (sr_cgroup_t *cg, const sr_resources_t *r, sr_error_t *err)
{
  const __typeof__ (r->block_io) *b = &r->block_io;
  bool cfq;
  int fd;

  if (!((b->weight.set && b->weight.v) || (b->leaf_weight.set && b->leaf_weight.v)
        || b->n_weight_device || b->n_throttle_read_bps || b->n_throttle_write_bps
        || b->n_throttle_read_iops || b->n_throttle_write_iops))
    return 0;
  fd = ctl_fd (cg, "blkio", "blockIO", err);
  if (fd < 0)
    return -1;
  /* CFQ's blkio.weight is gone from current kernels; BFQ has its own. */
  cfq = sr_cg_file_exists_at (fd, "blkio.weight");
  if (b->weight.set && b->weight.v
      && wr_u64 (fd, cfq ? "blkio.weight" : "blkio.bfq.weight", b->weight.v,
                 "blockIO.weight", err) < 0)
    return -1;
  if (b->leaf_weight.set && b->leaf_weight.v
      && wr_u64 (fd, "blkio.leaf_weight", b->leaf_weight.v, "blockIO.leafWeight", err) < 0)
    return -1;
  for (size_t i = 0; i < b->n_weight_device; i++)
    {
      const sr_weight_device_t *w = &b->weight_device[i];
      char buf[64], f[64];
      snprintf (f, sizeof f, "blockIO.weightDevice[%zu]", i);
      if (w->weight.set && w->weight.v)
        {
          snprintf (buf, sizeof buf, "%" PRId64 ":%" PRId64 " %" PRIu64, w->major,
                    w->minor, w->weight.v);
          if (wr (fd, cfq ? "blkio.weight_device" : "blkio.bfq.weight_device", buf, f,
                  err) < 0)
            return -1;
        }
      if (w->leaf_weight.set && w->leaf_weight.v)
        {
          snprintf (buf, sizeof buf, "%" PRId64 ":%" PRId64 " %" PRIu64, w->major,
                    w->minor, w->leaf_weight.v);
          if (wr (fd, "blkio.leaf_weight_device", buf, f, err) < 0)
            return -1;
        }
    }
  return apply_throttle (fd, b->throttle_read_bps, b->n_throttle_read_bps,
                         "blkio.throttle.read_bps_device", "throttleReadBpsDevice", err)
      ?: apply_throttle (fd, b->throttle_write_bps, b->n_throttle_write_bps,
                         "blkio.throttle.write_bps_device", "throttleWriteBpsDevice", err)
      ?: apply_throttle (fd, b->throttle_read_iops, b->n_throttle_read_iops,
                         "blkio.throttle.read_iops_device", "throttleReadIOPSDevice", err)
      ?: apply_throttle (fd, b->throttle_write_iops, b->n_throttle_write_iops,
                         "blkio.throttle.write_iops_device", "throttleWriteIOPSDevice", err);
}

static int
v1_apply (sr_cgroup_t *cg, const sr_resources_t *r, bool update, sr_error_t *err)
{
  int fd;

  (void) update;
  if (apply_cpu (cg, r, err) < 0 || apply_memory (cg, r, err) < 0)
    return -1;
  if (r->pids.limit.set && r->pids.limit.v != 0)
    {
      char buf[24];
      fd = ctl_fd (cg, "pids", "pids.limit", err);
      if (fd < 0 || wr (fd, "pids.max", sr_cg_fmt_limit (r->pids.limit.v, buf, sizeof buf),
                        "pids.limit", err) < 0)
        return -1;
    }
  if (apply_blkio (cg, r, err) < 0)
    return -1;
  for (size_t i = 0; i < r->n_hugepage_limits; i++)
    {
      const sr_hugepage_limit_t *h = &r->hugepage_limits[i];
      char file[64], f[48];
      snprintf (f, sizeof f, "hugepageLimits[%zu]", i);
      fd = ctl_fd (cg, "hugetlb", f, err);
      snprintf (file, sizeof file, "hugetlb.%s.limit_in_bytes", h->page_size);
      if (fd < 0 || wr_u64 (fd, file, h->limit, f, err) < 0)
        return -1;
      snprintf (file, sizeof file, "hugetlb.%s.rsvd.limit_in_bytes", h->page_size);
      if (sr_cg_file_exists_at (fd, file) && wr_u64 (fd, file, h->limit, f, err) < 0)
        return -1;
    }
  if (r->network.set && r->network.class_id.set)
    {
      fd = ctl_fd (cg, "net_cls", "network.classID", err);
      if (fd < 0 || wr_u64 (fd, "net_cls.classid", r->network.class_id.v,
                            "network.classID", err) < 0)
        return -1;
    }
  return 0;
}

/* ---- devices ------------------------------------------------------------ */

static void
fmt_num (char *buf, size_t n, int64_t v)
{
  if (v < 0)
    snprintf (buf, n, "*");
  else
    snprintf (buf, n, "%" PRId64, v);
}

/* Writes one rule to devices.allow or devices.deny, keeping each file
 * open for the next rule: the kernel parses every write on its own. */
static int
dev_write (int dirfd, int *fd, const char *file, const char *value,
           const char *field, sr_error_t *err)
{
  size_t len = strlen (value);
  if (*fd < 0 && (*fd = openat (dirfd, file, O_WRONLY | O_CLOEXEC | O_NOFOLLOW)) < 0)
    return sr_error_errno (err, FIELD "%s: open %s", field, file);
  if (write (*fd, value, len) != (ssize_t) len)
    return sr_error_errno (err, FIELD "%s: write \"%s\" to %s", field, value, file);
  return 0;
}

static bool
denies_all (const sr_device_rule_t *r)
{
  return !r->allow && r->type == 'a' && r->major < 0 && r->minor < 0
         && (r->access == NULL || *r->access == '\0'
             || (strlen (r->access) == 3 && strchr (r->access, 'r')
                 && strchr (r->access, 'w') && strchr (r->access, 'm')));
}

static int
v1_devices (sr_cgroup_t *cg, const sr_device_rule_t *rules, size_t n,
            sr_error_t *err)
{
  int fd = ctl_fd (cg, "devices", "devices", err);
  _cleanup_close_ int afd = -1, dfd = -1;

  if (fd < 0)
    return -1;
  /* Start from nothing, then replay the rules in order: the kernel keeps a
   * default plus exceptions, so later rules override earlier ones. A
   * config that starts with deny-all (they all do) says it itself. */
  if ((n == 0 || !denies_all (&rules[0]))
      && dev_write (fd, &dfd, "devices.deny", "a", "devices", err) < 0)
    return -1;
  for (size_t i = 0; i < n; i++)
    {
      const sr_device_rule_t *r = &rules[i];
      const char *file = r->allow ? "devices.allow" : "devices.deny";
      int *ffd = r->allow ? &afd : &dfd;
      const char *acc = r->access && *r->access ? r->access : "rwm";
      char maj[24], min[24], buf[80], f[48];

      snprintf (f, sizeof f, "devices[%zu]", i);
      fmt_num (maj, sizeof maj, r->major);
      fmt_num (min, sizeof min, r->minor);
      /* The kernel's "a" ignores numbers and access and switches the whole
       * default: use it only for a rule that really means every device. */
      if (r->type == 'a' && r->major < 0 && r->minor < 0 && strspn (acc, "rwm") == 3
          && strchr (acc, 'r') && strchr (acc, 'w') && strchr (acc, 'm'))
        {
          if (dev_write (fd, ffd, file, "a", f, err) < 0)
            return -1;
          continue;
        }
      for (int t = 0; t < 2; t++)
        {
          char type = r->type == 'a' ? (t ? 'b' : 'c') : r->type;
          if (r->type != 'a' && t)
            break;
          snprintf (buf, sizeof buf, "%c %s:%s %s", type, maj, min, acc);
          if (dev_write (fd, ffd, file, buf, f, err) < 0)
            return -1;
        }
    }
  return 0;
}

/* ---- lifecycle ------------------------------------------------------------ */

static int
v1_enter (sr_cgroup_t *cg, pid_t pid, sr_error_t *err)
{
  char buf[24];

  snprintf (buf, sizeof buf, "%d", (int) pid);
  for (size_t i = 0; i < cg->n_hier; i++)
    {
      sr_cg_hier_t *h = &cg->hier[i];
      int r;
      if (h->dirfd >= 0)
        r = sr_cg_write_at (h->dirfd, "cgroup.procs", buf, err);
      else
        {
          /* By path: the directory's own fd is not needed afterwards. */
          _cleanup_free_ char *procs = NULL;
          if (asprintf (&procs, "%s%s/cgroup.procs", h->mount, cg->path) < 0)
            return sr_error_errno (err, "asprintf");
          r = sr_cg_write_at (AT_FDCWD, procs, buf, err);
        }
      if (r < 0)
        return sr_error_prefix (err, "joining cgroup %s%s", h->mount, cg->path);
    }
  return 0;
}

static int
freezer_state (int fd, char *buf, size_t n)
{
  _cleanup_free_ char *s = NULL;
  sr_error_t e = { 0 };
  if (sr_cg_read_at (fd, "freezer.state", &s, &e) < 0)
    {
      sr_error_clear (&e);
      return -1;
    }
  s[strcspn (s, "\n")] = '\0';
  snprintf (buf, n, "%s", s);
  return 0;
}

static int
v1_freeze (sr_cgroup_t *cg, bool frozen, sr_error_t *err)
{
  const char *want = frozen ? "FROZEN" : "THAWED";
  sr_cg_hier_t *h = hier_of (cg, "freezer");
  int fd;

  if (h == NULL)
    return sr_error (err, 0, "cannot %s: the freezer controller is not available "
                     "on this host", frozen ? "pause" : "resume");
  fd = hier_fd (cg, h, err);
  if (fd < 0)
    return -1;
  for (int waited = 0; waited < 5000; waited += 10)
    {
      char st[32];
      /* Writing again nudges tasks that were busy when the first write
       * came (runc does the same). */
      if (waited % 100 == 0 && sr_cg_write_at (fd, "freezer.state", want, err) < 0)
        return -1;
      if (freezer_state (fd, st, sizeof st) < 0)
        return sr_error (err, 0, "cgroup %s: cannot read freezer.state", cg->path);
      if (strcmp (st, want) == 0)
        return 0;
      sr_cg_sleep_ms (10);
    }
  if (frozen)
    {
      sr_error_t e = { 0 };
      sr_cg_write_at (fd, "freezer.state", "THAWED", &e);
      sr_error_clear (&e);
    }
  return sr_error (err, ETIMEDOUT, "cgroup %s: %s", cg->path,
                   frozen ? "freezing" : "thawing");
}

static int
v1_is_frozen (sr_cgroup_t *cg)
{
  sr_error_t e = { 0 };
  sr_cg_hier_t *h = hier_of (cg, "freezer");
  char st[32];
  int fd;

  if (h == NULL)
    return 0;
  fd = hier_fd (cg, h, &e);
  sr_error_clear (&e);
  if (fd < 0 || freezer_state (fd, st, sizeof st) < 0)
    return -1;
  return strcmp (st, "FROZEN") == 0 || strcmp (st, "FREEZING") == 0;
}

static int
v1_procs_dirfd (sr_cgroup_t *cg, sr_error_t *err)
{
  static const char *const pref[] = { "pids", "freezer", "memory", "cpu", "devices" };
  for (size_t i = 0; i < sizeof pref / sizeof pref[0]; i++)
    {
      sr_cg_hier_t *h = hier_of (cg, pref[i]);
      if (h)
        return hier_fd (cg, h, err);
    }
  if (cg->n_hier == 0)
    return sr_error (err, 0, "cgroup %s: no hierarchy", cg->path);
  return hier_fd (cg, &cg->hier[0], err);
}

static int
v1_kill (sr_cgroup_t *cg, int sig, sr_error_t *err)
{
  int fd = v1_procs_dirfd (cg, err), was_frozen, r;
  bool freezer = hier_of (cg, "freezer") != NULL;
  sr_error_t e = { 0 };

  if (fd < 0)
    return -1;
  if (!freezer)
    return sr_cg_signal_tree (fd, sig, err);
  /* No fork can slip between reading cgroup.procs and the signals while
   * the cgroup is frozen. */
  was_frozen = v1_is_frozen (cg);
  if (was_frozen == 0 && v1_freeze (cg, true, &e) < 0)
    {
      sr_log_debug ("kill: freezing %s: %s", cg->path, e.msg);
      sr_error_clear (&e);
    }
  r = sr_cg_signal_tree (fd, sig, err);
  /* A killed task only dies once thawed; other signals leave a paused
   * container paused. */
  if (was_frozen == 0 || sig == SIGKILL)
    {
      if (v1_freeze (cg, false, &e) < 0)
        sr_log_debug ("kill: thawing %s: %s", cg->path, e.msg);
      sr_error_clear (&e);
    }
  return r;
}

static int
v1_oom_count (sr_cgroup_t *cg, unsigned long long *n, sr_error_t *err)
{
  uint64_t v = 0;
  int fd = ctl_fd (cg, "memory", "memory", err);

  if (fd < 0)
    return -1;
  if (sr_cg_read_key_at (fd, "memory.oom_control", "oom_kill", &v, err) < 0)
    return -1;
  *n = v;
  return 0;
}

static int
v1_destroy (sr_cgroup_t *cg, sr_error_t *err)
{
  sr_error_t e = { 0 };
  sr_cg_hier_t *fr = hier_of (cg, "freezer");
  int fd, ret = 0;
  bool busy = false;

  /* Usually the init was reaped and its pid namespace took every task with
   * it: then one rmdir per level is all (no thaw, no procs walk). A task
   * left anywhere keeps every hierarchy's leaf busy. */
  for (size_t i = cg->n_hier; i-- > 0;)
    {
      sr_cg_hier_t *h = &cg->hier[i];
      int r;
      if (h->dirfd >= 0)
        {
          close (h->dirfd);
          h->dirfd = -1;
        }
      r = sr_cg_rmdir_fast (h->mount, cg->path, h->created, &e);
      sr_error_clear (&e);
      if (r == 1)
        h->created = 0;
      else
        busy = true;
    }
  if (!busy)
    return 0;

  /* Frozen tasks cannot die: thaw first. */
  if (fr && hier_fd (cg, fr, &e) >= 0)
    sr_cg_write_at (fr->dirfd, "freezer.state", "THAWED", &e);
  sr_error_clear (&e);
  fd = v1_procs_dirfd (cg, &e);
  sr_error_clear (&e);
  if (fd >= 0)
    for (int round = 0; round < 3; round++)
      {
        if (sr_cg_signal_tree (fd, SIGKILL, &e) < 0)
          sr_log_debug ("killing cgroup %s: %s", cg->path, e.msg);
        sr_error_clear (&e);
        if (sr_cg_wait_empty (fd, SR_CG_DRAIN_MS / 2))
          break;
      }
  for (size_t i = cg->n_hier; i-- > 0;)
    {
      sr_cg_hier_t *h = &cg->hier[i];
      if (h->dirfd >= 0)
        {
          close (h->dirfd);
          h->dirfd = -1;
        }
      if (sr_cg_rmdir_path (h->mount, cg->path, h->created, &e) < 0)
        {
          if (ret == 0)
            {
              *err = e;
              e = (sr_error_t) { 0 };
              ret = -1;
            }
          sr_error_clear (&e);
          continue;
        }
      h->created = 0;
    }
  return ret;
}

/* ---- stats ------------------------------------------------------------------ */


static int
opt_fd (sr_cgroup_t *cg, const char *controller)
{
  sr_error_t e = { 0 };
  sr_cg_hier_t *h = hier_of (cg, controller);
  int fd = h ? hier_fd (cg, h, &e) : -1;
  sr_error_clear (&e);
  return fd;
}

static json_t *
u64_list (int fd, const char *file)
{
  _cleanup_free_ char *s = NULL;
  sr_error_t e = { 0 };
  json_t *a;

  if (fd < 0 || sr_cg_read_at (fd, file, &s, &e) < 0)
    {
      sr_error_clear (&e);
      return NULL;
    }
  a = json_array ();
  for (char *p = s, *end;; p = end)
    {
      unsigned long long v = strtoull (p, &end, 10);
      if (end == p)
        break;
      json_array_append_new (a, sr_cg_ju64 (v));
    }
  return a;
}

static json_t *
stats_cpu (sr_cgroup_t *cg)
{
  int acct = opt_fd (cg, "cpuacct"), cpu = opt_fd (cg, "cpu");
  json_t *o = json_object (), *usage = json_object (), *thr = json_object ();
  json_t *percpu;
  long tck = sysconf (_SC_CLK_TCK);
  uint64_t ns_per_tick = tck > 0 ? 1000000000ull / (uint64_t) tck : 10000000ull;

  sr_cg_set_nz (usage, "total", sr_cg_rd (acct, "cpuacct.usage"));
  if ((percpu = u64_list (acct, "cpuacct.usage_percpu")))
    json_object_set_new (usage, "percpu", percpu);
  if ((percpu = u64_list (acct, "cpuacct.usage_percpu_sys")))
    json_object_set_new (usage, "percpu_kernel", percpu);
  if ((percpu = u64_list (acct, "cpuacct.usage_percpu_user")))
    json_object_set_new (usage, "percpu_user", percpu);
  json_object_set_new (usage, "kernel",
                       sr_cg_ju64 (sr_cg_rdkey (acct, "cpuacct.stat", "system") * ns_per_tick));
  json_object_set_new (usage, "user", sr_cg_ju64 (sr_cg_rdkey (acct, "cpuacct.stat", "user") * ns_per_tick));
  sr_cg_set_nz (thr, "periods", sr_cg_rdkey (cpu, "cpu.stat", "nr_periods"));
  sr_cg_set_nz (thr, "throttledPeriods", sr_cg_rdkey (cpu, "cpu.stat", "nr_throttled"));
  sr_cg_set_nz (thr, "throttledTime", sr_cg_rdkey (cpu, "cpu.stat", "throttled_time"));
  json_object_set_new (o, "usage", usage);
  json_object_set_new (o, "throttling", thr);
  return o;
}

static json_t *
mem_entry (int fd, const char *prefix)
{
  json_t *o = json_object ();
  char f[64];

  snprintf (f, sizeof f, "%s.limit_in_bytes", prefix);
  json_object_set_new (o, "limit", sr_cg_ju64 (sr_cg_rd (fd, f)));
  snprintf (f, sizeof f, "%s.usage_in_bytes", prefix);
  sr_cg_set_nz (o, "usage", sr_cg_rd (fd, f));
  snprintf (f, sizeof f, "%s.max_usage_in_bytes", prefix);
  sr_cg_set_nz (o, "max", sr_cg_rd (fd, f));
  snprintf (f, sizeof f, "%s.failcnt", prefix);
  json_object_set_new (o, "failcnt", sr_cg_ju64 (sr_cg_rd (fd, f)));
  return o;
}

static json_t *
stats_memory (sr_cgroup_t *cg)
{
  int fd = opt_fd (cg, "memory");
  json_t *m = json_object (), *raw = NULL;
  _cleanup_free_ char *s = NULL;
  sr_error_t e = { 0 };

  if (fd >= 0 && sr_cg_read_at (fd, "memory.stat", &s, &e) == 0)
    raw = sr_cg_flat_keyed_json (s);
  sr_error_clear (&e);
  if (raw)
    sr_cg_set_nz (m, "cache", (uint64_t) json_integer_value (json_object_get (raw, "cache")));
  json_object_set_new (m, "usage", mem_entry (fd, "memory"));
  json_object_set_new (m, "swap", mem_entry (fd, "memory.memsw"));
  json_object_set_new (m, "kernel", mem_entry (fd, "memory.kmem"));
  json_object_set_new (m, "kernelTCP", mem_entry (fd, "memory.kmem.tcp"));
  json_object_set_new (m, "raw", raw ? raw : json_object ());
  return m;
}

static json_t *
blkio_entries (int fd, const char *file)
{
  _cleanup_free_ char *s = NULL;
  sr_error_t e = { 0 };
  json_t *a;

  if (fd < 0 || sr_cg_read_at (fd, file, &s, &e) < 0)
    {
      sr_error_clear (&e);
      return NULL;
    }
  a = json_array ();
  for (char *line = s; line && *line;)
    {
      char *nl = strchr (line, '\n'), op[32];
      unsigned maj, min;
      unsigned long long v;
      if (nl)
        *nl = '\0';
      if (sscanf (line, "%u:%u %31s %llu", &maj, &min, op, &v) == 4)
        {
          json_t *o = json_object ();
          sr_cg_set_nz (o, "major", maj);
          sr_cg_set_nz (o, "minor", min);
          json_object_set_new (o, "op", json_string (op));
          sr_cg_set_nz (o, "value", v);
          json_array_append_new (a, o);
        }
      line = nl ? nl + 1 : NULL;
    }
  if (json_array_size (a) == 0)
    {
      json_decref (a);
      return NULL;
    }
  return a;
}

static json_t *
stats_blkio (sr_cgroup_t *cg)
{
  /* runc's order: CFQ files, else BFQ, else the throttle counters. */
  static const char *const prefixes[] = { "blkio.", "blkio.bfq.", "blkio.throttle." };
  static const struct { const char *file, *key; } m[] = {
    { "io_service_bytes_recursive", "ioServiceBytesRecursive" },
    { "io_serviced_recursive", "ioServicedRecursive" },
    { "io_queued_recursive", "ioQueueRecursive" },
    { "io_service_time_recursive", "ioServiceTimeRecursive" },
    { "io_wait_time_recursive", "ioWaitTimeRecursive" },
    { "io_merged_recursive", "ioMergedRecursive" },
    { "time_recursive", "ioTimeRecursive" },
    { "sectors_recursive", "sectorsRecursive" },
  };
  int fd = opt_fd (cg, "blkio");
  json_t *b = json_object ();
  const char *pre = NULL;
  char f[96];

  for (size_t i = 0; fd >= 0 && i < 3 && !pre; i++)
    {
      snprintf (f, sizeof f, "%sio_service_bytes_recursive", prefixes[i]);
      if (sr_cg_file_exists_at (fd, f))
        pre = prefixes[i];
    }
  for (size_t i = 0; pre && i < sizeof m / sizeof m[0]; i++)
    {
      json_t *a;
      snprintf (f, sizeof f, "%s%s", pre, m[i].file);
      if ((a = blkio_entries (fd, f)))
        json_object_set_new (b, m[i].key, a);
    }
  return b;
}

static json_t *
stats_hugetlb (sr_cgroup_t *cg)
{
  int fd = opt_fd (cg, "hugetlb");
  json_t *h = json_object ();
  _cleanup_strv_ char **sizes = NULL;
  sr_error_t e = { 0 };

  if (fd >= 0 && sr_cg_hugepage_sizes (&sizes, &e) == 0)
    for (char **s = sizes; *s; s++)
      {
        char f[64];
        json_t *o = json_object ();
        snprintf (f, sizeof f, "hugetlb.%s.usage_in_bytes", *s);
        sr_cg_set_nz (o, "usage", sr_cg_rd (fd, f));
        snprintf (f, sizeof f, "hugetlb.%s.max_usage_in_bytes", *s);
        sr_cg_set_nz (o, "max", sr_cg_rd (fd, f));
        snprintf (f, sizeof f, "hugetlb.%s.failcnt", *s);
        json_object_set_new (o, "failcnt", sr_cg_ju64 (sr_cg_rd (fd, f)));
        json_object_set_new (h, *s, o);
      }
  sr_error_clear (&e);
  return h;
}

static json_t *
v1_stats (sr_cgroup_t *cg, sr_error_t *err)
{
  int pfd = v1_procs_dirfd (cg, err), cs;
  json_t *d, *pids;
  _cleanup_free_ char *cpus = NULL, *mems = NULL;
  sr_error_t e = { 0 };
  uint64_t plim;

  if (pfd < 0)
    return NULL; /* the container's cgroup is gone */
  d = json_object ();
  json_object_set_new (d, "cpu", stats_cpu (cg));
  cs = opt_fd (cg, "cpuset");
  if (cs >= 0)
    {
      sr_cg_read_at (cs, "cpuset.effective_cpus", &cpus, &e);
      sr_error_clear (&e);
      sr_cg_read_at (cs, "cpuset.effective_mems", &mems, &e);
      sr_error_clear (&e);
    }
  json_object_set_new (d, "cpuset", sr_cg_cpuset_json (cpus, mems));
  json_object_set_new (d, "memory", stats_memory (cg));
  pids = json_object ();
  sr_cg_set_nz (pids, "current", sr_cg_rd (opt_fd (cg, "pids"), "pids.current"));
  plim = sr_cg_rd (opt_fd (cg, "pids"), "pids.max");
  sr_cg_set_nz (pids, "limit", plim == UINT64_MAX ? 0 : plim);
  json_object_set_new (d, "pids", pids);
  json_object_set_new (d, "blkio", stats_blkio (cg));
  json_object_set_new (d, "hugetlb", stats_hugetlb (cg));
  json_object_set_new (d, "intel_rdt", json_object ());
  json_object_set_new (d, "network_interfaces", json_null ());
  return d;
}

/* ---- persistence ---------------------------------------------------------- */

static json_t *
v1_to_json (const sr_cgroup_t *cg, json_t *o)
{
  json_t *a = json_array ();
  for (size_t i = 0; i < cg->n_hier; i++)
    json_array_append_new (a, json_pack ("{s:s, s:s, s:i}", "mount", cg->hier[i].mount,
                                         "controllers", cg->hier[i].controllers,
                                         "created", cg->hier[i].created));
  json_object_set_new (o, "hierarchies", a);
  return o;
}

static int
v1_from_json (sr_cgroup_t *cg, json_t *o, sr_error_t *err)
{
  json_t *a = json_object_get (o, "hierarchies"), *h;
  size_t i, rl = strlen (cg->root);
  int depth = 0;

  for (const char *p = cg->path; *p; p++)
    depth += *p == '/';
  if (!json_is_array (a))
    return sr_error (err, 0, "cgroup state: no hierarchies");
  json_array_foreach (a, i, h)
    {
      const char *mount = NULL, *ctrls = NULL;
      int created = -1;
      if (json_unpack (h, "{s:s, s:s, s:i}", "mount", &mount, "controllers", &ctrls,
                       "created", &created) < 0
          || created < 0 || created > depth)
        return sr_error (err, 0, "cgroup state: malformed hierarchy");
      /* Only a directory right under the cgroup root. */
      if (sr_cg_check_abs_path ("mount", mount, err) < 0)
        return -1;
      if (strncmp (mount, cg->root, rl) != 0 || mount[rl] != '/'
          || strchr (mount + rl + 1, '/') || mount[rl + 1] == '\0')
        return sr_error (err, 0, "cgroup state: %s is not under %s", mount, cg->root);
      if (add_hier (cg, mount, ctrls, created, err) < 0)
        return -1;
    }
  return 0;
}

const sr_cg_ops_t sr_cg_v1_ops = {
  .check = v1_check,
  .create = v1_create,
  .apply = v1_apply,
  .devices = v1_devices,
  .enter = v1_enter,
  .freeze = v1_freeze,
  .is_frozen = v1_is_frozen,
  .kill = v1_kill,
  .procs_dirfd = v1_procs_dirfd,
  .stats = v1_stats,
  .oom_count = v1_oom_count,
  .destroy = v1_destroy,
  .to_json = v1_to_json,
  .from_json = v1_from_json,
};
