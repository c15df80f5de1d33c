/* Unit tests for the pure parts of the cgroup manager: path resolution,
 * value conversion and formatting, resource validation, unified keys, the
 * device program (run through a small BPF interpreter), update flags, and
 * the directory bookkeeping on a scratch tree. Nothing here touches
 * /sys/fs/cgroup. */
#ifndef _GNU_SOURCE
# define _GNU_SOURCE
#endif
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cgroup_internal.h"

#define ERR_HAS(e, s) \
  ck_assert_msg ((e).msg && strstr ((e).msg, (s)), "error \"%s\" lacks \"%s\"", \
                 (e).msg ? (e).msg : "(none)", (s))

static char *
resolve (const char *id, const char *cp)
{
  char *out = NULL;
  sr_error_t e = { 0 };
  if (sr_cg_resolve_path (id, cp, &out, &e) < 0)
    {
      sr_error_clear (&e);
      return NULL;
    }
  return out;
}

static void
resolve_fails (const char *cp, const char *msg)
{
  char *out = NULL;
  sr_error_t e = { 0 };
  ck_assert_int_eq (sr_cg_resolve_path ("id", cp, &out, &e), -1);
  ck_assert_ptr_null (out);
  ERR_HAS (e, "linux.cgroupsPath");
  ERR_HAS (e, msg);
  sr_error_clear (&e);
}

#define ck_resolve(id, cp, want) \
  do { \
    char *_s = resolve ((id), (cp)); \
    ck_assert_msg (_s && strcmp (_s, (want)) == 0, "resolve(%s) = %s, want %s", \
                   (cp) ? (cp) : "NULL", _s ? _s : "NULL", (want)); \
    free (_s); \
  } while (0)

START_TEST (test_path_default_and_plain)
{
  ck_resolve ("abc", NULL, "/secrun/abc");
  ck_resolve ("abc", "", "/secrun/abc");
  ck_resolve ("abc", "/default/abc", "/default/abc");
  ck_resolve ("abc", "rel/x", "/secrun/rel/x");
  ck_resolve ("abc", "//a///b/./c/", "/a/b/c");
  ck_resolve ("abc", "/a/b..c/...", "/a/b..c/...");
}
END_TEST

START_TEST (test_path_refused)
{
  resolve_fails ("/a/../b", "\"..\" is not allowed");
  resolve_fails ("../escape", "\"..\" is not allowed");
  resolve_fails ("/..", "\"..\" is not allowed");
  resolve_fails ("x/../../y", "\"..\" is not allowed");
  resolve_fails ("/", "root cgroup");
  resolve_fails ("/./", "root cgroup");
  resolve_fails ("/a\nb", "control characters");
  resolve_fails ("a:b", "slice:prefix:name");
  resolve_fails ("a:b:c:d", "slice:prefix:name");
  resolve_fails ("x.slice:p:", "slice:prefix:name");
  ck_assert_ptr_null (resolve ("..", NULL));
  ck_assert_ptr_null (resolve ("a/b", NULL));
}
END_TEST

START_TEST (test_path_systemd)
{
  ck_resolve ("id", "system.slice:docker:abc", "/system.slice/docker-abc.scope");
  ck_resolve ("id", ":crio:abc", "/system.slice/crio-abc.scope");
  ck_resolve ("id", "kubepods-besteffort.slice:cri-containerd:x",
              "/kubepods.slice/kubepods-besteffort.slice/cri-containerd-x.scope");
  ck_resolve ("id", "-.slice:p:n", "/p-n.scope");
  ck_resolve ("id", "user.slice::n.slice", "/user.slice/n.slice");
  ck_assert_ptr_null (resolve ("id", "a--b.slice:p:n"));
  ck_assert_ptr_null (resolve ("id", "nota-slice:p:n"));
}
END_TEST

START_TEST (test_expand_slice)
{
  char *s = NULL;
  sr_error_t e = { 0 };
  ck_assert_int_eq (sr_cg_expand_slice ("a-b-c.slice", &s, &e), 0);
  ck_assert_str_eq (s, "/a.slice/a-b.slice/a-b-c.slice");
  free (s);
  ck_assert_int_eq (sr_cg_expand_slice ("-.slice", &s, &e), 0);
  ck_assert_str_eq (s, "");
  free (s);
  ck_assert_int_eq (sr_cg_expand_slice ("-a.slice", &s, &e), -1);
  sr_error_clear (&e);
  ck_assert_int_eq (sr_cg_expand_slice (".slice", &s, &e), -1);
  sr_error_clear (&e);
}
END_TEST

START_TEST (test_shares_to_weight)
{
  /* runc: 1 + ((shares - 2) * 9999) / 262142 */
  ck_assert_uint_eq (sr_cg_shares_to_weight (0), 0);
  ck_assert_uint_eq (sr_cg_shares_to_weight (2), 1);
  ck_assert_uint_eq (sr_cg_shares_to_weight (1), 1);
  ck_assert_uint_eq (sr_cg_shares_to_weight (512), 20);
  ck_assert_uint_eq (sr_cg_shares_to_weight (1024), 39);
  ck_assert_uint_eq (sr_cg_shares_to_weight (262144), 10000);
  ck_assert_uint_eq (sr_cg_shares_to_weight (1000000), 10000);
  ck_assert_uint_eq (sr_cg_blkio_to_io_weight (10), 1);
  ck_assert_uint_eq (sr_cg_blkio_to_io_weight (500), 4950);
  ck_assert_uint_eq (sr_cg_blkio_to_io_weight (1000), 10000);
  ck_assert_uint_eq (sr_cg_blkio_to_io_weight (0), 0);
}
END_TEST

START_TEST (test_swap_v2)
{
  int64_t out = 99;
  sr_error_t e = { 0 };
  ck_assert_int_eq (sr_cg_swap_v2 (0, -1, &out, &e), 0);
  ck_assert_int_eq (out, -1);
  ck_assert_int_eq (sr_cg_swap_v2 (-1, 100, &out, &e), 0);
  ck_assert_int_eq (out, -1);
  ck_assert_int_eq (sr_cg_swap_v2 (0, 100, &out, &e), 0);
  ck_assert_int_eq (out, 0);
  ck_assert_int_eq (sr_cg_swap_v2 (300, 100, &out, &e), 0);
  ck_assert_int_eq (out, 200);
  ck_assert_int_eq (sr_cg_swap_v2 (100, 100, &out, &e), 0);
  ck_assert_int_eq (out, 0);
  ck_assert_int_eq (sr_cg_swap_v2 (50, 100, &out, &e), -1);
  ERR_HAS (e, "linux.resources.memory.swap");
  sr_error_clear (&e);
  ck_assert_int_eq (sr_cg_swap_v2 (100, 0, &out, &e), -1);
  ERR_HAS (e, "needs a memory limit");
  sr_error_clear (&e);
}
END_TEST

START_TEST (test_formatting)
{
  char buf[64];
  sr_resources_t r;

  ck_assert_str_eq (sr_cg_fmt_limit (-1, buf, sizeof buf), "max");
  ck_assert_str_eq (sr_cg_fmt_limit (67108864, buf, sizeof buf), "67108864");
  ck_assert_str_eq (sr_cg_fmt_limit (0, buf, sizeof buf), "0");

  memset (&r, 0, sizeof r);
  ck_assert_int_eq (sr_cg_fmt_cpu_max (&r, buf, sizeof buf), 0);
  r.cpu.quota = (sr_opt_i64) { true, 20000 };
  r.cpu.period = (sr_opt_u64) { true, 100000 };
  ck_assert_int_eq (sr_cg_fmt_cpu_max (&r, buf, sizeof buf), 1);
  ck_assert_str_eq (buf, "20000 100000");
  r.cpu.quota.v = -1;
  sr_cg_fmt_cpu_max (&r, buf, sizeof buf);
  ck_assert_str_eq (buf, "max 100000");
  r.cpu.quota.v = 50000;
  r.cpu.period.set = false;
  sr_cg_fmt_cpu_max (&r, buf, sizeof buf);
  ck_assert_str_eq (buf, "50000");
  r.cpu.quota.v = 0; /* 0 = unset */
  ck_assert_int_eq (sr_cg_fmt_cpu_max (&r, buf, sizeof buf), 0);
}
END_TEST

START_TEST (test_unified_keys)
{
  char *c = NULL;
  sr_error_t e = { 0 };
  static const char *const bad[] = {
    "memory", "/memory.high", "memory.high/x", "memory..high", "..", ".memory",
    "memory.", "a b.c", "", "memory.high\n", "cgroup.procs", "cgroup.kill",
    "cgroup.subtree_control", "cgroup.freeze",
  };

  ck_assert_int_eq (sr_cg_unified_key_valid ("memory.high", &c, &e), 0);
  ck_assert_str_eq (c, "memory");
  free (c);
  ck_assert_int_eq (sr_cg_unified_key_valid ("io.bfq.weight", &c, &e), 0);
  ck_assert_str_eq (c, "io");
  free (c);
  ck_assert_int_eq (sr_cg_unified_key_valid ("cgroup.max.depth", NULL, &e), 0);
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
    {
      ck_assert_msg (sr_cg_unified_key_valid (bad[i], NULL, &e) == -1, "accepted \"%s\"",
                     bad[i]);
      ERR_HAS (e, "linux.resources.unified");
      sr_error_clear (&e);
    }
}
END_TEST

START_TEST (test_lists_and_sizes)
{
  ck_assert (sr_cg_hugepage_size_valid ("2MB"));
  ck_assert (sr_cg_hugepage_size_valid ("1GB"));
  ck_assert (sr_cg_hugepage_size_valid ("64KB"));
  ck_assert (!sr_cg_hugepage_size_valid ("2mb"));
  ck_assert (!sr_cg_hugepage_size_valid ("0MB"));
  ck_assert (!sr_cg_hugepage_size_valid ("MB"));
  ck_assert (!sr_cg_hugepage_size_valid ("2M"));
  ck_assert (!sr_cg_hugepage_size_valid ("2MB/../x"));
  ck_assert (sr_cg_cpuset_list_valid ("0"));
  ck_assert (sr_cg_cpuset_list_valid ("0-3,5,7-8"));
  ck_assert (!sr_cg_cpuset_list_valid (""));
  ck_assert (!sr_cg_cpuset_list_valid ("0-"));
  ck_assert (!sr_cg_cpuset_list_valid ("0,"));
  ck_assert (!sr_cg_cpuset_list_valid ("0\n1"));
  ck_assert (!sr_cg_cpuset_list_valid ("a"));
}
END_TEST

/* ---- resource validation ---------------------------------------------- */

static void
check_fails (const sr_resources_t *r, sr_cg_mode_t mode, const char *field)
{
  sr_cg_needs_t n;
  sr_error_t e = { 0 };
  ck_assert_int_eq (sr_cg_check_resources (r, mode, &n, &e), -1);
  ERR_HAS (e, field);
  sr_error_clear (&e);
}

START_TEST (test_check_ranges)
{
  sr_resources_t r;

#define FRESH() memset (&r, 0, sizeof r)
  FRESH (); r.memory.limit = (sr_opt_i64) { true, -2 };
  check_fails (&r, SR_CG_V2, "linux.resources.memory.limit: -2 is negative");
  FRESH (); r.memory.swap = (sr_opt_i64) { true, INT64_MIN };
  check_fails (&r, SR_CG_V1, "linux.resources.memory.swap");
  FRESH (); r.memory.limit = (sr_opt_i64) { true, 200 }; r.memory.swap = (sr_opt_i64) { true, 100 };
  check_fails (&r, SR_CG_V1, "linux.resources.memory.swap: 100 is below");
  FRESH (); r.memory.swappiness = (sr_opt_u64) { true, 101 };
  check_fails (&r, SR_CG_V1, "linux.resources.memory.swappiness");
  FRESH (); r.cpu.shares = (sr_opt_u64) { true, 262145 };
  check_fails (&r, SR_CG_V2, "linux.resources.cpu.shares");
  FRESH (); r.cpu.quota = (sr_opt_i64) { true, -5 };
  check_fails (&r, SR_CG_V2, "linux.resources.cpu.quota");
  FRESH (); r.cpu.quota = (sr_opt_i64) { true, 999 };
  check_fails (&r, SR_CG_V2, "linux.resources.cpu.quota");
  FRESH (); r.cpu.period = (sr_opt_u64) { true, 999 };
  check_fails (&r, SR_CG_V1, "linux.resources.cpu.period");
  FRESH (); r.cpu.period = (sr_opt_u64) { true, UINT64_MAX };
  check_fails (&r, SR_CG_V1, "linux.resources.cpu.period");
  FRESH (); r.cpu.burst = (sr_opt_u64) { true, UINT64_MAX };
  check_fails (&r, SR_CG_V2, "linux.resources.cpu.burst");
  FRESH (); r.cpu.idle = (sr_opt_i64) { true, 2 };
  check_fails (&r, SR_CG_V2, "linux.resources.cpu.idle");
  FRESH (); r.cpu.cpus = "0-1\n2";
  check_fails (&r, SR_CG_V2, "linux.resources.cpu.cpus");
  FRESH (); r.pids.limit = (sr_opt_i64) { true, -7 };
  check_fails (&r, SR_CG_V2, "linux.resources.pids.limit");
  FRESH (); r.block_io.weight = (sr_opt_u64) { true, 5 };
  check_fails (&r, SR_CG_V2, "linux.resources.blockIO.weight");
  FRESH (); r.block_io.weight = (sr_opt_u64) { true, 1001 };
  check_fails (&r, SR_CG_V1, "linux.resources.blockIO.weight");
  {
    sr_hugepage_limit_t h = { "2MB/../../x", 1 };
    FRESH (); r.hugepage_limits = &h; r.n_hugepage_limits = 1;
    check_fails (&r, SR_CG_V2, "linux.resources.hugepageLimits[0].pageSize");
  }
  {
    sr_kv_t kv = { "../memory.max", "1" };
    FRESH (); r.unified = &kv; r.n_unified = 1;
    check_fails (&r, SR_CG_V2, "linux.resources.unified");
    kv.key = "memory.max";
    check_fails (&r, SR_CG_V1, "linux.resources.unified: needs a cgroup v2 host");
  }
#undef FRESH
}
END_TEST

START_TEST (test_check_v2_unsupported)
{
  sr_resources_t r;

  memset (&r, 0, sizeof r);
  r.memory.kernel = (sr_opt_i64) { true, 1 << 20 };
  check_fails (&r, SR_CG_V2, "linux.resources.memory.kernel");
  memset (&r, 0, sizeof r);
  r.memory.kernel = (sr_opt_i64) { true, 0 }; /* Docker's kernel:0 = unset */
  {
    sr_cg_needs_t n;
    sr_error_t e = { 0 };
    ck_assert_int_eq (sr_cg_check_resources (&r, SR_CG_V2, &n, &e), 0);
    ck_assert_uint_eq (n.mask, 0);
  }
  memset (&r, 0, sizeof r);
  r.cpu.realtime_runtime = (sr_opt_i64) { true, 1000 };
  check_fails (&r, SR_CG_V2, "linux.resources.cpu.realtimeRuntime");
  memset (&r, 0, sizeof r);
  r.network.set = true;
  r.network.class_id = (sr_opt_u64) { true, 7 };
  check_fails (&r, SR_CG_V2, "linux.resources.network.classID");
  memset (&r, 0, sizeof r);
  r.memory.disable_oom_killer = (sr_opt_bool) { true, true };
  check_fails (&r, SR_CG_V2, "linux.resources.memory.disableOOMKiller");
}
END_TEST

START_TEST (test_check_needs)
{
  sr_resources_t r;
  sr_cg_needs_t n;
  sr_error_t e = { 0 };
  sr_throttle_device_t t = { 8, 0, 1024 };

  memset (&r, 0, sizeof r);
  r.memory.limit = (sr_opt_i64) { true, 64 << 20 };
  r.memory.swap = (sr_opt_i64) { true, -1 };
  r.cpu.shares = (sr_opt_u64) { true, 1024 };
  r.cpu.cpus = "0";
  r.pids.limit = (sr_opt_i64) { true, -1 };
  r.block_io.throttle_read_bps = &t;
  r.block_io.n_throttle_read_bps = 1;
  ck_assert_int_eq (sr_cg_check_resources (&r, SR_CG_V2, &n, &e), 0);
  ck_assert_uint_eq (n.mask, SR_CGC_MEMORY | SR_CGC_CPU | SR_CGC_CPUSET | SR_CGC_PIDS
                              | SR_CGC_IO);
  ck_assert_str_eq (n.field[__builtin_ctz (SR_CGC_MEMORY)], "memory.limit");
  ck_assert_str_eq (n.field[__builtin_ctz (SR_CGC_IO)], "blockIO.throttleReadBpsDevice");
  /* zeros mean "unset" (what Docker's update sends) */
  memset (&r, 0, sizeof r);
  r.memory.limit = (sr_opt_i64) { true, 0 };
  r.cpu.shares = (sr_opt_u64) { true, 0 };
  r.block_io.weight = (sr_opt_u64) { true, 0 };
  r.pids.limit = (sr_opt_i64) { true, 0 };
  ck_assert_int_eq (sr_cg_check_resources (&r, SR_CG_V1, &n, &e), 0);
  ck_assert_uint_eq (n.mask, 0);
}
END_TEST

/* ---- devices ------------------------------------------------------------ */

START_TEST (test_device_rules_merge)
{
  sr_linux_t l;
  sr_device_rule_t cfg[] = { { false, 'a', -1, -1, "rwm" } };
  sr_device_t devs[3];
  sr_device_rule_t *v = NULL;
  size_t n = 0;
  sr_error_t e = { 0 };

  memset (devs, 0, sizeof devs);
  devs[0] = (sr_device_t) { .path = "/dev/fuse", .type = 'c', .major = 10, .minor = 229 };
  devs[1] = (sr_device_t) { .path = "/dev/fifo", .type = 'p' };
  devs[2] = (sr_device_t) { .path = "/dev/sda", .type = 'b', .major = 8 };
  memset (&l, 0, sizeof l);
  l.resources.devices = cfg;
  l.resources.n_devices = 1;
  l.devices = devs;
  l.n_devices = 3;
  ck_assert_int_eq (sr_cg_device_rules (&l, &v, &n, &e), 0);
  ck_assert_uint_eq (n, 1 + 2 + sr_n_default_device_rules);
  ck_assert (!v[0].allow);
  ck_assert (v[1].allow && v[1].type == 'c' && v[1].major == 10 && v[1].minor == 229);
  ck_assert (v[2].allow && v[2].type == 'b' && v[2].major == 8);
  ck_assert (v[n - 1].major == 136 && v[n - 1].minor == -1);
  free (v);
  ck_assert_int_eq (sr_cg_device_rules (NULL, &v, &n, &e), 0);
  ck_assert_uint_eq (n, sr_n_default_device_rules);
  free (v);
}
END_TEST

/* A BPF interpreter for the instructions the device program uses. */
static int
bpf_run (const struct bpf_insn *p, size_t n, unsigned type, unsigned access,
         unsigned major, unsigned minor)
{
  uint32_t ctx[3] = { (access << 16) | type, major, minor };
  uint64_t r[11] = { 0 };
  size_t pc = 0;

  for (int steps = 0; steps < 100000 && pc < n; steps++)
    {
      const struct bpf_insn *i = &p[pc++];
      uint64_t src = BPF_SRC (i->code) == BPF_X ? r[i->src_reg] : (uint64_t) (int64_t) i->imm;
      switch (BPF_CLASS (i->code))
        {
        case BPF_LDX:
          ck_assert_int_eq (i->src_reg, 1);
          ck_assert (i->off >= 0 && i->off <= 8 && i->off % 4 == 0);
          r[i->dst_reg] = ctx[i->off / 4];
          break;
        case BPF_ALU64:
          switch (BPF_OP (i->code))
            {
            case BPF_MOV: r[i->dst_reg] = src; break;
            case BPF_AND: r[i->dst_reg] &= src; break;
            case BPF_RSH: r[i->dst_reg] >>= src; break;
            default: ck_abort_msg ("alu op %x", BPF_OP (i->code));
            }
          break;
        case BPF_JMP:
          switch (BPF_OP (i->code))
            {
            case BPF_EXIT: return (int) r[0];
            case BPF_JA: pc += i->off; break;
            case BPF_JEQ: if (r[i->dst_reg] == src) pc += i->off; break;
            case BPF_JNE: if (r[i->dst_reg] != src) pc += i->off; break;
            default: ck_abort_msg ("jmp op %x", BPF_OP (i->code));
            }
          break;
        default:
          ck_abort_msg ("class %x", BPF_CLASS (i->code));
        }
      ck_assert (pc <= n);
    }
  ck_abort_msg ("program ran off its end");
  return -1;
}

enum { M = BPF_DEVCG_ACC_MKNOD, R = BPF_DEVCG_ACC_READ, W = BPF_DEVCG_ACC_WRITE };
enum { C = BPF_DEVCG_DEV_CHAR, B = BPF_DEVCG_DEV_BLOCK };

static int
allowed (const sr_device_rule_t *rules, size_t n, unsigned type, unsigned acc,
         unsigned maj, unsigned min)
{
  struct bpf_insn *p = NULL;
  size_t cnt = 0;
  sr_error_t e = { 0 };
  int r;

  ck_assert_int_eq (sr_cg_devices_bpf (rules, n, &p, &cnt, &e), 0);
  /* every instruction must be reachable (the verifier's rule): forward
   * jumps only, and the program ends in exit */
  ck_assert (cnt > 0 && p[cnt - 1].code == (BPF_JMP | BPF_EXIT));
  r = bpf_run (p, cnt, type, acc, maj, min);
  free (p);
  return r;
}

START_TEST (test_bpf_defaults)
{
  sr_device_rule_t rules[16];
  size_t n = 0;

  rules[n++] = (sr_device_rule_t) { false, 'a', -1, -1, "rwm" };
  for (size_t i = 0; i < sr_n_default_device_rules; i++)
    rules[n++] = sr_default_device_rules[i];
  ck_assert_int_eq (allowed (rules, n, C, R | W, 1, 3), 1);  /* null */
  ck_assert_int_eq (allowed (rules, n, C, R, 1, 9), 1);      /* urandom */
  ck_assert_int_eq (allowed (rules, n, C, R | W, 136, 7), 1); /* pts */
  ck_assert_int_eq (allowed (rules, n, C, M, 5, 2), 1);      /* ptmx mknod */
  ck_assert_int_eq (allowed (rules, n, C, R, 1, 4), 0);      /* not listed */
  ck_assert_int_eq (allowed (rules, n, B, R, 1, 3), 0);      /* block 1:3 */
  ck_assert_int_eq (allowed (rules, n, B, R | W, 8, 0), 0);  /* sda */
  ck_assert_int_eq (allowed (rules, n, C, R, 10, 200), 0);   /* tun */
  /* nothing at all: default deny */
  ck_assert_int_eq (allowed (NULL, 0, C, R, 1, 3), 0);
}
END_TEST

START_TEST (test_bpf_last_match_per_access)
{
  sr_device_rule_t a[] = {
    { true, 'a', -1, -1, "rwm" },
    { false, 'c', 1, 3, "w" },
  };
  sr_device_rule_t b[] = {
    { true, 'c', 10, 200, "r" },
    { true, 'c', 10, 200, "w" },
    { true, 'b', -1, -1, "m" },
  };
  sr_device_rule_t c[] = {
    { true, 'c', 4, -1, "rw" },
    { false, 'c', 4, 1, "rwm" },
    { true, 'c', 4, 1, "r" },
  };

  /* allow everything, then deny writes to 1:3 */
  ck_assert_int_eq (allowed (a, 2, C, R, 1, 3), 1);
  ck_assert_int_eq (allowed (a, 2, C, W, 1, 3), 0);
  ck_assert_int_eq (allowed (a, 2, C, R | W, 1, 3), 0);
  ck_assert_int_eq (allowed (a, 2, B, R | W | M, 8, 0), 1);
  /* separate r and w rules add up */
  ck_assert_int_eq (allowed (b, 3, C, R | W, 10, 200), 1);
  ck_assert_int_eq (allowed (b, 3, C, M, 10, 200), 0);
  ck_assert_int_eq (allowed (b, 3, B, M, 8, 1), 1);
  ck_assert_int_eq (allowed (b, 3, B, R, 8, 1), 0);
  /* later rules override earlier ones */
  ck_assert_int_eq (allowed (c, 3, C, R, 4, 1), 1);
  ck_assert_int_eq (allowed (c, 3, C, W, 4, 1), 0);
  ck_assert_int_eq (allowed (c, 3, C, W, 4, 2), 1);
  ck_assert_int_eq (allowed (c, 3, C, M, 4, 2), 0);
}
END_TEST

START_TEST (test_bpf_impossible_numbers)
{
  /* a rule for a device number the kernel cannot have matches nothing */
  sr_device_rule_t r[] = { { true, 'c', 1LL << 31, 0, "rwm" } };
  ck_assert_int_eq (allowed (r, 1, C, R, 0, 0), 0);
}
END_TEST

/* ---- CLI helpers ----------------------------------------------------------- */

START_TEST (test_parse_size)
{
  int64_t v;
  ck_assert_int_eq (sr_cgroup_parse_size ("1024", &v), 0);
  ck_assert_int_eq (v, 1024);
  ck_assert_int_eq (sr_cgroup_parse_size ("64m", &v), 0);
  ck_assert_int_eq (v, 64 << 20);
  ck_assert_int_eq (sr_cgroup_parse_size ("64M", &v), 0);
  ck_assert_int_eq (v, 64 << 20);
  ck_assert_int_eq (sr_cgroup_parse_size ("64mb", &v), 0);
  ck_assert_int_eq (v, 64 << 20);
  ck_assert_int_eq (sr_cgroup_parse_size ("64MiB", &v), 0);
  ck_assert_int_eq (v, 64 << 20);
  ck_assert_int_eq (sr_cgroup_parse_size ("1g", &v), 0);
  ck_assert_int_eq (v, 1LL << 30);
  ck_assert_int_eq (sr_cgroup_parse_size ("1.5k", &v), 0);
  ck_assert_int_eq (v, 1536);
  ck_assert_int_eq (sr_cgroup_parse_size ("100b", &v), 0);
  ck_assert_int_eq (v, 100);
  ck_assert_int_eq (sr_cgroup_parse_size ("-1", &v), 0);
  ck_assert_int_eq (v, -1);
  ck_assert_int_eq (sr_cgroup_parse_size ("-5", &v), -1);
  ck_assert_int_eq (sr_cgroup_parse_size ("abc", &v), -1);
  ck_assert_int_eq (sr_cgroup_parse_size ("64x", &v), -1);
  ck_assert_int_eq (sr_cgroup_parse_size ("64mm", &v), -1);
  ck_assert_int_eq (sr_cgroup_parse_size ("", &v), -1);
  ck_assert_int_eq (sr_cgroup_parse_size ("99999999999p", &v), -1);
}
END_TEST

START_TEST (test_update_flags)
{
  sr_resources_t r;
  sr_error_t e = { 0 };

  memset (&r, 0, sizeof r);
  ck_assert_int_eq (sr_cgroup_update_flag (&r, "memory", "64m", &e), 0);
  ck_assert (r.set && r.memory.set && r.memory.limit.set);
  ck_assert_int_eq (r.memory.limit.v, 64 << 20);
  ck_assert_int_eq (sr_cgroup_update_flag (&r, "memory-swap", "-1", &e), 0);
  ck_assert_int_eq (r.memory.swap.v, -1);
  ck_assert_int_eq (sr_cgroup_update_flag (&r, "memory-reservation", "32m", &e), 0);
  ck_assert_int_eq (r.memory.reservation.v, 32 << 20);
  ck_assert_int_eq (sr_cgroup_update_flag (&r, "cpu-quota", "-1", &e), 0);
  ck_assert_int_eq (r.cpu.quota.v, -1);
  ck_assert_int_eq (sr_cgroup_update_flag (&r, "cpu-period", "100000", &e), 0);
  ck_assert_uint_eq (r.cpu.period.v, 100000);
  ck_assert_int_eq (sr_cgroup_update_flag (&r, "cpu-shares", "512", &e), 0);
  ck_assert_uint_eq (r.cpu.shares.v, 512);
  ck_assert_int_eq (sr_cgroup_update_flag (&r, "cpu-share", "256", &e), 0); /* runc */
  ck_assert_uint_eq (r.cpu.shares.v, 256);
  ck_assert_int_eq (sr_cgroup_update_flag (&r, "cpuset-cpus", "0-1", &e), 0);
  ck_assert_str_eq (r.cpu.cpus, "0-1");
  ck_assert_int_eq (sr_cgroup_update_flag (&r, "cpuset-mems", "0", &e), 0);
  ck_assert_str_eq (r.cpu.mems, "0");
  ck_assert_int_eq (sr_cgroup_update_flag (&r, "pids-limit", "100", &e), 0);
  ck_assert (r.pids.set && r.pids.limit.v == 100);
  ck_assert_int_eq (sr_cgroup_update_flag (&r, "blkio-weight", "500", &e), 0);
  ck_assert (r.block_io.set && r.block_io.weight.v == 500);
  ck_assert_int_eq (sr_cgroup_update_flag (&r, "cpu-rt-runtime", "950000", &e), 0);
  ck_assert_int_eq (r.cpu.realtime_runtime.v, 950000);

  ck_assert_int_eq (sr_cgroup_update_flag (&r, "cpu-shares", "-1", &e), -1);
  ERR_HAS (e, "--cpu-shares");
  sr_error_clear (&e);
  ck_assert_int_eq (sr_cgroup_update_flag (&r, "memory", "lots", &e), -1);
  ERR_HAS (e, "--memory");
  sr_error_clear (&e);
  ck_assert_int_eq (sr_cgroup_update_flag (&r, "cpuset-cpus", "0;1", &e), -1);
  sr_error_clear (&e);
  ck_assert_int_eq (sr_cgroup_update_flag (&r, "no-such-flag", "1", &e), -1);
  ERR_HAS (e, "unknown flag --no-such-flag");
  sr_error_clear (&e);
  ck_assert_int_eq (sr_cgroup_update_flag (&r, "pids-limit", NULL, &e), -1);
  sr_error_clear (&e);
}
END_TEST

START_TEST (test_parse_duration)
{
  uint64_t ms;
  ck_assert_int_eq (sr_cgroup_parse_duration ("5s", &ms), 0);
  ck_assert_uint_eq (ms, 5000);
  ck_assert_int_eq (sr_cgroup_parse_duration ("100ms", &ms), 0);
  ck_assert_uint_eq (ms, 100);
  ck_assert_int_eq (sr_cgroup_parse_duration ("1m30s", &ms), 0);
  ck_assert_uint_eq (ms, 90000);
  ck_assert_int_eq (sr_cgroup_parse_duration ("1.5s", &ms), 0);
  ck_assert_uint_eq (ms, 1500);
  ck_assert_int_eq (sr_cgroup_parse_duration ("1h", &ms), 0);
  ck_assert_uint_eq (ms, 3600000);
  ck_assert_int_eq (sr_cgroup_parse_duration ("5", &ms), -1);
  ck_assert_int_eq (sr_cgroup_parse_duration ("0s", &ms), -1);
  ck_assert_int_eq (sr_cgroup_parse_duration ("", &ms), -1);
  ck_assert_int_eq (sr_cgroup_parse_duration ("-1s", &ms), -1);
  ck_assert_int_eq (sr_cgroup_parse_duration ("5x", &ms), -1);
}
END_TEST

START_TEST (test_json_dumps_u64)
{
  json_t *o = json_pack ("{s:I, s:I}", "limit", (json_int_t) SR_CG_U64_MAX_SENTINEL,
                         "usage", (json_int_t) 5);
  char *s = sr_cgroup_json_dumps (o);
  ck_assert_str_eq (s, "{\"limit\":18446744073709551615,\"usage\":5}");
  free (s);
  json_decref (o);
}
END_TEST

/* ---- files and directories ----------------------------------------------- */

static char tmpl[64];

static void
mk_tmp (void)
{
  snprintf (tmpl, sizeof tmpl, "/tmp/check_cgroup.XXXXXX");
  ck_assert_ptr_nonnull (mkdtemp (tmpl));
}

static bool
exists (const char *rel)
{
  char p[PATH_MAX];
  struct stat sb;
  snprintf (p, sizeof p, "%s%s", tmpl, rel);
  return stat (p, &sb) == 0;
}

START_TEST (test_mkdir_rmdir_only_created)
{
  sr_error_t e = { 0 };
  int created;
  char p[PATH_MAX];

  mk_tmp ();
  snprintf (p, sizeof p, "%s/pre", tmpl);
  ck_assert_int_eq (mkdir (p, 0755), 0);
  ck_assert_int_eq (sr_cg_mkdir_path (tmpl, "/pre/a/b", &created, &e), 0);
  ck_assert_int_eq (created, 2);
  ck_assert_int_eq (sr_cg_mkdir_path (tmpl, "/pre/a/c", &created, &e), 0);
  ck_assert_int_eq (created, 1);
  /* the leaf existing is refused: never adopt a cgroup */
  ck_assert_int_eq (sr_cg_mkdir_path (tmpl, "/pre/a/c", &created, &e), -1);
  ERR_HAS (e, "already exists");
  sr_error_clear (&e);
  /* a child the container made inside its leaf goes too */
  snprintf (p, sizeof p, "%s/pre/a/b/sub", tmpl);
  ck_assert_int_eq (mkdir (p, 0755), 0);
  /* b made a and b, but c lives in a: a stays */
  ck_assert_int_eq (sr_cg_rmdir_path (tmpl, "/pre/a/b", 2, &e), 0);
  ck_assert (!exists ("/pre/a/b"));
  ck_assert (exists ("/pre/a/c"));
  ck_assert_int_eq (sr_cg_rmdir_path (tmpl, "/pre/a/c", 1, &e), 0);
  ck_assert (!exists ("/pre/a/c"));
  ck_assert (exists ("/pre/a"));
  /* created 0: nothing touched */
  ck_assert_int_eq (sr_cg_rmdir_path (tmpl, "/pre/a", 0, &e), 0);
  ck_assert (exists ("/pre/a"));
  ck_assert_int_eq (sr_cg_rmdir_path (tmpl, "/pre/a", 1, &e), 0);
  ck_assert (!exists ("/pre/a") && exists ("/pre"));
  /* gone already: fine */
  ck_assert_int_eq (sr_cg_rmdir_path (tmpl, "/pre/a", 1, &e), 0);
  rmdir (p);
  snprintf (p, sizeof p, "%s/pre", tmpl);
  rmdir (p);
  rmdir (tmpl);
}
END_TEST

START_TEST (test_mkdir_failure_undoes)
{
  sr_error_t e = { 0 };
  int created = -1;
  char p[PATH_MAX];

  mk_tmp ();
  /* a file where the last level should go: mkdir fails after two levels */
  snprintf (p, sizeof p, "%s/x", tmpl);
  ck_assert_int_eq (mkdir (p, 0755), 0);
  ck_assert_int_eq (sr_cg_mkdir_path (tmpl, "/x/y/z", &created, &e), 0);
  ck_assert_int_eq (created, 2);
  ck_assert_int_eq (sr_cg_rmdir_path (tmpl, "/x/y/z", created, &e), 0);
  ck_assert (!exists ("/x/y") && exists ("/x"));
  /* mkdir fails on the third level (name too long): the two levels made
   * before it are removed again */
  {
    char longp[600];
    int k = snprintf (longp, sizeof longp, "/x/n/m/");
    memset (longp + k, 'a', 300);
    longp[k + 300] = '\0';
    ck_assert_int_eq (sr_cg_mkdir_path (tmpl, longp, &created, &e), -1);
    sr_error_clear (&e);
    ck_assert (!exists ("/x/n") && exists ("/x"));
  }
  snprintf (p, sizeof p, "%s/x", tmpl);
  rmdir (p);
  rmdir (tmpl);
}
END_TEST

START_TEST (test_read_helpers)
{
  sr_error_t e = { 0 };
  uint64_t v;
  int fd;
  char p[PATH_MAX];
  json_t *o;

  mk_tmp ();
  fd = open (tmpl, O_RDONLY | O_DIRECTORY);
  ck_assert_int_ge (fd, 0);
  snprintf (p, sizeof p, "%s/memory.events", tmpl);
  FILE *f = fopen (p, "w");
  fputs ("low 0\nhigh 0\nmax 12\noom 3\noom_kill 2\noom_group_kill 0\n", f);
  fclose (f);
  ck_assert_int_eq (sr_cg_read_key_at (fd, "memory.events", "oom_kill", &v, &e), 0);
  ck_assert_uint_eq (v, 2);
  ck_assert_int_eq (sr_cg_read_key_at (fd, "memory.events", "oom", &v, &e), 0);
  ck_assert_uint_eq (v, 3);
  ck_assert_int_eq (sr_cg_read_key_at (fd, "memory.events", "nope", &v, &e), -1);
  sr_error_clear (&e);
  ck_assert_int_eq (sr_cg_write_at (fd, "memory.max", "max\n", &e), -1); /* no O_CREAT */
  sr_error_clear (&e);
  snprintf (p, sizeof p, "%s/memory.max", tmpl);
  close (open (p, O_CREAT | O_WRONLY, 0644));
  ck_assert_int_eq (sr_cg_write_at (fd, "memory.max", "max\n", &e), 0);
  ck_assert_int_eq (sr_cg_read_u64_at (fd, "memory.max", &v, &e), 0);
  ck_assert_uint_eq (v, UINT64_MAX);
  o = sr_cg_flat_keyed_json ("anon 4096\nfile 8192\nbad\n");
  ck_assert_int_eq (json_integer_value (json_object_get (o, "file")), 8192);
  ck_assert_uint_eq (json_object_size (o), 2);
  json_decref (o);
  ck_assert (sr_cg_has_word ("cpuset cpu io memory\n", "cpu"));
  ck_assert (!sr_cg_has_word ("cpuset io memory\n", "cpu"));
  ck_assert (sr_cg_has_word ("cpu,cpuacct", "cpuacct"));
  o = sr_cg_cpuset_json ("0-2,5\n", "0\n");
  ck_assert_uint_eq (json_array_size (json_object_get (o, "cpus")), 4);
  json_decref (o);
  unlink (p);
  snprintf (p, sizeof p, "%s/memory.events", tmpl);
  unlink (p);
  close (fd);
  rmdir (tmpl);
}
END_TEST

START_TEST (test_state_json)
{
  sr_cgroup_t *cg = NULL;
  sr_error_t e = { 0 };
  json_t *j = json_pack ("{s:i, s:s, s:s, s:i}", "version", 2, "root", "/sys/fs/cgroup",
                         "path", "/secrun/x", "created", 2);
  json_t *back;

  ck_assert_int_eq (sr_cgroup_from_json (j, &cg, &e), 0);
  ck_assert_str_eq (sr_cgroup_path (cg), "/secrun/x");
  back = sr_cgroup_to_json (cg);
  ck_assert (json_equal (j, back));
  json_decref (back);
  sr_cgroup_free (cg);
  /* created beyond the path's depth */
  json_object_set_new (j, "created", json_integer (3));
  ck_assert_int_eq (sr_cgroup_from_json (j, &cg, &e), -1);
  sr_error_clear (&e);
  json_object_set_new (j, "created", json_integer (1));
  json_object_set_new (j, "path", json_string ("/secrun/../etc"));
  ck_assert_int_eq (sr_cgroup_from_json (j, &cg, &e), -1);
  sr_error_clear (&e);
  json_object_set_new (j, "path", json_string ("/"));
  ck_assert_int_eq (sr_cgroup_from_json (j, &cg, &e), -1);
  sr_error_clear (&e);
  json_decref (j);

  j = json_pack ("{s:i, s:s, s:s, s:[{s:s, s:s, s:i}]}", "version", 1, "root",
                 "/sys/fs/cgroup", "path", "/a/b", "hierarchies", "mount",
                 "/sys/fs/cgroup/memory", "controllers", "memory", "created", 1);
  ck_assert_int_eq (sr_cgroup_from_json (j, &cg, &e), 0);
  back = sr_cgroup_to_json (cg);
  ck_assert (json_equal (j, back));
  json_decref (back);
  sr_cgroup_free (cg);
  json_object_set_new (json_array_get (json_object_get (j, "hierarchies"), 0), "mount",
                       json_string ("/etc"));
  ck_assert_int_eq (sr_cgroup_from_json (j, &cg, &e), -1);
  sr_error_clear (&e);
  json_object_set_new (json_array_get (json_object_get (j, "hierarchies"), 0), "mount",
                       json_string ("/sys/fs/cgroup/../x"));
  ck_assert_int_eq (sr_cgroup_from_json (j, &cg, &e), -1);
  sr_error_clear (&e);
  json_decref (j);
}
END_TEST

static Suite *
suite (void)
{
  Suite *s = suite_create ("cgroup");
  TCase *t = tcase_create ("pure");

  tcase_add_test (t, test_path_default_and_plain);
  tcase_add_test (t, test_path_refused);
  tcase_add_test (t, test_path_systemd);
  tcase_add_test (t, test_expand_slice);
  tcase_add_test (t, test_shares_to_weight);
  tcase_add_test (t, test_swap_v2);
  tcase_add_test (t, test_formatting);
  tcase_add_test (t, test_unified_keys);
  tcase_add_test (t, test_lists_and_sizes);
  tcase_add_test (t, test_check_ranges);
  tcase_add_test (t, test_check_v2_unsupported);
  tcase_add_test (t, test_check_needs);
  tcase_add_test (t, test_device_rules_merge);
  tcase_add_test (t, test_bpf_defaults);
  tcase_add_test (t, test_bpf_last_match_per_access);
  tcase_add_test (t, test_bpf_impossible_numbers);
  tcase_add_test (t, test_parse_size);
  tcase_add_test (t, test_update_flags);
  tcase_add_test (t, test_parse_duration);
  tcase_add_test (t, test_json_dumps_u64);
  tcase_add_test (t, test_mkdir_rmdir_only_created);
  tcase_add_test (t, test_mkdir_failure_undoes);
  tcase_add_test (t, test_read_helpers);
  tcase_add_test (t, test_state_json);
  suite_add_tcase (s, t);
  return s;
}

int
main (void)
{
  SRunner *r = srunner_create (suite ());
  int failed;

  srunner_run_all (r, CK_NORMAL);
  failed = srunner_ntests_failed (r);
  srunner_free (r);
  return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
