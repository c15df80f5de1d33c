/* A cache of compiled seccomp filters under the state root, so a profile is
 * compiled once per host and not on every start (libseccomp's compile is
 * most of what a hardened start costs).
 *
 * The file name is only an index (FNV-1a of the key). The file holds the
 * whole key: the canonical JSON of linux.seccomp (or, for the raw cache
 * below, its bytes as config.json has them), the machine, libseccomp's and
 * our version; a lookup compares it byte for byte, so a collision, a
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

#define MAGIC "SRBPF2\n"
#define MAGIC_LEN 7

/* What every key starts with: the filter also depends on the machine,
 * libseccomp and ourselves. KIND tells the canonical keys from the raw. */
static char *
key_prefix (const char *kind)
{
  struct utsname u;
  const struct scmp_version *v = seccomp_version ();
  char *p = NULL;

  uname (&u);
  if (asprintf (&p, "%s %s %u.%u.%u %s %s\n", kind, u.machine, v->major, v->minor,
                v->micro, PACKAGE_VERSION, GIT_COMMIT) < 0)
    return NULL;
  return p;
}

/* A key is two parts, a prefix and a body, compared as their
 * concatenation (the raw body is not copied to build one). */
typedef struct
{
  const char *a, *b;
  size_t alen, blen;
} key_t_;

static uint64_t
fnv1a (const key_t_ *k)
{
  uint64_t h = 0xcbf29ce484222325ULL;
  for (size_t i = 0; i < k->alen + k->blen; i++)
    {
      h ^= (unsigned char) (i < k->alen ? k->a[i] : k->b[i - k->alen]);
      h *= 0x100000001b3ULL;
    }
  return h;
}

static bool
lookup (int dirfd, const char *name, const key_t_ *k, sr_bpf_t *out, unsigned int *flags)
{
  _cleanup_close_ int fd = openat (dirfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  _cleanup_free_ char *buf = NULL;
  size_t klen = k->alen + k->blen;
  struct stat st;
  uint32_t n, fl;

  if (fd < 0 || fstat (fd, &st) < 0)
    return false;
  if (!S_ISREG (st.st_mode) || st.st_uid != geteuid () || (st.st_mode & 022)
      || st.st_size > (off_t) (MAGIC_LEN + 8 + klen + 8 + 8 * 4096))
    return false;
  buf = malloc ((size_t) st.st_size);
  if (buf == NULL || read (fd, buf, (size_t) st.st_size) != st.st_size)
    return false;
  size_t off = MAGIC_LEN;
  uint64_t stored;
  if ((size_t) st.st_size < off + 8 + klen + 8 || memcmp (buf, MAGIC, MAGIC_LEN))
    return false;
  memcpy (&stored, buf + off, 8);
  off += 8;
  if (stored != klen || memcmp (buf + off, k->a, k->alen) != 0
      || memcmp (buf + off + k->alen, k->b, k->blen) != 0)
    return false;
  off += klen;
  memcpy (&fl, buf + off, 4);
  memcpy (&n, buf + off + 4, 4);
  off += 8;
  if (n == 0 || n > 4096 || (size_t) st.st_size != off + (size_t) n * sizeof (struct sock_filter))
    return false;
  out->insns = malloc ((size_t) n * sizeof (struct sock_filter));
  if (out->insns == NULL)
    return false;
  memcpy (out->insns, buf + off, (size_t) n * sizeof (struct sock_filter));
  out->len = (unsigned short) n;
  if (flags)
    *flags = fl;
  return true;
}

static void
store (int dirfd, const char *name, const key_t_ *k, const sr_bpf_t *b, unsigned int flags)
{
  char tmp[64];
  uint64_t klen = k->alen + k->blen;
  uint32_t n = b->len, fl = flags;
  snprintf (tmp, sizeof tmp, ".%s.%d", name, (int) getpid ());
  _cleanup_close_ int fd = openat (dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL
                                   | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0)
    return;
  if (sr_write_all (fd, MAGIC, MAGIC_LEN) < 0 || sr_write_all (fd, &klen, 8) < 0
      || sr_write_all (fd, k->a, k->alen) < 0 || sr_write_all (fd, k->b, k->blen) < 0
      || sr_write_all (fd, &fl, 4) < 0 || sr_write_all (fd, &n, 4) < 0
      || sr_write_all (fd, b->insns, (size_t) n * sizeof (struct sock_filter)) < 0
      || renameat (dirfd, tmp, dirfd, name) < 0)
    unlinkat (dirfd, tmp, 0);
}

/* The cache directory, made if missing; -1 when it is missing and may not
 * be made, or when anyone else could write to it (then it is not used). */
static int
open_dir (const char *dir, bool create)
{
  struct stat st;
  int fd;

  if (create && mkdir (dir, 0700) < 0 && errno != EEXIST)
    return -1;
  fd = open (dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd >= 0 && (fstat (fd, &st) < 0 || st.st_uid != geteuid () || (st.st_mode & 022)))
    {
      close (fd);
      return -1;
    }
  return fd;
}

static void
entry_name (const key_t_ *k, char name[32])
{
  snprintf (name, 32, "%016" PRIx64 ".bpf", fnv1a (k));
}

int
sr_seccomp_compile_cached (const sr_seccomp_t *s, json_t *obj, const char *dir,
                           sr_bpf_t *out, sr_error_t *err)
{
  _cleanup_free_ char *prefix = obj && dir ? key_prefix ("json") : NULL;
  _cleanup_free_ char *canon = prefix ? json_dumps (obj, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
  _cleanup_close_ int dirfd = -1;
  char name[32];

  if (canon == NULL)
    return sr_seccomp_compile (s, out, err);
  key_t_ k = { prefix, canon, strlen (prefix), strlen (canon) };
  entry_name (&k, name);
  dirfd = open_dir (dir, true);
  if (dirfd < 0)
    return sr_seccomp_compile (s, out, err);
  if (lookup (dirfd, name, &k, out, NULL))
    return 0;
  if (sr_seccomp_compile (s, out, err) < 0)
    return -1;
  store (dirfd, name, &k, out, 0);
  return 0;
}

/* ---- the raw cache ------------------------------------------------------
 * For a config.json that nothing rewrites, the filter is also cached under
 * the bytes of linux.seccomp exactly as the file has them, found by a scan
 * that does not parse the profile: on a hit the profile (most of a Docker
 * or Kubernetes config) is never parsed at all. An entry is only written
 * after the same bytes were parsed, checked and compiled in full, by this
 * same build (the key prefix), so a hit stands for all of that. */

static const char *
skip_ws (const char *p, const char *e)
{
  while (p < e && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
    p++;
  return p;
}

/* Past the string at p (at its opening quote); NULL if unterminated. */
static const char *
skip_string (const char *p, const char *e, bool *escaped)
{
  for (p++; p < e; p++)
    {
      if (*p == '\\')
        {
          *escaped = true;
          p++;
          continue;
        }
      if (*p == '"')
        return p + 1;
    }
  return NULL;
}

/* Past the value at p: only its extent, never its validity (the full parse
 * of the rest of the file, and the entry's key, stand for that). */
static const char *
skip_value (const char *p, const char *e)
{
  bool esc = false;
  size_t depth = 0;

  if (p >= e)
    return NULL;
  if (*p == '"')
    return skip_string (p, e, &esc);
  if (*p != '{' && *p != '[')
    {
      while (p < e && !strchr (",}] \t\r\n", *p))
        p++;
      return p;
    }
  for (; p < e; p++)
    {
      if (*p == '"')
        {
          p = skip_string (p, e, &esc);
          if (p == NULL)
            return NULL;
          p--;
        }
      else if (*p == '{' || *p == '[')
        depth++;
      else if ((*p == '}' || *p == ']') && --depth == 0)
        return p + 1;
    }
  return NULL;
}

/* The value of KEY among the members of the object at p, which must occur
 * once; NULL when absent, repeated, or anything looks unusual (an escaped
 * key name could spell KEY: the caller then parses as usual). */
static const char *
member (const char *p, const char *e, const char *key, const char **vend, bool *odd)
{
  const char *found = NULL;
  size_t klen = strlen (key);

  p = skip_ws (p, e);
  if (p >= e || *p != '{')
    return *odd = true, NULL;
  p = skip_ws (p + 1, e);
  if (p < e && *p == '}')
    return NULL;
  for (;;)
    {
      bool esc = false;
      const char *k = p, *v, *ve;
      if (p >= e || *p != '"' || (p = skip_string (p, e, &esc)) == NULL || esc)
        return *odd = true, NULL;
      p = skip_ws (p, e);
      if (p >= e || *p != ':')
        return *odd = true, NULL;
      v = skip_ws (p + 1, e);
      if ((ve = skip_value (v, e)) == NULL)
        return *odd = true, NULL;
      if ((size_t) (p - k) >= klen + 2 && memcmp (k + 1, key, klen) == 0 && k[klen + 1] == '"')
        {
          if (found)
            return *odd = true, NULL;
          found = v;
          *vend = ve;
        }
      p = skip_ws (ve, e);
      if (p < e && *p == ',')
        {
          p = skip_ws (p + 1, e);
          continue;
        }
      if (p < e && *p == '}')
        return found;
      return *odd = true, NULL;
    }
}

bool
sr_seccomp_find_raw (const char *text, size_t len, size_t *off, size_t *n)
{
  const char *e = text + len, *lend = NULL, *send = NULL, *l, *s;
  bool odd = false;

  l = member (text, e, "linux", &lend, &odd);
  if (l == NULL || odd)
    return false;
  s = member (l, lend, "seccomp", &send, &odd);
  if (s == NULL || odd || *s != '{' || send - s < 4)
    return false;
  *off = (size_t) (s - text);
  *n = (size_t) (send - s);
  return true;
}

bool
sr_seccomp_lookup_raw (const char *dir, const char *raw, size_t n, sr_bpf_t *out,
                       unsigned int *flags)
{
  _cleanup_free_ char *prefix = key_prefix ("raw");
  _cleanup_close_ int dirfd = -1;
  char name[32];

  if (prefix == NULL || (dirfd = open_dir (dir, false)) < 0)
    return false;
  key_t_ k = { prefix, raw, strlen (prefix), n };
  entry_name (&k, name);
  return lookup (dirfd, name, &k, out, flags);
}

void
sr_seccomp_store_raw (const char *dir, const char *raw, size_t n, const sr_bpf_t *b,
                      unsigned int flags)
{
  _cleanup_free_ char *prefix = key_prefix ("raw");
  _cleanup_close_ int dirfd = -1;
  char name[32];

  if (prefix == NULL || (dirfd = open_dir (dir, true)) < 0)
    return;
  key_t_ k = { prefix, raw, strlen (prefix), n };
  entry_name (&k, name);
  store (dirfd, name, &k, b, flags);
}
