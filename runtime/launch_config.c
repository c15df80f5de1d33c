/* The config.json of `secrun launch`.
 *
 * Layering, each step only on top of the previous one:
 *   1. profiles/hardened.json (read-only root, no capabilities,
 *      no-new-privileges, seccomp, non-root, every namespace, pids.max);
 *   2. the image's Entrypoint, Cmd, Env, WorkingDir, User, StopSignal;
 *   3. the command line, with Docker's option names and meanings.
 * An option that takes back a protection of step 1 is allowed, but named in
 * the one warning line launch prints, so that nobody weakens a container
 * by accident. */
#ifndef _GNU_SOURCE
# define _GNU_SOURCE
#endif

#include "launch_config.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "caps.h"

#include "cleanup.h"
#include "config.h"
#include "image.h"
#include "log.h"
#include "utils.h"

#ifndef PROFILEDIR
# define PROFILEDIR "/usr/local/share/secrun/profiles"
#endif

/* jansson holds int64; RLIM_INFINITY is written as this and swapped in the
 * text (same trick as the cgroup code's state). */
#define RLIM_SENTINEL INT64_MIN

static inline void
jsonp_decref (json_t **j)
{
  json_decref (*j);
}
#define _cleanup_json_ __attribute__ ((cleanup (jsonp_decref)))

int
sr_launch_list_add (sr_launch_list_t *l, const char *s)
{
  const char **v = realloc (l->v, (l->n + 2) * sizeof *v);
  if (v == NULL)
    return -1;
  v[l->n++] = s;
  v[l->n] = NULL;
  l->v = v;
  return 0;
}

void
sr_launch_list_free (sr_launch_list_t *l)
{
  free (l->v);
  l->v = NULL;
  l->n = 0;
}

/* ---- small helpers ---------------------------------------------------------- */

/* The growing "weakened" list. */
static void
weak_add (char **w, const char *fmt, ...)
{
  va_list ap;
  char *item = NULL, *joined = NULL;

  va_start (ap, fmt);
  if (vasprintf (&item, fmt, ap) < 0)
    item = NULL;
  va_end (ap);
  if (item == NULL)
    return;
  /* Once each: the same option can be given twice. */
  for (const char *p = *w; p && (p = strstr (p, item)) != NULL; p++)
    if ((p == *w || p[-1] == ' ') && (p[strlen (item)] == ',' || p[strlen (item)] == '\0'))
      {
        free (item);
        return;
      }
  if (asprintf (&joined, "%s%s%s", *w ? *w : "", *w ? ", " : "", item) < 0)
    joined = NULL;
  free (item);
  if (joined)
    {
      free (*w);
      *w = joined;
    }
}

char *
sr_launch_profile_dir (void)
{
  char exe[PATH_MAX];
  ssize_t n = readlink ("/proc/self/exe", exe, sizeof exe - 1);

  if (n > 0)
    {
      exe[n] = '\0';
      char *slash = strrchr (exe, '/');
      if (slash)
        {
          char *dir = NULL;
          *slash = '\0';
          if (asprintf (&dir, "%s/profiles", exe) > 0)
            {
              _cleanup_free_ char *f = sr_path_join (dir, "hardened.json");
              if (f && access (f, R_OK) == 0)
                return dir;
              free (dir);
            }
        }
    }
  return strdup (PROFILEDIR);
}

int
sr_launch_parse_size (const char *s, int64_t *out)
{
  char *end;
  errno = 0;
  double v = strtod (s, &end);
  int64_t mult = 1;

  if (end == s || errno || v < 0)
    return -1;
  switch (tolower ((unsigned char) *end))
    {
    case '\0': break;
    case 'b': mult = 1; end++; break;
    case 'k': mult = 1LL << 10; end++; break;
    case 'm': mult = 1LL << 20; end++; break;
    case 'g': mult = 1LL << 30; end++; break;
    case 't': mult = 1LL << 40; end++; break;
    default: return -1;
    }
  /* "512mb" and "512MiB" are common spellings of the same thing. */
  if (mult > 1 && (tolower ((unsigned char) *end) == 'b'
                   || (end[0] == 'i' && tolower ((unsigned char) end[1]) == 'b')))
    end += tolower ((unsigned char) *end) == 'b' ? 1 : 2;
  if (*end != '\0' || v * (double) mult > (double) INT64_MAX)
    return -1;
  *out = (int64_t) (v * (double) mult);
  return 0;
}

char *
sr_launch_config_dumps (const json_t *config)
{
  static const char from[] = "-9223372036854775808";
  static const char to[] = "18446744073709551615";
  char *s = json_dumps (config, JSON_INDENT (2) | JSON_PRESERVE_ORDER), *p;

  /* Same length: replaced in place. No string we write can hold the
   * sentinel unquoted, so every occurrence is a number. */
  for (p = s; p && (p = strstr (p, from)); p += sizeof to - 1)
    memcpy (p, to, sizeof to - 1);
  return s;
}

static bool
str_is (json_t *v, const char *s)
{
  return json_is_string (v) && strcmp (json_string_value (v), s) == 0;
}

/* KEY=VALUE into env, replacing an earlier KEY. */
static void
env_set (json_t *env, const char *kv)
{
  const char *eq = strchr (kv, '=');
  size_t klen = eq ? (size_t) (eq - kv) : strlen (kv);
  size_t i;
  json_t *e;

  json_array_foreach (env, i, e)
    {
      const char *s = json_string_value (e);
      if (s && strncmp (s, kv, klen) == 0 && s[klen] == '=')
        {
          json_array_set_new (env, i, json_string (kv));
          return;
        }
    }
  json_array_append_new (env, json_string (kv));
}

static bool
env_has (json_t *env, const char *key)
{
  size_t klen = strlen (key), i;
  json_t *e;
  json_array_foreach (env, i, e)
    {
      const char *s = json_string_value (e);
      if (s && strncmp (s, key, klen) == 0 && s[klen] == '=')
        return true;
    }
  return false;
}

/* ---- the image's /etc/passwd and /etc/group -------------------------------- */

/* Read inside the image root: RESOLVE_IN_ROOT makes an absolute symlink
 * such as /etc/passwd -> /host/etc/passwd resolve within the image. */
static char *
read_in_root (const char *root, const char *path)
{
  _cleanup_close_ int rfd = open (root, O_PATH | O_DIRECTORY | O_CLOEXEC);
  struct open_how how = { .flags = O_RDONLY | O_CLOEXEC | O_NOCTTY,
                          .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS };
  _cleanup_close_ int fd = -1;
  char *buf;
  size_t n = 0, cap = 1 << 20; /* a passwd file bigger than 1 MiB is not one */

  if (rfd < 0)
    return NULL;
  fd = (int) syscall (SYS_openat2, rfd, path, &how, sizeof how);
  struct stat st;
  if (fd < 0 || fstat (fd, &st) < 0 || !S_ISREG (st.st_mode))
    return NULL;
  buf = malloc (cap + 1);
  if (buf == NULL)
    return NULL;
  for (;;)
    {
      ssize_t r = read (fd, buf + n, cap - n);
      if (r < 0 && errno == EINTR)
        continue;
      if (r <= 0)
        break;
      n += (size_t) r;
      if (n == cap)
        break;
    }
  buf[n] = '\0';
  return buf;
}

/* Splits LINE (modified) on ':' into at most max fields. */
static size_t
split_colon (char *line, char **f, size_t max)
{
  size_t n = 0;
  while (n < max)
    {
      f[n++] = line;
      char *c = strchr (line, ':');
      if (c == NULL)
        break;
      *c = '\0';
      line = c + 1;
    }
  return n;
}

static bool
all_digits (const char *s)
{
  return *s && strspn (s, "0123456789") == strlen (s);
}

static int
parse_id (const char *s, uint32_t *out)
{
  uint64_t v;
  if (!all_digits (s) || sr_parse_u64 (s, &v) < 0 || v > UINT32_MAX - 1)
    return -1;
  *out = (uint32_t) v;
  return 0;
}

typedef struct {
  uint32_t uid, gid;
  bool found;    /* a passwd entry matched */
  char *name;    /* from passwd, for group membership */
  char *home;
} user_t;

static void
user_release (user_t *u)
{
  free (u->name);
  free (u->home);
}

/* By name, or by number when by_uid. */
static bool
passwd_lookup (const char *passwd, const char *name, bool by_uid, uint32_t uid,
               user_t *u)
{
  _cleanup_free_ char *copy = passwd ? strdup (passwd) : NULL;
  char *save = NULL;

  for (char *line = copy ? strtok_r (copy, "\n", &save) : NULL; line;
       line = strtok_r (NULL, "\n", &save))
    {
      char *f[7];
      uint32_t id, gid;
      if (line[0] == '#' || split_colon (line, f, 7) < 4)
        continue;
      if (parse_id (f[2], &id) < 0 || parse_id (f[3], &gid) < 0)
        continue;
      if (by_uid ? id != uid : strcmp (f[0], name) != 0)
        continue;
      u->uid = id;
      u->gid = gid;
      u->found = true;
      u->name = strdup (f[0]);
      u->home = f[5] && *f[5] ? strdup (f[5]) : NULL;
      return true;
    }
  return false;
}

static bool
group_lookup (const char *group, const char *name, uint32_t *gid)
{
  _cleanup_free_ char *copy = group ? strdup (group) : NULL;
  char *save = NULL;

  for (char *line = copy ? strtok_r (copy, "\n", &save) : NULL; line;
       line = strtok_r (NULL, "\n", &save))
    {
      char *f[4];
      if (line[0] == '#' || split_colon (line, f, 4) < 3)
        continue;
      if (strcmp (f[0], name) == 0 && parse_id (f[2], gid) == 0)
        return true;
    }
  return false;
}

static int
resolve_group (const char *group, const char *spec, uint32_t *gid, sr_error_t *err)
{
  if (all_digits (spec))
    {
      if (parse_id (spec, gid) < 0)
        return sr_error (err, 0, "group \"%s\": out of range", spec);
      return 0;
    }
  if (!group_lookup (group, spec, gid))
    return sr_error (err, 0, "group \"%s\" is not in the image's /etc/group", spec);
  return 0;
}

/* USER[:GROUP] as Docker reads it: names through the image's files. A
 * number with no passwd entry keeps its own number as the group rather
 * than falling back to group 0, whose files are often writable. */
static int
resolve_user (const char *spec, const char *passwd, const char *group, user_t *u,
              sr_error_t *err)
{
  _cleanup_free_ char *copy = strdup (spec);
  char *grp;

  memset (u, 0, sizeof *u);
  if (copy == NULL)
    return sr_error (err, ENOMEM, "user");
  grp = strchr (copy, ':');
  if (grp)
    *grp++ = '\0';
  if (*copy == '\0')
    return sr_error (err, 0, "user \"%s\": no user", spec);
  if (all_digits (copy))
    {
      uint32_t uid;
      if (parse_id (copy, &uid) < 0)
        return sr_error (err, 0, "user \"%s\": out of range", spec);
      if (!passwd_lookup (passwd, NULL, true, uid, u))
        {
          u->uid = uid;
          u->gid = uid;
        }
    }
  else if (!passwd_lookup (passwd, copy, false, 0, u))
    return sr_error (err, 0, "user \"%s\" is not in the image's /etc/passwd", copy);
  if (grp && *grp && resolve_group (group, grp, &u->gid, err) < 0)
    return -1;
  return 0;
}

static void
gids_add (json_t *gids, uint32_t gid, uint32_t primary)
{
  size_t i;
  json_t *g;
  if (gid == primary)
    return;
  json_array_foreach (gids, i, g)
    if ((uint32_t) json_integer_value (g) == gid)
      return;
  json_array_append_new (gids, json_integer (gid));
}

/* The groups that list NAME as a member, like initgroups(3). */
static void
member_groups (const char *group, const char *name, uint32_t primary, json_t *gids)
{
  _cleanup_free_ char *copy = group ? strdup (group) : NULL;
  char *save = NULL;

  for (char *line = copy ? strtok_r (copy, "\n", &save) : NULL; line;
       line = strtok_r (NULL, "\n", &save))
    {
      char *f[4], *s2 = NULL;
      uint32_t gid;
      if (line[0] == '#' || split_colon (line, f, 4) < 4 || parse_id (f[2], &gid) < 0)
        continue;
      for (char *m = strtok_r (f[3], ",", &s2); m; m = strtok_r (NULL, ",", &s2))
        if (strcmp (m, name) == 0)
          gids_add (gids, gid, primary);
    }
}

static int
set_user (const sr_launch_opts_t *o, json_t *hardened, json_t *process, json_t *env,
          json_t *mounts, char **weak, sr_error_t *err)
{
  _cleanup_free_ char *passwd = read_in_root (o->image_rootfs, "/etc/passwd");
  _cleanup_free_ char *group = read_in_root (o->image_rootfs, "/etc/group");
  const char *image_user = json_string_value (json_object_get (o->image_config, "User"));
  json_t *fb = json_object_get (hardened, "fallbackUser");
  user_t u = { 0 };
  int ret = -1;

  if (o->user)
    {
      if (resolve_user (o->user, passwd, group, &u, err) < 0)
        return sr_error_prefix (err, "--user");
      if (u.uid == 0)
        weak_add (weak, "--user %s (root)", o->user);
    }
  else if (image_user && *image_user)
    {
      if (resolve_user (image_user, passwd, group, &u, err) < 0)
        return sr_error_prefix (err, "the image's User");
      if (u.uid == 0)
        {
          /* Root only when asked for on the command line. */
          sr_log_debug ("the image's User is root: running as the fallback user "
                        "(--user 0 keeps root)");
          user_release (&u);
          memset (&u, 0, sizeof u);
        }
    }
  if (o->user == NULL && u.uid == 0)
    {
      u.uid = (uint32_t) json_integer_value (json_object_get (fb, "uid"));
      u.gid = (uint32_t) json_integer_value (json_object_get (fb, "gid"));
      if (u.uid == 0)
        u.uid = u.gid = 65534;
    }

  json_t *gids = json_array ();
  if (u.found && u.name)
    member_groups (group, u.name, u.gid, gids);
  for (size_t i = 0; i < o->group_add.n; i++)
    {
      uint32_t g;
      if (resolve_group (group, o->group_add.v[i], &g, err) < 0)
        {
          sr_error_prefix (err, "--group-add");
          json_decref (gids);
          goto out;
        }
      gids_add (gids, g, u.gid);
    }
  json_t *user = json_pack ("{s:I, s:I}", "uid", (json_int_t) u.uid, "gid",
                            (json_int_t) u.gid);
  if (json_array_size (gids))
    json_object_set_new (user, "additionalGids", gids);
  else
    json_decref (gids);
  json_object_set_new (process, "user", user);
  if (!env_has (env, "HOME"))
    {
      _cleanup_free_ char *home = NULL;
      if (asprintf (&home, "HOME=%s", u.home ? u.home : "/") > 0)
        env_set (env, home);
    }

  /* Directories the workload should own (hardened.json "workloadOwns"):
   * a tmpfs /run that only root could write would be useless to it. */
  json_t *owns = json_object_get (hardened, "workloadOwns");
  size_t i, j;
  json_t *d, *m;
  json_array_foreach (owns, i, d)
    json_array_foreach (mounts, j, m)
      if (json_equal (json_object_get (m, "destination"), d)
          && str_is (json_object_get (m, "type"), "tmpfs"))
        {
          char b[64];
          json_t *opts = json_object_get (m, "options");
          snprintf (b, sizeof b, "uid=%u", u.uid);
          json_array_append_new (opts, json_string (b));
          snprintf (b, sizeof b, "gid=%u", u.gid);
          json_array_append_new (opts, json_string (b));
        }
  ret = 0;
out:
  user_release (&u);
  return ret;
}

/* ---- capabilities ----------------------------------------------------------- */

static int
cap_parse (const char *name, int *cap)
{
  char lower[64];
  size_t i;

  if (strncasecmp (name, "CAP_", 4) == 0)
    name += 4;
  for (i = 0; name[i] && i < sizeof lower - 1; i++)
    lower[i] = (char) tolower ((unsigned char) name[i]);
  if (name[i] || i == 0)
    return -1;
  lower[i] = '\0';
  *cap = sr_cap_by_name (lower);
  return *cap < 0 ? -1 : 0;
}

static int
last_cap (void)
{
  _cleanup_fclose_ FILE *f = fopen ("/proc/sys/kernel/cap_last_cap", "re");
  int n = 40;
  if (f == NULL || fscanf (f, "%d", &n) != 1)
    n = 40;
  return n > 63 ? 63 : n;
}

/* As Docker: --cap-add ALL starts from every capability, --cap-drop ALL
 * from none (and then only the named --cap-add ones count); otherwise the
 * named ones are added and the named drops removed. A capability goes in
 * every set, ambient included: the workload is not root, and without
 * ambient the execve would drop it again. */
static int
set_caps (const sr_launch_opts_t *o, json_t *process, char **weak, sr_error_t *err)
{
  uint64_t all = 0, add = 0, drop = 0, mask;
  bool add_all = false, drop_all = false;
  int top = last_cap (), c;

  /* ALL is what we hold ourselves: a capability outside our own bounding
   * set cannot be given (a nested or restricted host). */
  for (c = 0; c <= top; c++)
    if (prctl (PR_CAPBSET_READ, c, 0, 0, 0) == 1)
      all |= 1ULL << c;
  for (size_t i = 0; i < o->cap_add.n; i++)
    {
      if (strcasecmp (o->cap_add.v[i], "ALL") == 0)
        add_all = true;
      else if (cap_parse (o->cap_add.v[i], &c) < 0 || c > top)
        return sr_error (err, 0, "--cap-add: unknown capability \"%s\"", o->cap_add.v[i]);
      else
        add |= 1ULL << c;
    }
  for (size_t i = 0; i < o->cap_drop.n; i++)
    {
      if (strcasecmp (o->cap_drop.v[i], "ALL") == 0)
        drop_all = true;
      else if (cap_parse (o->cap_drop.v[i], &c) < 0 || c > top)
        return sr_error (err, 0, "--cap-drop: unknown capability \"%s\"", o->cap_drop.v[i]);
      else
        drop |= 1ULL << c;
    }
  if (drop_all)
    mask = add;
  else
    mask = ((add_all ? all : 0) | add) & ~drop;

  /* The warning names what was given back: every capability by name, or
   * for ALL less a few, "ALL except ...". */
  bool summarize = !drop_all && add_all;
  _cleanup_free_ char *except = NULL;
  json_t *list = json_array ();
  for (c = 0; c <= top; c++)
    {
      const char *cn = sr_cap_name ((unsigned) c);
      char name[64];
      size_t k;
      if (cn == NULL)
        continue;
      snprintf (name, sizeof name, "CAP_%s", cn);
      for (k = 4; name[k]; k++)
        name[k] = (char) toupper ((unsigned char) name[k]);
      if (mask & (1ULL << c))
        {
          json_array_append_new (list, json_string (name));
          if (!summarize)
            weak_add (weak, "--cap-add %s", name);
        }
      else if (summarize && (all & (1ULL << c)))
        {
          char *e = NULL;
          if (asprintf (&e, "%s%s%s", except ? except : "", except ? " " : "", name) > 0)
            {
              free (except);
              except = e;
            }
        }
    }
  if (summarize)
    weak_add (weak, "--cap-add ALL%s%s", except ? " except " : "", except ? except : "");
  json_t *caps = json_object ();
  static const char *const sets[] = { "bounding", "effective", "inheritable",
                                      "permitted", "ambient" };
  for (size_t i = 0; i < 5; i++)
    json_object_set_new (caps, sets[i], json_deep_copy (list));
  json_decref (list);
  json_object_set_new (process, "capabilities", caps);
  return 0;
}

/* ---- mounts ------------------------------------------------------------------- */

static int
check_dest (const char *what, const char *dst, sr_error_t *err)
{
  if (dst == NULL || dst[0] != '/' || strcmp (dst, "/") == 0)
    return sr_error (err, 0, "%s: the destination must be an absolute path other "
                     "than /", what);
  for (const char *p = dst; *p; p++)
    if (p[0] == '/' && p[1] == '.' && p[2] == '.' && (p[3] == '/' || p[3] == '\0'))
      return sr_error (err, 0, "%s: \"..\" in %s", what, dst);
  return 0;
}

static json_t *
strv_split (const char *csv)
{
  json_t *a = json_array ();
  _cleanup_free_ char *copy = strdup (csv);
  char *save = NULL;
  for (char *t = copy ? strtok_r (copy, ",", &save) : NULL; t; t = strtok_r (NULL, ",", &save))
    json_array_append_new (a, json_string (t));
  return a;
}

/* Adds M, replacing a mount on the same destination. */
static void
mount_put (json_t *mounts, json_t *m)
{
  const char *dst = json_string_value (json_object_get (m, "destination"));
  size_t dl = strlen (dst);
  size_t i;
  json_t *x;

  while (dl > 1 && dst[dl - 1] == '/')
    dl--;
  json_array_foreach (mounts, i, x)
    {
      const char *d = json_string_value (json_object_get (x, "destination"));
      size_t l = d ? strlen (d) : 0;
      while (l > 1 && d[l - 1] == '/')
        l--;
      if (d && l == dl && strncmp (d, dst, dl) == 0)
        {
          json_array_remove (mounts, i);
          break;
        }
    }
  json_array_append_new (mounts, m);
}

static json_t *
tmpfs_mount (const char *dst, const char *user_opts)
{
  /* Docker's --tmpfs defaults; the user's options come last and win. */
  json_t *opts = json_pack ("[s, s, s, s]", "nosuid", "nodev", "noexec", "mode=1777");
  if (user_opts)
    {
      json_t *more = strv_split (user_opts);
      json_array_extend (opts, more);
      json_decref (more);
    }
  return json_pack ("{s:s, s:s, s:s, s:o}", "destination", dst, "type", "tmpfs",
                    "source", "tmpfs", "options", opts);
}

static json_t *
bind_mount (const char *src, const char *dst, bool ro, const char *propagation,
            bool recursive)
{
  json_t *opts = json_pack ("[s, s, s]", recursive ? "rbind" : "bind", "nosuid", "nodev");
  if (ro)
    json_array_append_new (opts, json_string ("ro"));
  if (propagation)
    json_array_append_new (opts, json_string (propagation));
  return json_pack ("{s:s, s:s, s:s, s:o}", "destination", dst, "type", "bind",
                    "source", src, "options", opts);
}

static int
check_source (const char *what, const char *src, sr_error_t *err)
{
  struct stat st;
  if (src == NULL || src[0] != '/')
    return sr_error (err, 0, "%s: the source must be an absolute host path "
                     "(named volumes are not supported)", what);
  if (stat (src, &st) < 0)
    return sr_error_errno (err, "%s: %s", what, src);
  return 0;
}

static bool
is_propagation (const char *s)
{
  static const char *const p[] = { "private", "rprivate", "shared", "rshared",
                                   "slave", "rslave", NULL };
  for (const char *const *x = p; *x; x++)
    if (strcmp (s, *x) == 0)
      return true;
  return false;
}

/* -v SRC:DST[:OPTS], OPTS from ro, rw, a propagation, z/Z (ignored: no
 * SELinux relabelling here). */
static int
add_volume (json_t *mounts, const char *spec, sr_error_t *err)
{
  _cleanup_free_ char *copy = strdup (spec);
  char *f[3] = { NULL, NULL, NULL };
  bool ro = false;
  const char *prop = NULL;
  size_t n = 0;

  if (copy == NULL)
    return sr_error (err, ENOMEM, "-v");
  for (char *p = copy; p && n < 3;)
    {
      f[n++] = p;
      p = strchr (p, ':');
      if (p)
        *p++ = '\0';
    }
  if (n < 2)
    return sr_error (err, 0, "-v %s: expected SRC:DST[:OPTIONS]", spec);
  if (check_source ("-v", f[0], err) < 0 || check_dest ("-v", f[1], err) < 0)
    return -1;
  if (f[2])
    {
      char *save = NULL;
      for (char *o = strtok_r (f[2], ",", &save); o; o = strtok_r (NULL, ",", &save))
        if (strcmp (o, "ro") == 0)
          ro = true;
        else if (strcmp (o, "rw") == 0)
          ro = false;
        else if (is_propagation (o))
          prop = o;
        else if (strcmp (o, "z") && strcmp (o, "Z"))
          return sr_error (err, 0, "-v %s: unknown option \"%s\"", spec, o);
    }
  mount_put (mounts, bind_mount (f[0], f[1], ro, prop, true));
  return 0;
}

static bool
parse_bool_opt (const char *v, bool *out)
{
  if (v == NULL || strcmp (v, "true") == 0 || strcmp (v, "1") == 0)
    *out = true;
  else if (strcmp (v, "false") == 0 || strcmp (v, "0") == 0)
    *out = false;
  else
    return false;
  return true;
}

/* --mount type=bind|tmpfs,source=...,target=...,readonly,... */
static int
add_mount_opt (json_t *mounts, const char *spec, sr_error_t *err)
{
  _cleanup_free_ char *copy = strdup (spec);
  const char *type = NULL, *src = NULL, *dst = NULL, *prop = NULL;
  bool ro = false, recursive = true;
  int64_t size = -1;
  long mode = -1;
  char *save = NULL;

  if (copy == NULL)
    return sr_error (err, ENOMEM, "--mount");
  for (char *kv = strtok_r (copy, ",", &save); kv; kv = strtok_r (NULL, ",", &save))
    {
      char *v = strchr (kv, '=');
      if (v)
        *v++ = '\0';
      if (strcmp (kv, "type") == 0)
        type = v;
      else if (strcmp (kv, "source") == 0 || strcmp (kv, "src") == 0)
        src = v;
      else if (strcmp (kv, "target") == 0 || strcmp (kv, "destination") == 0
               || strcmp (kv, "dst") == 0)
        dst = v;
      else if (strcmp (kv, "readonly") == 0 || strcmp (kv, "ro") == 0)
        {
          if (!parse_bool_opt (v, &ro))
            return sr_error (err, 0, "--mount %s: readonly=%s", spec, v);
        }
      else if (strcmp (kv, "bind-propagation") == 0 && v && is_propagation (v))
        prop = v;
      else if (strcmp (kv, "bind-nonrecursive") == 0)
        {
          bool nr;
          if (!parse_bool_opt (v, &nr))
            return sr_error (err, 0, "--mount %s: bind-nonrecursive=%s", spec, v);
          recursive = !nr;
        }
      else if (strcmp (kv, "tmpfs-size") == 0 && v)
        {
          if (sr_launch_parse_size (v, &size) < 0)
            return sr_error (err, 0, "--mount %s: tmpfs-size=%s", spec, v);
        }
      else if (strcmp (kv, "tmpfs-mode") == 0 && v)
        {
          char *end;
          mode = strtol (v, &end, 8);
          if (*end || mode < 0 || mode > 07777)
            return sr_error (err, 0, "--mount %s: tmpfs-mode=%s", spec, v);
        }
      else
        return sr_error (err, 0, "--mount %s: unsupported key \"%s\"", spec, kv);
    }
  if (type == NULL)
    return sr_error (err, 0, "--mount %s: type= is required (bind or tmpfs)", spec);
  if (check_dest ("--mount", dst, err) < 0)
    return -1;
  if (strcmp (type, "bind") == 0)
    {
      if (check_source ("--mount", src, err) < 0)
        return -1;
      mount_put (mounts, bind_mount (src, dst, ro, prop, recursive));
      return 0;
    }
  if (strcmp (type, "tmpfs") == 0)
    {
      char opts[128] = "";
      int n = 0;
      if (size >= 0)
        n += snprintf (opts + n, sizeof opts - (size_t) n, "size=%lld,", (long long) size);
      if (mode >= 0)
        n += snprintf (opts + n, sizeof opts - (size_t) n, "mode=%lo,", mode);
      if (ro)
        n += snprintf (opts + n, sizeof opts - (size_t) n, "ro,");
      mount_put (mounts, tmpfs_mount (dst, n ? opts : NULL));
      return 0;
    }
  return sr_error (err, 0, "--mount %s: type=%s is not supported (bind or tmpfs)",
                   spec, type);
}

static int
depth (const char *p)
{
  int n = 0;
  for (; *p; p++)
    if (*p == '/' && p[1] && p[1] != '/')
      n++;
  return n;
}

/* Parents before children, else order kept (Docker sorts the same way):
 * a volume at /tmp/x must land on the /tmp tmpfs, not under it. */
static json_t *
sort_mounts (json_t *mounts)
{
  json_t *out = json_array ();
  int max = 0;
  size_t i;
  json_t *m;

  json_array_foreach (mounts, i, m)
    {
      int d = depth (json_string_value (json_object_get (m, "destination")));
      if (d > max)
        max = d;
    }
  for (int d = 0; d <= max; d++)
    json_array_foreach (mounts, i, m)
      if (depth (json_string_value (json_object_get (m, "destination"))) == d)
        json_array_append (out, m);
  return out;
}

/* ---- devices, rlimits ----------------------------------------------------------- */

/* --device HOST[:CONTAINER][:PERMISSIONS] */
static int
add_device (json_t *linux_, const char *spec, char **weak, sr_error_t *err)
{
  _cleanup_free_ char *copy = strdup (spec);
  char *f[3] = { NULL, NULL, NULL };
  const char *perms = "rwm";
  size_t n = 0;
  struct stat st;

  if (copy == NULL)
    return sr_error (err, ENOMEM, "--device");
  for (char *p = copy; p && n < 3;)
    {
      f[n++] = p;
      p = strchr (p, ':');
      if (p)
        *p++ = '\0';
    }
  const char *host = f[0], *ctr = f[0];
  if (n == 2 && f[1][0] != '/')
    perms = f[1];
  else if (n >= 2)
    {
      ctr = f[1];
      if (n == 3)
        perms = f[2];
    }
  if (*perms == '\0' || strspn (perms, "rwm") != strlen (perms))
    return sr_error (err, 0, "--device %s: permissions must be made of r, w, m", spec);
  if (host[0] != '/' || check_dest ("--device", ctr, err) < 0)
    return sr_error (err, 0, "--device %s: paths must be absolute", spec);
  if (stat (host, &st) < 0)
    return sr_error_errno (err, "--device %s", host);
  if (!S_ISCHR (st.st_mode) && !S_ISBLK (st.st_mode))
    return sr_error (err, 0, "--device %s: not a device node", host);
  const char *type = S_ISCHR (st.st_mode) ? "c" : "b";
  json_t *devs = json_object_get (linux_, "devices");
  if (devs == NULL)
    json_object_set_new (linux_, "devices", devs = json_array ());
  json_array_append_new (devs, json_pack ("{s:s, s:s, s:I, s:I, s:I, s:i, s:i}",
                                          "path", ctr, "type", type,
                                          "major", (json_int_t) major (st.st_rdev),
                                          "minor", (json_int_t) minor (st.st_rdev),
                                          "fileMode", (json_int_t) (st.st_mode & 0777),
                                          "uid", 0, "gid", 0));
  json_t *res = json_object_get (linux_, "resources");
  json_array_append_new (json_object_get (res, "devices"),
                         json_pack ("{s:b, s:s, s:I, s:I, s:s}", "allow", 1, "type", type,
                                    "major", (json_int_t) major (st.st_rdev),
                                    "minor", (json_int_t) minor (st.st_rdev),
                                    "access", perms));
  weak_add (weak, "--device %s", host);
  return 0;
}

static int
rlimit_value (const char *s, json_t **out)
{
  int64_t v;
  if (strcmp (s, "-1") == 0 || strcmp (s, "unlimited") == 0)
    {
      *out = json_integer (RLIM_SENTINEL);
      return 0;
    }
  if (!all_digits (s) || sr_parse_i64 (s, &v) < 0)
    return -1;
  *out = json_integer (v);
  return 0;
}

/* --ulimit NAME=SOFT[:HARD] (nofile=1024:2048, core=0, nproc=-1). */
static int
add_ulimit (json_t *process, const char *spec, sr_error_t *err)
{
  _cleanup_free_ char *copy = strdup (spec);
  char type[48];
  json_t *soft = NULL, *hard = NULL;

  if (copy == NULL)
    return sr_error (err, ENOMEM, "--ulimit");
  char *eq = strchr (copy, '=');
  if (eq == NULL || eq == copy || eq - copy > 30)
    return sr_error (err, 0, "--ulimit %s: expected NAME=SOFT[:HARD]", spec);
  *eq = '\0';
  char *colon = strchr (eq + 1, ':');
  if (colon)
    *colon = '\0';
  snprintf (type, sizeof type, "RLIMIT_%s", copy);
  for (char *p = type; *p; p++)
    *p = (char) toupper ((unsigned char) *p);
  static const char *const known[] = { "RLIMIT_AS", "RLIMIT_CORE", "RLIMIT_CPU",
    "RLIMIT_DATA", "RLIMIT_FSIZE", "RLIMIT_LOCKS", "RLIMIT_MEMLOCK",
    "RLIMIT_MSGQUEUE", "RLIMIT_NICE", "RLIMIT_NOFILE", "RLIMIT_NPROC",
    "RLIMIT_RSS", "RLIMIT_RTPRIO", "RLIMIT_RTTIME", "RLIMIT_SIGPENDING",
    "RLIMIT_STACK", NULL };
  const char *const *k;
  for (k = known; *k && strcmp (*k, type) != 0; k++)
    ;
  if (*k == NULL)
    return sr_error (err, 0, "--ulimit %s: unknown limit \"%s\"", spec, copy);
  if (rlimit_value (eq + 1, &soft) < 0
      || rlimit_value (colon ? colon + 1 : eq + 1, &hard) < 0)
    {
      json_decref (soft);
      return sr_error (err, 0, "--ulimit %s: bad value", spec);
    }
  json_int_t s = json_integer_value (soft), h = json_integer_value (hard);
  if (h != RLIM_SENTINEL && (s == RLIM_SENTINEL || s > h))
    {
      json_decref (soft);
      json_decref (hard);
      return sr_error (err, 0, "--ulimit %s: the soft limit is above the hard one", spec);
    }
  json_t *rl = json_object_get (process, "rlimits");
  if (rl == NULL)
    json_object_set_new (process, "rlimits", rl = json_array ());
  size_t i;
  json_t *r;
  json_array_foreach (rl, i, r)
    if (str_is (json_object_get (r, "type"), type))
      {
        json_array_remove (rl, i);
        break;
      }
  json_array_append_new (rl, json_pack ("{s:s, s:o, s:o}", "type", type, "soft", soft,
                                        "hard", hard));
  return 0;
}

/* ---- seccomp --------------------------------------------------------------------- */

/* Keeps the architectures this kernel can report (as the runtime's own
 * profile loader does): the others are dead code in the filter. */
static void
prune_arches (json_t *seccomp)
{
#if defined(__x86_64__)
  static const char *const mine[] = { "SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32", NULL };
#elif defined(__aarch64__)
  static const char *const mine[] = { "SCMP_ARCH_AARCH64", "SCMP_ARCH_ARM", NULL };
#else
  static const char *const mine[] = { NULL };
#endif
  json_t *a = json_object_get (seccomp, "architectures");
  if (mine[0] == NULL || !json_is_array (a))
    return;
  for (size_t i = json_array_size (a); i-- > 0;)
    {
      const char *s = json_string_value (json_array_get (a, i));
      const char *const *m;
      for (m = mine; *m && !(s && strcmp (s, *m) == 0); m++)
        ;
      if (*m == NULL)
        json_array_remove (a, i);
    }
}

static int
set_seccomp (const sr_launch_opts_t *o, json_t *hardened, const char *pdir,
             json_t *linux_, char **weak, sr_error_t *err)
{
  if (o->seccomp && strcmp (o->seccomp, "unconfined") == 0)
    {
      json_object_del (linux_, "seccomp");
      weak_add (weak, "--security-opt seccomp=unconfined");
      return 0;
    }
  _cleanup_free_ char *path = NULL;
  if (o->seccomp)
    path = strdup (o->seccomp);
  else
    {
      const char *rel = json_string_value (json_object_get (hardened, "seccompProfile"));
      if (rel == NULL)
        return sr_error (err, 0, "hardened.json: seccompProfile: missing");
      path = rel[0] == '/' ? strdup (rel) : sr_path_join (pdir, rel);
    }
  if (path == NULL)
    return sr_error (err, ENOMEM, "seccomp");
  json_t *p = sr_json_load (path, "seccomp profile", err);
  if (p == NULL)
    return sr_error_prefix (err, "%s", o->seccomp ? "--security-opt seccomp" : "default seccomp profile");
  if (!json_is_object (p))
    {
      json_decref (p);
      return sr_error (err, 0, "%s: not a linux.seccomp object", path);
    }
  if (o->seccomp == NULL)
    prune_arches (p);
  json_object_set_new (linux_, "seccomp", p);
  return 0;
}

/* ---- process ---------------------------------------------------------------------- */

static int
set_args (const sr_launch_opts_t *o, json_t *process, sr_error_t *err)
{
  json_t *ic = o->image_config;
  json_t *args = json_array ();
  json_t *ep = json_object_get (ic, "Entrypoint");
  json_t *cmd = json_object_get (ic, "Cmd");
  size_t i;
  json_t *x;

  /* Docker: --entrypoint replaces Entrypoint and drops the image's Cmd;
   * COMMAND replaces Cmd. */
  if (o->init_path)
    {
      json_array_append_new (args, json_string ("/sbin/secrun-init"));
      json_array_append_new (args, json_string ("--"));
    }
  if (o->entrypoint)
    {
      if (*o->entrypoint)
        json_array_append_new (args, json_string (o->entrypoint));
      cmd = NULL;
    }
  else if (json_is_array (ep))
    json_array_foreach (ep, i, x)
      if (json_is_string (x))
        json_array_append (args, x);
  if (o->n_command)
    for (i = 0; i < o->n_command; i++)
      json_array_append_new (args, json_string (o->command[i]));
  else if (json_is_array (cmd))
    json_array_foreach (cmd, i, x)
      if (json_is_string (x))
        json_array_append (args, x);
  if (json_array_size (args) == (o->init_path ? 2u : 0u))
    {
      json_decref (args);
      return sr_error (err, 0, "no command: the image has no Entrypoint or Cmd; "
                       "give one after the source");
    }
  json_object_set_new (process, "args", args);
  return 0;
}

static int
set_env_cwd (const sr_launch_opts_t *o, json_t *process, sr_error_t *err)
{
  json_t *env = json_object_get (process, "env");
  json_t *ienv = json_object_get (o->image_config, "Env");
  size_t i;
  json_t *x;

  if (!json_is_array (env))
    json_object_set_new (process, "env", env = json_array ());
  json_array_foreach (ienv, i, x)
    if (json_is_string (x) && strchr (json_string_value (x), '='))
      env_set (env, json_string_value (x));
  if (o->tty && !env_has (env, "TERM"))
    env_set (env, "TERM=xterm");
  for (i = 0; i < o->env.n; i++)
    {
      if (strchr (o->env.v[i], '=') == NULL || o->env.v[i][0] == '=')
        return sr_error (err, 0, "-e %s: expected KEY=VALUE", o->env.v[i]);
      env_set (env, o->env.v[i]);
    }

  const char *cwd = o->workdir;
  if (cwd == NULL || *cwd == '\0')
    cwd = json_string_value (json_object_get (o->image_config, "WorkingDir"));
  if (cwd == NULL || *cwd == '\0')
    cwd = "/";
  if (cwd[0] != '/')
    return sr_error (err, 0, "working directory \"%s\": must be absolute", cwd);
  json_object_set_new (process, "cwd", json_string (cwd));
  return 0;
}

/* ---- resources ------------------------------------------------------------------------ */

static json_t *
obj_child (json_t *o, const char *key)
{
  json_t *c = json_object_get (o, key);
  if (!json_is_object (c))
    json_object_set_new (o, key, c = json_object ());
  return c;
}

static int
set_resources (const sr_launch_opts_t *o, json_t *linux_, char **weak, sr_error_t *err)
{
  json_t *res = obj_child (linux_, "resources");

  if (o->memory_swap && !o->memory)
    return sr_error (err, 0, "--memory-swap needs --memory (it is memory plus swap)");
  if (o->memory)
    {
      json_t *mem = obj_child (res, "memory");
      json_object_set_new (mem, "limit", json_integer (o->memory));
      if (o->memory_swap)
        {
          if (o->memory_swap > 0 && o->memory_swap < o->memory)
            return sr_error (err, 0, "--memory-swap must be at least --memory");
          json_object_set_new (mem, "swap", json_integer (o->memory_swap));
        }
    }
  if (o->cpu_quota || o->cpu_shares)
    {
      json_t *cpu = obj_child (res, "cpu");
      if (o->cpu_quota)
        {
          json_object_set_new (cpu, "quota", json_integer ((json_int_t) o->cpu_quota));
          json_object_set_new (cpu, "period", json_integer ((json_int_t) o->cpu_period));
        }
      if (o->cpu_shares)
        json_object_set_new (cpu, "shares", json_integer ((json_int_t) o->cpu_shares));
    }
  if (o->pids_set)
    {
      if (o->pids_limit <= 0)
        {
          json_object_del (res, "pids");
          weak_add (weak, "--pids-limit unlimited");
        }
      else
        json_object_set_new (obj_child (res, "pids"), "limit", json_integer (o->pids_limit));
    }
  return 0;
}

/* ---- the whole config ------------------------------------------------------------------ */

json_t *
sr_launch_config (const sr_launch_opts_t *o, char **weakened, const char **stop_signal,
                  sr_error_t *err)
{
  _cleanup_free_ char *pdir = sr_launch_profile_dir ();
  _cleanup_free_ char *hpath = pdir ? sr_path_join (pdir, "hardened.json") : NULL;
  _cleanup_json_ json_t *hardened = NULL;
  _cleanup_json_ json_t *cfg = NULL;
  char *weak = NULL;
  size_t i;

  *weakened = NULL;
  if (hpath == NULL)
    return sr_error (err, ENOMEM, "profile"), NULL;
  hardened = sr_json_load (hpath, "hardened.json", err);
  if (hardened == NULL)
    return sr_error_prefix (err, "the launch defaults"), NULL;
  cfg = json_deep_copy (json_object_get (hardened, "config"));
  json_t *process = json_object_get (cfg, "process");
  json_t *linux_ = json_object_get (cfg, "linux");
  json_t *mounts = json_object_get (cfg, "mounts");
  if (!json_is_object (process) || !json_is_object (linux_) || !json_is_array (mounts))
    return sr_error (err, 0, "%s: config.process, config.linux and config.mounts "
                     "are required", hpath), NULL;
  json_object_set_new (cfg, "root", json_pack ("{s:s, s:b}", "path", o->rootfs,
                                               "readonly", !o->read_write));
  if (o->read_write)
    weak_add (&weak, "--read-write");
  json_object_set_new (process, "terminal", json_boolean (o->tty));

  if (set_args (o, process, err) < 0 || set_env_cwd (o, process, err) < 0
      || set_user (o, hardened, process, json_object_get (process, "env"), mounts,
                   &weak, err) < 0
      || set_caps (o, process, &weak, err) < 0
      || set_seccomp (o, hardened, pdir, linux_, &weak, err) < 0
      || set_resources (o, linux_, &weak, err) < 0)
    goto fail;
  if (o->no_new_privileges == 0)
    {
      json_object_set_new (process, "noNewPrivileges", json_false ());
      weak_add (&weak, "--security-opt no-new-privileges=false");
    }
  if (o->hostname)
    json_object_set_new (cfg, "hostname", json_string (o->hostname));

  for (i = 0; i < o->tmpfs.n; i++)
    {
      _cleanup_free_ char *copy = strdup (o->tmpfs.v[i]);
      char *colon = copy ? strchr (copy, ':') : NULL;
      if (colon)
        *colon++ = '\0';
      if (copy == NULL || check_dest ("--tmpfs", copy, err) < 0)
        goto fail;
      mount_put (mounts, tmpfs_mount (copy, colon));
    }
  for (i = 0; i < o->volumes.n; i++)
    if (add_volume (mounts, o->volumes.v[i], err) < 0)
      goto fail;
  for (i = 0; i < o->mounts.n; i++)
    if (add_mount_opt (mounts, o->mounts.v[i], err) < 0)
      goto fail;
  if (o->init_path)
    mount_put (mounts, json_pack ("{s:s, s:s, s:s, s:[s, s, s, s]}",
                                  "destination", "/sbin/secrun-init", "type", "bind",
                                  "source", o->init_path, "options",
                                  "bind", "ro", "nosuid", "nodev"));
  json_object_set_new (cfg, "mounts", sort_mounts (mounts));

  for (i = 0; i < o->devices.n; i++)
    if (add_device (linux_, o->devices.v[i], &weak, err) < 0)
      goto fail;
  for (i = 0; i < o->ulimits.n; i++)
    if (add_ulimit (process, o->ulimits.v[i], err) < 0)
      goto fail;

  if (o->network_host)
    {
      json_t *ns = json_object_get (linux_, "namespaces");
      json_t *x;
      for (i = json_array_size (ns); i-- > 0;)
        if ((x = json_array_get (ns, i))
            && str_is (json_object_get (x, "type"), "network"))
          json_array_remove (ns, i);
      weak_add (&weak, "--network host");
    }
  if (o->cgroup_parent)
    {
      _cleanup_free_ char *p = NULL;
      if (asprintf (&p, "%s/%s", o->cgroup_parent, o->id) < 0)
        goto fail;
      json_object_set_new (linux_, "cgroupsPath", json_string (p));
    }

  json_t *ann = obj_child (cfg, "annotations");
  const char *sig = json_string_value (json_object_get (o->image_config, "StopSignal"));
  if (sig && *sig)
    json_object_set_new (ann, "org.opencontainers.image.stopSignal", json_string (sig));
  if (stop_signal)
    *stop_signal = sig && *sig ? sig : NULL;
  if (o->source)
    json_object_set_new (ann, "run.secrun.launch.source", json_string (o->source));
  if (o->chain_id)
    json_object_set_new (ann, "run.secrun.launch.chain-id", json_string (o->chain_id));

  *weakened = weak;
  return sr_steal_ptr (cfg);

fail:
  free (weak);
  return NULL;
}

/* ---- cleanup ---------------------------------------------------------------------------- */

void
sr_launch_cleanup (const char *root, const char *id)
{
  _cleanup_free_ char *dir = NULL;
  _cleanup_free_ char *rootfs = NULL;
  _cleanup_close_ int lfd = -1;
  sr_error_t err = { 0 };
  struct stat st;

  if (asprintf (&dir, "%s/%s", root, SR_LAUNCH_DIR) < 0)
    return;
  lfd = open (dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (lfd < 0 || strchr (id, '/') || fstatat (lfd, id, &st, AT_SYMLINK_NOFOLLOW) < 0)
    return;
  /* An image's overlay; nothing is mounted there for a rootfs directory. */
  if (asprintf (&rootfs, "%s/%s/rootfs", dir, id) > 0
      && umount2 (rootfs, MNT_DETACH | UMOUNT_NOFOLLOW) < 0
      && errno != EINVAL && errno != ENOENT)
    sr_log_warn ("launch: unmount %s: %s", rootfs, sr_strerror (errno));
  if (sr_rm_rf_at (lfd, id, &err) < 0)
    {
      sr_log_warn ("launch: remove %s/%s: %s", dir, id, err.msg);
      sr_error_clear (&err);
    }
}
