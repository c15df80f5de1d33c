/* config.json (runtime-spec 1.0.x to 1.2) into the typed structs of config.h.
 *
 * Every reader names the JSON path of what it rejects, so that a user can
 * find the offending field without reading the parser.  Unknown fields are
 * ignored as the spec requires; a known field of the wrong type is an error,
 * and JSON null stands for an absent optional field. */
#ifndef _GNU_SOURCE
# define _GNU_SOURCE
#endif

#include "config.h"
#include "log.h"

#include "caps.h"
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/personality.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"

/* A config.json is a few KiB; anything this big is a mistake or an attack. */
#define SR_JSON_MAX_SIZE (16 * 1024 * 1024)

/* Paths are only ever shown to humans, so truncating a silly long one
 * (an annotation key, say) is acceptable. */
#define JPATH_MAX 512
typedef char jpath_t[JPATH_MAX];

#ifndef SCHED_ISO
# define SCHED_ISO 4
#endif
#ifndef SCHED_IDLE
# define SCHED_IDLE 5
#endif
#ifndef SCHED_DEADLINE
# define SCHED_DEADLINE 6
#endif
#ifndef IOPRIO_CLASS_RT
# define IOPRIO_CLASS_RT 1
# define IOPRIO_CLASS_BE 2
# define IOPRIO_CLASS_IDLE 3
#endif

typedef struct { const char *name; int value; } name_value_t;

/* ------------------------------------------------------------------ */
/* JSON paths and errors */

/* Marks a path cut short, so that nobody takes it for the real one. */
static const char *
jp_truncated (char *buf, int n)
{
  if (n < 0 || n >= JPATH_MAX)
    strcpy (buf + JPATH_MAX - 4, "...");
  return buf;
}

static const char *
jp_key (char *buf, const char *parent, const char *key)
{
  int n;

  if (parent == NULL || *parent == '\0')
    n = snprintf (buf, JPATH_MAX, "%s", key);
  else
    n = snprintf (buf, JPATH_MAX, "%s.%s", parent, key);
  return jp_truncated (buf, n);
}

static const char *
jp_idx (char *buf, const char *parent, size_t i)
{
  return jp_truncated (buf, snprintf (buf, JPATH_MAX, "%s[%zu]", parent, i));
}

static int
oom (sr_error_t *err, const char *path)
{
  return sr_error (err, ENOMEM, "%s", path);
}

/* ------------------------------------------------------------------ */
/* Integers above INT64_MAX.
 *
 * jansson keeps integers as json_int_t (int64) and refuses bigger ones, yet
 * the spec has uint64 fields and real clients fill them: Docker writes
 * RLIM_INFINITY (18446744073709551615) for --ulimit x=-1.  Before parsing,
 * each such token is rewritten into the string "\u0001DIGITS"; the integer
 * readers accept it and every other reader reports it as an integer.  The
 * marker can be forged by writing that string, which yields exactly the
 * number the forger could have written directly.  The price: a JSON error
 * after such a number on the same line reports a column 8 further on. */
#define BIGINT_MARK '\001'

static bool
parse_bigint_digits (const char *s, size_t n, uint64_t *out)
{
  uint64_t v = 0;
  size_t i;

  if (n == 0 || n > 20 || s[0] == '0')
    return false;
  for (i = 0; i < n; i++)
    {
      unsigned d = (unsigned char) s[i] - '0';
      if (d > 9 || v > (UINT64_MAX - d) / 10)
        return false;
      v = v * 10 + d;
    }
  if (v <= INT64_MAX)
    return false;
  *out = v;
  return true;
}

static bool
bigint_value (json_t *v, uint64_t *out)
{
  const char *s;

  if (!json_is_string (v))
    return false;
  s = json_string_value (v);
  return s[0] == BIGINT_MARK
         && parse_bigint_digits (s + 1, json_string_length (v) - 1, out);
}

static bool
number_char (char c)
{
  return (c >= '0' && c <= '9') || c == '-' || c == '+' || c == '.' || c == 'e'
         || c == 'E';
}

/* Counts the tokens to rewrite and the rewritten length; copies into OUT
 * when it is not NULL.  Malformed text is copied as is for jansson to
 * reject. */
static size_t
scan_bigints (const char *text, size_t len, char *out, size_t *out_len)
{
  static const char mark[] = "\"\\u0001";
  size_t i = 0, o = 0, hits = 0;
  bool in_string = false;

  while (i < len)
    {
      char c = text[i];
      size_t j = i + 1;
      uint64_t v;

      if (in_string)
        {
          if (c == '\\' && j < len)
            j++;
          else if (c == '"')
            in_string = false;
        }
      else if (c == '"')
        in_string = true;
      else if (c >= '1' && c <= '9' && (i == 0 || !number_char (text[i - 1])))
        {
          while (j < len && text[j] >= '0' && text[j] <= '9')
            j++;
          if ((j == len || !number_char (text[j]))
              && parse_bigint_digits (text + i, j - i, &v))
            {
              if (out)
                {
                  memcpy (out + o, mark, sizeof mark - 1);
                  memcpy (out + o + sizeof mark - 1, text + i, j - i);
                  out[o + sizeof mark - 1 + j - i] = '"';
                }
              o += sizeof mark - 1 + j - i + 1;
              hits++;
              i = j;
              continue;
            }
        }
      if (out)
        memcpy (out + o, text + i, j - i);
      o += j - i;
      i = j;
    }
  *out_len = o;
  return hits;
}

json_t *
sr_json_parse (const char *text, size_t len, const char *what, sr_error_t *err)
{
  _cleanup_free_ char *rewritten = NULL;
  json_error_t jerr;
  size_t rlen;
  json_t *root;

  if (scan_bigints (text, len, NULL, &rlen) > 0)
    {
      rewritten = malloc (rlen);
      if (rewritten == NULL)
        return oom (err, what), NULL;
      scan_bigints (text, len, rewritten, &rlen);
      text = rewritten;
      len = rlen;
    }
  /* Without JSON_ALLOW_NUL jansson refuses NUL bytes in strings, which C
   * code would silently truncate.  Duplicate keys are refused because
   * parsers disagree on which one wins. */
  root = json_loadb (text, len, JSON_REJECT_DUPLICATES, &jerr);
  if (root == NULL)
    sr_error (err, 0, "%s: invalid JSON at line %d column %d: %s", what,
              jerr.line, jerr.column, jerr.text);
  return root;
}

json_t *
sr_json_load (const char *path, const char *what, sr_error_t *err)
{
  _cleanup_close_ int fd = -1;
  _cleanup_free_ char *buf = NULL;
  struct stat st;
  size_t len = 0, cap;

  fd = open (path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return sr_error_errno (err, "open %s", path), NULL;
  if (fstat (fd, &st) < 0)
    return sr_error_errno (err, "stat %s", path), NULL;
  /* A FIFO or a device would make us block or read without end. */
  if (!S_ISREG (st.st_mode))
    return sr_error (err, 0, "%s: not a regular file", path), NULL;
  if (st.st_size > SR_JSON_MAX_SIZE)
    return sr_error (err, 0, "%s: file too large (%lld bytes, limit %d bytes)",
                     path, (long long) st.st_size, SR_JSON_MAX_SIZE), NULL;

  /* Read to EOF rather than trusting st_size: the file may change under
   * us; one byte past the limit tells a too large file. */
  cap = (size_t) st.st_size + 1;
  buf = malloc (cap);
  if (buf == NULL)
    return oom (err, path), NULL;
  for (;;)
    {
      ssize_t r;

      if (len == cap)
        {
          char *b;

          cap = cap * 2 > SR_JSON_MAX_SIZE + 1 ? SR_JSON_MAX_SIZE + 1 : cap * 2;
          b = realloc (buf, cap);
          if (b == NULL)
            return oom (err, path), NULL;
          buf = b;
        }
      r = read (fd, buf + len, cap - len);
      if (r < 0 && errno == EINTR)
        continue;
      if (r < 0)
        return sr_error_errno (err, "read %s", path), NULL;
      if (r == 0)
        break;
      len += r;
      if (len > SR_JSON_MAX_SIZE)
        return sr_error (err, 0, "%s: file too large (limit %d bytes)", path,
                         SR_JSON_MAX_SIZE), NULL;
    }
  return sr_json_parse (buf, len, what, err);
}

/* ------------------------------------------------------------------ */
/* Typed readers of one value */

static const char *
type_name (json_t *v)
{
  uint64_t u;

  if (v == NULL)
    return "null";
  switch (json_typeof (v))
    {
    case JSON_OBJECT:
      return "object";
    case JSON_ARRAY:
      return "array";
    case JSON_STRING:
      return bigint_value (v, &u) ? "integer" : "string";
    case JSON_INTEGER:
      return "integer";
    case JSON_REAL:
      return "number";
    case JSON_TRUE:
    case JSON_FALSE:
      return "boolean";
    case JSON_NULL:
      return "null";
    }
  return "unknown";
}

static int
type_error (sr_error_t *err, const char *path, const char *expected, json_t *got)
{
  return sr_error (err, 0, "%s: expected %s, got %s", path, expected,
                   type_name (got));
}

static bool
is_string (json_t *v)
{
  uint64_t u;
  return json_is_string (v) && !bigint_value (v, &u);
}

static int
read_str (json_t *v, const char *path, const char **out, sr_error_t *err)
{
  *out = NULL;
  if (!is_string (v))
    return type_error (err, path, "string", v);
  *out = json_string_value (v);
  return 0;
}

static int
read_i64 (json_t *v, const char *path, int64_t min, int64_t max, int64_t *out,
          sr_error_t *err)
{
  uint64_t big;
  json_int_t x;

  *out = 0;
  if (bigint_value (v, &big))
    return sr_error (err, 0,
                     "%s: %" PRIu64 " is out of range [%" PRId64 ", %" PRId64 "]",
                     path, big, min, max);
  if (!json_is_integer (v))
    return type_error (err, path, "integer", v);
  x = json_integer_value (v);
  if (x < min || x > max)
    return sr_error (err, 0, "%s: %lld is out of range [%" PRId64 ", %" PRId64 "]",
                     path, (long long) x, min, max);
  *out = x;
  return 0;
}

static int
read_u64 (json_t *v, const char *path, uint64_t max, uint64_t *out,
          sr_error_t *err)
{
  uint64_t x;

  *out = 0;
  if (bigint_value (v, &x))
    ;
  else if (!json_is_integer (v))
    return type_error (err, path, "integer", v);
  else if (json_integer_value (v) < 0)
    return sr_error (err, 0, "%s: %lld is out of range [0, %" PRIu64 "]", path,
                     (long long) json_integer_value (v), max);
  else
    x = json_integer_value (v);
  if (x > max)
    return sr_error (err, 0, "%s: %" PRIu64 " is out of range [0, %" PRIu64 "]",
                     path, x, max);
  *out = x;
  return 0;
}

static int
read_strv (json_t *arr, const char *path, sr_strv_t *out, sr_error_t *err)
{
  size_t i, n;

  if (!json_is_array (arr))
    return type_error (err, path, "array", arr);
  n = json_array_size (arr);
  out->v = calloc (n + 1, sizeof *out->v);
  if (out->v == NULL)
    return oom (err, path);
  for (i = 0; i < n; i++)
    {
      json_t *e = json_array_get (arr, i);
      jpath_t p;

      if (!is_string (e))
        return type_error (err, jp_idx (p, path, i), "string", e);
      out->v[i] = json_string_value (e);
    }
  out->n = n;
  return 0;
}

static int
read_kv (json_t *obj, const char *path, sr_kv_t **out, size_t *n,
         sr_error_t *err)
{
  const char *key;
  json_t *v;
  size_t i = 0;

  if (!json_is_object (obj))
    return type_error (err, path, "object", obj);
  *out = calloc (json_object_size (obj) + 1, sizeof **out);
  if (*out == NULL)
    return oom (err, path);
  json_object_foreach (obj, key, v)
    {
      jpath_t p;

      if (!is_string (v))
        return type_error (err, jp_key (p, path, key), "string", v);
      (*out)[i].key = key;
      (*out)[i].value = json_string_value (v);
      *n = ++i;
    }
  return 0;
}

/* ------------------------------------------------------------------ */
/* Typed readers of one field of an object */

/* The field, or NULL when it is absent or null. */
static json_t *
get (json_t *obj, const char *key)
{
  json_t *v = json_object_get (obj, key);
  return json_is_null (v) ? NULL : v;
}

static int
required (const char *parent, const char *key, sr_error_t *err)
{
  jpath_t p;
  return sr_error (err, 0, "%s: required", jp_key (p, parent, key));
}

static int
field_obj (json_t *obj, const char *parent, const char *key, json_t **out,
           sr_error_t *err)
{
  jpath_t p;

  *out = get (obj, key);
  if (*out && !json_is_object (*out))
    return type_error (err, jp_key (p, parent, key), "object", *out);
  return 0;
}

static int
field_arr (json_t *obj, const char *parent, const char *key, json_t **out,
           sr_error_t *err)
{
  jpath_t p;

  *out = get (obj, key);
  if (*out && !json_is_array (*out))
    return type_error (err, jp_key (p, parent, key), "array", *out);
  return 0;
}

static int
field_str (json_t *obj, const char *parent, const char *key, const char **out,
           sr_error_t *err)
{
  jpath_t p;
  json_t *v = get (obj, key);

  if (v == NULL)
    return 0;
  return read_str (v, jp_key (p, parent, key), out, err);
}

static int
field_req_str (json_t *obj, const char *parent, const char *key,
               const char **out, sr_error_t *err)
{
  if (field_str (obj, parent, key, out, err) < 0)
    return -1;
  return *out ? 0 : required (parent, key, err);
}

/* An absolute path, which the rest of the runtime resolves under the
 * container root; a relative one would depend on the cwd of the moment. */
static int
field_abs_path (json_t *obj, const char *parent, const char *key,
                const char **out, sr_error_t *err)
{
  jpath_t p;

  if (field_req_str (obj, parent, key, out, err) < 0)
    return -1;
  if ((*out)[0] != '/')
    return sr_error (err, 0, "%s: must be an absolute path",
                     jp_key (p, parent, key));
  return 0;
}

static int
field_bool (json_t *obj, const char *parent, const char *key, sr_opt_bool *out,
            sr_error_t *err)
{
  jpath_t p;
  json_t *v = get (obj, key);

  if (v == NULL)
    return 0;
  if (!json_is_boolean (v))
    return type_error (err, jp_key (p, parent, key), "boolean", v);
  out->set = true;
  out->v = json_is_true (v);
  return 0;
}

static int
field_flag (json_t *obj, const char *parent, const char *key, bool *out,
            sr_error_t *err)
{
  sr_opt_bool b = { false, false };

  if (field_bool (obj, parent, key, &b, err) < 0)
    return -1;
  *out = b.v;
  return 0;
}

static int
field_i64 (json_t *obj, const char *parent, const char *key, int64_t min,
           int64_t max, sr_opt_i64 *out, sr_error_t *err)
{
  jpath_t p;
  json_t *v = get (obj, key);

  if (v == NULL)
    return 0;
  if (read_i64 (v, jp_key (p, parent, key), min, max, &out->v, err) < 0)
    return -1;
  out->set = true;
  return 0;
}

static int
field_u64 (json_t *obj, const char *parent, const char *key, uint64_t max,
           sr_opt_u64 *out, sr_error_t *err)
{
  jpath_t p;
  json_t *v = get (obj, key);

  if (v == NULL)
    return 0;
  if (read_u64 (v, jp_key (p, parent, key), max, &out->v, err) < 0)
    return -1;
  out->set = true;
  return 0;
}

static int
field_req_u64 (json_t *obj, const char *parent, const char *key, uint64_t max,
               uint64_t *out, sr_error_t *err)
{
  sr_opt_u64 o = { false, 0 };

  *out = 0;
  if (field_u64 (obj, parent, key, max, &o, err) < 0)
    return -1;
  if (!o.set)
    return required (parent, key, err);
  *out = o.v;
  return 0;
}

static int
field_req_i64 (json_t *obj, const char *parent, const char *key, int64_t min,
               int64_t max, int64_t *out, sr_error_t *err)
{
  sr_opt_i64 o = { false, 0 };

  *out = 0;
  if (field_i64 (obj, parent, key, min, max, &o, err) < 0)
    return -1;
  if (!o.set)
    return required (parent, key, err);
  *out = o.v;
  return 0;
}

static int
field_strv (json_t *obj, const char *parent, const char *key, sr_strv_t *out,
            sr_error_t *err)
{
  jpath_t p;
  json_t *v = get (obj, key);

  if (v == NULL)
    return 0;
  return read_strv (v, jp_key (p, parent, key), out, err);
}

static int
field_kv (json_t *obj, const char *parent, const char *key, sr_kv_t **out,
          size_t *n, sr_error_t *err)
{
  jpath_t p;
  json_t *v = get (obj, key);

  if (v == NULL)
    return 0;
  return read_kv (v, jp_key (p, parent, key), out, n, err);
}

/* Maps a required string field through TABLE; unknown names are errors
 * because guessing a meaning for a security setting is worse than refusing. */
static int
field_enum (json_t *obj, const char *parent, const char *key,
            const name_value_t *table, const char *what, int *out,
            sr_error_t *err)
{
  const char *s = NULL;
  jpath_t p;

  if (field_req_str (obj, parent, key, &s, err) < 0)
    return -1;
  for (; table->name; table++)
    if (strcmp (table->name, s) == 0)
      {
        *out = table->value;
        return 0;
      }
  return sr_error (err, 0, "%s: unknown %s \"%s\"", jp_key (p, parent, key),
                   what, s);
}

/* Allocates *OUT for the elements of the array field KEY and calls PARSE_ONE
 * on each, with the element's path and its zeroed storage. */
typedef int (*elem_fn) (json_t *e, const char *path, void *out, sr_error_t *err);

static int
field_list (json_t *obj, const char *parent, const char *key, size_t elem_size,
            elem_fn parse_one, void **out, size_t *n, sr_error_t *err)
{
  json_t *arr;
  jpath_t p;
  size_t i, count;

  if (field_arr (obj, parent, key, &arr, err) < 0)
    return -1;
  if (arr == NULL)
    return 0;
  jp_key (p, parent, key);
  count = json_array_size (arr);
  /* Assigned before parsing the elements so that the release functions
   * free partially parsed arrays too. */
  *out = calloc (count + 1, elem_size);
  if (*out == NULL)
    return oom (err, p);
  *n = count;
  for (i = 0; i < count; i++)
    {
      json_t *e = json_array_get (arr, i);
      jpath_t q;

      jp_idx (q, p, i);
      if (!json_is_object (e))
        return type_error (err, q, "object", e);
      if (parse_one (e, q, (char *) *out + i * elem_size, err) < 0)
        return -1;
    }
  return 0;
}

#define FIELD_LIST(obj, parent, key, fn, arr, n, err)                       \
  field_list ((obj), (parent), (key), sizeof **(arr), (fn), (void **) (arr), \
              (n), (err))

/* ------------------------------------------------------------------ */
/* process */

static const name_value_t rlimit_names[] = {
  { "RLIMIT_CPU", RLIMIT_CPU },
  { "RLIMIT_FSIZE", RLIMIT_FSIZE },
  { "RLIMIT_DATA", RLIMIT_DATA },
  { "RLIMIT_STACK", RLIMIT_STACK },
  { "RLIMIT_CORE", RLIMIT_CORE },
  { "RLIMIT_RSS", RLIMIT_RSS },
  { "RLIMIT_NPROC", RLIMIT_NPROC },
  { "RLIMIT_NOFILE", RLIMIT_NOFILE },
  { "RLIMIT_MEMLOCK", RLIMIT_MEMLOCK },
  { "RLIMIT_AS", RLIMIT_AS },
  { "RLIMIT_LOCKS", RLIMIT_LOCKS },
  { "RLIMIT_SIGPENDING", RLIMIT_SIGPENDING },
  { "RLIMIT_MSGQUEUE", RLIMIT_MSGQUEUE },
  { "RLIMIT_NICE", RLIMIT_NICE },
  { "RLIMIT_RTPRIO", RLIMIT_RTPRIO },
  { "RLIMIT_RTTIME", RLIMIT_RTTIME },
  { NULL, 0 }
};

static const name_value_t sched_policies[] = {
  { "SCHED_OTHER", SCHED_OTHER },
  { "SCHED_FIFO", SCHED_FIFO },
  { "SCHED_RR", SCHED_RR },
  { "SCHED_BATCH", SCHED_BATCH },
  { "SCHED_ISO", SCHED_ISO },
  { "SCHED_IDLE", SCHED_IDLE },
  { "SCHED_DEADLINE", SCHED_DEADLINE },
  { NULL, 0 }
};

/* sched_attr.sched_flags bits (linux/sched.h, not exported by glibc). */
static const name_value_t sched_flags[] = {
  { "SCHED_FLAG_RESET_ON_FORK", 0x01 },
  { "SCHED_FLAG_RECLAIM", 0x02 },
  { "SCHED_FLAG_DL_OVERRUN", 0x04 },
  { "SCHED_FLAG_KEEP_POLICY", 0x08 },
  { "SCHED_FLAG_KEEP_PARAMS", 0x10 },
  { "SCHED_FLAG_UTIL_CLAMP_MIN", 0x20 },
  { "SCHED_FLAG_UTIL_CLAMP_MAX", 0x40 },
  { NULL, 0 }
};

static const name_value_t ioprio_classes[] = {
  { "IOPRIO_CLASS_RT", IOPRIO_CLASS_RT },
  { "IOPRIO_CLASS_BE", IOPRIO_CLASS_BE },
  { "IOPRIO_CLASS_IDLE", IOPRIO_CLASS_IDLE },
  { NULL, 0 }
};

static int
parse_user (json_t *o, const char *path, sr_user_t *u, sr_error_t *err)
{
  json_t *gids;
  size_t i;
  jpath_t p;

  if (field_i64 (o, path, "uid", 0, UINT32_MAX, &u->uid, err) < 0
      || field_i64 (o, path, "gid", 0, UINT32_MAX, &u->gid, err) < 0
      || field_u64 (o, path, "umask", UINT32_MAX, &u->umask, err) < 0
      || field_str (o, path, "username", &u->username, err) < 0
      || field_arr (o, path, "additionalGids", &gids, err) < 0)
    return -1;
  if (!u->uid.set)
    return required (path, "uid", err);
  if (!u->gid.set)
    return required (path, "gid", err);
  if (gids == NULL)
    return 0;
  jp_key (p, path, "additionalGids");
  u->additional_gids = calloc (json_array_size (gids) + 1, sizeof (uint32_t));
  if (u->additional_gids == NULL)
    return oom (err, p);
  for (i = 0; i < json_array_size (gids); i++)
    {
      jpath_t q;
      uint64_t g;

      if (read_u64 (json_array_get (gids, i), jp_idx (q, p, i), UINT32_MAX, &g,
                    err) < 0)
        return -1;
      u->additional_gids[i] = g;
      u->n_additional_gids = i + 1;
    }
  return 0;
}

/* "CAP_SYS_ADMIN" -> its number, or -1 when this libcap-ng does not know it. */
static int
cap_from_name (const char *name)
{
  char lower[64];
  size_t i;

  if (strncmp (name, "CAP_", 4) != 0)
    return -1;
  name += 4;
  for (i = 0; name[i] && i < sizeof lower - 1; i++)
    lower[i] = tolower ((unsigned char) name[i]);
  if (name[i] || i == 0 || !isalpha ((unsigned char) lower[0]))
    return -1;
  lower[i] = '\0';
  return sr_cap_by_name (lower);
}

static int
parse_cap_set (json_t *caps, const char *path, const char *key, uint64_t *set,
               sr_error_t *err)
{
  json_t *arr;
  jpath_t p;
  size_t i;

  if (field_arr (caps, path, key, &arr, err) < 0)
    return -1;
  if (arr == NULL)
    return 0;
  jp_key (p, path, key);
  for (i = 0; i < json_array_size (arr); i++)
    {
      const char *name;
      jpath_t q;
      int cap;

      if (read_str (json_array_get (arr, i), jp_idx (q, p, i), &name, err) < 0)
        return -1;
      /* The spec wants a name that maps to nothing refused; a typo in a
       * drop list must not pass unnoticed either. */
      cap = cap_from_name (name);
      if (cap < 0 || cap >= 64)
        return sr_error (err, 0, "%s: unknown capability \"%s\"", q, name);
      *set |= UINT64_C (1) << cap;
    }
  return 0;
}

static int
parse_caps (json_t *proc, const char *path, sr_caps_t *c, sr_error_t *err)
{
  json_t *o;
  jpath_t p;

  if (field_obj (proc, path, "capabilities", &o, err) < 0)
    return -1;
  if (o == NULL)
    return 0;
  jp_key (p, path, "capabilities");
  c->set = true;
  if (parse_cap_set (o, p, "bounding", &c->bounding, err) < 0
      || parse_cap_set (o, p, "effective", &c->effective, err) < 0
      || parse_cap_set (o, p, "inheritable", &c->inheritable, err) < 0
      || parse_cap_set (o, p, "permitted", &c->permitted, err) < 0
      || parse_cap_set (o, p, "ambient", &c->ambient, err) < 0)
    return -1;
  return 0;
}

static int
parse_rlimit (json_t *o, const char *path, void *out, sr_error_t *err)
{
  sr_rlimit_t *r = out;
  if (field_enum (o, path, "type", rlimit_names, "rlimit", &r->resource, err) < 0
      || field_req_u64 (o, path, "soft", UINT64_MAX, &r->soft, err) < 0
      || field_req_u64 (o, path, "hard", UINT64_MAX, &r->hard, err) < 0)
    return -1;
  r->name = json_string_value (json_object_get (o, "type"));
  return 0;
}

static int
parse_rlimits (json_t *proc, const char *path, sr_process_t *pr,
               sr_error_t *err)
{
  size_t i, j;

  if (FIELD_LIST (proc, path, "rlimits", parse_rlimit, &pr->rlimits,
                  &pr->n_rlimits, err) < 0)
    return -1;
  /* The spec makes a repeated type an error: which one would win? */
  for (i = 0; i < pr->n_rlimits; i++)
    for (j = 0; j < i; j++)
      if (pr->rlimits[i].resource == pr->rlimits[j].resource)
        {
          jpath_t p, q;
          jp_key (p, path, "rlimits");
          return sr_error (err, 0, "%s.type: duplicate rlimit \"%s\"",
                           jp_idx (q, p, i), pr->rlimits[i].name);
        }
  return 0;
}

static int
parse_sched_flags (json_t *o, const char *path, uint64_t *flags,
                   sr_error_t *err)
{
  json_t *arr;
  jpath_t p;
  size_t i;

  if (field_arr (o, path, "flags", &arr, err) < 0)
    return -1;
  if (arr == NULL)
    return 0;
  jp_key (p, path, "flags");
  for (i = 0; i < json_array_size (arr); i++)
    {
      const name_value_t *f;
      const char *name;
      jpath_t q;

      jp_idx (q, p, i);
      if (read_str (json_array_get (arr, i), q, &name, err) < 0)
        return -1;
      for (f = sched_flags; f->name && strcmp (f->name, name) != 0; f++)
        ;
      if (f->name == NULL)
        return sr_error (err, 0, "%s: unknown scheduler flag \"%s\"", q, name);
      *flags |= f->value;
    }
  return 0;
}

static int
parse_scheduler (json_t *proc, const char *path, sr_scheduler_t *s,
                 sr_error_t *err)
{
  json_t *o;
  jpath_t p;

  if (field_obj (proc, path, "scheduler", &o, err) < 0)
    return -1;
  if (o == NULL)
    return 0;
  jp_key (p, path, "scheduler");
  s->set = true;
  /* runtime, deadline and period are uint64 nanoseconds in the spec, kept
   * in int64: sched_attr cannot express more anyway. */
  if (field_enum (o, p, "policy", sched_policies, "scheduler policy",
                  &s->policy, err) < 0
      || field_i64 (o, p, "nice", INT32_MIN, INT32_MAX, &s->nice, err) < 0
      || field_i64 (o, p, "priority", INT32_MIN, INT32_MAX, &s->priority, err) < 0
      || field_i64 (o, p, "runtime", 0, INT64_MAX, &s->runtime, err) < 0
      || field_i64 (o, p, "deadline", 0, INT64_MAX, &s->deadline, err) < 0
      || field_i64 (o, p, "period", 0, INT64_MAX, &s->period, err) < 0
      || parse_sched_flags (o, p, &s->flags, err) < 0)
    return -1;
  return 0;
}

static int
parse_ioprio (json_t *proc, const char *path, sr_ioprio_t *io, sr_error_t *err)
{
  int64_t prio;
  json_t *o;
  jpath_t p;

  if (field_obj (proc, path, "ioPriority", &o, err) < 0)
    return -1;
  if (o == NULL)
    return 0;
  jp_key (p, path, "ioPriority");
  io->set = true;
  /* The kernel packs the level into 13 bits next to the class; a larger
   * value would spill into the class, so only the 8 real levels pass. */
  if (field_enum (o, p, "class", ioprio_classes, "ioPriority class",
                  &io->klass, err) < 0
      || field_req_i64 (o, p, "priority", 0, 7, &prio, err) < 0)
    return -1;
  io->priority = prio;
  return 0;
}

static int
parse_console_size (json_t *proc, const char *path, sr_process_t *pr,
                    sr_error_t *err)
{
  json_t *o;
  jpath_t p;

  if (field_obj (proc, path, "consoleSize", &o, err) < 0)
    return -1;
  if (o == NULL)
    return 0;
  jp_key (p, path, "consoleSize");
  /* struct winsize holds unsigned shorts. */
  if (field_u64 (o, p, "height", UINT16_MAX, &pr->console_height, err) < 0
      || field_u64 (o, p, "width", UINT16_MAX, &pr->console_width, err) < 0)
    return -1;
  return 0;
}

static int
parse_process (json_t *o, const char *path, sr_process_t *pr, sr_error_t *err)
{
  json_t *user;
  jpath_t p;

  if (!json_is_object (o))
    return type_error (err, *path ? path : "process", "object", o);
  if (field_flag (o, path, "terminal", &pr->terminal, err) < 0
      || parse_console_size (o, path, pr, err) < 0
      || field_obj (o, path, "user", &user, err) < 0)
    return -1;
  if (user == NULL)
    return required (path, "user", err);
  if (parse_user (user, jp_key (p, path, "user"), &pr->user, err) < 0
      || field_strv (o, path, "args", &pr->args, err) < 0)
    return -1;
  if (pr->args.v == NULL)
    return required (path, "args", err);
  if (pr->args.n == 0)
    return sr_error (err, 0, "%s: must not be empty", jp_key (p, path, "args"));
  if (field_strv (o, path, "env", &pr->env, err) < 0
      || field_abs_path (o, path, "cwd", &pr->cwd, err) < 0
      || parse_caps (o, path, &pr->caps, err) < 0
      || parse_rlimits (o, path, pr, err) < 0
      || field_bool (o, path, "noNewPrivileges", &pr->no_new_privileges, err) < 0
      || field_str (o, path, "apparmorProfile", &pr->apparmor_profile, err) < 0
      || field_str (o, path, "selinuxLabel", &pr->selinux_label, err) < 0
      /* The kernel's own bounds, so the error names the field. */
      || field_i64 (o, path, "oomScoreAdj", -1000, 1000, &pr->oom_score_adj,
                    err) < 0
      || parse_scheduler (o, path, &pr->scheduler, err) < 0
      || parse_ioprio (o, path, &pr->io_priority, err) < 0)
    return -1;
  return 0;
}

int
sr_process_parse (json_t *obj, const char *jpath, sr_process_t *out,
                  sr_error_t *err)
{
  memset (out, 0, sizeof *out);
  if (parse_process (obj, jpath ? jpath : "", out, err) < 0)
    {
      sr_process_release (out);
      return -1;
    }
  return 0;
}

static void
strv_release (sr_strv_t *s)
{
  free (s->v);
  s->v = NULL;
  s->n = 0;
}

void
sr_process_release (sr_process_t *p)
{
  if (p == NULL)
    return;
  free (p->user.additional_gids);
  strv_release (&p->args);
  strv_release (&p->env);
  free (p->rlimits);
  memset (p, 0, sizeof *p);
}

/* ------------------------------------------------------------------ */
/* root, mounts, hooks */

static int
parse_root (json_t *top, sr_config_t *c, sr_error_t *err)
{
  json_t *root;

  if (field_obj (top, "", "root", &root, err) < 0)
    return -1;
  if (root == NULL)
    return required ("", "root", err);
  if (field_req_str (root, "root", "path", &c->root_path, err) < 0
      || field_flag (root, "root", "readonly", &c->root_readonly, err) < 0)
    return -1;
  if (c->root_path[0] == '\0')
    return sr_error (err, 0, "root.path: must not be empty");
  return 0;
}

static int
parse_mount (json_t *o, const char *path, void *out, sr_error_t *err)
{
  sr_mount_t *m = out;
  if (field_abs_path (o, path, "destination", &m->destination, err) < 0
      || field_str (o, path, "type", &m->type, err) < 0
      || field_str (o, path, "source", &m->source, err) < 0
      || field_strv (o, path, "options", &m->options, err) < 0)
    return -1;
  return 0;
}

static int
parse_hook (json_t *o, const char *path, void *out, sr_error_t *err)
{
  sr_hook_t *h = out;
  jpath_t p;

  if (field_abs_path (o, path, "path", &h->path, err) < 0
      || field_strv (o, path, "args", &h->args, err) < 0
      || field_strv (o, path, "env", &h->env, err) < 0
      || field_i64 (o, path, "timeout", INT64_MIN, INT64_MAX, &h->timeout, err) < 0)
    return -1;
  if (h->timeout.set && h->timeout.v <= 0)
    return sr_error (err, 0, "%s: must be greater than zero",
                     jp_key (p, path, "timeout"));
  return 0;
}

static int
parse_hook_list (json_t *hooks, const char *key, sr_hook_list_t *l,
                 sr_error_t *err)
{
  return FIELD_LIST (hooks, "hooks", key, parse_hook, &l->v, &l->n, err);
}

static int
parse_hooks (json_t *top, sr_hooks_t *h, sr_error_t *err)
{
  json_t *o;

  if (field_obj (top, "", "hooks", &o, err) < 0)
    return -1;
  if (o == NULL)
    return 0;
  if (parse_hook_list (o, "prestart", &h->prestart, err) < 0
      || parse_hook_list (o, "createRuntime", &h->create_runtime, err) < 0
      || parse_hook_list (o, "createContainer", &h->create_container, err) < 0
      || parse_hook_list (o, "startContainer", &h->start_container, err) < 0
      || parse_hook_list (o, "poststart", &h->poststart, err) < 0
      || parse_hook_list (o, "poststop", &h->poststop, err) < 0)
    return -1;
  return 0;
}

static void
hook_list_release (sr_hook_list_t *l)
{
  size_t i;

  for (i = 0; i < l->n; i++)
    {
      strv_release (&l->v[i].args);
      strv_release (&l->v[i].env);
    }
  free (l->v);
  l->v = NULL;
  l->n = 0;
}

/* ------------------------------------------------------------------ */
/* linux.resources */

static int
parse_device_rule (json_t *o, const char *path, void *out, sr_error_t *err)
{
  sr_device_rule_t *d = out;
  sr_opt_i64 major = { false, -1 }, minor = { false, -1 };
  sr_opt_bool allow = { false, false };
  const char *type = NULL, *s;
  jpath_t p;

  if (field_bool (o, path, "allow", &allow, err) < 0
      || field_str (o, path, "type", &type, err) < 0
      || field_i64 (o, path, "major", -1, UINT32_MAX, &major, err) < 0
      || field_i64 (o, path, "minor", -1, UINT32_MAX, &minor, err) < 0
      || field_str (o, path, "access", &d->access, err) < 0)
    return -1;
  if (!allow.set)
    return required (path, "allow", err);
  d->allow = allow.v;
  d->major = major.v;
  d->minor = minor.v;
  d->type = 'a';
  if (type)
    {
      if (strcmp (type, "a") != 0 && strcmp (type, "c") != 0
          && strcmp (type, "b") != 0)
        return sr_error (err, 0, "%s: unknown device type \"%s\"",
                         jp_key (p, path, "type"), type);
      d->type = type[0];
    }
  for (s = d->access; s && *s; s++)
    if (*s != 'r' && *s != 'w' && *s != 'm')
      return sr_error (err, 0, "%s: must be a combination of r, w and m",
                       jp_key (p, path, "access"));
  return 0;
}

static int
parse_memory (json_t *res, const char *path, sr_resources_t *r,
              sr_error_t *err)
{
  json_t *o;
  jpath_t p;

  if (field_obj (res, path, "memory", &o, err) < 0)
    return -1;
  if (o == NULL)
    return 0;
  jp_key (p, path, "memory");
  r->memory.set = true;
  /* -1 means unlimited; nothing below it means anything. */
  if (field_i64 (o, p, "limit", -1, INT64_MAX, &r->memory.limit, err) < 0
      || field_i64 (o, p, "reservation", -1, INT64_MAX, &r->memory.reservation, err) < 0
      || field_i64 (o, p, "swap", -1, INT64_MAX, &r->memory.swap, err) < 0
      || field_i64 (o, p, "kernel", -1, INT64_MAX, &r->memory.kernel, err) < 0
      || field_i64 (o, p, "kernelTCP", -1, INT64_MAX, &r->memory.kernel_tcp, err) < 0
      || field_u64 (o, p, "swappiness", UINT64_MAX, &r->memory.swappiness, err) < 0
      || field_bool (o, p, "disableOOMKiller", &r->memory.disable_oom_killer, err) < 0
      || field_bool (o, p, "useHierarchy", &r->memory.use_hierarchy, err) < 0
      || field_bool (o, p, "checkBeforeUpdate", &r->memory.check_before_update, err) < 0)
    return -1;
  return 0;
}

static int
parse_cpu (json_t *res, const char *path, sr_resources_t *r, sr_error_t *err)
{
  json_t *o;
  jpath_t p;

  if (field_obj (res, path, "cpu", &o, err) < 0)
    return -1;
  if (o == NULL)
    return 0;
  jp_key (p, path, "cpu");
  r->cpu.set = true;
  if (field_u64 (o, p, "shares", UINT64_MAX, &r->cpu.shares, err) < 0
      || field_i64 (o, p, "quota", INT64_MIN, INT64_MAX, &r->cpu.quota, err) < 0
      || field_u64 (o, p, "burst", UINT64_MAX, &r->cpu.burst, err) < 0
      || field_u64 (o, p, "period", UINT64_MAX, &r->cpu.period, err) < 0
      || field_i64 (o, p, "realtimeRuntime", INT64_MIN, INT64_MAX,
                    &r->cpu.realtime_runtime, err) < 0
      || field_u64 (o, p, "realtimePeriod", UINT64_MAX, &r->cpu.realtime_period, err) < 0
      || field_str (o, p, "cpus", &r->cpu.cpus, err) < 0
      || field_str (o, p, "mems", &r->cpu.mems, err) < 0
      || field_i64 (o, p, "idle", INT64_MIN, INT64_MAX, &r->cpu.idle, err) < 0)
    return -1;
  return 0;
}

static int
parse_pids (json_t *res, const char *path, sr_resources_t *r, sr_error_t *err)
{
  json_t *o;
  jpath_t p;

  if (field_obj (res, path, "pids", &o, err) < 0)
    return -1;
  if (o == NULL)
    return 0;
  jp_key (p, path, "pids");
  r->pids.set = true;
  return field_i64 (o, p, "limit", INT64_MIN, INT64_MAX, &r->pids.limit, err);
}

static int
parse_weight_device (json_t *o, const char *path, void *out, sr_error_t *err)
{
  sr_weight_device_t *w = out;
  if (field_req_i64 (o, path, "major", 0, UINT32_MAX, &w->major, err) < 0
      || field_req_i64 (o, path, "minor", 0, UINT32_MAX, &w->minor, err) < 0
      || field_u64 (o, path, "weight", UINT16_MAX, &w->weight, err) < 0
      || field_u64 (o, path, "leafWeight", UINT16_MAX, &w->leaf_weight, err) < 0)
    return -1;
  return 0;
}

static int
parse_throttle_device (json_t *o, const char *path, void *out, sr_error_t *err)
{
  sr_throttle_device_t *t = out;
  if (field_req_i64 (o, path, "major", 0, UINT32_MAX, &t->major, err) < 0
      || field_req_i64 (o, path, "minor", 0, UINT32_MAX, &t->minor, err) < 0
      || field_req_u64 (o, path, "rate", UINT64_MAX, &t->rate, err) < 0)
    return -1;
  return 0;
}

static int
parse_block_io (json_t *res, const char *path, sr_resources_t *r,
                sr_error_t *err)
{
  json_t *o;
  jpath_t p;

  if (field_obj (res, path, "blockIO", &o, err) < 0)
    return -1;
  if (o == NULL)
    return 0;
  jp_key (p, path, "blockIO");
  r->block_io.set = true;
  if (field_u64 (o, p, "weight", UINT16_MAX, &r->block_io.weight, err) < 0
      || field_u64 (o, p, "leafWeight", UINT16_MAX, &r->block_io.leaf_weight, err) < 0
      || FIELD_LIST (o, p, "weightDevice", parse_weight_device,
                     &r->block_io.weight_device, &r->block_io.n_weight_device, err) < 0
      || FIELD_LIST (o, p, "throttleReadBpsDevice", parse_throttle_device,
                     &r->block_io.throttle_read_bps,
                     &r->block_io.n_throttle_read_bps, err) < 0
      || FIELD_LIST (o, p, "throttleWriteBpsDevice", parse_throttle_device,
                     &r->block_io.throttle_write_bps,
                     &r->block_io.n_throttle_write_bps, err) < 0
      || FIELD_LIST (o, p, "throttleReadIOPSDevice", parse_throttle_device,
                     &r->block_io.throttle_read_iops,
                     &r->block_io.n_throttle_read_iops, err) < 0
      || FIELD_LIST (o, p, "throttleWriteIOPSDevice", parse_throttle_device,
                     &r->block_io.throttle_write_iops,
                     &r->block_io.n_throttle_write_iops, err) < 0)
    return -1;
  return 0;
}

static int
parse_hugepage_limit (json_t *o, const char *path, void *out, sr_error_t *err)
{
  sr_hugepage_limit_t *h = out;
  if (field_req_str (o, path, "pageSize", &h->page_size, err) < 0
      || field_req_u64 (o, path, "limit", UINT64_MAX, &h->limit, err) < 0)
    return -1;
  return 0;
}

static int
parse_network (json_t *res, const char *path, sr_resources_t *r,
               sr_error_t *err)
{
  json_t *o;
  jpath_t p;

  if (field_obj (res, path, "network", &o, err) < 0)
    return -1;
  if (o == NULL)
    return 0;
  jp_key (p, path, "network");
  r->network.set = true;
  return field_u64 (o, p, "classID", UINT32_MAX, &r->network.class_id, err);
}

static int
parse_resources (json_t *o, const char *path, sr_resources_t *r,
                 sr_error_t *err)
{
  if (!json_is_object (o))
    return type_error (err, *path ? path : "resources", "object", o);
  r->set = true;
  if (FIELD_LIST (o, path, "devices", parse_device_rule, &r->devices,
                  &r->n_devices, err) < 0
      || parse_memory (o, path, r, err) < 0
      || parse_cpu (o, path, r, err) < 0
      || parse_pids (o, path, r, err) < 0
      || parse_block_io (o, path, r, err) < 0
      || FIELD_LIST (o, path, "hugepageLimits", parse_hugepage_limit,
                     &r->hugepage_limits, &r->n_hugepage_limits, err) < 0
      || parse_network (o, path, r, err) < 0
      || field_kv (o, path, "unified", &r->unified, &r->n_unified, err) < 0)
    return -1;
  return 0;
}

void
sr_resources_release (sr_resources_t *r)
{
  if (r == NULL)
    return;
  free (r->devices);
  free (r->block_io.weight_device);
  free (r->block_io.throttle_read_bps);
  free (r->block_io.throttle_write_bps);
  free (r->block_io.throttle_read_iops);
  free (r->block_io.throttle_write_iops);
  free (r->hugepage_limits);
  free (r->unified);
  memset (r, 0, sizeof *r);
}

int
sr_resources_parse (json_t *obj, const char *jpath, sr_resources_t *out,
                    sr_error_t *err)
{
  memset (out, 0, sizeof *out);
  if (parse_resources (obj, jpath ? jpath : "", out, err) < 0)
    {
      sr_resources_release (out);
      return -1;
    }
  return 0;
}

/* ------------------------------------------------------------------ */
/* linux.seccomp */

static const name_value_t scmp_actions[] = {
  { "SCMP_ACT_KILL", SR_SCMP_KILL },
  { "SCMP_ACT_KILL_PROCESS", SR_SCMP_KILL_PROCESS },
  { "SCMP_ACT_KILL_THREAD", SR_SCMP_KILL_THREAD },
  { "SCMP_ACT_TRAP", SR_SCMP_TRAP },
  { "SCMP_ACT_ERRNO", SR_SCMP_ERRNO },
  { "SCMP_ACT_TRACE", SR_SCMP_TRACE },
  { "SCMP_ACT_ALLOW", SR_SCMP_ALLOW },
  { "SCMP_ACT_LOG", SR_SCMP_LOG },
  { "SCMP_ACT_NOTIFY", SR_SCMP_NOTIFY },
  { NULL, 0 }
};

static const name_value_t scmp_ops[] = {
  { "SCMP_CMP_NE", SR_SCMP_CMP_NE },
  { "SCMP_CMP_LT", SR_SCMP_CMP_LT },
  { "SCMP_CMP_LE", SR_SCMP_CMP_LE },
  { "SCMP_CMP_EQ", SR_SCMP_CMP_EQ },
  { "SCMP_CMP_GE", SR_SCMP_CMP_GE },
  { "SCMP_CMP_GT", SR_SCMP_CMP_GT },
  { "SCMP_CMP_MASKED_EQ", SR_SCMP_CMP_MASKED_EQ },
  { NULL, 0 }
};

/* The errno travels in the 16 data bits of the filter's return value;
 * a larger number would be silently truncated into another errno. */
#define SCMP_ERRNO_MAX UINT16_MAX

static int
parse_scmp_arg (json_t *o, const char *path, void *out, sr_error_t *err)
{
  sr_scmp_arg_t *a = out;
  sr_opt_u64 two = { false, 0 };
  int64_t index;
  int op;

  /* valueTwo only matters to SCMP_CMP_MASKED_EQ; absent is 0. */
  if (field_req_i64 (o, path, "index", 0, 5, &index, err) < 0
      || field_req_u64 (o, path, "value", UINT64_MAX, &a->value, err) < 0
      || field_u64 (o, path, "valueTwo", UINT64_MAX, &two, err) < 0
      || field_enum (o, path, "op", scmp_ops, "seccomp operator", &op, err) < 0)
    return -1;
  a->index = index;
  a->value_two = two.v;
  a->op = op;
  return 0;
}

static int
parse_scmp_rule (json_t *o, const char *path, void *out, sr_error_t *err)
{
  sr_scmp_rule_t *r = out;
  jpath_t p;
  int action;

  if (field_strv (o, path, "names", &r->names, err) < 0)
    return -1;
  if (r->names.v == NULL)
    return required (path, "names", err);
  if (r->names.n == 0)
    return sr_error (err, 0, "%s: must not be empty", jp_key (p, path, "names"));
  if (field_enum (o, path, "action", scmp_actions, "seccomp action",
                  &action, err) < 0
      || field_u64 (o, path, "errnoRet", SCMP_ERRNO_MAX, &r->errno_ret, err) < 0
      || FIELD_LIST (o, path, "args", parse_scmp_arg, &r->args, &r->n_args,
                     err) < 0)
    return -1;
  r->action = action;
  return 0;
}

static int
parse_seccomp (json_t *lnx, sr_seccomp_t *s, sr_error_t *err)
{
  const char *p = "linux.seccomp";
  json_t *o;
  int action;

  if (field_obj (lnx, "linux", "seccomp", &o, err) < 0)
    return -1;
  if (o == NULL)
    return 0;
  s->set = true;
  if (field_enum (o, p, "defaultAction", scmp_actions, "seccomp action",
                  &action, err) < 0
      || field_u64 (o, p, "defaultErrnoRet", SCMP_ERRNO_MAX,
                    &s->default_errno_ret, err) < 0
      || field_strv (o, p, "architectures", &s->architectures, err) < 0
      || field_strv (o, p, "flags", &s->flags, err) < 0
      || field_str (o, p, "listenerPath", &s->listener_path, err) < 0
      || field_str (o, p, "listenerMetadata", &s->listener_metadata, err) < 0
      || FIELD_LIST (o, p, "syscalls", parse_scmp_rule, &s->syscalls,
                     &s->n_syscalls, err) < 0)
    return -1;
  s->default_action = action;
  return 0;
}

static void
seccomp_release (sr_seccomp_t *s)
{
  size_t i;

  for (i = 0; i < s->n_syscalls; i++)
    {
      strv_release (&s->syscalls[i].names);
      free (s->syscalls[i].args);
    }
  free (s->syscalls);
  strv_release (&s->architectures);
  strv_release (&s->flags);
  memset (s, 0, sizeof *s);
}

/* ------------------------------------------------------------------ */
/* linux */

static const char *const ns_names[SR_NS_COUNT] = {
  [SR_NS_PID] = "pid",       [SR_NS_NET] = "network", [SR_NS_MOUNT] = "mount",
  [SR_NS_IPC] = "ipc",       [SR_NS_UTS] = "uts",     [SR_NS_USER] = "user",
  [SR_NS_CGROUP] = "cgroup", [SR_NS_TIME] = "time",
};

const char *
sr_ns_type_name (sr_ns_type_t t)
{
  if ((unsigned) t >= SR_NS_COUNT)
    return "unknown";
  return ns_names[t];
}

static int
parse_idmap (json_t *o, const char *path, void *out, sr_error_t *err)
{
  sr_idmap_t *m = out;
  uint64_t v;

  if (field_req_u64 (o, path, "containerID", UINT32_MAX, &v, err) < 0)
    return -1;
  m->container_id = v;
  if (field_req_u64 (o, path, "hostID", UINT32_MAX, &v, err) < 0)
    return -1;
  m->host_id = v;
  if (field_req_u64 (o, path, "size", UINT32_MAX, &v, err) < 0)
    return -1;
  m->size = v;
  return 0;
}

static int
parse_namespace (json_t *o, const char *path, void *out, sr_error_t *err)
{
  sr_namespace_t *ns = out;
  const char *type = NULL;
  jpath_t p;
  int t;

  if (field_req_str (o, path, "type", &type, err) < 0
      || field_str (o, path, "path", &ns->path, err) < 0)
    return -1;
  for (t = 0; t < SR_NS_COUNT && strcmp (ns_names[t], type) != 0; t++)
    ;
  if (t == SR_NS_COUNT)
    return sr_error (err, 0, "%s: unknown namespace type \"%s\"",
                     jp_key (p, path, "type"), type);
  ns->type = t;
  /* Clients write "path": "" to mean a new namespace. */
  if (ns->path && ns->path[0] == '\0')
    ns->path = NULL;
  if (ns->path && ns->path[0] != '/')
    return sr_error (err, 0, "%s: must be an absolute path",
                     jp_key (p, path, "path"));
  return 0;
}

static int
parse_namespaces (json_t *lnx, sr_linux_t *l, sr_error_t *err)
{
  size_t i, j;

  if (FIELD_LIST (lnx, "linux", "namespaces", parse_namespace, &l->namespaces,
                  &l->n_namespaces, err) < 0)
    return -1;
  for (i = 0; i < l->n_namespaces; i++)
    for (j = 0; j < i; j++)
      if (l->namespaces[i].type == l->namespaces[j].type)
        return sr_error (err, 0, "linux.namespaces: duplicate namespace \"%s\"",
                         ns_names[l->namespaces[i].type]);
  return 0;
}

static int
parse_device (json_t *o, const char *path, void *out, sr_error_t *err)
{
  sr_device_t *d = out;
  sr_opt_i64 major = { false, 0 }, minor = { false, 0 };
  const char *type = NULL;
  jpath_t p;

  if (field_abs_path (o, path, "path", &d->path, err) < 0
      || field_req_str (o, path, "type", &type, err) < 0
      || field_i64 (o, path, "major", 0, UINT32_MAX, &major, err) < 0
      || field_i64 (o, path, "minor", 0, UINT32_MAX, &minor, err) < 0
      || field_u64 (o, path, "fileMode", UINT32_MAX, &d->file_mode, err) < 0
      || field_i64 (o, path, "uid", 0, UINT32_MAX, &d->uid, err) < 0
      || field_i64 (o, path, "gid", 0, UINT32_MAX, &d->gid, err) < 0)
    return -1;
  if (strlen (type) != 1 || strchr ("cbup", type[0]) == NULL)
    return sr_error (err, 0, "%s: unknown device type \"%s\"",
                     jp_key (p, path, "type"), type);
  d->type = type[0];
  /* A FIFO has no device number; everything else needs one. */
  if (d->type != 'p' && !major.set)
    return required (path, "major", err);
  if (d->type != 'p' && !minor.set)
    return required (path, "minor", err);
  d->major = major.v;
  d->minor = minor.v;
  return 0;
}

static int
parse_rootfs_propagation (json_t *lnx, sr_linux_t *l, sr_error_t *err)
{
  static const char *const known[] = {
    "shared", "slave", "private", "unbindable",
    "rshared", "rslave", "rprivate", "runbindable", NULL
  };
  const char *const *k;

  if (field_str (lnx, "linux", "rootfsPropagation", &l->rootfs_propagation,
                 err) < 0)
    return -1;
  if (l->rootfs_propagation == NULL)
    return 0;
  for (k = known; *k; k++)
    if (strcmp (*k, l->rootfs_propagation) == 0)
      return 0;
  return sr_error (err, 0, "linux.rootfsPropagation: unknown propagation \"%s\"",
                   l->rootfs_propagation);
}

static int
parse_personality (json_t *lnx, sr_linux_t *l, sr_error_t *err)
{
  static const name_value_t domains[] = {
    { "LINUX", PER_LINUX }, { "LINUX32", PER_LINUX32 }, { NULL, 0 }
  };
  const char *p = "linux.personality";
  sr_strv_t flags = { NULL, 0 };
  json_t *o;
  int ret;

  if (field_obj (lnx, "linux", "personality", &o, err) < 0)
    return -1;
  if (o == NULL)
    return 0;
  l->personality.set = true;
  if (field_enum (o, p, "domain", domains, "personality domain",
                  &l->personality.domain, err) < 0)
    return -1;
  /* The spec defines no flag yet; refuse rather than ignore one. */
  ret = field_strv (o, p, "flags", &flags, err);
  if (ret == 0 && flags.n > 0)
    ret = sr_error (err, 0, "%s.flags[0]: unknown personality flag \"%s\"", p,
                    flags.v[0]);
  strv_release (&flags);
  return ret;
}

static int
parse_time_offset (json_t *offs, const char *key, sr_time_offset_t *t,
                   sr_error_t *err)
{
  sr_opt_i64 secs = { false, 0 };
  sr_opt_u64 nsecs = { false, 0 };
  json_t *o;
  jpath_t p;

  if (field_obj (offs, "linux.timeOffsets", key, &o, err) < 0)
    return -1;
  if (o == NULL)
    return 0;
  jp_key (p, "linux.timeOffsets", key);
  /* The kernel refuses a nanosecond part of a whole second or more. */
  if (field_i64 (o, p, "secs", INT64_MIN, INT64_MAX, &secs, err) < 0
      || field_u64 (o, p, "nanosecs", 999999999, &nsecs, err) < 0)
    return -1;
  t->set = true;
  t->secs = secs.v;
  t->nanosecs = nsecs.v;
  return 0;
}

static int
parse_time_offsets (json_t *lnx, sr_linux_t *l, sr_error_t *err)
{
  json_t *o;

  if (field_obj (lnx, "linux", "timeOffsets", &o, err) < 0)
    return -1;
  if (o == NULL)
    return 0;
  if (parse_time_offset (o, "monotonic", &l->time_monotonic, err) < 0
      || parse_time_offset (o, "boottime", &l->time_boottime, err) < 0)
    return -1;
  return 0;
}

static int
parse_linux_resources (json_t *lnx, sr_linux_t *l, sr_error_t *err)
{
  json_t *o;

  if (field_obj (lnx, "linux", "resources", &o, err) < 0)
    return -1;
  if (o == NULL)
    return 0;
  return parse_resources (o, "linux.resources", &l->resources, err);
}

static int
parse_linux (json_t *top, sr_config_t *c, sr_error_t *err)
{
  const char *p = "linux";
  sr_linux_t *l = &c->linux_;
  json_t *o, *rdt;

  if (field_obj (top, "", "linux", &o, err) < 0)
    return -1;
  if (o == NULL)
    return 0;
  c->has_linux = true;
  if (FIELD_LIST (o, p, "uidMappings", parse_idmap, &l->uid_mappings,
                  &l->n_uid_mappings, err) < 0
      || FIELD_LIST (o, p, "gidMappings", parse_idmap, &l->gid_mappings,
                     &l->n_gid_mappings, err) < 0
      || field_kv (o, p, "sysctl", &l->sysctl, &l->n_sysctl, err) < 0
      || parse_linux_resources (o, l, err) < 0
      || field_str (o, p, "cgroupsPath", &l->cgroups_path, err) < 0
      || parse_namespaces (o, l, err) < 0
      || FIELD_LIST (o, p, "devices", parse_device, &l->devices, &l->n_devices,
                     err) < 0
      || parse_seccomp (o, &l->seccomp, err) < 0
      || parse_rootfs_propagation (o, l, err) < 0
      || field_strv (o, p, "maskedPaths", &l->masked_paths, err) < 0
      || field_strv (o, p, "readonlyPaths", &l->readonly_paths, err) < 0
      || field_str (o, p, "mountLabel", &l->mount_label, err) < 0
      || parse_personality (o, l, err) < 0
      || parse_time_offsets (o, l, err) < 0
      || field_obj (o, p, "intelRdt", &rdt, err) < 0)
    return -1;
  l->intel_rdt_set = rdt != NULL;
  return 0;
}

static void
linux_release (sr_linux_t *l)
{
  free (l->uid_mappings);
  free (l->gid_mappings);
  free (l->sysctl);
  sr_resources_release (&l->resources);
  free (l->namespaces);
  free (l->devices);
  seccomp_release (&l->seccomp);
  strv_release (&l->masked_paths);
  strv_release (&l->readonly_paths);
  memset (l, 0, sizeof *l);
}

/* ------------------------------------------------------------------ */
/* config.json */

/* Only major version 1 shares this schema. */
static int
parse_version (json_t *top, sr_config_t *c, sr_error_t *err)
{
  if (field_req_str (top, "", "ociVersion", &c->oci_version, err) < 0)
    return -1;
  if (strncmp (c->oci_version, "1.", 2) != 0)
    return sr_error (err, 0, "ociVersion: unsupported version \"%s\"",
                     c->oci_version);
  return 0;
}

static int
parse_top_process (json_t *top, sr_config_t *c, sr_error_t *err)
{
  json_t *o;

  if (field_obj (top, "", "process", &o, err) < 0)
    return -1;
  if (o == NULL)
    return 0;
  if (sr_process_parse (o, "process", &c->process, err) < 0)
    return -1;
  c->has_process = true;
  return 0;
}

static int
parse_config (json_t *top, sr_config_t *c, sr_error_t *err)
{
  if (!json_is_object (top))
    return type_error (err, "config.json", "object", top);
  if (parse_version (top, c, err) < 0
      || parse_root (top, c, err) < 0
      || parse_top_process (top, c, err) < 0
      || field_str (top, "", "hostname", &c->hostname, err) < 0
      || field_str (top, "", "domainname", &c->domainname, err) < 0
      || FIELD_LIST (top, "", "mounts", parse_mount, &c->mounts, &c->n_mounts,
                     err) < 0
      || parse_hooks (top, &c->hooks, err) < 0
      || field_kv (top, "", "annotations", &c->annotations, &c->n_annotations,
                   err) < 0
      || parse_linux (top, c, err) < 0)
    return -1;
  return 0;
}

/* Takes ownership of ROOT. */
static sr_config_t *
config_from_json (json_t *root, sr_error_t *err)
{
  sr_config_t *c;

  if (root == NULL)
    return NULL;
  c = calloc (1, sizeof *c);
  if (c == NULL)
    {
      json_decref (root);
      oom (err, "config.json");
      return NULL;
    }
  c->json = root;
  if (parse_config (root, c, err) < 0)
    {
      sr_config_free (c);
      return NULL;
    }
  return c;
}

sr_config_t *
sr_config_from_json (json_t *root, sr_error_t *err)
{
  return config_from_json (root, err);
}

sr_config_t *
sr_config_parse (const char *text, size_t len, sr_error_t *err)
{
  return config_from_json (sr_json_parse (text, len, "config.json", err), err);
}

sr_config_t *
sr_config_load (const char *path, sr_error_t *err)
{
  return config_from_json (sr_json_load (path, "config.json", err), err);
}

void
sr_config_free (sr_config_t *c)
{
  size_t i;

  if (c == NULL)
    return;
  sr_process_release (&c->process);
  for (i = 0; i < c->n_mounts; i++)
    strv_release (&c->mounts[i].options);
  free (c->mounts);
  hook_list_release (&c->hooks.prestart);
  hook_list_release (&c->hooks.create_runtime);
  hook_list_release (&c->hooks.create_container);
  hook_list_release (&c->hooks.start_container);
  hook_list_release (&c->hooks.poststart);
  hook_list_release (&c->hooks.poststop);
  free (c->annotations);
  linux_release (&c->linux_);
  json_decref (c->json);
  free (c);
}

const sr_namespace_t *
sr_config_namespace (const sr_config_t *c, sr_ns_type_t t)
{
  size_t i;

  for (i = 0; i < c->linux_.n_namespaces; i++)
    if (c->linux_.namespaces[i].type == t)
      return &c->linux_.namespaces[i];
  return NULL;
}
