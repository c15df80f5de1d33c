#include "mounts.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "cleanup.h"
#include "compat.h"
#include "log.h"
#include "utils.h"

#ifndef CGROUP2_SUPER_MAGIC
#define CGROUP2_SUPER_MAGIC 0x63677270
#endif

static int
sys_openat2 (int dirfd, const char *path, uint64_t flags, uint64_t resolve)
{
  struct open_how how = { .flags = flags, .mode = 0, .resolve = resolve };
  return (int) syscall (SYS_openat2, dirfd, path, &how, sizeof how);
}

#define IN_ROOT (RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS)

/* Everything in this file runs in the container's init, which opens
 * every fd O_CLOEXEC. A close(2) for each fd a mount used is a system
 * call (some 40 a container, 1.2 us or more each on a VM). So fds below
 * INIT_FD_LEAVE are only noted in kept_fds, and closed together by
 * sr_mounts_finalize with a close_range per run of them: before the
 * rlimits (a low RLIMIT_NOFILE must not find them holding the fds the
 * init still opens) and before `exec` may enter the container. Above
 * INIT_FD_LEAVE they are closed at once, so that a config with hundreds
 * of mounts cannot run out of fds. An fd that names anything of the
 * host's the container does not also get (the runtime's cwd, the host's
 * /proc) is always closed at once. The init may share the runtime's
 * memory (vfork): kept_fds is the init's alone to use. */
enum { INIT_FD_LEAVE = 64 };
static uint64_t kept_fds;

static inline void
init_closep (int *fd)
{
  if (*fd >= INIT_FD_LEAVE)
    sr_closep (fd);
  else if (*fd >= 0)
    kept_fds |= UINT64_C (1) << *fd;
}

static int
close_kept_fds (void)
{
  uint64_t m = kept_fds;

  kept_fds = 0;
  while (m)
    {
      unsigned lo = (unsigned) __builtin_ctzll (m);
      unsigned hi = lo;
      while (hi + 1 < INIT_FD_LEAVE && (m >> (hi + 1)) & 1)
        hi++;
      if (syscall (SYS_close_range, lo, hi, 0) < 0)
        return -1;
      m &= hi + 1 < 64 ? ~((UINT64_C (1) << (hi + 1)) - 1) : 0;
    }
  return 0;
}
#define _cleanup_init_close_ __attribute__ ((cleanup (init_closep)))

/* Creates the missing components of path (the last one a file if
 * mkfile) and returns an O_PATH fd of it. Every lookup starts at rootfd
 * with RESOLVE_IN_ROOT, and mkdirat/openat only ever take a single name
 * relative to a parent resolved that way, so a symlink anywhere stays
 * inside the rootfs. The parent is tried before the walk goes further up:
 * usually only the last component is missing. */
static int
create_in_root (int rootfd, char *path, bool mkfile, int depth)
{
  _cleanup_init_close_ int parent = -1;
  const char *name = path;
  char *slash, *cut;
  int fd = sys_openat2 (rootfd, path, O_PATH | O_CLOEXEC, IN_ROOT);

  if (fd >= 0 || errno != ENOENT)
    return fd;
  if (depth > 64)
    return -1;
  slash = strrchr (path, '/');
  cut = slash;
  while (cut && cut > path && cut[-1] == '/')
    cut--;
  if (slash == NULL || cut == path)
    parent = sys_openat2 (rootfd, "/", O_PATH | O_CLOEXEC | O_DIRECTORY, IN_ROOT);
  else
    {
      *cut = '\0';
      parent = create_in_root (rootfd, path, false, depth + 1);
      *cut = '/';
    }
  if (parent < 0)
    return -1;
  if (slash)
    name = slash + 1;
  if (mkfile)
    {
      int f = openat (parent, name, O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC,
                      0644);
      if (f < 0 && errno != EEXIST)
        return -1;
      if (f >= 0)
        close (f);
    }
  else if (mkdirat (parent, name, 0755) < 0 && errno != EEXIST)
    return -1;
  return sys_openat2 (rootfd, path, O_PATH | O_CLOEXEC, IN_ROOT);
}

int
sr_open_in_root (int rootfd, const char *path, bool create, bool mkfile,
                 sr_error_t *err)
{
  char buf[PATH_MAX];
  size_t len = strlen (path);
  int fd;

  if (!create)
    {
      fd = sys_openat2 (rootfd, path, O_PATH | O_CLOEXEC, IN_ROOT);
      if (fd < 0)
        return sr_error_errno (err, "open %s inside the rootfs", path);
      return fd;
    }
  if (len >= sizeof buf)
    return sr_error (err, ENAMETOOLONG, "%s", path);
  memcpy (buf, path, len + 1);
  /* Trailing slashes name the same directory. */
  while (len > 1 && buf[len - 1] == '/')
    buf[--len] = '\0';
  fd = create_in_root (rootfd, buf, mkfile, 0);
  if (fd < 0)
    return sr_error_errno (err, "create %s inside the rootfs", path);
  return fd;
}

/* Reads the fs context's log so a refused option names the kernel's reason. */
static void
fs_context_log (int fsfd, char *buf, size_t n)
{
  buf[0] = '\0';
  ssize_t r = read (fsfd, buf, n - 1);
  if (r > 0)
    {
      buf[r] = '\0';
      char *nl = strchr (buf, '\n');
      if (nl)
        *nl = '\0';
    }
  else
    buf[0] = '\0';
}

static int
fs_configure (int fsfd, const char *data, const char *what, sr_error_t *err)
{
  _cleanup_free_ char *copy = data ? strdup (data) : NULL;
  char *save = NULL;

  if (data && copy == NULL)
    return sr_error (err, ENOMEM, "%s", what);
  for (char *tok = copy ? strtok_r (copy, ",", &save) : NULL; tok;
       tok = strtok_r (NULL, ",", &save))
    {
      char *eq = strchr (tok, '=');
      int r;
      if (eq)
        {
          *eq = '\0';
          r = fsconfig (fsfd, FSCONFIG_SET_STRING, tok, eq + 1, 0);
        }
      else
        r = fsconfig (fsfd, FSCONFIG_SET_FLAG, tok, NULL, 0);
      if (r < 0)
        {
          char log[256];
          int e = errno;
          fs_context_log (fsfd, log, sizeof log);
          return sr_error (err, e, "%s: option \"%s\"%s%s", what, tok,
                           *log ? ": " : "", log);
        }
    }
  if (fsconfig (fsfd, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
    {
      char log[256];
      int e = errno;
      fs_context_log (fsfd, log, sizeof log);
      return sr_error (err, e, "%s%s%s", what, *log ? ": " : "", log);
    }
  return 0;
}

/* A new, detached mount of fstype; returned fd is the mount's root. */
static int
new_fs_mount (const char *fstype, const char *source, const char *data,
              uint64_t attrs, const char *what, sr_error_t *err)
{
  _cleanup_init_close_ int fsfd = fsopen (fstype, FSOPEN_CLOEXEC);
  int mfd;

  if (fsfd < 0)
    return sr_error_errno (err, "%s: fsopen %s", what, fstype);
  /* What /proc/self/mountinfo shows as the source, as mount(2) would. */
  if (source && *source
      && fsconfig (fsfd, FSCONFIG_SET_STRING, "source", source, 0) < 0)
    return sr_error_errno (err, "%s: source \"%s\"", what, source);
  if (fs_configure (fsfd, data, what, err) < 0)
    return -1;
  mfd = fsmount (fsfd, FSMOUNT_CLOEXEC, (unsigned int) attrs);
  if (mfd < 0)
    return sr_error_errno (err, "%s: fsmount", what);
  return mfd;
}

#ifndef MS_NOSYMFOLLOW
#define MS_NOSYMFOLLOW 256
#endif

/* The mount(2) flags of a new mount's MOUNT_ATTR_*; false for an
 * attribute mount(2) cannot express (idmap), which takes fsmount. */
static bool
attrs_to_ms (uint64_t attrs, unsigned long *ms)
{
  const uint64_t known = MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV
    | MOUNT_ATTR_NOEXEC | MOUNT_ATTR__ATIME | MOUNT_ATTR_NODIRATIME | MOUNT_ATTR_NOSYMFOLLOW;
  unsigned long f = 0;

  if (attrs & ~known)
    return false;
  f |= attrs & MOUNT_ATTR_RDONLY ? MS_RDONLY : 0;
  f |= attrs & MOUNT_ATTR_NOSUID ? MS_NOSUID : 0;
  f |= attrs & MOUNT_ATTR_NODEV ? MS_NODEV : 0;
  f |= attrs & MOUNT_ATTR_NOEXEC ? MS_NOEXEC : 0;
  f |= attrs & MOUNT_ATTR_NODIRATIME ? MS_NODIRATIME : 0;
  f |= attrs & MOUNT_ATTR_NOSYMFOLLOW ? MS_NOSYMFOLLOW : 0;
  switch (attrs & MOUNT_ATTR__ATIME)
    {
    case MOUNT_ATTR_RELATIME: break; /* mount(2)'s default */
    case MOUNT_ATTR_NOATIME: f |= MS_NOATIME; break;
    case MOUNT_ATTR_STRICTATIME: f |= MS_STRICTATIME; break;
    default: return false;
    }
  *ms = f;
  return true;
}

/* A new filesystem is mounted with mount(2) on "." after an fchdir to
 * the target's fd: the target is still the directory openat2 resolved
 * inside the rootfs (no path is looked up again: "." is the cwd itself,
 * never a symlink), and it takes two system calls where fsopen, an
 * fsconfig per option, fsmount, move_mount and the closes take six to
 * ten. If mount(2) refuses, the caller goes the fsopen way, whose error
 * names the option the kernel rejected. Only for filesystems that look
 * up no path (fs_takes_no_path): the cwd this leaves is a directory of
 * the rootfs, which must never be what a relative path in a config
 * (an overlay's lowerdir, a device) resolves against; those resolve
 * against the bundle, as a relative bind source does (do_mount). */
static bool
fs_takes_no_path (const char *type)
{
  static const char *const types[] = { "tmpfs", "proc", "sysfs", "devpts", "mqueue",
                                       "cgroup2", "ramfs" };
  for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
    if (strcmp (type, types[i]) == 0)
      return true;
  return false;
}

static bool
mount_here (int dest, const char *type, const char *source, const char *data,
            uint64_t attrs)
{
  unsigned long ms;

  /* mount(2) copies at most a page of options. */
  if (!attrs_to_ms (attrs, &ms) || (data && strlen (data) >= 2048))
    return false;
  if (fchdir (dest) < 0)
    return false;
  return mount (source && *source ? source : NULL, ".", type, ms, data) == 0;
}

static int
set_attrs (int mfd, const sr_mount_opts_t *o, bool recursive, const char *what,
           sr_error_t *err)
{
  struct mount_attr a = { .attr_set = o->attr_set, .attr_clr = o->attr_clr,
                          .propagation = o->propagation };
  if (a.attr_set == 0 && a.attr_clr == 0 && a.propagation == 0)
    return 0;
  if (mount_setattr (mfd, "", AT_EMPTY_PATH | (recursive ? AT_RECURSIVE : 0),
                     &a, sizeof a) < 0)
    return sr_error_errno (err, "%s: set mount attributes", what);
  return 0;
}

static int copy_tree (int src, int dst, int depth);

static int
copy_entry (int src, int dst, const char *name, int depth)
{
  struct stat st;
  if (fstatat (src, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
    return -1;
  if (S_ISDIR (st.st_mode))
    {
      if (mkdirat (dst, name, st.st_mode & 07777) < 0 && errno != EEXIST)
        return -1;
      _cleanup_close_ int s = openat (src, name, O_RDONLY | O_DIRECTORY
                                      | O_NOFOLLOW | O_CLOEXEC);
      _cleanup_close_ int d = openat (dst, name, O_RDONLY | O_DIRECTORY
                                      | O_NOFOLLOW | O_CLOEXEC);
      if (s < 0 || d < 0 || copy_tree (s, d, depth + 1) < 0)
        return -1;
    }
  else if (S_ISREG (st.st_mode))
    {
      _cleanup_close_ int s = openat (src, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
      _cleanup_close_ int d = openat (dst, name, O_WRONLY | O_CREAT | O_EXCL
                                      | O_NOFOLLOW | O_CLOEXEC, st.st_mode & 07777);
      if (s < 0 || d < 0)
        return -1;
      for (off_t left = st.st_size; left > 0;)
        {
          ssize_t w = sendfile (d, s, NULL, (size_t) left);
          if (w <= 0)
            return w < 0 ? -1 : 0;
          left -= w;
        }
    }
  else if (S_ISLNK (st.st_mode))
    {
      char target[PATH_MAX];
      ssize_t n = readlinkat (src, name, target, sizeof target - 1);
      if (n < 0)
        return -1;
      target[n] = '\0';
      if (symlinkat (target, dst, name) < 0)
        return -1;
    }
  else
    return 0; /* devices, fifos and sockets are not copied up */
  if (fchownat (dst, name, st.st_uid, st.st_gid, AT_SYMLINK_NOFOLLOW) < 0)
    return -1;
  if (!S_ISLNK (st.st_mode) && fchmodat (dst, name, st.st_mode & 07777, 0) < 0)
    return -1;
  return 0;
}

static int
copy_tree (int src, int dst, int depth)
{
  DIR *d;
  struct dirent *de;
  int fd, ret = 0;

  if (depth > 64)
    return errno = ELOOP, -1;
  fd = openat (src, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0 || (d = fdopendir (fd)) == NULL)
    {
      if (fd >= 0)
        close (fd);
      return -1;
    }
  while (ret == 0 && (de = readdir (d)) != NULL)
    {
      if (strcmp (de->d_name, ".") == 0 || strcmp (de->d_name, "..") == 0)
        continue;
      ret = copy_entry (src, dst, de->d_name, depth);
    }
  closedir (d);
  return ret;
}

static bool
is_bind (const sr_mount_t *m, const sr_mount_opts_t *o)
{
  return o->bind || (m->type && strcmp (m->type, "bind") == 0);
}

static bool
host_is_cgroup2 (void)
{
  struct statfs sfs;
  return statfs ("/sys/fs/cgroup", &sfs) == 0 && sfs.f_type == CGROUP2_SUPER_MAGIC;
}

/* On a v1 (or hybrid) host, a "cgroup" mount shows the container its own
 * cgroup in each v1 hierarchy, read-only, as runc does (a JVM reads its
 * memory limit there). The init has joined its cgroups, so
 * /proc/self/cgroup names them. dir is the tmpfs that holds them. With
 * each_ro every bind is made read-only on its own; otherwise the caller
 * makes the whole tree read-only at once. */
static int
populate_v1_cgroups (int dir, bool each_ro, const char *what, sr_error_t *err)
{
  _cleanup_free_ char *text = NULL;
  char *line, *next;
  size_t len;

  /* Read whole (one seq_file read), not through stdio's extra calls. */
  if (sr_read_file_max (AT_FDCWD, "/proc/self/cgroup", &text, &len, 1u << 20, err) < 0)
    return sr_error_prefix (err, "%s", what);
  for (line = text; line && *line; line = next)
    {
      char *ctrl = strchr (line, ':'), *path, *nl;
      if ((nl = strchr (line, '\n')))
        *nl = '\0';
      next = nl ? nl + 1 : NULL;
      if (ctrl == NULL || (path = strchr (++ctrl, ':')) == NULL)
        continue;
      *path++ = '\0';
      if (*ctrl == '\0')
        continue; /* the v2 line of a hybrid host */
      const char *name = strncmp (ctrl, "name=", 5) == 0 ? ctrl + 5 : ctrl;
      char src[PATH_MAX];
      snprintf (src, sizeof src, "/sys/fs/cgroup/%s%s", name, path);
      _cleanup_init_close_ int t = open_tree (AT_FDCWD, src, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);
      if (t < 0)
        continue; /* a hierarchy not mounted where we look: leave it out */
      struct mount_attr a = { .attr_set = MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID
                              | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC };
      if (mkdirat (dir, name, 0555) < 0 && errno != EEXIST)
        return sr_error_errno (err, "%s: mkdir %s", what, name);
      if ((each_ro && mount_setattr (t, "", AT_EMPTY_PATH, &a, sizeof a) < 0)
          || move_mount (t, "", dir, name, MOVE_MOUNT_F_EMPTY_PATH) < 0)
        return sr_error_errno (err, "%s: bind %s", what, src);
      /* "cpu,cpuacct" is also reachable as cpu and cpuacct */
      if (strchr (name, ','))
        {
          _cleanup_free_ char *copy = strdup (name);
          char *save = NULL;
          if (copy == NULL)
            return sr_error_errno (err, "strdup");
          for (char *tok = strtok_r (copy, ",", &save); tok; tok = strtok_r (NULL, ",", &save))
            if (symlinkat (name, dir, tok) < 0 && errno != EEXIST)
              return sr_error_errno (err, "%s: symlink %s", what, tok);
        }
    }
  return 0;
}

/* Binds the v1 hierarchies into a cgroup tmpfs and, for a read-only
 * mount (every config's), seals the tmpfs and every bind beneath it in
 * one recursive call. mfd is the tmpfs's root, detached or attached. */
static int
fill_v1_cgroups (int mfd, bool ro, const char *what, sr_error_t *err)
{
  struct mount_attr a = { .attr_set = MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID
                          | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC };
  if (populate_v1_cgroups (mfd, !ro, what, err) < 0)
    return -1;
  if (ro && mount_setattr (mfd, "", AT_EMPTY_PATH | AT_RECURSIVE, &a, sizeof a) < 0)
    return sr_error_errno (err, "%s: read-only", what);
  return 0;
}

int
sr_mounts_fill_v1_cgroups (sr_v1_cgroups_t *d, sr_error_t *err)
{
  int r = 0;
  if (d->fd >= 0)
    r = fill_v1_cgroups (d->fd, d->ro, d->what, err);
  init_closep (&d->fd);
  d->fd = -1;
  return r;
}

static int
do_mount (int rootfd, const char *bundle, const sr_mount_t *m, size_t idx,
          sr_v1_cgroups_t *defer, sr_error_t *err)
{
  char what[PATH_MAX + 64];
  sr_mount_opts_t o;
  _cleanup_init_close_ int dest = -1;
  _cleanup_init_close_ int mfd = -1;
  const char *type = m->type;
  bool bind, placed = false;
  int ret = -1;

  snprintf (what, sizeof what, "mounts[%zu] (%s on %s)", idx,
            type ? type : "bind", m->destination);
  if (sr_mount_opts_parse (&m->options, &o, err) < 0)
    return sr_error_prefix (err, "mounts[%zu].options", idx);
  bind = is_bind (m, &o);

  if (bind)
    {
      struct stat st;
      if (m->source == NULL || m->source[0] == '\0')
        {
          sr_error (err, 0, "%s: a bind mount needs a source", what);
          goto out;
        }
      /* A relative source is relative to the bundle (runtime-spec). */
      const char *src = m->source;
      char joined[PATH_MAX];
      if (src[0] != '/')
        {
          if (snprintf (joined, sizeof joined, "%s/%s", bundle, src) >= (int) sizeof joined)
            {
              sr_error (err, ENAMETOOLONG, "%s: source %s", what, src);
              goto out;
            }
          src = joined;
        }
      /* The source is a host path: open it before touching the rootfs. */
      mfd = open_tree (AT_FDCWD, src, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC
                       | (o.recursive ? AT_RECURSIVE : 0));
      if (mfd < 0)
        {
          sr_error_errno (err, "%s: source %s", what, m->source);
          goto out;
        }
      if (fstat (mfd, &st) < 0)
        {
          sr_error_errno (err, "%s: stat source", what);
          goto out;
        }
      dest = sr_open_in_root (rootfd, m->destination, true, !S_ISDIR (st.st_mode), err);
      if (dest < 0)
        goto prefix;
      if (set_attrs (mfd, &o, o.recursive, what, err) < 0)
        goto out;
    }
  else
    {
      if (type == NULL)
        {
          sr_error (err, 0, "%s: type is required unless the mount is a bind", what);
          goto out;
        }
      bool v1_cgroups = false;
      if (strcmp (type, "cgroup") == 0)
        {
          if (host_is_cgroup2 ())
            type = "cgroup2";
          else
            {
              /* A tmpfs holding the container's own v1 cgroups; made
               * read-only once they are bound in. */
              type = "tmpfs";
              v1_cgroups = true;
              free (o.data);
              o.data = strdup ("mode=755,size=64k");
            }
        }
      dest = sr_open_in_root (rootfd, m->destination, true, false, err);
      if (dest < 0)
        goto prefix;
      uint64_t attrs = o.attr_set;
      if (v1_cgroups)
        attrs &= ~(uint64_t) MOUNT_ATTR_RDONLY;
      /* What needs the detached mount's fd (filling it, propagation, a
       * copy-up) goes the fsopen way. */
      bool no_path = fs_takes_no_path (type);
      if (no_path && !(v1_cgroups && defer == NULL) && !o.propagation && !o.tmpcopyup)
        placed = mount_here (dest, type, m->source, o.data, attrs);
      /* The kernel resolves a relative source or option path (overlay's
       * lowerdir=) against the cwd: the bundle, never the rootfs. */
      if (!placed && !no_path && chdir (bundle) < 0)
        {
          sr_error_errno (err, "%s: chdir to the bundle %s", what, bundle);
          goto out;
        }
      if (!placed)
        mfd = new_fs_mount (type, m->source, o.data, attrs, what, err);
      if (!placed && mfd < 0)
        goto out;
      if (!placed && v1_cgroups && defer == NULL
          && fill_v1_cgroups (mfd, o.attr_set & MOUNT_ATTR_RDONLY, what, err) < 0)
        goto out;
      if (!placed && o.propagation)
        {
          struct mount_attr a = { .propagation = o.propagation };
          if (mount_setattr (mfd, "", AT_EMPTY_PATH, &a, sizeof a) < 0)
            {
              sr_error_errno (err, "%s: propagation", what);
              goto out;
            }
        }
      if (!placed && o.tmpcopyup && strcmp (type, "tmpfs") == 0)
        {
          _cleanup_close_ int src = openat (dest, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
          _cleanup_close_ int dst = openat (mfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
          if (src < 0 || dst < 0 || copy_tree (src, dst, 0) < 0)
            {
              sr_error_errno (err, "%s: tmpcopyup", what);
              goto out;
            }
        }
    }
  if (!placed && move_mount (mfd, "", dest, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
    {
      sr_error_errno (err, "%s: move_mount", what);
      goto out;
    }
  if (!bind && defer && strcmp (m->type, "cgroup") == 0 && strcmp (type, "tmpfs") == 0)
    {
      /* Filled once the init has joined its cgroups: keep the tmpfs's
       * root, now in place. */
      if (defer->fd >= 0)
        {
          sr_error (err, 0, "%s: a second cgroup mount", what);
          goto out;
        }
      defer->fd = sys_openat2 (rootfd, m->destination, O_PATH | O_CLOEXEC, IN_ROOT);
      if (defer->fd < 0)
        {
          sr_error_errno (err, "%s: reopen", what);
          goto out;
        }
      defer->ro = o.attr_set & MOUNT_ATTR_RDONLY;
      snprintf (defer->what, sizeof defer->what, "mounts[%zu] (cgroup on %.64s)", idx,
                m->destination);
    }
  ret = 0;
  goto out;
prefix:
  sr_error_prefix (err, "%s", what);
out:
  sr_mount_opts_release (&o);
  return ret;
}

static const struct { const char *name; unsigned maj, min; } default_devices[] = {
  { "null", 1, 3 }, { "zero", 1, 5 }, { "full", 1, 7 },
  { "random", 1, 8 }, { "urandom", 1, 9 }, { "tty", 5, 0 },
};

static const struct { const char *target, *name; } default_links[] = {
  { "pts/ptmx", "ptmx" }, { "/proc/self/fd", "fd" },
  { "/proc/self/fd/0", "stdin" }, { "/proc/self/fd/1", "stdout" },
  { "/proc/self/fd/2", "stderr" },
};

/* A node the kernel will not let us mknod (a user namespace) is a bind
 * mount of the host's device instead, as runc does. */
static int
make_node (int dirfd, const char *name, mode_t mode, dev_t dev,
           const char *hostpath, sr_error_t *err)
{
  /* 1: we made the node; 2: the rootfs already had one (its mode is
   * not ours yet); 0: it is the host's (bound). */
  if (mknodat (dirfd, name, mode, dev) == 0)
    return 1;
  if (errno == EEXIST)
    return 2;
  if (errno != EPERM || hostpath == NULL)
    return sr_error_errno (err, "mknod /dev/%s", name);
  int f = openat (dirfd, name, O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0644);
  if (f >= 0)
    close (f);
  _cleanup_close_ int t = open_tree (AT_FDCWD, hostpath, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);
  if (t < 0 || move_mount (t, "", dirfd, name, MOVE_MOUNT_F_EMPTY_PATH) < 0)
    return sr_error_errno (err, "bind %s on /dev/%s", hostpath, name);
  return 0;
}

/* A default node the rootfs already has (no tmpfs on /dev) gets mode
 * 0666 when it is that device. We are still in the host's root here, so
 * the entry is never followed. Anything else there (a symlink to
 * /etc/shadow, say) is left as it is, as runc leaves it: nothing follows
 * it before pivot_root, and the masks refuse a /dev/null that is not the
 * null device. */
static int
fix_existing_node (int dirfd, const char *name, dev_t want, sr_error_t *err)
{
  struct stat sb;
  if (fstatat (dirfd, name, &sb, AT_SYMLINK_NOFOLLOW) < 0)
    return sr_error_errno (err, "stat /dev/%s", name);
  if (S_ISCHR (sb.st_mode) && sb.st_rdev == want && (sb.st_mode & 07777) != 0666
      && fchmodat (dirfd, name, 0666, AT_SYMLINK_NOFOLLOW) < 0)
    return sr_error_errno (err, "chmod /dev/%s", name);
  return 1;
}

static int
setup_dev (int rootfd, const sr_config_t *c, sr_error_t *err)
{
  _cleanup_init_close_ int dev = sr_open_in_root (rootfd, "/dev", true, false, err);
  _cleanup_init_close_ int devdir = -1;
  const sr_linux_t *l = &c->linux_;

  if (dev < 0)
    return -1;
  devdir = openat (dev, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (devdir < 0)
    return sr_error_errno (err, "open /dev in the rootfs");
  {
    /* mknod obeys the umask: with none, the nodes get exactly 0666
     * without a chmod each. */
    mode_t old = umask (0);
    for (size_t i = 0; i < sizeof default_devices / sizeof *default_devices; i++)
      {
        char host[64];
        snprintf (host, sizeof host, "/dev/%s", default_devices[i].name);
        const char *name = default_devices[i].name;
        dev_t want = makedev (default_devices[i].maj, default_devices[i].min);
        int made = make_node (devdir, name, S_IFCHR | 0666, want, host, err);
        if (made == 2)
          made = fix_existing_node (devdir, name, want, err);
        if (made < 0)
          {
            umask (old);
            return -1;
          }
      }
    umask (old);
  }
  for (size_t i = 0; i < sizeof default_links / sizeof *default_links; i++)
    if (symlinkat (default_links[i].target, devdir, default_links[i].name) < 0
        && errno != EEXIST)
      return sr_error_errno (err, "symlink /dev/%s", default_links[i].name);

  for (size_t i = 0; i < l->n_devices; i++)
    {
      const sr_device_t *d = &l->devices[i];
      mode_t type = d->type == 'b' ? S_IFBLK : d->type == 'p' ? S_IFIFO : S_IFCHR;
      mode_t perm = d->file_mode.set ? (mode_t) d->file_mode.v & 07777 : 0666;
      const char *slash = strrchr (d->path, '/');
      _cleanup_free_ char *parent = strndup (d->path, (size_t) (slash - d->path));
      _cleanup_close_ int pfd = -1;
      _cleanup_close_ int pdir = -1;

      if (strncmp (d->path, "/dev/", 5) != 0 || strstr (d->path, "/../"))
        return sr_error (err, 0, "linux.devices[%zu].path: %s is not inside /dev",
                         i, d->path);
      pfd = sr_open_in_root (rootfd, parent, true, false, err);
      if (pfd < 0)
        return sr_error_prefix (err, "linux.devices[%zu]", i);
      pdir = openat (pfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
      if (pdir < 0)
        return sr_error_errno (err, "linux.devices[%zu]: open %s", i, parent);
      unlinkat (pdir, slash + 1, 0);
      int made = make_node (pdir, slash + 1, type | perm,
                            makedev ((unsigned) d->major, (unsigned) d->minor),
                            d->path, err);
      if (made == 2)
        return sr_error (err, EEXIST, "linux.devices[%zu]: %s exists and could not be replaced",
                         i, d->path);
      if (made < 0)
        return sr_error_prefix (err, "linux.devices[%zu]", i);
      if (!made)
        continue;
      if (fchmodat (pdir, slash + 1, perm, 0) < 0)
        return sr_error_errno (err, "linux.devices[%zu]: chmod", i);
      if (fchownat (pdir, slash + 1, d->uid.set ? (uid_t) d->uid.v : 0,
                    d->gid.set ? (gid_t) d->gid.v : 0, AT_SYMLINK_NOFOLLOW) < 0)
        return sr_error_errno (err, "linux.devices[%zu]: chown", i);
    }
  return 0;
}

bool
sr_mounts_cgroup_nested (const sr_config_t *c)
{
  for (size_t i = 0; i < c->n_mounts; i++)
    {
      const char *d = c->mounts[i].destination;
      size_t n = strlen (d);
      if (c->mounts[i].type == NULL || strcmp (c->mounts[i].type, "cgroup") != 0)
        continue;
      for (size_t j = i + 1; j < c->n_mounts; j++)
        if (strncmp (c->mounts[j].destination, d, n) == 0
            && (c->mounts[j].destination[n] == '/' || c->mounts[j].destination[n] == '\0'))
          return true;
    }
  return false;
}

static bool
binds_dev (const sr_config_t *c)
{
  for (size_t i = 0; i < c->n_mounts; i++)
    if (strcmp (c->mounts[i].destination, "/dev") == 0
        && c->mounts[i].type && strcmp (c->mounts[i].type, "bind") == 0)
      return true;
  return false;
}

int
sr_mounts_prepare_rootfs (const sr_config_t *c, const char *rootfs,
                          const char *bundle, sr_v1_cgroups_t *defer, sr_error_t *err)
{
  _cleanup_init_close_ int rootfd = -1;
  unsigned long prop = MS_SLAVE | MS_REC;

  if (c->linux_.rootfs_propagation)
    {
      long p = sr_propagation_parse (c->linux_.rootfs_propagation);
      if (p < 0)
        return sr_error (err, 0, "linux.rootfsPropagation: unknown value \"%s\"",
                         c->linux_.rootfs_propagation);
      /* Only private is stricter than rslave here; shared or unbindable
       * would break the rootfs bind and pivot_root, and are applied to
       * the new / once we are in it (sr_mounts_finalize). */
      if (((unsigned long) p & ~MS_REC) == MS_PRIVATE)
        prop = MS_PRIVATE | MS_REC;
    }
  /* Nothing we mount may propagate back to the host. */
  if (mount (NULL, "/", NULL, prop, NULL) < 0)
    return sr_error_errno (err, "make / %s", prop & MS_PRIVATE ? "rprivate" : "rslave");
  if (mount (rootfs, rootfs, NULL, MS_BIND | MS_REC, NULL) < 0)
    return sr_error_errno (err, "bind the rootfs %s", rootfs);
  rootfd = open (rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (rootfd < 0)
    return sr_error_errno (err, "open rootfs %s", rootfs);
  for (size_t i = 0; i < c->n_mounts; i++)
    if (do_mount (rootfd, bundle, &c->mounts[i], i, defer, err) < 0)
      return -1;
  if (!binds_dev (c) && setup_dev (rootfd, c, err) < 0)
    return -1;
  /* A missing cwd is made inside the rootfs, as runc does (docker -w). */
  if (c->has_process && c->process.cwd)
    {
      _cleanup_init_close_ int fd = sr_open_in_root (rootfd, c->process.cwd, true, false, err);
      if (fd < 0)
        return sr_error_prefix (err, "process.cwd");
    }
  /* createContainer hooks run here, in the rootfs, as runc runs them. */
  if (fchdir (rootfd) < 0)
    return sr_error_errno (err, "chdir into the rootfs");
  return 0;
}

int
sr_mounts_pivot (const char *rootfs, bool no_pivot, sr_error_t *err)
{
  if (chdir (rootfs) < 0)
    return sr_error_errno (err, "chdir %s", rootfs);
  if (no_pivot)
    {
      if (mount (rootfs, "/", NULL, MS_MOVE, NULL) < 0)
        return sr_error_errno (err, "move the rootfs to /");
      if (chroot (".") < 0)
        return sr_error_errno (err, "chroot");
    }
  else
    {
      if (syscall (SYS_pivot_root, ".", ".") < 0)
        return sr_error_errno (err, "pivot_root");
      /* The old root sits on top now: keep its unmount from propagating. */
      if (mount (NULL, ".", NULL, MS_SLAVE | MS_REC, NULL) < 0)
        return sr_error_errno (err, "make the old root rslave");
      if (umount2 (".", MNT_DETACH) < 0)
        return sr_error_errno (err, "detach the old root");
    }
  if (chdir ("/") < 0)
    return sr_error_errno (err, "chdir /");
  return 0;
}

/* The null device, opened and checked once for every masked file: its
 * clone is the mask, taken through an fd whose inode we checked, so a
 * /dev/null swapped for a symlink or another node cannot redirect it
 * (the CVE-2025-31133 class). */
static int
null_device (int *nfd, const char *path, sr_error_t *err)
{
  struct stat ns;
  if (*nfd >= 0)
    return *nfd;
  *nfd = open ("/dev/null", O_PATH | O_NOFOLLOW | O_CLOEXEC);
  if (*nfd < 0 || fstat (*nfd, &ns) < 0 || !S_ISCHR (ns.st_mode)
      || ns.st_rdev != makedev (1, 3))
    return sr_error (err, 0, "maskedPaths: %s: /dev/null is not the null device", path);
  return *nfd;
}

static int
mask_path (const char *path, int *nfd, sr_error_t *err)
{
  struct stat st;
  _cleanup_init_close_ int fd = open (path, O_PATH | O_NOFOLLOW | O_CLOEXEC);
  _cleanup_init_close_ int m = -1;

  if (fd < 0)
    return errno == ENOENT ? 0 : sr_error_errno (err, "maskedPaths: %s", path);
  if (fstat (fd, &st) < 0)
    return sr_error_errno (err, "maskedPaths: %s", path);
  if (S_ISLNK (st.st_mode))
    return 0; /* a symlink points elsewhere; masking it would mask its target */
  if (S_ISDIR (st.st_mode))
    {
      const uint64_t attrs = MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV
        | MOUNT_ATTR_NOEXEC;
      if (mount_here (fd, "tmpfs", "tmpfs", NULL, attrs))
        return 0;
      m = new_fs_mount ("tmpfs", "tmpfs", NULL, attrs, path, err);
    }
  else
    {
      if (null_device (nfd, path, err) < 0)
        return -1;
      m = open_tree (*nfd, "", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_EMPTY_PATH);
    }
  if (m < 0)
    return err->msg ? -1 : sr_error_errno (err, "maskedPaths: %s", path);
  if (move_mount (m, "", fd, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
    return sr_error_errno (err, "maskedPaths: mask %s", path);
  return 0;
}

static int
readonly_path (const char *path, sr_error_t *err)
{
  struct mount_attr a = { .attr_set = MOUNT_ATTR_RDONLY };
  _cleanup_init_close_ int target = open (path, O_PATH | O_NOFOLLOW | O_CLOEXEC);
  _cleanup_init_close_ int t = -1;

  if (target < 0)
    return errno == ENOENT ? 0 : sr_error_errno (err, "readonlyPaths: %s", path);
  t = open_tree (target, "", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE
                 | AT_EMPTY_PATH);
  if (t < 0)
    return sr_error_errno (err, "readonlyPaths: %s", path);
  if (mount_setattr (t, "", AT_EMPTY_PATH | AT_RECURSIVE, &a, sizeof a) < 0)
    return sr_error_errno (err, "readonlyPaths: %s: read-only", path);
  if (move_mount (t, "", target, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
    return sr_error_errno (err, "readonlyPaths: %s", path);
  return 0;
}

static const char *
abs_in_root (const char *path, char *buf, size_t n)
{
  if (path[0] == '/' || (size_t) snprintf (buf, n, "/%s", path) >= n)
    return path;
  return buf;
}

static int
finalize (const sr_config_t *c, sr_error_t *err)
{
  const sr_linux_t *l = &c->linux_;
  _cleanup_init_close_ int nfd = -1;
  char abs[PATH_MAX];
  int ret = 0;

  /* A relative entry is relative to the container's "/", whatever the
   * cwd a masked directory's mount_here left. */
  for (size_t i = 0; ret == 0 && i < l->readonly_paths.n; i++)
    ret = readonly_path (abs_in_root (l->readonly_paths.v[i], abs, sizeof abs), err);
  for (size_t i = 0; ret == 0 && i < l->masked_paths.n; i++)
    ret = mask_path (abs_in_root (l->masked_paths.v[i], abs, sizeof abs), &nfd, err);
  if (ret < 0)
    return -1;
  if (c->root_readonly)
    {
      struct mount_attr a = { .attr_set = MOUNT_ATTR_RDONLY };
      if (mount_setattr (AT_FDCWD, "/", 0, &a, sizeof a) < 0)
        return sr_error_errno (err, "make the rootfs read-only");
    }
  if (l->rootfs_propagation)
    {
      long p = sr_propagation_parse (l->rootfs_propagation);
      if (p >= 0 && mount (NULL, "/", NULL, (unsigned long) p, NULL) < 0)
        return sr_error_errno (err, "linux.rootfsPropagation");
    }
  return 0;
}

int
sr_mounts_finalize (const sr_config_t *c, sr_error_t *err)
{
  if (finalize (c, err) < 0)
    return -1;
  if (close_kept_fds () < 0)
    return sr_error_errno (err, "close the mounts' fds");
  return 0;
}
