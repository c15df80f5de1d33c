#ifndef SECRUN_NAMESPACES_H
#define SECRUN_NAMESPACES_H

#include <sys/types.h>

#include "config.h"
#include "error.h"

/* CLONE_NEW* for the namespaces the config asks to create, except time and
 * cgroup, which the init unshares itself (time offsets must be written
 * before a process enters; the cgroup namespace must be rooted at the
 * container's cgroup, entered first). */
int sr_ns_clone_flags (const sr_config_t *c);

/* Opens every namespace given by path, before the fork: fds[type] or -1. */
int sr_ns_open_paths (const sr_config_t *c, int fds[SR_NS_COUNT], sr_error_t *err);
void sr_ns_close_paths (int fds[SR_NS_COUNT]);

/* In the init: joins the opened namespaces, user first so the others are
 * entered with its credentials (pid was joined by the parent). */
int sr_ns_join (const sr_config_t *c, int fds[SR_NS_COUNT], sr_error_t *err);

/* In the init: the cgroup and time namespaces. */
int sr_ns_unshare_late (const sr_config_t *c, sr_error_t *err);

/* In the parent, for a new user namespace: uid_map and gid_map of pid. */
int sr_ns_write_id_maps (pid_t pid, const sr_linux_t *l, sr_error_t *err);

/* hostname, domainname, linux.sysctl (only namespaced keys, and only when
 * that namespace is the container's own). */
int sr_ns_apply_uts_sysctl (const sr_config_t *c, sr_error_t *err);

/* In the init: lo up in the container's own network namespace. */
int sr_ns_loopback_up (const sr_config_t *c, sr_error_t *err);

#endif
