/* The runtime-spec config.json (1.0.x to 1.2), parsed once into typed structs.
 *
 * Strings point into the jansson tree kept in sr_config_t.json, so parsing
 * copies no string; sr_config_free releases the arrays and the tree.
 * Every "has_" flag says whether the optional field was present. */
#ifndef SECRUN_CONFIG_H
#define SECRUN_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "error.h"

typedef struct { bool set; int64_t v; } sr_opt_i64;
typedef struct { bool set; uint64_t v; } sr_opt_u64;
typedef struct { bool set; bool v; } sr_opt_bool;

typedef struct { const char *key; const char *value; } sr_kv_t;

/* NULL-terminated arrays of borrowed strings; n excludes the terminator.
 * v is NULL (and n 0) when the field is absent. */
typedef struct { const char **v; size_t n; } sr_strv_t;

typedef struct {
  const char *path;
  sr_strv_t args;
  sr_strv_t env;
  sr_opt_i64 timeout; /* seconds, > 0 */
} sr_hook_t;

typedef struct { sr_hook_t *v; size_t n; } sr_hook_list_t;

typedef struct {
  sr_hook_list_t prestart, create_runtime, create_container, start_container,
      poststart, poststop;
} sr_hooks_t;

typedef struct { uint32_t container_id, host_id, size; } sr_idmap_t;

typedef struct {
  const char *destination; /* required, absolute */
  const char *type;        /* may be NULL (bind when options say so) */
  const char *source;      /* may be NULL */
  sr_strv_t options;
} sr_mount_t;

typedef struct {
  int resource; /* RLIMIT_* from the name RLIMIT_NOFILE etc. */
  const char *name;
  uint64_t soft, hard;
} sr_rlimit_t;

/* Capability sets as bitmasks of CAP_* numbers (bit n = capability n).
 * Names unknown to this kernel/libcap-ng are dropped with a debug line:
 * leaving out a capability can only reduce privilege. */
typedef struct {
  bool set; /* process.capabilities present */
  uint64_t bounding, effective, inheritable, permitted, ambient;
} sr_caps_t;

typedef struct {
  sr_opt_i64 uid, gid; /* uid and gid are required by the spec */
  sr_opt_u64 umask;
  uint32_t *additional_gids;
  size_t n_additional_gids;
  const char *username; /* ignored on Linux */
} sr_user_t;

typedef struct {
  bool set;
  int policy; /* SCHED_* */
  sr_opt_i64 nice, priority, runtime, deadline, period;
  uint64_t flags; /* SCHED_FLAG_* bits */
} sr_scheduler_t;

typedef struct {
  bool set;
  int klass; /* IOPRIO_CLASS_RT/BE/IDLE */
  int priority;
} sr_ioprio_t;

typedef struct {
  bool terminal;
  sr_opt_u64 console_height, console_width;
  sr_user_t user;
  sr_strv_t args; /* at least one for a container process */
  sr_strv_t env;
  const char *cwd; /* required, absolute */
  sr_caps_t caps;
  sr_rlimit_t *rlimits;
  size_t n_rlimits;
  sr_opt_bool no_new_privileges;
  const char *apparmor_profile;
  const char *selinux_label;
  sr_opt_i64 oom_score_adj;
  sr_scheduler_t scheduler;
  sr_ioprio_t io_priority;
} sr_process_t;

typedef enum {
  SR_NS_PID, SR_NS_NET, SR_NS_MOUNT, SR_NS_IPC, SR_NS_UTS, SR_NS_USER,
  SR_NS_CGROUP, SR_NS_TIME, SR_NS_COUNT
} sr_ns_type_t;

typedef struct {
  sr_ns_type_t type;
  const char *path; /* NULL: create a new one; else join */
} sr_namespace_t;

typedef struct {
  const char *path; /* absolute, inside /dev */
  char type;        /* 'c', 'b', 'u', 'p' */
  int64_t major, minor;
  sr_opt_u64 file_mode;
  sr_opt_i64 uid, gid;
} sr_device_t;

/* linux.resources.devices: cgroup device rules */
typedef struct {
  bool allow;
  char type; /* 'a', 'c', 'b' ('a' when absent) */
  int64_t major, minor; /* -1 = wildcard */
  const char *access;   /* "rwm" subset; NULL = all */
} sr_device_rule_t;

typedef struct { int64_t major, minor; sr_opt_u64 weight, leaf_weight; } sr_weight_device_t;
typedef struct { int64_t major, minor; uint64_t rate; } sr_throttle_device_t;
typedef struct { const char *page_size; uint64_t limit; } sr_hugepage_limit_t;

typedef struct {
  sr_device_rule_t *devices; size_t n_devices;
  struct {
    bool set;
    sr_opt_i64 limit, reservation, swap, kernel, kernel_tcp; /* -1 = unlimited */
    sr_opt_u64 swappiness;
    sr_opt_bool disable_oom_killer, use_hierarchy, check_before_update;
  } memory;
  struct {
    bool set;
    sr_opt_u64 shares, period, realtime_period, burst;
    sr_opt_i64 quota, realtime_runtime, idle;
    const char *cpus, *mems;
  } cpu;
  struct { bool set; sr_opt_i64 limit; } pids;
  struct {
    bool set;
    sr_opt_u64 weight, leaf_weight;
    sr_weight_device_t *weight_device; size_t n_weight_device;
    sr_throttle_device_t *throttle_read_bps, *throttle_write_bps,
        *throttle_read_iops, *throttle_write_iops;
    size_t n_throttle_read_bps, n_throttle_write_bps, n_throttle_read_iops,
        n_throttle_write_iops;
  } block_io;
  sr_hugepage_limit_t *hugepage_limits; size_t n_hugepage_limits;
  struct { bool set; sr_opt_u64 class_id; } network;
  sr_kv_t *unified; size_t n_unified;
  bool set; /* linux.resources present */
} sr_resources_t;

typedef enum {
  SR_SCMP_KILL, SR_SCMP_KILL_PROCESS, SR_SCMP_KILL_THREAD, SR_SCMP_TRAP,
  SR_SCMP_ERRNO, SR_SCMP_TRACE, SR_SCMP_ALLOW, SR_SCMP_LOG, SR_SCMP_NOTIFY
} sr_scmp_action_t;

typedef enum {
  SR_SCMP_CMP_NE, SR_SCMP_CMP_LT, SR_SCMP_CMP_LE, SR_SCMP_CMP_EQ,
  SR_SCMP_CMP_GE, SR_SCMP_CMP_GT, SR_SCMP_CMP_MASKED_EQ
} sr_scmp_op_t;

typedef struct {
  uint32_t index; /* 0..5 */
  uint64_t value, value_two;
  sr_scmp_op_t op;
} sr_scmp_arg_t;

typedef struct {
  sr_strv_t names;
  sr_scmp_action_t action;
  sr_opt_u64 errno_ret;
  sr_scmp_arg_t *args; size_t n_args;
} sr_scmp_rule_t;

typedef struct {
  bool set;
  sr_scmp_action_t default_action;
  sr_opt_u64 default_errno_ret;
  sr_strv_t architectures; /* "SCMP_ARCH_X86_64" ... as written */
  sr_strv_t flags;         /* "SECCOMP_FILTER_FLAG_LOG" ... as written */
  const char *listener_path;
  const char *listener_metadata;
  sr_scmp_rule_t *syscalls; size_t n_syscalls;
} sr_seccomp_t;

typedef struct { bool set; int64_t secs; uint32_t nanosecs; } sr_time_offset_t;

typedef struct {
  sr_idmap_t *uid_mappings; size_t n_uid_mappings;
  sr_idmap_t *gid_mappings; size_t n_gid_mappings;
  sr_kv_t *sysctl; size_t n_sysctl;
  sr_resources_t resources;
  const char *cgroups_path;
  sr_namespace_t *namespaces; size_t n_namespaces;
  sr_device_t *devices; size_t n_devices;
  sr_seccomp_t seccomp;
  const char *rootfs_propagation; /* "shared", "slave", "private", "unbindable", ... */
  sr_strv_t masked_paths, readonly_paths;
  const char *mount_label;
  struct { bool set; int domain; /* PER_LINUX or PER_LINUX32 */ uint64_t flags; } personality;
  sr_time_offset_t time_monotonic, time_boottime;
  bool intel_rdt_set;
} sr_linux_t;

typedef struct sr_config {
  json_t *json; /* owns every borrowed string below */
  const char *oci_version;
  const char *root_path; /* root.path as written (may be relative to the bundle) */
  bool root_readonly;
  bool has_process;
  sr_process_t process;
  const char *hostname, *domainname;
  sr_mount_t *mounts; size_t n_mounts;
  sr_hooks_t hooks;
  sr_kv_t *annotations; size_t n_annotations;
  bool has_linux;
  sr_linux_t linux_;
} sr_config_t;

/* Parses config.json text. On error returns NULL with a message naming the
 * JSON path: "linux.resources.memory.limit: expected integer, got string". */
sr_config_t *sr_config_parse (const char *text, size_t len, sr_error_t *err);
sr_config_t *sr_config_load (const char *path, sr_error_t *err);
/* Parses a tree from sr_json_parse, taking it over (freed on error too):
 * for a config edited between reading and parsing (the --policy floor).
 * ROOT NULL returns NULL and leaves err as the caller's failure set it. */
sr_config_t *sr_config_from_json (json_t *root, sr_error_t *err);

/* Parses a process.json (exec --process): the "process" object alone. */
int sr_process_parse (json_t *obj, const char *jpath, sr_process_t *out,
                      sr_error_t *err);
void sr_process_release (sr_process_t *p);

void sr_config_free (sr_config_t *c);

/* Parses a linux.resources object alone (update --resources). Strings borrow
 * from OBJ. On error *out is left empty; else release it when done. */
int sr_resources_parse (json_t *obj, const char *jpath, sr_resources_t *out,
                        sr_error_t *err);
void sr_resources_release (sr_resources_t *r);

/* JSON text as every parser above expects it: integers above INT64_MAX
 * (uint64 fields such as RLIM_INFINITY) survive, NUL bytes in strings and
 * duplicate keys are refused. Errors read "WHAT: invalid JSON at line L
 * column C: ...". sr_json_load reads a regular file of at most 16 MiB.
 * Use these, not json_load*, for process.json and update's resources. */
json_t *sr_json_parse (const char *text, size_t len, const char *what,
                       sr_error_t *err);
json_t *sr_json_load (const char *path, const char *what, sr_error_t *err);

const sr_namespace_t *sr_config_namespace (const sr_config_t *c, sr_ns_type_t t);
const char *sr_ns_type_name (sr_ns_type_t t); /* "pid", "network", ... */

/* Mount option translation (runtime/mount_opts.c) lives in mounts.h. */

#endif
