/* A cache of compiled seccomp filters under the state root, so a profile is
 * compiled once per host and not on every start (libseccomp's compile is
 * most of what a hardened start costs).
 *
 * The file name is only an index (FNV-1a of the key). The file holds the
 * whole key: the canonical JSON of linux.seccomp, the machine, libseccomp's
 * and our version; a lookup compares it byte for byte, so a collision, a
 * stale entry or a foreign file can never make us load the wrong filter.
 * Entries must be regular files owned by us and writable by nobody else, in
 * a 0700 directory; they are written to a temporary name and renamed. */
#include "build-config.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <seccomp.h>

#include "cleanup.h"
#include "seccomp_bpf.h"
#include "utils.h"

#define MAGIC "SRBPF1\n"
#define MAGIC_LEN 7

static char *
cache_key (json_t *obj)
{
  struct utsname u;
  const struct scmp_version *v = seccomp_version ();
  _cleanup_free_ char *canon = json_dumps (obj, JSON_COMPACT | JSON_SORT_KEYS);
  char *key = NULL;

  if (canon == NULL)
    return NULL;
  uname (&u);
  if (asprintf (&key, "%s %u.%u.%u %s %s\n%s", u.machine, v->major, v->minor,
                v->micro, PACKAGE_VERSION, GIT_COMMIT, canon) < 0)
    return NULL;
  return key;
}

static uint64_t
fnv1a (const char *s, size_t n)
{
  uint64_t h = 0xcbf29ce484222325ULL;
  for (size_t i = 0; i < n; i++)
    {
      h ^= (unsigned char) s[i];
      h *= 0x100000001b3ULL;
    }
  return h;
}

static bool
lookup (int dirfd, const char *name, const char *key, size_t klen, sr_bpf_t *out)
{
  _cleanup_close_ int fd = openat (dirfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  _cleanup_free_ char *buf = NULL;
  struct stat st;
  uint32_t n;

  if (fd < 0 || fstat (fd, &st) < 0)
    return false;
  if (!S_ISREG (st.st_mode) || st.st_uid != geteuid () || (st.st_mode & 022)
      || st.st_size > (off_t) (MAGIC_LEN + 8 + klen + 4 + 8 * 4096))
    return false;
  buf = malloc ((size_t) st.st_size);
  if (buf == NULL || read (fd, buf, (size_t) st.st_size) != st.st_size)
    return false;
  size_t off = MAGIC_LEN;
  uint64_t stored;
  if ((size_t) st.st_size < off + 8 + klen + 4 || memcmp (buf, MAGIC, MAGIC_LEN))
    return false;
  memcpy (&stored, buf + off, 8);
  off += 8;
  if (stored != klen || memcmp (buf + off, key, klen) != 0)
    return false;
  off += klen;
  memcpy (&n, buf + off, 4);
  off += 4;
  if (n == 0 || n > 4096 || (size_t) st.st_size != off + (size_t) n * sizeof (struct sock_filter))
    return false;
  out->insns = malloc ((size_t) n * sizeof (struct sock_filter));
  if (out->insns == NULL)
    return false;
  memcpy (out->insns, buf + off, (size_t) n * sizeof (struct sock_filter));
  out->len = (unsigned short) n;
  return true;
}

static void
store (int dirfd, const char *name, const char *key, size_t klen, const sr_bpf_t *b)
{
  char tmp[64];
  uint64_t k = klen;
  uint32_t n = b->len;
  snprintf (tmp, sizeof tmp, ".%s.%d", name, (int) getpid ());
  _cleanup_close_ int fd = openat (dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL
                                   | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0)
    return;
  if (sr_write_all (fd, MAGIC, MAGIC_LEN) < 0 || sr_write_all (fd, &k, 8) < 0
      || sr_write_all (fd, key, klen) < 0 || sr_write_all (fd, &n, 4) < 0
      || sr_write_all (fd, b->insns, (size_t) n * sizeof (struct sock_filter)) < 0
      || renameat (dirfd, tmp, dirfd, name) < 0)
    unlinkat (dirfd, tmp, 0);
}

int
sr_seccomp_compile_cached (const sr_seccomp_t *s, json_t *obj, const char *dir,
                           sr_bpf_t *out, sr_error_t *err)
{
  _cleanup_free_ char *key = obj && dir ? cache_key (obj) : NULL;
  _cleanup_close_ int dirfd = -1;
  char name[32];
  struct stat st;

  if (key == NULL)
    return sr_seccomp_compile (s, out, err);
  size_t klen = strlen (key);
  snprintf (name, sizeof name, "%016" PRIx64 ".bpf", fnv1a (key, klen));
  if (mkdir (dir, 0700) < 0 && errno != EEXIST)
    return sr_seccomp_compile (s, out, err);
  dirfd = open (dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  /* A cache directory anyone else could write to is not used at all. */
  if (dirfd < 0 || fstat (dirfd, &st) < 0 || st.st_uid != geteuid ()
      || (st.st_mode & 022))
    return sr_seccomp_compile (s, out, err);
  if (lookup (dirfd, name, key, klen, out))
    return 0;
  if (sr_seccomp_compile (s, out, err) < 0)
    return -1;
  store (dirfd, name, key, klen, out);
  return 0;
}
