/* The cgroup manager: one interface, a v2 and a v1 backend behind it.
 *
 * secrun writes only in cgroups it created. The manager remembers which
 * levels it created (saved in the container state as JSON) so that destroy
 * removes exactly those. */
#ifndef SECRUN_CGROUP_H
#define SECRUN_CGROUP_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include <jansson.h>

#include "config.h"
#include "error.h"

typedef struct sr_cgroup sr_cgroup_t;

typedef enum { SR_CG_NONE, SR_CG_V1, SR_CG_V2 } sr_cg_mode_t;

/* Which backend this host gets: v2 when /sys/fs/cgroup is cgroup2, else v1
 * (hybrid and legacy hosts). SECRUN_CGROUP_ROOT overrides /sys/fs/cgroup for
 * tests. */
sr_cg_mode_t sr_cgroup_detect (void);

/* Validates linux.cgroupsPath and linux.resources against this host before
 * anything is created (an asked-for limit the host cannot enforce is an error
 * naming the field and the missing controller), creates the cgroup
 * ("/secrun/ID" when cgroupsPath is absent), and applies the resources. On
 * error nothing created is left behind. */
int sr_cgroup_create (const char *id, const sr_linux_t *linux_,
                      sr_cgroup_t **out, sr_error_t *err);

/* Moves pid into the cgroup (every v1 hierarchy on v1). */
int sr_cgroup_enter (sr_cgroup_t *cg, pid_t pid, sr_error_t *err);

/* The cgroup path sr_cgroup_create would use for this container. */
int sr_cgroup_resolve_path (const char *id, const sr_linux_t *linux_, char **path,
                            sr_error_t *err);

/* After a create that was killed before it saved its state: removes the
 * leaf cgroup PATH in every hierarchy, only where it is empty (a cgroup
 * with tasks belongs to someone else, and stays). Parents stay. */
int sr_cgroup_remove_orphan (const char *path, sr_error_t *err);

/* v2 only: an O_DIRECTORY fd of the leaf for clone3(CLONE_INTO_CGROUP), or
 * -1 on v1. Owned by cg. */
int sr_cgroup_dirfd (sr_cgroup_t *cg);

int sr_cgroup_update (sr_cgroup_t *cg, const sr_resources_t *r,
                      sr_error_t *err);
int sr_cgroup_freeze (sr_cgroup_t *cg, bool frozen, sr_error_t *err);
/* -1 error, 0 thawed, 1 frozen */
int sr_cgroup_is_frozen (sr_cgroup_t *cg);
/* Signals every process (cgroup.kill for SIGKILL on v2). */
int sr_cgroup_kill (sr_cgroup_t *cg, int sig, sr_error_t *err);
/* Host pids in the cgroup (recursively), malloc'd. */
int sr_cgroup_pids (sr_cgroup_t *cg, pid_t **pids, size_t *n,
                    sr_error_t *err);
/* runc events --stats "data" object: cpu, memory, pids, blkio, hugetlb. */
json_t *sr_cgroup_stats (sr_cgroup_t *cg, sr_error_t *err);
/* Number of oom kills so far (memory.events oom_kill / v1 oom_control). */
int sr_cgroup_oom_count (sr_cgroup_t *cg, unsigned long long *count, sr_error_t *err);

/* Kills what is left, waits for the cgroup to empty, removes every level it
 * created, and frees cg. Safe to call on a cgroup half gone. */
int sr_cgroup_destroy (sr_cgroup_t *cg, sr_error_t *err);
/* Frees cg without touching the kernel. */
void sr_cgroup_free (sr_cgroup_t *cg);

/* Persisted in the container state between commands. */
json_t *sr_cgroup_to_json (const sr_cgroup_t *cg);
int sr_cgroup_from_json (json_t *j, sr_cgroup_t **out, sr_error_t *err);

/* Host path of the container's cgroup (v2: the leaf; v1: relative path). */
const char *sr_cgroup_path (const sr_cgroup_t *cg);

/* The device nodes every container may use besides linux.devices and the
 * config's rules (runc's list): null 1:3, zero 1:5, full 1:7, random 1:8,
 * urandom 1:9, tty 5:0, ptmx 5:2 and the pts 136:*, all "rwm". Shared with
 * the code that creates /dev. */
extern const sr_device_rule_t sr_default_device_rules[];
extern const size_t sr_n_default_device_rules;

/* json_dumps (compact) for the objects above: numbers above INT64_MAX
 * (unlimited memory is 18446744073709551615, as runc prints it) come out
 * right, which jansson alone cannot do. malloc'd. */
char *sr_cgroup_json_dumps (const json_t *j);

/* ---- helpers for the CLI (pure; unit-tested) ---- */

/* "1024", "64k", "64m", "1g", "1.5g" (binary units, like runc's
 * units.RAMInBytes); "-1" is -1 (unlimited). */
int sr_cgroup_parse_size (const char *s, int64_t *out);
/* Applies one `update` flag (name without "--": "memory", "cpu-quota",
 * "cpuset-cpus", ...) to r. VALUE is borrowed (cpuset strings point into
 * it). Unknown name or bad value: -1 with a message naming the flag. */
int sr_cgroup_update_flag (sr_resources_t *r, const char *name,
                           const char *value, sr_error_t *err);
/* A Go duration ("5s", "100ms", "1m30s", "1.5s") in milliseconds, > 0. */
int sr_cgroup_parse_duration (const char *s, uint64_t *ms);

#endif
