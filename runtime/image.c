/* OCI image layouts and docker-archive tarballs for `secrun launch`.
 *
 * Trust model: the image is data from somewhere else. Its digests catch
 * corruption and truncation (a docker-archive carries no outside anchor, so
 * they cannot prove authenticity); what keeps a hostile image from touching
 * the host is the extraction itself: every entry is resolved inside the
 * target with openat2(RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS) before
 * libarchive writes it, and libarchive runs with its own SECURE_* checks on
 * top. An entry that would escape (.., an absolute path, a path through a
 * symbolic link, a hard link to something outside) fails the whole launch:
 * an image that tries it is not one to run. */
#ifndef _GNU_SOURCE
# define _GNU_SOURCE
#endif

#include "image.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>

#include "cleanup.h"
#include "config.h"
#include "log.h"
#include "sha256.h"
#include "utils.h"

/* Manifests, indexes and configs are small; a bigger one is not an image. */
#define SMALL_BLOB_MAX (16 * 1024 * 1024)
#define OCI_REF_NAME "org.opencontainers.image.ref.name"

static inline void
archive_freep (struct archive **a)
{
  if (*a)
    archive_read_free (*a);
}
#define _cleanup_archive_ __attribute__ ((cleanup (archive_freep)))

static inline void
jsonp_decref (json_t **j)
{
  json_decref (*j);
}
#define _cleanup_json_ __attribute__ ((cleanup (jsonp_decref)))

/* The compressions images use, decoded in-process. Not
 * archive_read_support_filter_all: for formats it has no library for, that
 * would run an external decompressor (lrzip, lzop, grzip...) on data from
 * the image. */
static void
support_filters (struct archive *a)
{
  archive_read_support_filter_gzip (a);
  archive_read_support_filter_zstd (a);
  archive_read_support_filter_xz (a);
  archive_read_support_filter_bzip2 (a);
}

typedef struct {
  char digest[7 + SR_SHA256_HEX_LEN + 1]; /* "sha256:<hex>" of the raw blob */
  char *name;      /* docker-archive: the member holding it */
  int64_t size;    /* -1 when unknown */
} layer_ref_t;

typedef struct {
  int layout_fd;          /* OCI layout directory, or -1 */
  const char *archive;    /* docker-archive path, or NULL */
  json_t *config;
  layer_ref_t *layers;
  size_t n_layers;
} image_src_t;

static void
image_src_release (image_src_t *s)
{
  if (s->layout_fd >= 0)
    close (s->layout_fd);
  json_decref (s->config);
  for (size_t i = 0; i < s->n_layers; i++)
    free (s->layers[i].name);
  free (s->layers);
}

static long
openat2_beneath (int dirfd, const char *path, int flags, bool no_symlinks)
{
  struct open_how how = {
    .flags = (uint64_t) (flags | O_CLOEXEC),
    .resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS | RESOLVE_NO_XDEV
               | (no_symlinks ? RESOLVE_NO_SYMLINKS : 0),
  };
  return syscall (SYS_openat2, dirfd, path, &how, sizeof how);
}

/* ---- digests -------------------------------------------------------------- */

/* "sha256:" and 64 lower-case hex digits: the only form accepted, so a
 * digest can never put "/" or ".." into a blob path. */
static int
digest_hex (const char *digest, const char **hex, sr_error_t *err)
{
  if (digest == NULL)
    return sr_error (err, 0, "missing digest");
  if (strncmp (digest, "sha256:", 7) != 0)
    return sr_error (err, 0, "digest \"%.80s\": only sha256 digests are supported",
                     digest);
  const char *h = digest + 7;
  size_t n = strspn (h, "0123456789abcdef");
  if (n != SR_SHA256_HEX_LEN || h[n] != '\0')
    return sr_error (err, 0, "digest \"%.80s\": not 64 lower-case hex digits", digest);
  *hex = h;
  return 0;
}

static int
verify_buf (const char *what, const char *digest, const char *buf, size_t len,
            sr_error_t *err)
{
  const char *want;
  char got[SR_SHA256_HEX_LEN + 1];

  if (digest_hex (digest, &want, err) < 0)
    return sr_error_prefix (err, "%s", what);
  sr_sha256_buf_hex (buf, len, got);
  if (strcmp (got, want) != 0)
    return sr_error (err, 0, "%s: digest mismatch: expected sha256:%s, got sha256:%s",
                     what, want, got);
  return 0;
}

/* ---- reading blobs ---------------------------------------------------------- */

/* Raw bytes of a layer, hashed as libarchive pulls them through. */
typedef struct {
  int fd;                   /* a blob file, or -1 */
  struct archive *outer;    /* or the current entry of a docker-archive */
  sr_sha256_t h;
  uint64_t total;
  bool eof;
  char buf[64 * 1024];
} blob_reader_t;

static ssize_t
br_pull (blob_reader_t *br)
{
  ssize_t n;
  if (br->outer)
    {
      n = archive_read_data (br->outer, br->buf, sizeof br->buf);
      if (n < 0)
        errno = EIO;
    }
  else
    do
      n = read (br->fd, br->buf, sizeof br->buf);
    while (n < 0 && errno == EINTR);
  if (n > 0)
    {
      sr_sha256_update (&br->h, br->buf, (size_t) n);
      br->total += (uint64_t) n;
    }
  else if (n == 0)
    br->eof = true;
  return n;
}

static la_ssize_t
br_read (struct archive *a, void *ud, const void **out)
{
  blob_reader_t *br = ud;
  ssize_t n = br_pull (br);
  if (n < 0)
    {
      archive_set_error (a, errno, "read the layer");
      return -1;
    }
  *out = br->buf;
  return n;
}

/* Hashes what libarchive left unread (tar padding, the end of a compressed
 * stream) and compares. */
static int
br_verify (blob_reader_t *br, const char *digest, int64_t size, sr_error_t *err)
{
  const char *want;
  uint8_t d[SR_SHA256_LEN];
  char got[SR_SHA256_HEX_LEN + 1];

  while (!br->eof)
    if (br_pull (br) < 0)
      return sr_error (err, br->outer ? 0 : errno, "layer %s: read", digest);
  sr_sha256_final (&br->h, d);
  sr_sha256_hex (d, got);
  if (digest_hex (digest, &want, err) < 0)
    return -1;
  if (strcmp (got, want) != 0)
    return sr_error (err, 0, "layer %s: digest mismatch: the blob hashes to sha256:%s",
                     digest, got);
  if (size >= 0 && br->total != (uint64_t) size)
    return sr_error (err, 0, "layer %s: size %llu, the manifest says %lld", digest,
                     (unsigned long long) br->total, (long long) size);
  return 0;
}

/* ---- OCI image layout ------------------------------------------------------- */

static int
oci_read_blob (int layout_fd, const char *digest, size_t max, char **out,
               size_t *len, sr_error_t *err)
{
  const char *hex;
  char path[16 + SR_SHA256_HEX_LEN];
  _cleanup_free_ char *buf = NULL;
  size_t n = 0;
  struct stat st;

  if (digest_hex (digest, &hex, err) < 0)
    return -1;
  snprintf (path, sizeof path, "blobs/sha256/%s", hex);
  _cleanup_close_ int fd = openat (layout_fd, path, O_RDONLY | O_CLOEXEC);
  if (fd < 0 || fstat (fd, &st) < 0)
    return sr_error_errno (err, "blob %s", digest);
  if (!S_ISREG (st.st_mode) || (uint64_t) st.st_size > max)
    return sr_error (err, 0, "blob %s: not a regular file of at most %zu bytes",
                     digest, max);
  buf = malloc ((size_t) st.st_size + 1);
  if (buf == NULL)
    return sr_error (err, ENOMEM, "blob %s", digest);
  while (n < (size_t) st.st_size)
    {
      ssize_t r = read (fd, buf + n, (size_t) st.st_size - n);
      if (r < 0 && errno == EINTR)
        continue;
      if (r <= 0)
        return sr_error (err, r < 0 ? errno : 0, "blob %s: read%s", digest,
                         r == 0 ? ": truncated" : "");
      n += (size_t) r;
    }
  buf[n] = '\0';
  if (verify_buf (digest, digest, buf, n, err) < 0)
    return -1;
  *out = sr_steal_ptr (buf);
  *len = n;
  return 0;
}

static json_t *
oci_read_json (int layout_fd, const char *digest, sr_error_t *err)
{
  _cleanup_free_ char *buf = NULL;
  size_t len = 0;
  if (oci_read_blob (layout_fd, digest, SMALL_BLOB_MAX, &buf, &len, err) < 0)
    return NULL;
  return sr_json_parse (buf, len, digest, err);
}

static const char *
host_arch (void)
{
#if defined(__x86_64__)
  return "amd64";
#elif defined(__aarch64__)
  return "arm64";
#elif defined(__i386__)
  return "386";
#elif defined(__arm__)
  return "arm";
#elif defined(__powerpc64__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
  return "ppc64le";
#elif defined(__s390x__)
  return "s390x";
#elif defined(__riscv) && __riscv_xlen == 64
  return "riscv64";
#else
  return "unknown";
#endif
}

static bool
is_index_type (const char *mt)
{
  return mt && (strcmp (mt, "application/vnd.oci.image.index.v1+json") == 0
                || strcmp (mt, "application/vnd.docker.distribution.manifest.list.v2+json") == 0);
}

/* The descriptor in an index's "manifests" for TAG (by its ref.name
 * annotation); without a tag, the only one, else the one called "latest".
 * In a nested index (a multi-platform image) pick by platform instead. */
static json_t *
index_pick (json_t *index, const char *tag, bool by_platform, sr_error_t *err)
{
  json_t *m = json_object_get (index, "manifests");
  json_t *d, *latest = NULL;
  size_t i;

  if (!json_is_array (m) || json_array_size (m) == 0)
    return sr_error (err, 0, "index: no manifests"), NULL;
  if (by_platform)
    {
      json_array_foreach (m, i, d)
        {
          json_t *p = json_object_get (d, "platform");
          const char *os = json_string_value (json_object_get (p, "os"));
          const char *arch = json_string_value (json_object_get (p, "architecture"));
          if (os && arch && strcmp (os, "linux") == 0 && strcmp (arch, host_arch ()) == 0)
            return d;
        }
      return sr_error (err, 0, "index: no manifest for linux/%s", host_arch ()), NULL;
    }
  json_array_foreach (m, i, d)
    {
      const char *name = json_string_value (json_object_get (json_object_get (d, "annotations"),
                                                             OCI_REF_NAME));
      if (tag && name && strcmp (name, tag) == 0)
        return d;
      if (name && strcmp (name, "latest") == 0)
        latest = d;
    }
  if (tag)
    return sr_error (err, 0, "no image tagged \"%s\" in the layout", tag), NULL;
  if (json_array_size (m) == 1)
    return json_array_get (m, 0);
  if (latest)
    return latest;
  return sr_error (err, 0, "the layout holds %zu images: name one with oci:DIR:TAG",
                   json_array_size (m)), NULL;
}

static bool
is_layer_type (const char *mt)
{
  /* tar, tar+gzip, tar+zstd, Docker's rootfs.diff.tar.gzip, and their
   * non-distributable twins; an encrypted layer (+encrypted) is not ours. */
  return mt == NULL || (strstr (mt, "tar") && !strstr (mt, "encrypted"));
}

static int
oci_open (const char *ref, image_src_t *s, sr_error_t *err)
{
  _cleanup_free_ char *dir = strdup (ref);
  const char *tag = NULL;
  struct stat st;

  if (dir == NULL)
    return sr_error (err, ENOMEM, "oci:");
  /* oci:DIR[:TAG]: DIR itself may contain a colon, so split only when the
   * whole is not a directory. */
  if (stat (dir, &st) < 0 || !S_ISDIR (st.st_mode))
    {
      char *c = strrchr (dir, ':');
      if (c)
        {
          *c = '\0';
          tag = c + 1;
          if (*tag == '\0')
            tag = NULL;
        }
    }
  s->layout_fd = open (dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (s->layout_fd < 0)
    return sr_error_errno (err, "oci:%s", dir);
  if (faccessat (s->layout_fd, "oci-layout", F_OK, 0) < 0)
    return sr_error (err, 0, "oci:%s: not an OCI image layout (no oci-layout file)", dir);

  _cleanup_free_ char *idx_path = sr_path_join (dir, "index.json");
  _cleanup_json_ json_t *index = idx_path ? sr_json_load (idx_path, "index.json", err) : NULL;
  if (index == NULL)
    return sr_error_prefix (err, "oci:%s", dir);

  json_t *desc = index_pick (index, tag, false, err);
  char digest[7 + SR_SHA256_HEX_LEN + 1];
  const char *hex;
  if (desc == NULL)
    return sr_error_prefix (err, "oci:%s", dir);
  for (int depth = 0;; depth++)
    {
      const char *d = json_string_value (json_object_get (desc, "digest"));
      if (digest_hex (d, &hex, err) < 0)
        return sr_error_prefix (err, "oci:%s: manifest", dir);
      snprintf (digest, sizeof digest, "%s", d);
      _cleanup_json_ json_t *blob = oci_read_json (s->layout_fd, digest, err);
      if (blob == NULL)
        return sr_error_prefix (err, "oci:%s: manifest", dir);
      const char *mt = json_string_value (json_object_get (blob, "mediaType"));
      if (is_index_type (mt) || (mt == NULL && json_object_get (blob, "manifests")))
        {
          /* A multi-platform image: the manifest for this host. */
          if (depth >= 4)
            return sr_error (err, 0, "oci:%s: indexes nested too deep", dir);
          desc = index_pick (blob, NULL, true, err);
          if (desc == NULL)
            return sr_error_prefix (err, "oci:%s", dir);
          /* desc lives in blob: keep blob for the next round. */
          json_decref (index);
          index = sr_steal_ptr (blob);
          continue;
        }
      json_t *cfg = json_object_get (blob, "config");
      json_t *layers = json_object_get (blob, "layers");
      if (!json_is_object (cfg) || !json_is_array (layers))
        return sr_error (err, 0, "oci:%s: manifest %s: no config or layers", dir, digest);
      s->config = oci_read_json (s->layout_fd,
                                 json_string_value (json_object_get (cfg, "digest")), err);
      if (s->config == NULL)
        return sr_error_prefix (err, "oci:%s: image config", dir);
      s->n_layers = json_array_size (layers);
      s->layers = calloc (s->n_layers + 1, sizeof *s->layers);
      if (s->layers == NULL)
        return sr_error (err, ENOMEM, "layers");
      for (size_t i = 0; i < s->n_layers; i++)
        {
          json_t *l = json_array_get (layers, i);
          const char *ld = json_string_value (json_object_get (l, "digest"));
          const char *lmt = json_string_value (json_object_get (l, "mediaType"));
          if (digest_hex (ld, &hex, err) < 0)
            return sr_error_prefix (err, "oci:%s: layers[%zu]", dir, i);
          if (!is_layer_type (lmt))
            return sr_error (err, 0, "oci:%s: layers[%zu]: unsupported media type %s",
                             dir, i, lmt);
          snprintf (s->layers[i].digest, sizeof s->layers[i].digest, "%s", ld);
          json_t *sz = json_object_get (l, "size");
          s->layers[i].size = json_is_integer (sz) ? json_integer_value (sz) : -1;
        }
      return 0;
    }
}

/* ---- docker-archive ----------------------------------------------------------- */

/* "./a//b/" -> "a/b"; NULL for an absolute name or one with "..". */
static char *
clean_name (const char *raw)
{
  size_t n = strlen (raw);
  char *out = malloc (n + 1);
  const char *p = raw;
  size_t o = 0;

  if (out == NULL || raw[0] == '/')
    {
      free (out);
      return NULL;
    }
  while (*p)
    {
      const char *e = strchrnul (p, '/');
      size_t len = (size_t) (e - p);
      if (len == 2 && p[0] == '.' && p[1] == '.')
        {
          free (out);
          return NULL;
        }
      if (len > 0 && !(len == 1 && p[0] == '.'))
        {
          if (o)
            out[o++] = '/';
          memcpy (out + o, p, len);
          o += len;
        }
      p = *e ? e + 1 : e;
    }
  out[o] = '\0';
  return out;
}

/* Opens the tarball and leaves the reader at the data of member NAME. A
 * member that is a symbolic link (docker save links repeated layers) is
 * followed inside the archive, a few hops at most. */
static struct archive *
archive_open_member (const char *path, const char *name, int64_t *size,
                     sr_error_t *err)
{
  _cleanup_free_ char *want = clean_name (name);

  if (want == NULL || *want == '\0')
    return sr_error (err, 0, "%s: bad member name \"%s\"", path, name), NULL;
  for (int hop = 0; hop < 8; hop++)
    {
      struct archive *a = archive_read_new ();
      struct archive_entry *e;
      int r;
      if (a == NULL)
        return sr_error (err, ENOMEM, "libarchive"), NULL;
      support_filters (a);
      archive_read_support_format_tar (a);
      if (archive_read_open_filename (a, path, 64 * 1024) != ARCHIVE_OK)
        {
          sr_error (err, archive_errno (a), "%s: %s", path, archive_error_string (a));
          archive_read_free (a);
          return NULL;
        }
      while ((r = archive_read_next_header (a, &e)) == ARCHIVE_OK)
        {
          _cleanup_free_ char *n = clean_name (archive_entry_pathname (e));
          if (n == NULL || strcmp (n, want) != 0)
            continue;
          if (archive_entry_filetype (e) == AE_IFREG && archive_entry_hardlink (e) == NULL)
            {
              *size = archive_entry_size_is_set (e) ? archive_entry_size (e) : -1;
              return a;
            }
          const char *target = archive_entry_symlink (e);
          if (target == NULL)
            target = archive_entry_hardlink (e);
          if (target == NULL)
            break;
          /* A symlink is relative to its directory, a hard link to the top. */
          _cleanup_free_ char *joined = NULL;
          char *slash = strrchr (want, '/');
          if (archive_entry_symlink (e) && slash && target[0] != '/')
            {
              if (asprintf (&joined, "%.*s/%s", (int) (slash - want), want, target) < 0)
                joined = NULL;
            }
          else
            joined = strdup (target);
          free (want);
          want = joined ? clean_name (joined) : NULL;
          if (want == NULL)
            {
              archive_read_free (a);
              return sr_error (err, 0, "%s: member %s links outside the archive", path,
                               name), NULL;
            }
          goto next_hop;
        }
      if (r != ARCHIVE_OK && r != ARCHIVE_EOF)
        sr_error (err, archive_errno (a), "%s: %s", path, archive_error_string (a));
      else
        sr_error (err, 0, "%s: no member %s", path, want);
      archive_read_free (a);
      return NULL;
    next_hop:
      archive_read_free (a);
    }
  return sr_error (err, 0, "%s: member %s: too many links", path, name), NULL;
}

static int
archive_read_member (const char *path, const char *name, char **out, size_t *len,
                     sr_error_t *err)
{
  int64_t size;
  _cleanup_archive_ struct archive *a = archive_open_member (path, name, &size, err);
  if (a == NULL)
    return -1;
  if (size < 0 || size > SMALL_BLOB_MAX)
    return sr_error (err, 0, "%s: member %s: too big", path, name);
  char *buf = malloc ((size_t) size + 1);
  if (buf == NULL)
    return sr_error (err, ENOMEM, "%s", name);
  size_t got = 0;
  while (got < (size_t) size)
    {
      la_ssize_t n = archive_read_data (a, buf + got, (size_t) size - got);
      if (n <= 0)
        {
          free (buf);
          return sr_error (err, 0, "%s: member %s: %s", path, name,
                           n < 0 ? archive_error_string (a) : "truncated");
        }
      got += (size_t) n;
    }
  buf[got] = '\0';
  *out = buf;
  *len = got;
  return 0;
}

/* "blobs/sha256/<hex>" (docker save since 25, an OCI layout inside) or
 * "<hex>.json" (older docker, podman, skopeo): the digest the name claims. */
static bool
name_digest (const char *name, char digest[7 + SR_SHA256_HEX_LEN + 1])
{
  const char *b = strrchr (name, '/');
  const char *hex = b ? b + 1 : name;
  size_t n = strspn (hex, "0123456789abcdef");

  if (n != SR_SHA256_HEX_LEN)
    return false;
  if (!(hex[n] == '\0' && b && b - name >= 6 && strncmp (b - 6, "sha256", 6) == 0)
      && strcmp (hex + n, ".json") != 0)
    return false;
  snprintf (digest, 7 + SR_SHA256_HEX_LEN + 1, "sha256:%.64s", hex);
  return true;
}

static bool
repo_tag_matches (json_t *tags, const char *ref)
{
  size_t i;
  json_t *t;
  json_array_foreach (tags, i, t)
    {
      const char *s = json_string_value (t);
      if (s == NULL)
        continue;
      if (strcmp (s, ref) == 0)
        return true;
      if (strncmp (s, "docker.io/", 10) == 0
          && (strcmp (s + 10, ref) == 0
              || (strncmp (s + 10, "library/", 8) == 0 && strcmp (s + 18, ref) == 0)))
        return true;
    }
  return false;
}

static int
archive_src_open (const char *spec, image_src_t *s, char **pathp, sr_error_t *err)
{
  _cleanup_free_ char *path = strdup (spec);
  const char *ref = NULL;
  struct stat st;

  if (path == NULL)
    return sr_error (err, ENOMEM, "docker-archive");
  /* docker-archive:FILE[:NAME[:TAG]], as skopeo writes it. */
  if (stat (path, &st) < 0)
    {
      char *c = strchr (path, ':');
      if (c)
        {
          *c = '\0';
          ref = c + 1;
        }
    }
  if (stat (path, &st) < 0)
    return sr_error_errno (err, "%s", path);
  if (!S_ISREG (st.st_mode))
    return sr_error (err, 0, "%s: not a docker-archive tarball", path);

  _cleanup_free_ char *mbuf = NULL;
  size_t mlen = 0;
  if (archive_read_member (path, "manifest.json", &mbuf, &mlen, err) < 0)
    return sr_error_prefix (err, "docker-archive");
  _cleanup_json_ json_t *manifest = sr_json_parse (mbuf, mlen, "manifest.json", err);
  if (manifest == NULL)
    return sr_error_prefix (err, "%s", path);
  if (!json_is_array (manifest) || json_array_size (manifest) == 0)
    return sr_error (err, 0, "%s: manifest.json: no image", path);

  json_t *img = NULL, *e;
  size_t i;
  if (ref)
    {
      json_array_foreach (manifest, i, e)
        if (repo_tag_matches (json_object_get (e, "RepoTags"), ref))
          {
            img = e;
            break;
          }
      if (img == NULL)
        return sr_error (err, 0, "%s: no image tagged %s", path, ref);
    }
  else
    {
      if (json_array_size (manifest) > 1)
        return sr_error (err, 0, "%s: holds %zu images: name one with "
                         "docker-archive:%s:NAME:TAG", path, json_array_size (manifest), path);
      img = json_array_get (manifest, 0);
    }

  const char *cfg_name = json_string_value (json_object_get (img, "Config"));
  json_t *layers = json_object_get (img, "Layers");
  char cfg_digest[7 + SR_SHA256_HEX_LEN + 1];
  if (cfg_name == NULL || !json_is_array (layers))
    return sr_error (err, 0, "%s: manifest.json: no Config or Layers", path);
  if (!name_digest (cfg_name, cfg_digest))
    return sr_error (err, 0, "%s: config %s: its name carries no digest to verify",
                     path, cfg_name);
  _cleanup_free_ char *cbuf = NULL;
  size_t clen = 0;
  if (archive_read_member (path, cfg_name, &cbuf, &clen, err) < 0
      || verify_buf (cfg_name, cfg_digest, cbuf, clen, err) < 0)
    return sr_error_prefix (err, "docker-archive");
  s->config = sr_json_parse (cbuf, clen, cfg_name, err);
  if (s->config == NULL)
    return sr_error_prefix (err, "%s", path);

  /* A layer named by digest is checked against that name; otherwise
   * (<id>/layer.tar) against the config's diff_id, the digest of the
   * uncompressed tar, which is what such a member is. */
  json_t *diff_ids = json_object_get (json_object_get (s->config, "rootfs"), "diff_ids");
  s->n_layers = json_array_size (layers);
  s->layers = calloc (s->n_layers + 1, sizeof *s->layers);
  if (s->layers == NULL)
    return sr_error (err, ENOMEM, "layers");
  for (i = 0; i < s->n_layers; i++)
    {
      const char *ln = json_string_value (json_array_get (layers, i));
      layer_ref_t *l = &s->layers[i];
      const char *hex;
      if (ln == NULL)
        return sr_error (err, 0, "%s: manifest.json: Layers[%zu]: not a string", path, i);
      l->size = -1;
      l->name = strdup (ln);
      if (l->name == NULL)
        return sr_error (err, ENOMEM, "layers");
      if (!(strncmp (ln, "blobs/", 6) == 0 && name_digest (ln, l->digest)))
        {
          const char *d = json_string_value (json_array_get (diff_ids, i));
          if (json_array_size (diff_ids) != s->n_layers || d == NULL)
            return sr_error (err, 0, "%s: layer %s: no digest to verify it against "
                             "(rootfs.diff_ids)", path, ln);
          snprintf (l->digest, sizeof l->digest, "%s", d);
        }
      if (digest_hex (l->digest, &hex, err) < 0)
        return sr_error_prefix (err, "%s: layer %s", path, ln);
    }
  *pathp = sr_steal_ptr (path);
  return 0;
}

/* ---- unpacking ------------------------------------------------------------------ */

typedef struct {
  int rootfd;        /* the rootfs being built */
  json_t *seen;      /* paths this layer has written, for opaque dirs */
  const char *layer; /* digest, for messages */
} unpack_ctx_t;

/* Opens DIR (relative, clean) under the root without following any
 * symbolic link. 0 with *fd = -1 when it does not exist yet. */
static int
open_parent (unpack_ctx_t *u, const char *dir, const char *entry, int *fd,
             sr_error_t *err)
{
  *fd = -1;
  if (*dir == '\0')
    {
      *fd = fcntl (u->rootfd, F_DUPFD_CLOEXEC, 3);
      return *fd < 0 ? sr_error_errno (err, "dup") : 0;
    }
  long r = openat2_beneath (u->rootfd, dir, O_PATH | O_DIRECTORY, true);
  if (r >= 0)
    {
      *fd = (int) r;
      return 0;
    }
  if (errno == ENOENT)
    return 0;
  if (errno == ELOOP || errno == EXDEV)
    return sr_error (err, 0, "layer %s: entry %s: refused: it goes through a "
                     "symbolic link", u->layer, entry);
  if (errno == ENOTDIR)
    return sr_error (err, 0, "layer %s: entry %s: a parent is not a directory",
                     u->layer, entry);
  return sr_error_errno (err, "layer %s: entry %s", u->layer, entry);
}

/* Hides what lower layers put in DIR: removes every child this layer has
 * not written, and recurses into those it has. */
static int
apply_opaque (unpack_ctx_t *u, const char *dir, sr_error_t *err)
{
  _cleanup_close_ int fd = -1;
  long r = *dir ? openat2_beneath (u->rootfd, dir, O_RDONLY | O_DIRECTORY, true)
                : fcntl (u->rootfd, F_DUPFD_CLOEXEC, 3);
  if (r < 0)
    return errno == ENOENT ? 0 : sr_error_errno (err, "layer %s: opaque %s", u->layer, dir);
  fd = (int) r;

  /* Names first, then changes: removing while readdir runs is legal but
   * needlessly subtle. */
  int dfd = fcntl (fd, F_DUPFD_CLOEXEC, 3);
  DIR *d = dfd >= 0 ? fdopendir (dfd) : NULL;
  if (d == NULL)
    {
      if (dfd >= 0)
        close (dfd);
      return sr_error_errno (err, "layer %s: opaque %s", u->layer, dir);
    }
  _cleanup_json_ json_t *names = json_array ();
  struct dirent *de;
  while ((de = readdir (d)) != NULL)
    if (strcmp (de->d_name, ".") && strcmp (de->d_name, ".."))
      json_array_append_new (names, json_string (de->d_name));
  closedir (d);

  size_t i;
  json_t *n;
  json_array_foreach (names, i, n)
    {
      const char *name = json_string_value (n);
      _cleanup_free_ char *child = *dir ? sr_path_join (dir, name) : strdup (name);
      struct stat st;
      if (child == NULL)
        return sr_error (err, ENOMEM, "opaque");
      if (json_object_get (u->seen, child) == NULL)
        {
          if (sr_rm_rf_at (fd, name, err) < 0)
            return -1;
        }
      else if (fstatat (fd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR (st.st_mode)
               && apply_opaque (u, child, err) < 0)
        return -1;
    }
  return 0;
}

/* Only xattrs that mean the same inside a container are kept: file
 * capabilities and user.*. trusted.overlay.* in particular would be read by
 * the overlay mounted on top of the cache (redirects, opaque markers). */
static void
filter_xattrs (struct archive_entry *e)
{
  const char *name;
  const void *val;
  size_t sz;
  struct kept { char *name; void *val; size_t sz; } *keep = NULL;
  size_t n = 0, total = (size_t) archive_entry_xattr_reset (e);

  if (total == 0)
    return;
  keep = calloc (total, sizeof *keep);
  while (keep && archive_entry_xattr_next (e, &name, &val, &sz) == ARCHIVE_OK)
    if (strcmp (name, "security.capability") == 0 || strncmp (name, "user.", 5) == 0)
      {
        keep[n].name = strdup (name);
        keep[n].val = malloc (sz ? sz : 1);
        if (keep[n].name == NULL || keep[n].val == NULL)
          {
            free (keep[n].name);
            free (keep[n].val);
            continue;
          }
        memcpy (keep[n].val, val, sz);
        keep[n].sz = sz;
        n++;
      }
  archive_entry_xattr_clear (e);
  for (size_t i = 0; i < n; i++)
    {
      archive_entry_xattr_add_entry (e, keep[i].name, keep[i].val, keep[i].sz);
      free (keep[i].name);
      free (keep[i].val);
    }
  free (keep);
}

static int
unpack_entry (unpack_ctx_t *u, struct archive *a, struct archive *w,
              struct archive_entry *e, sr_error_t *err)
{
  const char *raw = archive_entry_pathname (e);
  _cleanup_free_ char *path = NULL;
  _cleanup_free_ char *dir = NULL;
  _cleanup_close_ int pfd = -1;
  const char *base;
  mode_t type = archive_entry_filetype (e);

  if (raw == NULL)
    return sr_error (err, 0, "layer %s: an entry without a name", u->layer);
  path = clean_name (raw);
  if (path == NULL)
    return sr_error (err, 0, "layer %s: entry %s: refused: %s", u->layer, raw,
                     raw[0] == '/' ? "absolute path" : "\"..\" in the path");
  if (*path == '\0')
    return 0; /* the layer's own root: the rootfs keeps its mode */

  char *slash = strrchr (path, '/');
  dir = slash ? strndup (path, (size_t) (slash - path)) : strdup ("");
  base = slash ? slash + 1 : path;
  if (dir == NULL)
    return sr_error (err, ENOMEM, "unpack");
  if (open_parent (u, dir, raw, &pfd, err) < 0)
    return -1;

  /* Whiteouts (image-spec layer.md): .wh.NAME hides NAME below,
   * .wh..wh..opq hides everything lower layers put in the directory. */
  if (strncmp (base, ".wh.", 4) == 0)
    {
      if (strcmp (base, ".wh..wh..opq") == 0)
        return apply_opaque (u, dir, err);
      const char *victim = base + 4;
      if (strncmp (victim, ".wh.", 4) == 0)
        return 0; /* other aufs bookkeeping (.wh..wh.plnk ...) */
      if (*victim == '\0' || strcmp (victim, ".") == 0 || strcmp (victim, "..") == 0)
        return sr_error (err, 0, "layer %s: entry %s: bad whiteout", u->layer, raw);
      return pfd >= 0 ? sr_rm_rf_at (pfd, victim, err) : 0;
    }

  if (type == AE_IFCHR || type == AE_IFBLK)
    {
      /* Devices come from the runtime's /dev; a node hidden in an image
       * is only ever a way around the device cgroup. */
      sr_log_debug ("layer %s: skipping device node %s", u->layer, path);
      return 0;
    }

  const char *hl = archive_entry_hardlink (e);
  if (hl)
    {
      _cleanup_free_ char *target = clean_name (hl);
      struct stat st;
      if (target == NULL || *target == '\0')
        return sr_error (err, 0, "layer %s: entry %s: refused: hard link to %s outside "
                         "the root", u->layer, raw, hl);
      long t = openat2_beneath (u->rootfd, target, O_PATH | O_NOFOLLOW, true);
      if (t < 0)
        return sr_error (err, errno == ELOOP || errno == EXDEV ? 0 : errno,
                         "layer %s: entry %s: refused: hard link to %s%s", u->layer, raw,
                         hl, errno == ELOOP || errno == EXDEV
                         ? " through a symbolic link" : "");
      int r = fstat ((int) t, &st);
      close ((int) t);
      if (r < 0 || S_ISDIR (st.st_mode))
        return sr_error (err, 0, "layer %s: entry %s: refused: hard link to a directory",
                         u->layer, raw);
      archive_entry_set_hardlink (e, target);
    }

  /* A different type replaces what is there; a directory over a directory
   * merges. Files are removed first so that a write never lands in an
   * inode another path (a hard link) shares. */
  if (pfd >= 0)
    {
      struct stat st;
      if (fstatat (pfd, base, &st, AT_SYMLINK_NOFOLLOW) == 0
          && !(S_ISDIR (st.st_mode) && type == AE_IFDIR && hl == NULL)
          && sr_rm_rf_at (pfd, base, err) < 0)
        return -1;
    }

  archive_entry_set_pathname (e, path);
  filter_xattrs (e);
  int r = archive_write_header (w, e);
  if (r < ARCHIVE_WARN)
    return sr_error (err, 0, "layer %s: entry %s: %s", u->layer, raw,
                     archive_error_string (w));
  if (r == ARCHIVE_WARN)
    sr_log_debug ("layer %s: entry %s: %s", u->layer, raw, archive_error_string (w));
  if (archive_entry_size (e) > 0 && hl == NULL)
    for (;;)
      {
        const void *buf;
        size_t size;
        la_int64_t off;
        r = archive_read_data_block (a, &buf, &size, &off);
        if (r == ARCHIVE_EOF)
          break;
        if (r < ARCHIVE_WARN)
          return sr_error (err, 0, "layer %s: entry %s: %s", u->layer, raw,
                           archive_error_string (a));
        if (archive_write_data_block (w, buf, size, off) < ARCHIVE_WARN)
          return sr_error (err, 0, "layer %s: entry %s: %s", u->layer, raw,
                           archive_error_string (w));
      }
  if (archive_write_finish_entry (w) < ARCHIVE_WARN)
    return sr_error (err, 0, "layer %s: entry %s: %s", u->layer, raw,
                     archive_error_string (w));
  if (json_object_set_new (u->seen, path, json_true ()) < 0)
    return sr_error (err, ENOMEM, "unpack");
  return 0;
}

/* Unpacks one layer read through BR into the rootfs at rootfd. */
static int
unpack_layer (int rootfd, blob_reader_t *br, const layer_ref_t *l, sr_error_t *err)
{
  _cleanup_archive_ struct archive *a = archive_read_new ();
  struct archive *w = archive_write_disk_new ();
  _cleanup_json_ json_t *seen = json_object ();
  _cleanup_close_ int cwd = open (".", O_PATH | O_DIRECTORY | O_CLOEXEC);
  struct archive_entry *e;
  unpack_ctx_t u = { .rootfd = rootfd, .seen = seen, .layer = l->digest };
  int r, ret = -1;

  if (a == NULL || w == NULL || seen == NULL)
    {
      if (w)
        archive_write_free (w);
      return sr_error (err, ENOMEM, "libarchive");
    }
  support_filters (a);
  archive_read_support_format_tar (a);
  archive_read_support_format_empty (a);
  /* Owners as numbers (the image's passwd is not the host's), modes with
   * setuid bits (no-new-privileges makes them inert), no write through a
   * symlink, no "..", no absolute path: the second line of defence behind
   * the checks in unpack_entry. */
  archive_write_disk_set_options (w, ARCHIVE_EXTRACT_OWNER | ARCHIVE_EXTRACT_PERM
                                  | ARCHIVE_EXTRACT_TIME | ARCHIVE_EXTRACT_XATTR
                                  | ARCHIVE_EXTRACT_UNLINK
                                  | ARCHIVE_EXTRACT_SECURE_SYMLINKS
                                  | ARCHIVE_EXTRACT_SECURE_NODOTDOT
                                  | ARCHIVE_EXTRACT_SECURE_NOABSOLUTEPATHS);
  if (cwd < 0)
    {
      archive_write_free (w);
      return sr_error_errno (err, "open the current directory");
    }
  if (archive_read_open (a, br, NULL, br_read, NULL) != ARCHIVE_OK)
    {
      sr_error (err, archive_errno (a), "layer %s: %s", l->digest, archive_error_string (a));
      archive_write_free (w);
      return -1;
    }
  /* libarchive writes relative to the working directory: move into the
   * rootfs for the duration (launch is single-threaded), and back. */
  if (fchdir (rootfd) < 0)
    {
      sr_error_errno (err, "chdir into the rootfs");
      archive_write_free (w);
      return -1;
    }
  while ((r = archive_read_next_header (a, &e)) == ARCHIVE_OK || r == ARCHIVE_WARN)
    if (unpack_entry (&u, a, w, e, err) < 0)
      goto out;
  if (r != ARCHIVE_EOF)
    {
      sr_error (err, archive_errno (a), "layer %s: %s", l->digest,
                archive_error_string (a));
      goto out;
    }
  /* Directory modes and times are set last, by close. */
  if (archive_write_close (w) != ARCHIVE_OK)
    {
      sr_error (err, 0, "layer %s: %s", l->digest, archive_error_string (w));
      goto out;
    }
  ret = br_verify (br, l->digest, l->size, err);
out:
  archive_write_free (w);
  if (fchdir (cwd) < 0 && ret == 0)
    ret = sr_error_errno (err, "chdir back");
  return ret;
}

static int
unpack_from_source (const image_src_t *s, const layer_ref_t *l, int rootfd,
                    sr_error_t *err)
{
  blob_reader_t *br = calloc (1, sizeof *br);
  int ret;

  if (br == NULL)
    return sr_error (err, ENOMEM, "unpack");
  br->fd = -1;
  sr_sha256_init (&br->h);
  if (s->layout_fd >= 0)
    {
      char path[16 + SR_SHA256_HEX_LEN];
      snprintf (path, sizeof path, "blobs/sha256/%s", l->digest + 7);
      br->fd = openat (s->layout_fd, path, O_RDONLY | O_CLOEXEC);
      if (br->fd < 0)
        {
          free (br);
          return sr_error_errno (err, "layer %s", l->digest);
        }
    }
  else
    {
      int64_t size;
      br->outer = archive_open_member (s->archive, l->name, &size, err);
      if (br->outer == NULL)
        {
          free (br);
          return -1;
        }
    }
  ret = unpack_layer (rootfd, br, l, err);
  if (br->fd >= 0)
    close (br->fd);
  if (br->outer)
    archive_read_free (br->outer);
  free (br);
  return ret;
}

/* ---- the cache -------------------------------------------------------------------- */

/* ChainID as the image spec defines it: the first layer's digest, then
 * sha256(previous + " " + next). One cache entry per distinct stack. */
static void
chain_id (const image_src_t *s, char out[7 + SR_SHA256_HEX_LEN + 1])
{
  snprintf (out, 7 + SR_SHA256_HEX_LEN + 1, "%s", s->layers[0].digest);
  for (size_t i = 1; i < s->n_layers; i++)
    {
      char buf[2 * (7 + SR_SHA256_HEX_LEN) + 2];
      char hex[SR_SHA256_HEX_LEN + 1];
      int n = snprintf (buf, sizeof buf, "%s %s", out, s->layers[i].digest);
      sr_sha256_buf_hex (buf, (size_t) n, hex);
      snprintf (out, 7 + SR_SHA256_HEX_LEN + 1, "sha256:%s", hex);
    }
}

/* Temp dirs of launches that died mid-unpack: ".tmp-PID-XXXXXX" whose PID
 * is gone. */
static void
remove_stale_tmp (int cachefd)
{
  int dfd = fcntl (cachefd, F_DUPFD_CLOEXEC, 3);
  DIR *d = dfd >= 0 ? fdopendir (dfd) : NULL;
  struct dirent *de;

  if (d == NULL)
    {
      if (dfd >= 0)
        close (dfd);
      return;
    }
  while ((de = readdir (d)) != NULL)
    {
      long pid;
      if (sscanf (de->d_name, ".tmp-%ld-", &pid) != 1 || pid <= 0)
        continue;
      if (kill ((pid_t) pid, 0) < 0 && errno == ESRCH)
        {
          sr_error_t e = { 0 };
          sr_log_debug ("image cache: removing stale %s", de->d_name);
          if (sr_rm_rf_at (cachefd, de->d_name, &e) < 0)
            sr_log_warn ("image cache: %s", e.msg);
          sr_error_clear (&e);
        }
    }
  closedir (d);
}

bool
sr_image_is_ref (const char *source)
{
  struct stat st;
  if (strncmp (source, "oci:", 4) == 0 || strncmp (source, "docker-archive:", 15) == 0)
    return true;
  return stat (source, &st) == 0 && S_ISREG (st.st_mode);
}

int
sr_image_prepare (const char *source, const char *cache_dir, sr_image_t *img,
                  sr_error_t *err)
{
  image_src_t s = { .layout_fd = -1 };
  _cleanup_free_ char *archive = NULL;
  _cleanup_free_ char *final = NULL;
  _cleanup_close_ int cachefd = -1;
  char chain[7 + SR_SHA256_HEX_LEN + 1];
  char tmpname[64];
  int ret = -1;
  struct stat st;

  memset (img, 0, sizeof *img);
  if (strncmp (source, "oci:", 4) == 0)
    ret = oci_open (source + 4, &s, err);
  else
    ret = archive_src_open (strncmp (source, "docker-archive:", 15) == 0 ? source + 15
                                                                         : source,
                            &s, &archive, err);
  if (ret < 0)
    goto out;
  ret = -1;
  s.archive = archive;
  if (s.n_layers == 0)
    {
      sr_error (err, 0, "%s: the image has no layers", source);
      goto out;
    }

  chain_id (&s, chain);
  if (sr_mkdir_p (cache_dir, 0700, err) < 0)
    goto out;
  cachefd = open (cache_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (cachefd < 0)
    {
      sr_error_errno (err, "%s", cache_dir);
      goto out;
    }
  final = sr_path_join (cache_dir, chain + 7);
  img->rootfs = final ? sr_path_join (final, "rootfs") : NULL;
  img->chain_id = strdup (chain);
  if (img->rootfs == NULL || img->chain_id == NULL)
    {
      sr_error (err, ENOMEM, "image");
      goto out;
    }
  if (fstatat (cachefd, chain + 7, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR (st.st_mode))
    {
      sr_log_debug ("image cache hit: %s (%zu layers, nothing unpacked)", final, s.n_layers);
      img->cache_hit = true;
    }
  else
    {
      _cleanup_close_ int rootfd = -1;
      remove_stale_tmp (cachefd);
      snprintf (tmpname, sizeof tmpname, ".tmp-%ld-XXXXXX", (long) getpid ());
      _cleanup_free_ char *tmp = sr_path_join (cache_dir, tmpname);
      if (tmp == NULL || mkdtemp (tmp) == NULL)
        {
          sr_error_errno (err, "image cache: temporary directory");
          goto out;
        }
      const char *tbase = strrchr (tmp, '/') + 1;
      _cleanup_free_ char *troot = sr_path_join (tmp, "rootfs");
      if (troot == NULL || mkdir (troot, 0755) < 0
          || (rootfd = open (troot, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
        {
          sr_error_errno (err, "image cache: %s", troot ? troot : "rootfs");
          goto drop_tmp;
        }
      for (size_t i = 0; i < s.n_layers; i++)
        {
          sr_log_debug ("unpacking layer %zu/%zu %s", i + 1, s.n_layers, s.layers[i].digest);
          if (unpack_from_source (&s, &s.layers[i], rootfd, err) < 0)
            {
              sr_error_prefix (err, "%s", source);
              goto drop_tmp;
            }
        }
      /* The mode of the image root directory, whatever the layers said. */
      fchmod (rootfd, 0755);
      if (renameat (cachefd, tbase, cachefd, chain + 7) < 0)
        {
          if (errno != EEXIST && errno != ENOTEMPTY)
            {
              sr_error_errno (err, "image cache: rename into place");
              goto drop_tmp;
            }
          /* A concurrent launch of the same image got there first. */
          sr_log_debug ("image cache: %s appeared meanwhile; using it", final);
          sr_error_t e = { 0 };
          sr_rm_rf_at (cachefd, tbase, &e);
          sr_error_clear (&e);
        }
      else
        sr_log_debug ("image cache: unpacked %s", final);
      goto done;
    drop_tmp:
      {
        sr_error_t e = { 0 };
        sr_rm_rf_at (cachefd, tbase, &e);
        sr_error_clear (&e);
      }
      goto out;
    }
done:
  img->config = sr_steal_ptr (s.config);
  ret = 0;
out:
  image_src_release (&s);
  if (ret < 0)
    sr_image_release (img);
  return ret;
}

void
sr_image_release (sr_image_t *img)
{
  json_decref (img->config);
  free (img->rootfs);
  free (img->chain_id);
  memset (img, 0, sizeof *img);
}
