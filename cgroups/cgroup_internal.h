/* Shared between cgroup.c and the two backends: the sr_cgroup struct, the
 * backend ops table and the helpers every backend uses. Not for the rest of
 * the runtime (it talks to cgroup.h only); the unit tests include it to
 * check the pure helpers. */
#ifndef SECRUN_CGROUP_INTERNAL_H
#define SECRUN_CGROUP_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <jansson.h>
#include <linux/bpf.h>

#include "cgroup.h"

#define SR_CG_DEFAULT_ROOT "/sys/fs/cgroup"
#define SR_CG_DEFAULT_PARENT "/secrun"
/* How long destroy waits for killed processes to leave the cgroup. */
#define SR_CG_DRAIN_MS 2000

/* One v1 hierarchy (a cgroup mount directly under the cgroup root). */
typedef struct {
  char *mount;       /* "/sys/fs/cgroup/memory" */
  char *controllers; /* "memory", "cpu,cpuacct", "name=systemd" */
  int created;       /* levels of the path (deepest first) secrun made */
  int dirfd;         /* the container's directory, opened lazily */
} sr_cg_hier_t;

typedef struct sr_cg_ops sr_cg_ops_t;

struct sr_cgroup {
  const sr_cg_ops_t *ops;
  sr_cg_mode_t mode;
  char *root;  /* the cgroup root, "/sys/fs/cgroup" */
  char *path;  /* the container's cgroup below it, "/secrun/ID" */
  /* v2 */
  int created; /* levels of path (counted from the leaf up) secrun made */
  int dirfd;   /* the leaf, opened lazily */
  /* v1 */
  sr_cg_hier_t *hier;
  size_t n_hier;
};

/* Where a resource lives; filled by sr_cg_check_resources and used by the
 * backends to decide which controllers must be enabled / mounted. */
enum {
  SR_CGC_CPU = 1 << 0,
  SR_CGC_CPUSET = 1 << 1,
  SR_CGC_MEMORY = 1 << 2,
  SR_CGC_PIDS = 1 << 3,
  SR_CGC_IO = 1 << 4, /* v2 io, v1 blkio */
  SR_CGC_HUGETLB = 1 << 5,
  SR_CGC_NET_CLS = 1 << 6,
  SR_CGC_DEVICES = 1 << 7,
};

/* The first field that asked for each controller, for error messages. */
typedef struct {
  unsigned mask;
  const char *field[8];
} sr_cg_needs_t;

struct sr_cg_ops {
  /* Host support of every asked-for field, before anything is created. */
  int (*check) (sr_cgroup_t *cg, const sr_resources_t *r,
                const sr_cg_needs_t *needs, sr_error_t *err);
  /* mkdir the path; records the created levels. */
  int (*create) (sr_cgroup_t *cg, const sr_cg_needs_t *needs, sr_error_t *err);
  int (*apply) (sr_cgroup_t *cg, const sr_resources_t *r, bool update,
                sr_error_t *err);
  int (*devices) (sr_cgroup_t *cg, const sr_device_rule_t *rules, size_t n,
                  sr_error_t *err);
  int (*enter) (sr_cgroup_t *cg, pid_t pid, sr_error_t *err);
  int (*freeze) (sr_cgroup_t *cg, bool frozen, sr_error_t *err);
  int (*is_frozen) (sr_cgroup_t *cg);
  int (*kill) (sr_cgroup_t *cg, int sig, sr_error_t *err);
  /* The directory whose cgroup.procs tree lists the container's pids. */
  int (*procs_dirfd) (sr_cgroup_t *cg, sr_error_t *err);
  json_t *(*stats) (sr_cgroup_t *cg, sr_error_t *err);
  int (*oom_count) (sr_cgroup_t *cg, unsigned long long *n, sr_error_t *err);
  /* Kill, drain, rmdir the created levels. */
  int (*destroy) (sr_cgroup_t *cg, sr_error_t *err);
  json_t *(*to_json) (const sr_cgroup_t *cg, json_t *o);
  int (*from_json) (sr_cgroup_t *cg, json_t *o, sr_error_t *err);
};

extern const sr_cg_ops_t sr_cg_v1_ops;
extern const sr_cg_ops_t sr_cg_v2_ops;

/* ---- pure helpers (unit-tested) ------------------------------------- */

/* cgroupsPath -> the path below the cgroup root ("/secrun/ID" when NULL or
 * empty; relative paths go under /secrun; "slice:prefix:name" becomes
 * "/slice/.../prefix-name.scope"). Refuses "..", control characters, the
 * root itself. */
int sr_cg_resolve_path (const char *id, const char *cgroups_path, char **out,
                        sr_error_t *err);
/* The "a-b.slice" systemd slice name -> "/a.slice/a-b.slice". */
int sr_cg_expand_slice (const char *slice, char **out, sr_error_t *err);

/* runc's conversion (libcontainer/cgroups/utils.go
 * ConvertCPUSharesToCgroupV2Value): 1 + ((shares - 2) * 9999) / 262142,
 * mapping [2, 262144] onto [1, 10000]; 0 stays 0 (unset). */
uint64_t sr_cg_shares_to_weight (uint64_t shares);
/* runc's ConvertBlkIOToIOWeightValue: 1 + (w - 10) * 9999 / 990. */
uint64_t sr_cg_blkio_to_io_weight (uint64_t weight);
/* runc's ConvertMemorySwapToCgroupV2Value: memory.swap.max from the OCI
 * swap (memory+swap) and limit. *out: -1 = "max", else bytes; callers
 * write it only when swap != 0 or limit == -1 (0 = "leave alone"). */
int sr_cg_swap_v2 (int64_t swap, int64_t limit, int64_t *out,
                   sr_error_t *err);

/* "max" for -1, else the decimal value. buf >= 24 bytes. */
const char *sr_cg_fmt_limit (int64_t v, char *buf, size_t n);
/* cpu.max: "QUOTA PERIOD" / "max PERIOD" / "QUOTA"; quota 0 = keep "max". */
int sr_cg_fmt_cpu_max (const sr_resources_t *r, char *buf, size_t n);

/* "memory.high" ok; "/x", "..", "memory", "memory/../x" refused. Sets
 * *controller to a malloc'd "memory". */
int sr_cg_unified_key_valid (const char *key, char **controller,
                             sr_error_t *err);
/* "2MB", "1GB", "64KB": the hugetlb.<size>.* file component. */
bool sr_cg_hugepage_size_valid (const char *s);
/* "0-3,5" (digits, '-' and ','): cpuset lists. */
bool sr_cg_cpuset_list_valid (const char *s);

/* Range and consistency checks on every field ("a negative or overflowing
 * value is an error naming the field"), and which controllers the
 * resources need on MODE. */
int sr_cg_check_resources (const sr_resources_t *r, sr_cg_mode_t mode,
                           sr_cg_needs_t *needs, sr_error_t *err);

/* The full device rule list: the config's rules, then linux.devices as
 * allow rules, then sr_default_device_rules (runc's order, so the
 * defaults always win). malloc'd. */
int sr_cg_device_rules (const sr_linux_t *linux_, sr_device_rule_t **out,
                        size_t *n, sr_error_t *err);

/* The BPF_PROG_TYPE_CGROUP_DEVICE program for RULES: per requested access
 * bit the last matching rule wins, default deny; allowed only when every
 * requested bit is. malloc'd. */
int sr_cg_devices_bpf (const sr_device_rule_t *rules, size_t n,
                       struct bpf_insn **insns, size_t *count,
                       sr_error_t *err);

/* ---- file helpers ---------------------------------------------------- */

int sr_cg_write_at (int dirfd, const char *file, const char *value,
                    sr_error_t *err);
/* Reads a whole (small) cgroup file; NUL-terminated, trailing newline
 * kept. */
int sr_cg_read_at (int dirfd, const char *file, char **out, sr_error_t *err);
int sr_cg_read_set_at (int dirfd, const char *file, char **out, sr_error_t *err);
/* A single number file; "max" reads as UINT64_MAX. */
int sr_cg_read_u64_at (int dirfd, const char *file, uint64_t *out,
                       sr_error_t *err);
/* The value of KEY in a flat-keyed file ("key value" lines). */
int sr_cg_read_key_at (int dirfd, const char *file, const char *key,
                       uint64_t *out, sr_error_t *err);
/* Every "key value" line as a JSON object of integers. */
json_t *sr_cg_flat_keyed_json (const char *text);
bool sr_cg_has_word (const char *list, const char *word);
/* The "cpuset" stats object from cpuset lists ("0-1,3" -> [0,1,3]); either
 * may be NULL. */
json_t *sr_cg_cpuset_json (const char *cpus, const char *mems);
/* jansson integers are signed: a uint64 above INT64_MAX (the "max" limits)
 * is stored as this sentinel, which sr_cgroup_json_dumps prints as
 * 18446744073709551615, the value runc prints. */
#define SR_CG_U64_MAX_SENTINEL INT64_MIN
bool sr_cg_file_exists_at (int dirfd, const char *file);

/* mkdir every level of PATH below the directory ROOT; *created = how many
 * levels (from the leaf up) did not exist before. EEXIST on the leaf is an
 * error: secrun never takes over a cgroup it did not create. */
int sr_cg_mkdir_path (const char *root, const char *path, int *created,
                      sr_error_t *err);
/* The usual delete, of a container whose tasks are all gone: one rmdir per
 * level we created, leaf first. 1: done (an upper level still used by
 * others stays); 0: the leaf is busy (tasks or child cgroups: kill, drain
 * and use sr_cg_rmdir_path); -1: another error. */
int sr_cg_rmdir_fast (const char *root, const char *path, int created, sr_error_t *err);
/* rmdir the created levels of PATH below ROOT, deepest first (any child
 * cgroups the container made in its leaf go first). ENOENT is fine. */
int sr_cg_rmdir_path (const char *root, const char *path, int created,
                      sr_error_t *err);

/* Pids of the cgroup at DIRFD and every descendant (cgroup.procs). */
int sr_cg_procs_tree (int dirfd, pid_t **pids, size_t *n, sr_error_t *err);
/* Signals every pid in the tree; ESRCH is fine. */
int sr_cg_signal_tree (int dirfd, int sig, sr_error_t *err);
/* Polls until the tree has no process or ms passed: 1 empty, 0 not. */
int sr_cg_wait_empty (int dirfd, int ms);
void sr_cg_sleep_ms (int ms);

/* Hugepage sizes of this host as the cgroup files name them ("2MB"). */
int sr_cg_hugepage_sizes (char ***sizes, sr_error_t *err);
/* Stats: a u64 as JSON ("max" as runc's sentinel), set when non-zero, and
 * files read as 0 when missing (a controller the host lacks). */
json_t *sr_cg_ju64 (uint64_t v);
void sr_cg_set_nz (json_t *o, const char *k, uint64_t v);
uint64_t sr_cg_rd (int fd, const char *file);
uint64_t sr_cg_rdkey (int fd, const char *file, const char *key);

/* Every linux.resources.hugepageLimits[].pageSize is one this host has. */
int sr_cg_check_hugepage_sizes (const sr_resources_t *r, sr_error_t *err);

/* A path read back from the state: absolute, normalised, no "..". */
int sr_cg_check_abs_path (const char *what, const char *p, sr_error_t *err);

/* Opens root/path as an O_DIRECTORY fd. */
int sr_cg_open_dir (const char *root, const char *path, sr_error_t *err);

#endif
