/* What glibc 2.36 declares and musl 1.2.3 does not: the new mount API's
 * wrappers (thin syscalls) and newer madvise advice. secrun's own binary
 * may be built against musl (configure --with-musl; README
 * "Performance"). Include instead of <sys/mount.h>. */
#ifndef SECRUN_COMPAT_H
#define SECRUN_COMPAT_H

#include <sys/mman.h>
#include <sys/mount.h>

#ifndef MADV_POPULATE_READ
#define MADV_POPULATE_READ 22
#endif
#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23
#endif

#ifndef __GLIBC__
/* The musl build's allocator (alloc_musl.c): maps the next N bytes of its
 * heap in one call. */
void sr_alloc_prefault (size_t n);
/* Frees its lock after the only other task that could hold it, the
 * vfork'd init, died before it could exec (killed inside malloc by a host
 * root or the OOM killer: nothing in the container runs yet). */
void sr_alloc_unlock_after_death (void);

#include <linux/mount.h>
#include <sys/syscall.h>
#include <unistd.h>

static inline int
fsopen (const char *fs, unsigned int flags)
{
  return (int) syscall (SYS_fsopen, fs, flags);
}

static inline int
fsconfig (int fd, unsigned int cmd, const char *key, const void *value, int aux)
{
  return (int) syscall (SYS_fsconfig, fd, cmd, key, value, aux);
}

static inline int
fsmount (int fd, unsigned int flags, unsigned int attr)
{
  return (int) syscall (SYS_fsmount, fd, flags, attr);
}

static inline int
move_mount (int from_dfd, const char *from, int to_dfd, const char *to, unsigned int flags)
{
  return (int) syscall (SYS_move_mount, from_dfd, from, to_dfd, to, flags);
}

static inline int
open_tree (int dfd, const char *path, unsigned int flags)
{
  return (int) syscall (SYS_open_tree, dfd, path, flags);
}

static inline int
mount_setattr (int dfd, const char *path, unsigned int flags, struct mount_attr *attr,
               size_t size)
{
  return (int) syscall (SYS_mount_setattr, dfd, path, flags, attr, size);
}
#endif

#endif
