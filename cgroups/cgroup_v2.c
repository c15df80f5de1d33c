/* cgroup v2 backend: one hierarchy, controllers enabled level by level in
 * cgroup.subtree_control, devices through a BPF_CGROUP_DEVICE program. */
#ifndef _GNU_SOURCE
# define _GNU_SOURCE
#endif
#include "cgroup_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "cleanup.h"
#include "log.h"

#define FIELD "linux.resources."

static const struct { unsigned bit; const char *name; } v2_ctrl[] = {
  { SR_CGC_CPU, "cpu" },       { SR_CGC_CPUSET, "cpuset" },
  { SR_CGC_MEMORY, "memory" }, { SR_CGC_PIDS, "pids" },
  { SR_CGC_IO, "io" },         { SR_CGC_HUGETLB, "hugetlb" },
};
#define N_V2_CTRL (sizeof v2_ctrl / sizeof v2_ctrl[0])

static int
leaf (sr_cgroup_t *cg, sr_error_t *err)
{
  if (cg->dirfd < 0)
    cg->dirfd = sr_cg_open_dir (cg->root, cg->path, err);
  return cg->dirfd;
}

static int
depth_of (const char *path)
{
  int n = 0;
  for (const char *p = path; *p; p++)
    n += *p == '/';
  return n;
}

static char *
level_dir (const sr_cgroup_t *cg, int levels)
{
  const char *p = cg->path;
  char *s = NULL;

  for (int i = 0; i < levels && *p; i++)
    p = strchrnul (p + 1, '/');
  if (asprintf (&s, "%s%.*s", cg->root, (int) (p - cg->path), cg->path) < 0)
    return NULL;
  return s;
}

static int
read_file (const char *dir, const char *file, char **out, sr_error_t *err)
{
  _cleanup_close_ int fd = open (dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0)
    return sr_error_errno (err, "open %s", dir);
  if (sr_cg_read_at (fd, file, out, err) < 0)
    return sr_error_prefix (err, "%s", dir);
  return 0;
}

/* ---- check ------------------------------------------------------------ */

static int
missing (const char *field, const char *ctrl, const char *dir, bool present,
         sr_error_t *err)
{
  if (present)
    return sr_error (err, 0, FIELD "%s: the %s controller is not enabled in "
                     "%s/cgroup.subtree_control (secrun does not write to "
                     "cgroups it did not create)", field, ctrl, dir);
  return sr_error (err, 0, FIELD "%s: the %s controller is not available on "
                   "this host", field, ctrl);
}

static int
v2_check (sr_cgroup_t *cg, const sr_resources_t *r, const sr_cg_needs_t *needs,
          sr_error_t *err)
{
  int depth = depth_of (cg->path), i;
  _cleanup_free_ char *dir = NULL, *avail = NULL, *present = NULL;
  struct stat sb;

  /* The deepest existing level decides what our levels can get: its
   * subtree_control (or, when it is our leaf, its own controllers). */
  for (i = depth; i >= 0; i--)
    {
      free (dir);
      dir = level_dir (cg, i);
      if (dir == NULL)
        return sr_error_errno (err, "asprintf");
      if (stat (dir, &sb) == 0)
        break;
    }
  if (i < 0)
    return sr_error (err, 0, "no cgroup root at %s", cg->root);
  if (read_file (dir, "cgroup.controllers", &present, err) < 0)
    return -1;
  if (i == depth)
    avail = strdup (present);
  else if (read_file (dir, "cgroup.subtree_control", &avail, err) < 0)
    return -1;
  if (avail == NULL)
    return sr_error_errno (err, "strdup");

  for (size_t k = 0; k < N_V2_CTRL; k++)
    if ((needs->mask & v2_ctrl[k].bit) && !sr_cg_has_word (avail, v2_ctrl[k].name))
      return missing (needs->field[__builtin_ctz (v2_ctrl[k].bit)], v2_ctrl[k].name,
                      dir, i < depth && sr_cg_has_word (present, v2_ctrl[k].name), err);

  for (size_t k = 0; k < r->n_unified; k++)
    {
      _cleanup_free_ char *ctrl = NULL, *f = NULL;
      if (sr_cg_unified_key_valid (r->unified[k].key, &ctrl, err) < 0)
        return -1;
      if (strcmp (ctrl, "cgroup") == 0 || sr_cg_has_word (avail, ctrl))
        continue;
      if (asprintf (&f, "unified.\"%s\"", r->unified[k].key) < 0)
        return sr_error_errno (err, "asprintf");
      return missing (f, ctrl, dir, i < depth && sr_cg_has_word (present, ctrl), err);
    }

  return sr_cg_check_hugepage_sizes (r, err);
}

/* ---- create ------------------------------------------------------------ */

static int
enable_controllers (const char *dir, const sr_cg_needs_t *needs,
                    sr_error_t *err)
{
  _cleanup_close_ int fd = open (dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  _cleanup_free_ char *ctrls = NULL;
  char *save = NULL;

  if (fd < 0)
    return sr_error_errno (err, "open %s", dir);
  if (sr_cg_read_at (fd, "cgroup.controllers", &ctrls, err) < 0)
    return -1;
  /* Everything the parent hands down, as runc does, so stats and later
   * updates work; only the ones the config needs must succeed. */
  for (char *c = strtok_r (ctrls, " \n", &save); c; c = strtok_r (NULL, " \n", &save))
    {
      char buf[64];
      sr_error_t e = { 0 };
      bool needed = false;

      for (size_t k = 0; k < N_V2_CTRL; k++)
        needed = needed || ((needs->mask & v2_ctrl[k].bit)
                            && strcmp (c, v2_ctrl[k].name) == 0);
      snprintf (buf, sizeof buf, "+%s", c);
      if (sr_cg_write_at (fd, "cgroup.subtree_control", buf, &e) < 0)
        {
          if (needed)
            {
              sr_error (err, e.errnum, "enabling %s in %s/cgroup.subtree_control: %s",
                        c, dir, e.msg);
              sr_error_clear (&e);
              return -1;
            }
          sr_log_debug ("enabling %s in %s: %s", c, dir, e.msg);
          sr_error_clear (&e);
        }
    }
  return 0;
}

static int
v2_create (sr_cgroup_t *cg, const sr_cg_needs_t *needs, sr_error_t *err)
{
  int depth = depth_of (cg->path);
  _cleanup_free_ char *ctrls = NULL;
  int fd;

  if (sr_cg_mkdir_path (cg->root, cg->path, &cg->created, err) < 0)
    return -1;
  for (int i = depth - cg->created + 1; i < depth; i++)
    {
      _cleanup_free_ char *dir = level_dir (cg, i);
      if (dir == NULL)
        {
          sr_error_errno (err, "asprintf");
          goto fail;
        }
      if (enable_controllers (dir, needs, err) < 0)
        goto fail;
    }
  fd = leaf (cg, err);
  if (fd < 0)
    goto fail;
  /* The parent may be a level a concurrent secrun made and has not yet
   * opened to its children: give it about 1 s before calling a controller
   * missing. */
  for (int ms = 1;; ms *= 2)
    {
      size_t k;
      free (ctrls);
      ctrls = NULL;
      if (sr_cg_read_at (fd, "cgroup.controllers", &ctrls, err) < 0)
        goto fail;
      for (k = 0; k < N_V2_CTRL; k++)
        if ((needs->mask & v2_ctrl[k].bit) && !sr_cg_has_word (ctrls, v2_ctrl[k].name))
          break;
      if (k == N_V2_CTRL)
        return 0;
      if (ms > 512 || cg->created >= depth)
        {
          missing (needs->field[__builtin_ctz (v2_ctrl[k].bit)], v2_ctrl[k].name,
                   cg->path, false, err);
          goto fail;
        }
      sr_cg_sleep_ms (ms);
    }

fail:
  {
    sr_error_t e = { 0 };
    if (cg->dirfd >= 0)
      {
        close (cg->dirfd);
        cg->dirfd = -1;
      }
    sr_cg_rmdir_path (cg->root, cg->path, cg->created, &e);
    sr_error_clear (&e);
    cg->created = 0;
  }
  return -1;
}

/* ---- resources ---------------------------------------------------------- */

static int
wr (int fd, const char *file, const char *value, const char *field,
    sr_error_t *err)
{
  if (sr_cg_write_at (fd, file, value, err) < 0)
    return sr_error_prefix (err, FIELD "%s", field);
  return 0;
}

static int
apply_memory (int fd, const sr_resources_t *r, bool update, sr_error_t *err)
{
  const __typeof__ (r->memory) *m = &r->memory;
  int64_t limit = m->limit.set ? m->limit.v : 0, swap = m->swap.set ? m->swap.v : 0;
  int64_t swap_v2 = 0;
  char buf[32];

  if (limit > 0 && m->check_before_update.set && m->check_before_update.v)
    {
      uint64_t cur = 0;
      if (sr_cg_read_u64_at (fd, "memory.current", &cur, err) < 0)
        return sr_error_prefix (err, FIELD "memory.checkBeforeUpdate");
      if (cur > (uint64_t) limit)
        return sr_error (err, 0, FIELD "memory.limit: %" PRId64 " is below the "
                         "current usage %" PRIu64 " (checkBeforeUpdate)", limit, cur);
    }
  if (swap > 0 && limit == 0 && update)
    {
      /* Only the swap changes: convert against the limit in force. */
      uint64_t cur;
      if (sr_cg_read_u64_at (fd, "memory.max", &cur, err) < 0)
        return sr_error_prefix (err, FIELD "memory.swap");
      limit = cur == UINT64_MAX ? -1 : (int64_t) cur;
      if (sr_cg_swap_v2 (swap, limit, &swap_v2, err) < 0)
        return -1;
      limit = 0;
    }
  else if ((swap != 0 || limit == -1) && sr_cg_swap_v2 (swap, limit, &swap_v2, err) < 0)
    return -1;

  if (swap != 0 || limit == -1)
    {
      sr_error_t e = { 0 };
      sr_cg_fmt_limit (swap_v2, buf, sizeof buf);
      if (sr_cg_write_at (fd, "memory.swap.max", buf, &e) < 0)
        {
          /* No swap accounting: "no swap limit" and "no swap" are what the
           * kernel does anyway (runc ignores these two likewise). */
          if (e.errnum == ENOENT && swap_v2 <= 0)
            sr_error_clear (&e);
          else
            {
              if (e.errnum == ENOENT)
                {
                  sr_error_clear (&e);
                  return sr_error (err, 0, FIELD "memory.swap: swap accounting "
                                   "(memory.swap.max) is not available on this host");
                }
              *err = e;
              return sr_error_prefix (err, FIELD "memory.swap");
            }
        }
    }
  if (limit != 0 && wr (fd, "memory.max", sr_cg_fmt_limit (limit, buf, sizeof buf),
                        "memory.limit", err) < 0)
    return -1;
  if (m->reservation.set && m->reservation.v != 0
      && wr (fd, "memory.low", sr_cg_fmt_limit (m->reservation.v, buf, sizeof buf),
             "memory.reservation", err) < 0)
    return -1;
  return 0;
}

static int
apply_cpu (int fd, const sr_resources_t *r, sr_error_t *err)
{
  const __typeof__ (r->cpu) *c = &r->cpu;
  char buf[64];

  if (c->cpus && *c->cpus && wr (fd, "cpuset.cpus", c->cpus, "cpu.cpus", err) < 0)
    return -1;
  if (c->mems && *c->mems && wr (fd, "cpuset.mems", c->mems, "cpu.mems", err) < 0)
    return -1;
  if (c->shares.set && c->shares.v != 0)
    {
      snprintf (buf, sizeof buf, "%" PRIu64, sr_cg_shares_to_weight (c->shares.v));
      if (wr (fd, "cpu.weight", buf, "cpu.shares", err) < 0)
        return -1;
    }
  if (sr_cg_fmt_cpu_max (r, buf, sizeof buf))
    {
      /* A new period alone keeps the quota in force ("max P" would drop it). */
      if (!(c->quota.set && c->quota.v != 0))
        {
          _cleanup_free_ char *cur = NULL;
          if (sr_cg_read_at (fd, "cpu.max", &cur, err) < 0)
            return sr_error_prefix (err, FIELD "cpu.period");
          cur[strcspn (cur, " \n")] = '\0';
          snprintf (buf, sizeof buf, "%s %" PRIu64, cur, c->period.v);
        }
      if (wr (fd, "cpu.max", buf, c->quota.set && c->quota.v ? "cpu.quota" : "cpu.period",
              err) < 0)
        return -1;
    }
  if (c->burst.set)
    {
      snprintf (buf, sizeof buf, "%" PRIu64, c->burst.v);
      if (wr (fd, "cpu.max.burst", buf, "cpu.burst", err) < 0)
        return -1;
    }
  if (c->idle.set)
    {
      snprintf (buf, sizeof buf, "%" PRId64, c->idle.v);
      if (wr (fd, "cpu.idle", buf, "cpu.idle", err) < 0)
        return -1;
    }
  return 0;
}

static int
apply_throttle (int fd, const sr_throttle_device_t *t, size_t n, const char *key,
                const char *field, sr_error_t *err)
{
  for (size_t i = 0; i < n; i++)
    {
      char buf[96], f[80];
      /* v1 semantics: rate 0 removes the limit; io.max spells that "max". */
      if (t[i].rate)
        snprintf (buf, sizeof buf, "%" PRId64 ":%" PRId64 " %s=%" PRIu64, t[i].major,
                  t[i].minor, key, t[i].rate);
      else
        snprintf (buf, sizeof buf, "%" PRId64 ":%" PRId64 " %s=max", t[i].major,
                  t[i].minor, key);
      snprintf (f, sizeof f, "blockIO.%s[%zu]", field, i);
      if (wr (fd, "io.max", buf, f, err) < 0)
        return -1;
    }
  return 0;
}

static int
apply_io (int fd, const sr_resources_t *r, sr_error_t *err)
{
  const __typeof__ (r->block_io) *b = &r->block_io;
  bool bfq = sr_cg_file_exists_at (fd, "io.bfq.weight");
  char buf[96];

  /* runc fs2/io.go: BFQ takes the v1 weight (1-1000) as is; io.weight
   * (1-10000) gets the converted value. */
  if (b->weight.set && b->weight.v != 0)
    {
      if (bfq)
        snprintf (buf, sizeof buf, "%" PRIu64, b->weight.v);
      else
        snprintf (buf, sizeof buf, "default %" PRIu64,
                  sr_cg_blkio_to_io_weight (b->weight.v));
      if (wr (fd, bfq ? "io.bfq.weight" : "io.weight", buf, "blockIO.weight", err) < 0)
        return -1;
    }
  for (size_t i = 0; i < b->n_weight_device; i++)
    {
      const sr_weight_device_t *w = &b->weight_device[i];
      char f[64];
      if (!w->weight.set || w->weight.v == 0)
        continue;
      snprintf (buf, sizeof buf, "%" PRId64 ":%" PRId64 " %" PRIu64, w->major, w->minor,
                bfq ? w->weight.v : sr_cg_blkio_to_io_weight (w->weight.v));
      snprintf (f, sizeof f, "blockIO.weightDevice[%zu]", i);
      if (wr (fd, bfq ? "io.bfq.weight" : "io.weight", buf, f, err) < 0)
        return -1;
    }
  if (apply_throttle (fd, b->throttle_read_bps, b->n_throttle_read_bps, "rbps",
                      "throttleReadBpsDevice", err) < 0
      || apply_throttle (fd, b->throttle_write_bps, b->n_throttle_write_bps, "wbps",
                         "throttleWriteBpsDevice", err) < 0
      || apply_throttle (fd, b->throttle_read_iops, b->n_throttle_read_iops, "riops",
                         "throttleReadIOPSDevice", err) < 0
      || apply_throttle (fd, b->throttle_write_iops, b->n_throttle_write_iops, "wiops",
                         "throttleWriteIOPSDevice", err) < 0)
    return -1;
  return 0;
}

static int
apply_unified (int fd, const sr_resources_t *r, sr_error_t *err)
{
  for (size_t i = 0; i < r->n_unified; i++)
    {
      const char *k = r->unified[i].key;
      sr_error_t e = { 0 };

      if (sr_cg_unified_key_valid (k, NULL, err) < 0)
        return -1;
      if (sr_cg_write_at (fd, k, r->unified[i].value, &e) == 0)
        continue;
      if (e.errnum == ENOENT)
        {
          sr_error_clear (&e);
          return sr_error (err, 0, FIELD "unified.\"%s\": no such cgroup file on "
                           "this host", k);
        }
      *err = e;
      return sr_error_prefix (err, FIELD "unified.\"%s\"", k);
    }
  return 0;
}

static int
v2_apply (sr_cgroup_t *cg, const sr_resources_t *r, bool update, sr_error_t *err)
{
  int fd = leaf (cg, err);
  char buf[64];

  if (fd < 0)
    return -1;
  if (apply_cpu (fd, r, err) < 0 || apply_memory (fd, r, update, err) < 0)
    return -1;
  if (r->pids.limit.set && r->pids.limit.v != 0
      && wr (fd, "pids.max", sr_cg_fmt_limit (r->pids.limit.v, buf, sizeof buf),
             "pids.limit", err) < 0)
    return -1;
  if (apply_io (fd, r, err) < 0)
    return -1;
  for (size_t i = 0; i < r->n_hugepage_limits; i++)
    {
      const sr_hugepage_limit_t *h = &r->hugepage_limits[i];
      char file[64], f[48];
      snprintf (buf, sizeof buf, "%" PRIu64, h->limit);
      snprintf (f, sizeof f, "hugepageLimits[%zu]", i);
      snprintf (file, sizeof file, "hugetlb.%s.max", h->page_size);
      if (wr (fd, file, buf, f, err) < 0)
        return -1;
      /* Reservations too when the kernel has them (runc does the same),
       * or a mapping could reserve pages the limit never sees. */
      snprintf (file, sizeof file, "hugetlb.%s.rsvd.max", h->page_size);
      if (sr_cg_file_exists_at (fd, file) && wr (fd, file, buf, f, err) < 0)
        return -1;
    }
  return apply_unified (fd, r, err);
}

/* ---- devices: BPF_PROG_TYPE_CGROUP_DEVICE ---------------------------- */

#define INSN(c, d, s, o, i) \
  ((struct bpf_insn) { .code = (c), .dst_reg = (d), .src_reg = (s), .off = (o), .imm = (i) })
#define LDX_W(d, s, o) INSN (BPF_LDX | BPF_W | BPF_MEM, d, s, o, 0)
#define MOV_X(d, s) INSN (BPF_ALU64 | BPF_MOV | BPF_X, d, s, 0, 0)
#define MOV_K(d, i) INSN (BPF_ALU64 | BPF_MOV | BPF_K, d, 0, 0, i)
#define AND_K(d, i) INSN (BPF_ALU64 | BPF_AND | BPF_K, d, 0, 0, i)
#define RSH_K(d, i) INSN (BPF_ALU64 | BPF_RSH | BPF_K, d, 0, 0, i)
#define JNE_K(d, i, o) INSN (BPF_JMP | BPF_JNE | BPF_K, d, 0, o, i)
#define JEQ_K(d, i, o) INSN (BPF_JMP | BPF_JEQ | BPF_K, d, 0, o, i)
#define JA(o) INSN (BPF_JMP | BPF_JA, 0, 0, o, 0)
#define EXIT_INSN INSN (BPF_JMP | BPF_EXIT, 0, 0, 0, 0)

enum { L_NEXT0, L_NEXT1, L_NEXT2, L_DENY, L_COUNT };

typedef struct {
  struct bpf_insn *v;
  size_t n, cap;
  struct { size_t at; int label; } *fix;
  size_t n_fix, cap_fix;
  long label[L_COUNT];
  bool oom;
} prog_t;

static void
emit (prog_t *p, struct bpf_insn i)
{
  if (p->n == p->cap)
    {
      size_t nc = p->cap ? p->cap * 2 : 64;
      struct bpf_insn *t = realloc (p->v, nc * sizeof *t);
      if (t == NULL)
        {
          p->oom = true;
          return;
        }
      p->v = t;
      p->cap = nc;
    }
  p->v[p->n++] = i;
}

static void
emit_jump (prog_t *p, struct bpf_insn i, int label)
{
  if (p->n_fix == p->cap_fix)
    {
      size_t nc = p->cap_fix ? p->cap_fix * 2 : 32;
      void *t = realloc (p->fix, nc * sizeof *p->fix);
      if (t == NULL)
        {
          p->oom = true;
          return;
        }
      p->fix = t;
      p->cap_fix = nc;
    }
  p->fix[p->n_fix].at = p->n;
  p->fix[p->n_fix++].label = label;
  emit (p, i);
}

static unsigned
access_bits (const char *a)
{
  unsigned b = 0;
  if (a == NULL || *a == '\0')
    return BPF_DEVCG_ACC_MKNOD | BPF_DEVCG_ACC_READ | BPF_DEVCG_ACC_WRITE;
  for (; *a; a++)
    b |= *a == 'm' ? BPF_DEVCG_ACC_MKNOD : *a == 'r' ? BPF_DEVCG_ACC_READ
         : *a == 'w' ? BPF_DEVCG_ACC_WRITE : 0;
  return b;
}

int
sr_cg_devices_bpf (const sr_device_rule_t *rules, size_t n,
                   struct bpf_insn **insns, size_t *count, sr_error_t *err)
{
  /* ctx is struct bpf_cgroup_dev_ctx: access_type = (access << 16) | type,
   * major, minor. r2 = type, r3 = access, r4 = major, r5 = minor. Then, for
   * each access bit asked for, the rules from last to first: the first
   * match decides that bit (so the last matching rule wins, as with the
   * sequence of writes to v1 devices.allow/deny); no match denies. */
  prog_t p = { 0 };
  bool deny_used = false;

  if (n > 4096)
    return sr_error (err, 0, FIELD "devices: too many rules (%zu)", n);
  for (int i = 0; i < L_COUNT; i++)
    p.label[i] = -1;
  emit (&p, LDX_W (2, 1, 0));
  emit (&p, MOV_X (3, 2));
  emit (&p, RSH_K (3, 16));
  emit (&p, AND_K (2, 0xffff));
  emit (&p, LDX_W (4, 1, 4));
  emit (&p, LDX_W (5, 1, 8));
  for (int b = 0; b < 3; b++)
    {
      unsigned bit = 1u << b;
      bool decided = false;

      emit (&p, MOV_X (0, 3));
      emit (&p, AND_K (0, (int32_t) bit));
      emit_jump (&p, JEQ_K (0, 0, 0), L_NEXT0 + b);
      for (size_t i = n; i-- > 0;)
        {
          const sr_device_rule_t *r = &rules[i];
          int conds, k;

          if (!(access_bits (r->access) & bit))
            continue;
          /* Device numbers are 12-bit major, 20-bit minor: a rule beyond
           * them matches nothing. */
          if (r->major > 0xfff || r->minor > 0xfffff)
            continue;
          conds = (r->type != 'a') + (r->major >= 0) + (r->minor >= 0);
          k = conds;
          if (r->type != 'a')
            emit (&p, JNE_K (2, r->type == 'b' ? BPF_DEVCG_DEV_BLOCK : BPF_DEVCG_DEV_CHAR,
                             k--));
          if (r->major >= 0)
            emit (&p, JNE_K (4, (int32_t) r->major, k--));
          if (r->minor >= 0)
            emit (&p, JNE_K (5, (int32_t) r->minor, k--));
          emit_jump (&p, JA (0), r->allow ? L_NEXT0 + b : L_DENY);
          deny_used = deny_used || !r->allow;
          if (conds == 0)
            {
              /* Matches everything: whatever follows is unreachable, and
               * the verifier refuses unreachable code. */
              decided = true;
              break;
            }
        }
      if (!decided)
        {
          emit_jump (&p, JA (0), L_DENY);
          deny_used = true;
        }
      p.label[L_NEXT0 + b] = (long) p.n;
    }
  emit (&p, MOV_K (0, 1));
  emit (&p, EXIT_INSN);
  if (deny_used)
    {
      p.label[L_DENY] = (long) p.n;
      emit (&p, MOV_K (0, 0));
      emit (&p, EXIT_INSN);
    }
  if (p.oom)
    {
      free (p.v);
      free (p.fix);
      return sr_error (err, ENOMEM, "building the device program");
    }
  for (size_t i = 0; i < p.n_fix; i++)
    {
      long off = p.label[p.fix[i].label] - (long) p.fix[i].at - 1;
      if (off > INT16_MAX)
        {
          free (p.v);
          free (p.fix);
          return sr_error (err, 0, FIELD "devices: too many rules");
        }
      p.v[p.fix[i].at].off = (int16_t) off;
    }
  free (p.fix);
  *insns = p.v;
  *count = p.n;
  return 0;
}

static int
bpf_sys (int cmd, union bpf_attr *attr)
{
  return (int) syscall (SYS_bpf, cmd, attr, sizeof *attr);
}

static int
v2_devices (sr_cgroup_t *cg, const sr_device_rule_t *rules, size_t n,
            sr_error_t *err)
{
  _cleanup_free_ struct bpf_insn *insns = NULL;
  _cleanup_close_ int prog = -1;
  size_t count = 0;
  union bpf_attr attr;
  int fd = leaf (cg, err);

  if (fd < 0 || sr_cg_devices_bpf (rules, n, &insns, &count, err) < 0)
    return -1;
  memset (&attr, 0, sizeof attr);
  attr.prog_type = BPF_PROG_TYPE_CGROUP_DEVICE;
  attr.insns = (uint64_t) (uintptr_t) insns;
  attr.insn_cnt = (uint32_t) count;
  attr.license = (uint64_t) (uintptr_t) "GPL";
  prog = bpf_sys (BPF_PROG_LOAD, &attr);
  if (prog < 0)
    {
      int saved = errno;
      /* Again with the verifier log, for the error message. (On the heap:
       * 16 KiB in .bss put four pages between our hot globals.) */
      enum { LOG_SIZE = 16384 };
      _cleanup_free_ char *log = calloc (1, LOG_SIZE);
      if (log == NULL)
        return sr_error (err, saved, FIELD "devices: loading the device program");
      attr.log_buf = (uint64_t) (uintptr_t) log;
      attr.log_size = LOG_SIZE;
      attr.log_level = 1;
      if (bpf_sys (BPF_PROG_LOAD, &attr) >= 0)
        return sr_error (err, saved, FIELD "devices: loading the device program");
      sr_log_debug ("BPF verifier: %s", log);
      return sr_error (err, saved, FIELD "devices: loading the device program "
                       "(%zu instructions)", count);
    }
  memset (&attr, 0, sizeof attr);
  attr.target_fd = (uint32_t) fd;
  attr.attach_bpf_fd = (uint32_t) prog;
  attr.attach_type = BPF_CGROUP_DEVICE;
  /* ALLOW_MULTI: works under an ancestor that has its own program (every
   * program up the tree must then allow an access). */
  attr.attach_flags = BPF_F_ALLOW_MULTI;
  if (bpf_sys (BPF_PROG_ATTACH, &attr) < 0)
    return sr_error_errno (err, FIELD "devices: attaching the device program to %s",
                           cg->path);
  /* The attachment holds the program for the cgroup's lifetime. */
  return 0;
}

/* ---- lifecycle -------------------------------------------------------- */

static int
v2_enter (sr_cgroup_t *cg, pid_t pid, sr_error_t *err)
{
  char buf[24];
  int fd = leaf (cg, err);

  if (fd < 0)
    return -1;
  snprintf (buf, sizeof buf, "%d", (int) pid);
  if (sr_cg_write_at (fd, "cgroup.procs", buf, err) < 0)
    return sr_error_prefix (err, "joining cgroup %s", cg->path);
  return 0;
}

static int
events_key (int fd, const char *key, uint64_t *v)
{
  sr_error_t e = { 0 };
  int r = sr_cg_read_key_at (fd, "cgroup.events", key, v, &e);
  sr_error_clear (&e);
  return r;
}

static int
v2_freeze (sr_cgroup_t *cg, bool frozen, sr_error_t *err)
{
  int fd = leaf (cg, err);

  if (fd < 0)
    return -1;
  if (sr_cg_write_at (fd, "cgroup.freeze", frozen ? "1" : "0", err) < 0)
    return -1;
  /* Freezing completes asynchronously; "frozen" in cgroup.events says when
   * every task has stopped. */
  for (int waited = 0; waited < 5000; waited += 10)
    {
      uint64_t v;
      if (events_key (fd, "frozen", &v) < 0)
        return sr_error (err, 0, "cgroup %s: no frozen state in cgroup.events", cg->path);
      if ((v != 0) == frozen)
        return 0;
      sr_cg_sleep_ms (10);
    }
  if (frozen)
    {
      sr_error_t e = { 0 };
      sr_cg_write_at (fd, "cgroup.freeze", "0", &e);
      sr_error_clear (&e);
    }
  return sr_error (err, ETIMEDOUT, "cgroup %s: %s", cg->path,
                   frozen ? "freezing" : "thawing");
}

static int
v2_is_frozen (sr_cgroup_t *cg)
{
  sr_error_t e = { 0 };
  _cleanup_free_ char *s = NULL;
  int fd = leaf (cg, &e), r = -1;

  if (fd >= 0 && sr_cg_read_at (fd, "cgroup.freeze", &s, &e) == 0)
    r = s[0] == '1';
  sr_error_clear (&e);
  return r;
}

static int
v2_kill (sr_cgroup_t *cg, int sig, sr_error_t *err)
{
  int fd = leaf (cg, err);

  if (fd < 0)
    return -1;
  /* cgroup.kill (5.14+) kills the whole subtree atomically: no fork race. */
  if (sig == SIGKILL && sr_cg_file_exists_at (fd, "cgroup.kill"))
    return sr_cg_write_at (fd, "cgroup.kill", "1", err);
  return sr_cg_signal_tree (fd, sig, err);
}

static int
v2_procs_dirfd (sr_cgroup_t *cg, sr_error_t *err)
{
  return leaf (cg, err);
}

static int
v2_oom_count (sr_cgroup_t *cg, unsigned long long *n, sr_error_t *err)
{
  uint64_t v = 0;
  int fd = leaf (cg, err);

  if (fd < 0)
    return -1;
  if (!sr_cg_file_exists_at (fd, "memory.events"))
    {
      *n = 0; /* no memory controller here: nothing is OOM-killed by it */
      return 0;
    }
  if (sr_cg_read_key_at (fd, "memory.events", "oom_kill", &v, err) < 0)
    return -1;
  *n = v;
  return 0;
}

static int
v2_destroy (sr_cgroup_t *cg, sr_error_t *err)
{
  sr_error_t e = { 0 };
  int fd, r;

  /* Usually every task is gone: one rmdir per level. */
  if (cg->dirfd >= 0)
    {
      close (cg->dirfd);
      cg->dirfd = -1;
    }
  r = sr_cg_rmdir_fast (cg->root, cg->path, cg->created, &e);
  sr_error_clear (&e);
  if (r == 1)
    {
      cg->created = 0;
      return 0;
    }
  fd = leaf (cg, &e);
  sr_error_clear (&e);
  if (fd >= 0)
    {
      for (int round = 0; round < 3; round++)
        {
          if (v2_kill (cg, SIGKILL, &e) < 0)
            sr_log_debug ("killing cgroup %s: %s", cg->path, e.msg);
          sr_error_clear (&e);
          /* Killed tasks leave a frozen cgroup too, but thaw anyway so that
           * nothing stays stopped if a kill raced with a fork. */
          if (sr_cg_file_exists_at (fd, "cgroup.freeze"))
            sr_cg_write_at (fd, "cgroup.freeze", "0", &e);
          sr_error_clear (&e);
          if (sr_cg_wait_empty (fd, SR_CG_DRAIN_MS / 2))
            break;
        }
      close (cg->dirfd);
      cg->dirfd = -1;
    }
  if (sr_cg_rmdir_path (cg->root, cg->path, cg->created, err) < 0)
    return -1;
  cg->created = 0;
  return 0;
}

/* ---- stats (runc's types/events.go shape) --------------------------- */


static json_t *
mem_entry (uint64_t limit, uint64_t usage, uint64_t max, uint64_t failcnt)
{
  json_t *o = json_object ();
  json_object_set_new (o, "limit", sr_cg_ju64 (limit));
  sr_cg_set_nz (o, "usage", usage);
  sr_cg_set_nz (o, "max", max);
  json_object_set_new (o, "failcnt", sr_cg_ju64 (failcnt));
  return o;
}

static json_t *
stats_cpu (int fd)
{
  json_t *cpu = json_object (), *usage = json_object (), *thr = json_object ();
  sr_cg_set_nz (usage, "total", sr_cg_rdkey (fd, "cpu.stat", "usage_usec") * 1000);
  json_object_set_new (usage, "kernel", sr_cg_ju64 (sr_cg_rdkey (fd, "cpu.stat", "system_usec") * 1000));
  json_object_set_new (usage, "user", sr_cg_ju64 (sr_cg_rdkey (fd, "cpu.stat", "user_usec") * 1000));
  sr_cg_set_nz (thr, "periods", sr_cg_rdkey (fd, "cpu.stat", "nr_periods"));
  sr_cg_set_nz (thr, "throttledPeriods", sr_cg_rdkey (fd, "cpu.stat", "nr_throttled"));
  sr_cg_set_nz (thr, "throttledTime", sr_cg_rdkey (fd, "cpu.stat", "throttled_usec") * 1000);
  json_object_set_new (cpu, "usage", usage);
  json_object_set_new (cpu, "throttling", thr);
  return cpu;
}

static json_t *
stats_memory (int fd)
{
  json_t *m = json_object (), *raw;
  _cleanup_free_ char *stat = NULL;
  sr_error_t e = { 0 };
  uint64_t usage = sr_cg_rd (fd, "memory.current"), limit = sr_cg_rd (fd, "memory.max");
  uint64_t su = sr_cg_rd (fd, "memory.swap.current"), sl = sr_cg_rd (fd, "memory.swap.max");

  if (sr_cg_read_at (fd, "memory.stat", &stat, &e) == 0)
    {
      raw = sr_cg_flat_keyed_json (stat);
      sr_cg_set_nz (m, "cache", (uint64_t) json_integer_value (json_object_get (raw, "file")));
    }
  else
    raw = json_object ();
  sr_error_clear (&e);
  json_object_set_new (m, "usage", mem_entry (limit, usage, sr_cg_rd (fd, "memory.peak"),
                                              sr_cg_rdkey (fd, "memory.events", "max")));
  /* runc reports v2 swap as memory+swap, the v1 meaning of the field. */
  json_object_set_new (m, "swap", mem_entry (sl == UINT64_MAX || limit == UINT64_MAX
                                             ? UINT64_MAX : sl + limit,
                                             su + usage, 0, 0));
  json_object_set_new (m, "kernel", mem_entry (0, 0, 0, 0));
  json_object_set_new (m, "kernelTCP", mem_entry (0, 0, 0, 0));
  json_object_set_new (m, "raw", raw);
  return m;
}

static void
blkio_add (json_t *arr, unsigned maj, unsigned min, const char *op, uint64_t v)
{
  json_t *e = json_object ();
  sr_cg_set_nz (e, "major", maj);
  sr_cg_set_nz (e, "minor", min);
  json_object_set_new (e, "op", json_string (op));
  sr_cg_set_nz (e, "value", v);
  json_array_append_new (arr, e);
}

static json_t *
stats_io (int fd)
{
  json_t *b = json_object (), *bytes = json_array (), *ios = json_array ();
  _cleanup_free_ char *s = NULL;
  sr_error_t e = { 0 };

  if (sr_cg_read_at (fd, "io.stat", &s, &e) == 0)
    for (char *line = s; line && *line;)
      {
        char *nl = strchr (line, '\n');
        unsigned maj, min;
        if (nl)
          *nl = '\0';
        if (sscanf (line, "%u:%u", &maj, &min) == 2)
          {
            static const struct { const char *k; int bytes; const char *op; } m[] = {
              { "rbytes=", 1, "Read" }, { "wbytes=", 1, "Write" }, { "dbytes=", 1, "Discard" },
              { "rios=", 0, "Read" },   { "wios=", 0, "Write" },   { "dios=", 0, "Discard" },
            };
            for (size_t i = 0; i < sizeof m / sizeof m[0]; i++)
              {
                char *p = strstr (line, m[i].k);
                if (p)
                  blkio_add (m[i].bytes ? bytes : ios, maj, min, m[i].op,
                             strtoull (p + strlen (m[i].k), NULL, 10));
              }
          }
        line = nl ? nl + 1 : NULL;
      }
  sr_error_clear (&e);
  if (json_array_size (bytes))
    json_object_set (b, "ioServiceBytesRecursive", bytes);
  if (json_array_size (ios))
    json_object_set (b, "ioServicedRecursive", ios);
  json_decref (bytes);
  json_decref (ios);
  return b;
}

static json_t *
stats_hugetlb (int fd)
{
  json_t *h = json_object ();
  _cleanup_strv_ char **sizes = NULL;
  sr_error_t e = { 0 };

  if (sr_cg_hugepage_sizes (&sizes, &e) == 0)
    for (char **s = sizes; *s; s++)
      {
        char f[64];
        json_t *o;
        snprintf (f, sizeof f, "hugetlb.%s.current", *s);
        if (!sr_cg_file_exists_at (fd, f))
          continue;
        o = json_object ();
        sr_cg_set_nz (o, "usage", sr_cg_rd (fd, f));
        snprintf (f, sizeof f, "hugetlb.%s.events", *s);
        json_object_set_new (o, "failcnt", sr_cg_ju64 (sr_cg_rdkey (fd, f, "max")));
        json_object_set_new (h, *s, o);
      }
  sr_error_clear (&e);
  return h;
}

static json_t *
v2_stats (sr_cgroup_t *cg, sr_error_t *err)
{
  int fd = leaf (cg, err);
  json_t *d, *pids;
  _cleanup_free_ char *cpus = NULL, *mems = NULL;
  sr_error_t e = { 0 };
  uint64_t plim;

  if (fd < 0)
    return NULL;
  d = json_object ();
  json_object_set_new (d, "cpu", stats_cpu (fd));
  sr_cg_read_at (fd, "cpuset.cpus.effective", &cpus, &e);
  sr_error_clear (&e);
  sr_cg_read_at (fd, "cpuset.mems.effective", &mems, &e);
  sr_error_clear (&e);
  json_object_set_new (d, "cpuset", sr_cg_cpuset_json (cpus, mems));
  json_object_set_new (d, "memory", stats_memory (fd));
  pids = json_object ();
  sr_cg_set_nz (pids, "current", sr_cg_rd (fd, "pids.current"));
  plim = sr_cg_rd (fd, "pids.max");
  sr_cg_set_nz (pids, "limit", plim == UINT64_MAX ? 0 : plim);
  json_object_set_new (d, "pids", pids);
  json_object_set_new (d, "blkio", stats_io (fd));
  json_object_set_new (d, "hugetlb", stats_hugetlb (fd));
  json_object_set_new (d, "intel_rdt", json_object ());
  json_object_set_new (d, "network_interfaces", json_null ());
  return d;
}

/* ---- persistence ------------------------------------------------------ */

static json_t *
v2_to_json (const sr_cgroup_t *cg, json_t *o)
{
  json_object_set_new (o, "created", json_integer (cg->created));
  return o;
}

static int
v2_from_json (sr_cgroup_t *cg, json_t *o, sr_error_t *err)
{
  json_t *c = json_object_get (o, "created");

  if (!json_is_integer (c) || json_integer_value (c) < 0
      || json_integer_value (c) > depth_of (cg->path))
    return sr_error (err, 0, "cgroup state: bad \"created\"");
  cg->created = (int) json_integer_value (c);
  return 0;
}

const sr_cg_ops_t sr_cg_v2_ops = {
  .check = v2_check,
  .create = v2_create,
  .apply = v2_apply,
  .devices = v2_devices,
  .enter = v2_enter,
  .freeze = v2_freeze,
  .is_frozen = v2_is_frozen,
  .kill = v2_kill,
  .procs_dirfd = v2_procs_dirfd,
  .stats = v2_stats,
  .oom_count = v2_oom_count,
  .destroy = v2_destroy,
  .to_json = v2_to_json,
  .from_json = v2_from_json,
};
