#include "build-config.h"
#include "state.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#include "cgroup.h"
#include "cleanup.h"
#include "utils.h"

int
sr_id_validate (const char *id, sr_error_t *err)
{
  size_t n = id ? strlen (id) : 0;

  if (n == 0)
    return sr_error (err, 0, "container id must not be empty");
  if (n > SR_ID_MAX)
    return sr_error (err, 0, "container id is longer than %d bytes", SR_ID_MAX);
  if (strcmp (id, ".") == 0 || strcmp (id, "..") == 0)
    return sr_error (err, 0, "invalid container id \"%s\"", id);
  for (const char *p = id; *p; p++)
    {
      char c = *p;
      if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
          || (c >= '0' && c <= '9') || c == '_' || c == '+' || c == '-'
          || c == '.')
        continue;
      return sr_error (err, 0,
                       "invalid container id \"%s\": only [A-Za-z0-9_+.-] "
                       "are allowed",
                       id);
    }
  return 0;
}

int
sr_state_root_open (const char *root, sr_error_t *err)
{
  int fd = open (root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd >= 0)
    return fd;
  if (errno != ENOENT)
    return sr_error_errno (err, "open state root %s", root);
  if (sr_mkdir_p (root, 0700, err) < 0)
    return -1;
  fd = open (root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0)
    return sr_error_errno (err, "open state root %s", root);
  return fd;
}

/* ---- the pool of emptied state directories ---------------------------------
 *
 * Freeing a directory's block can cost more than all the rest of a
 * container's state: where the state root is on a filesystem that discards
 * freed blocks synchronously (ext4 without a journal mounted with
 * `discard`, as /run is on the machines secrun is benchmarked on), the
 * close that drops a removed directory waits 0.4-0.6 ms for the device.
 * A rename frees nothing. So `run`, the one command that both makes and
 * removes a container, parks its emptied directory under a name no id can
 * have ('@' is not in the id alphabet), and the next create renames it to
 * its id instead of making one. At most SR_DIR_POOL are kept; they are
 * empty, 0700 and ours. `delete` removes its directory outright: a `run`
 * that still holds an fd of it (delete --force) must find it gone, not
 * reused by another container. */
enum { SR_DIR_POOL = 4 };

static int
renameat_noreplace (int fd, const char *from, const char *to)
{
  return (int) syscall (SYS_renameat2, fd, from, fd, to, 1 /* RENAME_NOREPLACE */);
}

static void
pool_name (char *buf, size_t n, int i)
{
  snprintf (buf, n, "@pool-%d", i);
}

/* Renames a parked directory to ID: 0, or -1 with errno (EEXIST: ID is
 * taken; anything else: none to take, make one). */
static int
dir_unpark (int rootfd, const char *id)
{
  char name[16];

  for (int i = 0; i < SR_DIR_POOL; i++)
    {
      pool_name (name, sizeof name, i);
      if (renameat_noreplace (rootfd, name, id) == 0)
        return 0;
      if (errno != ENOENT)
        return -1; /* EEXIST, or no RENAME_NOREPLACE here (EINVAL) */
    }
  errno = ENOENT;
  return -1;
}

/* Whether ROOTFD/ID is still the directory DIRFD, which we hold locked. */
static bool
dir_is_named (int rootfd, const char *id, int dirfd)
{
  struct stat a, b;
  return fstat (dirfd, &a) == 0 && a.st_nlink > 0
         && fstatat (rootfd, id, &b, AT_SYMLINK_NOFOLLOW) == 0 && a.st_dev == b.st_dev
         && a.st_ino == b.st_ino;
}

/* Whether the directory holds nothing: one getdents64, for the usual case
 * of a container whose state.json and cgroup record are already gone. */
static bool
dir_is_empty (int dirfd)
{
  char buf[1024];
  long n = syscall (SYS_getdents64, dirfd, buf, sizeof buf);

  if (n <= 0)
    return false;
  for (long at = 0; at < n;)
    {
      /* struct linux_dirent64: ino (8), off (8), reclen (2), type (1), name */
      unsigned short reclen;
      const char *name = buf + at + 19;
      memcpy (&reclen, buf + at + 16, sizeof reclen);
      if (strcmp (name, ".") != 0 && strcmp (name, "..") != 0)
        return false;
      at += reclen;
    }
  /* Only "." and "..", with room left for any third entry: none. */
  return true;
}

/* Parks the (empty) directory: 0, or -1 when the pool is full. */
static int
dir_park (sr_container_dir_t *d)
{
  char name[16];
  struct stat st;

  if (fstat (d->dirfd, &st) < 0 || (st.st_mode & 07777) != 0700 || st.st_uid != geteuid ())
    return -1;
  for (int i = 0; i < SR_DIR_POOL; i++)
    {
      pool_name (name, sizeof name, i);
      if (renameat_noreplace (d->rootfd, d->id, name) == 0)
        return 0;
      if (errno != EEXIST)
        return -1;
    }
  return -1;
}

int
sr_container_dir_open (const char *root, const char *id, bool create,
                       sr_container_dir_t *out, sr_error_t *err)
{
  _cleanup_close_ int rootfd = -1;
  _cleanup_close_ int dirfd = -1;

  out->rootfd = out->dirfd = -1;
  out->id = NULL;
  if (sr_id_validate (id, err) < 0)
    return -1;
  rootfd = sr_state_root_open (root, err);
  if (rootfd < 0)
    return -1;
  if (create)
    {
      int r = dir_unpark (rootfd, id);
      if (r < 0 && errno == EEXIST)
        return sr_error (err, 0, "container \"%s\" already exists", id);
      if (r < 0 && mkdirat (rootfd, id, 0700) < 0)
        {
          if (errno == EEXIST)
            return sr_error (err, 0, "container \"%s\" already exists", id);
          return sr_error_errno (err, "create state dir %s/%s", root, id);
        }
    }
  dirfd = openat (rootfd, id, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
  if (dirfd < 0)
    {
      if (errno == ENOENT)
        return sr_error (err, 0, "container \"%s\" does not exist", id);
      return sr_error_errno (err, "open state dir %s/%s", root, id);
    }
  while (flock (dirfd, LOCK_EX) < 0)
    if (errno != EINTR)
      {
        int e = errno;
        if (create)
          unlinkat (rootfd, id, AT_REMOVEDIR);
        return sr_error (err, e, "lock %s/%s", root, id);
      }
  /* A concurrent delete may have removed the dir while we waited, or a
   * `run` parked it, for any create to take (dir_park). */
  if (!create && !dir_is_named (rootfd, id, dirfd))
    return sr_error (err, 0, "container \"%s\" does not exist", id);
  out->id = strdup (id);
  out->rootfd = sr_steal_fd (rootfd);
  out->dirfd = sr_steal_fd (dirfd);
  return 0;
}

bool
sr_container_dir_is_named (const sr_container_dir_t *d)
{
  return dir_is_named (d->rootfd, d->id, d->dirfd);
}

void
sr_container_dir_close (sr_container_dir_t *d)
{
  if (d->dirfd >= 0)
    close (d->dirfd);
  if (d->rootfd >= 0)
    close (d->rootfd);
  free (d->id);
  d->dirfd = d->rootfd = -1;
  d->id = NULL;
}

int
sr_container_dir_remove (sr_container_dir_t *d, bool park, sr_error_t *err)
{
  _cleanup_close_ int fd = -1;
  DIR *dir;
  struct dirent *de;

  /* What every container has, by name; a walk only for the rest
   * (exec.sock, notify/). */
  unlinkat (d->dirfd, SR_STATE_FILE, 0);
  unlinkat (d->dirfd, SR_CGROUP_RECORD, 0);
  if (park ? dir_is_empty (d->dirfd) && dir_park (d) == 0
           : unlinkat (d->rootfd, d->id, AT_REMOVEDIR) == 0)
    {
      sr_container_dir_close (d);
      return 0;
    }
  fd = openat (d->dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd >= 0 && (dir = fdopendir (fd)) != NULL)
    {
      fd = -1;
      while ((de = readdir (dir)) != NULL)
        {
          if (strcmp (de->d_name, ".") == 0 || strcmp (de->d_name, "..") == 0)
            continue;
          /* Files, and the notify/ directory with its socket. */
          if (unlinkat (d->dirfd, de->d_name, 0) < 0 && errno == EISDIR)
            {
              sr_error_t e = { 0 };
              sr_rm_rf_at (d->dirfd, de->d_name, &e);
              sr_error_clear (&e);
            }
        }
      closedir (dir);
    }
  /* Only an empty dir goes to the pool: a file we could not remove
   * would be found by the next container to take it. */
  if (park && lseek (d->dirfd, 0, SEEK_SET) == 0 && dir_is_empty (d->dirfd)
      && dir_park (d) == 0)
    {
      sr_container_dir_close (d);
      return 0;
    }
  if (unlinkat (d->rootfd, d->id, AT_REMOVEDIR) < 0 && errno != ENOENT)
    {
      sr_error_errno (err, "remove state dir of \"%s\"", d->id);
      sr_container_dir_close (d);
      return -1;
    }
  sr_container_dir_close (d);
  return 0;
}

int
sr_state_prepare (const sr_state_t *st, const char *config_text, size_t config_len,
                  sr_state_text_t *t, sr_error_t *err)
{
  json_t *o = json_object ();
  char *s;

  memset (t, 0, sizeof *t);
  json_object_set_new (o, "id", json_string (st->id));
  json_object_set_new (o, "bundle", json_string (st->bundle));
  json_object_set_new (o, "rootfs", json_string (st->rootfs));
  json_object_set_new (o, "created", json_string (st->created));
  json_object_set_new (o, "owner", json_string (st->owner ? st->owner : ""));
  json_object_set_new (o, "systemd_cgroup", json_boolean (st->systemd_cgroup));
  if (st->no_new_keyring)
    json_object_set_new (o, "no_new_keyring", json_true ());
  if (st->annotations)
    json_object_set (o, "annotations", st->annotations);
  s = json_dumps (o, JSON_COMPACT);
  json_decref (o);
  if (s == NULL || s[0] != '{' || strlen (s) < 3)
    {
      free (s);
      return sr_error (err, ENOMEM, "serialise state");
    }
  s[strlen (s) - 1] = '\0'; /* the fields of sr_state_commit follow */
  t->head = s;
  if (config_text)
    {
      t->config = config_text;
      t->config_len = config_len;
    }
  else if (st->config)
    {
      t->config_owned = json_dumps (st->config, JSON_COMPACT);
      if (t->config_owned == NULL)
        {
          sr_state_text_release (t);
          return sr_error (err, ENOMEM, "serialise the config");
        }
      t->config = t->config_owned;
      t->config_len = strlen (t->config_owned);
    }
  return 0;
}

int
sr_state_commit (const sr_container_dir_t *d, const sr_state_text_t *t,
                 const sr_state_t *st, sr_error_t *err)
{
  json_t *o = json_object ();
  char *tail;
  struct iovec iov[6];
  int n = 0, ret;

  json_object_set_new (o, "pid", json_integer (st->pid));
  json_object_set_new (o, "pid_start", json_integer ((json_int_t) st->pid_start));
  if (st->cgroup)
    json_object_set (o, "cgroup", st->cgroup);
  tail = json_dumps (o, JSON_COMPACT);
  json_decref (o);
  if (tail == NULL || strlen (tail) < 3)
    {
      free (tail);
      return sr_error (err, ENOMEM, "serialise state");
    }
  /* head ("{...") "," tail without its braces ["," "config": TEXT] "}" */
  iov[n++] = (struct iovec) { t->head, strlen (t->head) };
  iov[n++] = (struct iovec) { (void *) ",", 1 };
  iov[n++] = (struct iovec) { tail + 1, strlen (tail) - 2 };
  if (t->config)
    {
      iov[n++] = (struct iovec) { (void *) ",\"config\":", 10 };
      iov[n++] = (struct iovec) { (void *) t->config, t->config_len };
    }
  iov[n++] = (struct iovec) { (void *) "}", 1 };
  ret = sr_write_file_atomicv (d->dirfd, SR_STATE_FILE, iov, n, 0600, err);
  free (tail);
  return ret;
}

void
sr_state_text_release (sr_state_text_t *t)
{
  free (t->head);
  free (t->config_owned);
  memset (t, 0, sizeof *t);
}

static char *
dup_str (json_t *o, const char *k)
{
  const char *s = json_string_value (json_object_get (o, k));
  return s ? strdup (s) : NULL;
}

int
sr_state_read (const sr_container_dir_t *d, sr_state_t *st, sr_error_t *err)
{
  _cleanup_free_ char *buf = NULL;
  json_error_t je;
  json_t *o;
  size_t len;

  memset (st, 0, sizeof *st);
  if (sr_read_file_max (d->dirfd, SR_STATE_FILE, &buf, &len, SR_STATE_FILE_MAX, err) < 0)
    {
      struct stat sb;
      if (fstatat (d->dirfd, SR_STATE_FILE, &sb, AT_SYMLINK_NOFOLLOW) < 0 && errno == ENOENT
          && (st->id = strdup (d->id)) != NULL)
        {
          sr_error_clear (err);
          st->interrupted = true;
          return 0;
        }
      return sr_error_prefix (err, "container \"%s\"", d->id);
    }
  o = json_loadb (buf, len, 0, &je);
  if (o == NULL || !json_is_object (o))
    {
      json_decref (o);
      return sr_error (err, 0, "container \"%s\": corrupt state file", d->id);
    }
  st->id = dup_str (o, "id");
  st->bundle = dup_str (o, "bundle");
  st->rootfs = dup_str (o, "rootfs");
  st->created = dup_str (o, "created");
  st->owner = dup_str (o, "owner");
  st->pid = (pid_t) json_integer_value (json_object_get (o, "pid"));
  st->pid_start = (uint64_t) json_integer_value (json_object_get (o, "pid_start"));
  st->systemd_cgroup = json_is_true (json_object_get (o, "systemd_cgroup"));
  st->no_new_keyring = json_is_true (json_object_get (o, "no_new_keyring"));
  st->annotations = json_incref (json_object_get (o, "annotations"));
  st->cgroup = json_incref (json_object_get (o, "cgroup"));
  st->config = json_incref (json_object_get (o, "config"));
  json_decref (o);
  if (st->id == NULL)
    {
      sr_state_release (st);
      return sr_error (err, 0, "container \"%s\": corrupt state file", d->id);
    }
  return 0;
}

void
sr_state_release (sr_state_t *st)
{
  free (st->id);
  free (st->bundle);
  free (st->rootfs);
  free (st->created);
  free (st->owner);
  json_decref (st->annotations);
  json_decref (st->cgroup);
  json_decref (st->config);
  memset (st, 0, sizeof *st);
}

sr_status_t
sr_state_status (const sr_container_dir_t *d, const sr_state_t *st)
{
  struct stat sb;

  if (st->interrupted)
    return SR_STATUS_STOPPED;
  if (st->pid <= 0)
    return SR_STATUS_CREATING;
  if (!sr_proc_alive (st->pid, st->pid_start))
    return SR_STATUS_STOPPED;
  if (fstatat (d->dirfd, SR_EXEC_SOCK, &sb, AT_SYMLINK_NOFOLLOW) == 0)
    return SR_STATUS_CREATED;
  if (st->cgroup)
    {
      sr_cgroup_t *cg = NULL;
      sr_error_t e = { 0 };
      if (sr_cgroup_from_json (st->cgroup, &cg, &e) == 0)
        {
          int frozen = sr_cgroup_is_frozen (cg);
          sr_cgroup_free (cg);
          if (frozen == 1)
            return SR_STATUS_PAUSED;
        }
      sr_error_clear (&e);
    }
  return SR_STATUS_RUNNING;
}

const char *
sr_status_name (sr_status_t s)
{
  switch (s)
    {
    case SR_STATUS_CREATING:
      return "creating";
    case SR_STATUS_CREATED:
      return "created";
    case SR_STATUS_RUNNING:
      return "running";
    case SR_STATUS_PAUSED:
      return "paused";
    case SR_STATUS_STOPPED:
      return "stopped";
    }
  return "unknown";
}

json_t *
sr_state_to_json (const sr_state_t *st, sr_status_t status)
{
  json_t *o = json_object ();
  json_object_set_new (o, "ociVersion", json_string (OCI_SPEC_VERSION));
  json_object_set_new (o, "id", json_string (st->id));
  json_object_set_new (o, "status", json_string (sr_status_name (status)));
  /* runc prints pid 0 once stopped; the spec wants pid only while alive */
  json_object_set_new (o, "pid", json_integer (status == SR_STATUS_STOPPED ? 0 : st->pid));
  json_object_set_new (o, "bundle", json_string (st->bundle ? st->bundle : ""));
  json_object_set_new (o, "rootfs", json_string (st->rootfs ? st->rootfs : ""));
  json_object_set_new (o, "created", json_string (st->created ? st->created : ""));
  json_object_set_new (o, "owner", json_string (st->owner ? st->owner : ""));
  json_object_set_new (o, "annotations",
                       st->annotations ? json_incref (st->annotations) : json_object ());
  return o;
}

int
sr_container_load (const char *root, const char *id, sr_container_dir_t *d,
                   sr_state_t *st, sr_error_t *err)
{
  if (sr_container_dir_open (root, id, false, d, err) < 0)
    return -1;
  if (sr_state_read (d, st, err) < 0)
    {
      sr_container_dir_close (d);
      return -1;
    }
  return 0;
}
