/* Mounts inside the container's rootfs. Every destination is resolved with
 * openat2(RESOLVE_IN_ROOT) relative to the rootfs and mounted through the
 * resulting fd with the new mount API, so no symlink in the rootfs can send
 * a mount onto the host. */
#ifndef SECRUN_MOUNTS_H
#define SECRUN_MOUNTS_H

#include <stdbool.h>
#include <stdint.h>

#include "config.h"
#include "error.h"

/* A mount's options, translated once (runtime/mount_opts.c). */
typedef struct {
  bool bind, recursive;  /* bind / rbind */
  uint64_t attr_set;     /* MOUNT_ATTR_* to set */
  uint64_t attr_clr;     /* MOUNT_ATTR_* to clear (atime mask when atime given) */
  uint64_t propagation;  /* MS_SHARED/MS_SLAVE/MS_PRIVATE/MS_UNBINDABLE or 0 */
  bool propagation_rec;  /* rshared, rslave, ... */
  bool tmpcopyup;
  bool ro;               /* attr_set has MOUNT_ATTR_RDONLY */
  char *data;            /* "size=65536k,mode=755": fs options, comma-joined */
} sr_mount_opts_t;

/* Unknown options are passed to the filesystem as data, as runc does. */
int sr_mount_opts_parse (const sr_strv_t *opts, sr_mount_opts_t *out,
                         sr_error_t *err);
void sr_mount_opts_release (sr_mount_opts_t *o);
/* The option names this build understands (for `features`). */
size_t sr_mount_opts_known (const char **out, size_t max);
/* "shared", "rslave", ... → MS_* propagation flags (with MS_REC); -1 bad. */
long sr_propagation_parse (const char *s);

/* On a v1 host, the tmpfs of a "cgroup" mount, in place but still empty
 * until the init has joined its cgroups. */
typedef struct {
  int fd; /* its root (O_PATH), or -1 */
  bool ro;
  char what[128];
} sr_v1_cgroups_t;

/* Everything between the new mount namespace and pivot_root. Runs in the
 * container's init (after fork); may allocate. A relative bind source is
 * joined to bundle (absolute); the init's cwd is the rootfs afterwards. With defer (fd = -1 on
 * entry), a v1 "cgroup" mount is left empty for
 * sr_mounts_fill_v1_cgroups, so that the setup need not wait for the
 * runtime to move the init into its cgroups; without, the init must
 * already be in them. */
int sr_mounts_prepare_rootfs (const sr_config_t *c, const char *rootfs, const char *bundle,
                              sr_v1_cgroups_t *defer, sr_error_t *err);
/* Binds the init's own v1 cgroups into the deferred tmpfs, read-only as
 * the mount asks, and closes d->fd. A no-op when d->fd is -1. */
int sr_mounts_fill_v1_cgroups (sr_v1_cgroups_t *d, sr_error_t *err);
/* Whether a mount lands inside a "cgroup" mount listed before it: the
 * cgroup mount must then be complete in order (no deferral). */
bool sr_mounts_cgroup_nested (const sr_config_t *c);
/* pivot_root (or MS_MOVE + chroot with no_pivot) into rootfs. */
int sr_mounts_pivot (const char *rootfs, bool no_pivot, sr_error_t *err);
/* After pivot: masked and read-only paths, then the read-only root. */
int sr_mounts_finalize (const sr_config_t *c, sr_error_t *err);

/* Opens path inside the directory rootfd as if rootfd were "/", creating
 * missing directories (and the last component as a file when mkfile). */
int sr_open_in_root (int rootfd, const char *path, bool create, bool mkfile,
                     sr_error_t *err);

#endif
