/* The security floor and the hardening checklist: one set of checks over a
 * config.json tree (see policy.h and secrun-policy(5)).
 *
 * The checks run on the JSON tree before it is parsed into structs, so that
 * what a rule tightens is exactly what the runtime parses, saves and later
 * hands to exec.  A value of the wrong type is skipped here: the config
 * parser refuses it right after, so no check needs to guess at it.  JSON
 * null stands for an absent field, as it does for the parser. */
#ifndef _GNU_SOURCE
# define _GNU_SOURCE
#endif

#include "policy.h"

#include "caps.h"
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <inttypes.h>
#include <libgen.h>
#include <limits.h>
#include <linux/capability.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "log.h"
#include "seccomp_bpf.h"
#include "utils.h"

#ifndef PROFILEDIR
# define PROFILEDIR "/usr/local/share/secrun/profiles"
#endif
#define DEFAULT_SECCOMP_PROFILE PROFILEDIR "/seccomp/default.json"
#define DEFAULT_PIDS_LIMIT 4096

/* JSON paths are only shown to people: a silly long one may be cut. */
#define JP_MAX 512

/* ------------------------------------------------------------------ */
/* Rules */

typedef enum { MODE_OFF, MODE_AUDIT, MODE_ENFORCE } rule_mode_t;

/* In the order they run: the refusals that say the most come first (a
 * privileged container is refused as such, not for one of its parts). */
typedef enum {
  R_PRIVILEGED,
  R_HOST_NAMESPACES,
  R_HOST_PATHS,
  R_SENSITIVE_MOUNTS,
  R_DEVICES,
  R_NON_ROOT,
  R_READ_ONLY_ROOTFS,
  R_CAPABILITIES,
  R_NO_NEW_PRIVILEGES,
  R_SECCOMP,
  R_MEMORY_LIMIT,
  R_PIDS_LIMIT,
  R_CPU_LIMIT,
  R_SECRETS_IN_ENV,
  R_COUNT
} rule_id_t;

typedef struct { char type; int64_t major, minor; } dev_id_t; /* -1: any */

struct sr_policy {
  char *name;
  rule_mode_t mode[R_COUNT];
  bool tighten[R_COUNT];
  uint64_t allowed_caps;
  unsigned allowed_host_ns;  /* bits: 1 << NSK_* */
  char **host_paths;         /* NULL-terminated patterns: read-write allowed */
  char **host_paths_ro;      /* allowed when mounted read-only */
  dev_id_t *devices; size_t n_devices;
  int64_t default_pids;
  char **env_ignore;
  char *seccomp_profile_path;
  json_t *seccomp_profile;   /* loaded when the seccomp rule tightens */
};

typedef struct ctx ctx_t;
typedef void (*check_fn) (ctx_t *x);

static void check_privileged (ctx_t *x);
static void check_host_namespaces (ctx_t *x);
static void check_host_paths (ctx_t *x);
static void check_sensitive_mounts (ctx_t *x);
static void check_devices (ctx_t *x);
static void check_non_root (ctx_t *x);
static void check_read_only_rootfs (ctx_t *x);
static void check_capabilities (ctx_t *x);
static void check_no_new_privileges (ctx_t *x);
static void check_seccomp (ctx_t *x);
static void check_memory_limit (ctx_t *x);
static void check_pids_limit (ctx_t *x);
static void check_cpu_limit (ctx_t *x);
static void check_secrets_in_env (ctx_t *x);

static const struct {
  const char *name;
  check_fn fn;
  bool can_tighten;
} rules[R_COUNT] = {
  [R_PRIVILEGED] = { "privileged", check_privileged, false },
  [R_HOST_NAMESPACES] = { "host-namespaces", check_host_namespaces, false },
  [R_HOST_PATHS] = { "host-paths", check_host_paths, false },
  [R_SENSITIVE_MOUNTS] = { "sensitive-mounts", check_sensitive_mounts, true },
  [R_DEVICES] = { "devices", check_devices, false },
  [R_NON_ROOT] = { "non-root", check_non_root, false },
  [R_READ_ONLY_ROOTFS] = { "read-only-rootfs", check_read_only_rootfs, false },
  [R_CAPABILITIES] = { "capabilities", check_capabilities, true },
  [R_NO_NEW_PRIVILEGES] = { "no-new-privileges", check_no_new_privileges, true },
  [R_SECCOMP] = { "seccomp", check_seccomp, true },
  [R_MEMORY_LIMIT] = { "memory-limit", check_memory_limit, false },
  [R_PIDS_LIMIT] = { "pids-limit", check_pids_limit, true },
  [R_CPU_LIMIT] = { "cpu-limit", check_cpu_limit, false },
  [R_SECRETS_IN_ENV] = { "secrets-in-env", check_secrets_in_env, false },
};

/* ------------------------------------------------------------------ */
/* Built-in defaults: the checklist's, and a policy's where it says nothing */

/* Namespaces whose sharing with the host the checks look at: the three the
 * Kubernetes Pod Security Standards forbid (hostPID, hostIPC, hostNetwork). */
enum { NSK_PID, NSK_IPC, NSK_NET, NSK_COUNT };
static const struct { const char *type, *proc; } host_ns[NSK_COUNT] = {
  [NSK_PID] = { "pid", "pid" },
  [NSK_IPC] = { "ipc", "ipc" },
  [NSK_NET] = { "network", "net" },
};

/* Where the runtimes' clients keep what they bind into containers:
 * kubelet volumes, containerd's CRI sandbox files (hosts, resolv.conf,
 * shm), Docker's and Podman's per-container files and named volumes. */
static const char *const default_host_paths[] = {
  "/var/lib/kubelet/pods",
  "/var/lib/containerd/io.containerd.grpc.v1.cri",
  "/run/containerd/io.containerd.grpc.v1.cri",
  "/var/lib/docker/containers",
  "/var/lib/docker/volumes",
  "/var/lib/containers/storage/overlay-containers",
  "/var/lib/containers/storage/volumes",
  "/run/containers/storage/overlay-containers",
  NULL
};

/* The init binaries Docker (--init) and Podman (--init) bind read-only. */
static const char *const default_host_paths_ro[] = {
  "/usr/bin/docker-init",
  "/usr/libexec/podman/catatonit",
  NULL
};

#define CAPBIT(c) (1ULL << (c))

/* The Pod Security Standards' baseline list: what a default Docker or
 * containerd container has, less CAP_NET_RAW. */
static const uint64_t baseline_caps
    = CAPBIT (CAP_AUDIT_WRITE) | CAPBIT (CAP_CHOWN) | CAPBIT (CAP_DAC_OVERRIDE)
      | CAPBIT (CAP_FOWNER) | CAPBIT (CAP_FSETID) | CAPBIT (CAP_KILL)
      | CAPBIT (CAP_MKNOD) | CAPBIT (CAP_NET_BIND_SERVICE) | CAPBIT (CAP_SETFCAP)
      | CAPBIT (CAP_SETGID) | CAPBIT (CAP_SETPCAP) | CAPBIT (CAP_SETUID)
      | CAPBIT (CAP_SYS_CHROOT);

/* Each of these is a known way out of a container, or into the kernel. */
static const uint64_t dangerous_caps
    = CAPBIT (CAP_SYS_ADMIN) | CAPBIT (CAP_SYS_MODULE) | CAPBIT (CAP_SYS_RAWIO)
      | CAPBIT (CAP_SYS_PTRACE) | CAPBIT (CAP_DAC_READ_SEARCH)
      | CAPBIT (CAP_NET_ADMIN) | CAPBIT (CAP_SYS_BOOT) | CAPBIT (CAP_SYS_TIME)
      | CAPBIT (CAP_MAC_ADMIN) | CAPBIT (CAP_MAC_OVERRIDE) | CAPBIT (CAP_SYSLOG)
      | CAPBIT (CAP_LINUX_IMMUTABLE) | CAPBIT (CAP_SYS_RESOURCE)
#ifdef CAP_BPF
      | CAPBIT (CAP_BPF) | CAPBIT (CAP_PERFMON)
#endif
#ifdef CAP_CHECKPOINT_RESTORE
      | CAPBIT (CAP_CHECKPOINT_RESTORE)
#endif
    ;

/* "Every capability": 0 to CAP_AUDIT_READ (37), the set every client's
 * --privileged has held since Linux 3.16, whatever the kernel adds. */
static const uint64_t all_caps = CAPBIT (38) - 1;

/* Device nodes every container gets anyway: /dev/null, zero, full, random,
 * urandom, tty, console, ptmx and the pty slaves. */
static const dev_id_t standard_devices[] = {
  { 'c', 1, 3 }, { 'c', 1, 5 }, { 'c', 1, 7 }, { 'c', 1, 8 }, { 'c', 1, 9 },
  { 'c', 5, 0 }, { 'c', 5, 1 }, { 'c', 5, 2 }, { 'c', 136, -1 },
  { 'c', 10, 200 }, /* /dev/net/tun: acts in the container's netns only */
};

/* /dev/mem, /dev/kmem, /dev/port: the host's memory and I/O ports. */
static bool
dev_is_memory (char type, int64_t major, int64_t minor)
{
  return type == 'c' && major == 1 && (minor == 1 || minor == 2 || minor == 4 || minor < 0);
}

/* Masked and read-only paths the checklist asks for when /proc or /sys is
 * mounted: the ones whose exposure is a known leak or escape (kernel
 * memory, keyrings, timers of other processes, sysctls, sysrq). */
static const char *const required_masked_proc[] = {
  "/proc/kcore", "/proc/keys", "/proc/timer_list", "/proc/sched_debug", NULL
};
static const char *const required_masked_sys[] = { "/sys/firmware", NULL };
static const char *const required_readonly_proc[] = {
  "/proc/sys", "/proc/sysrq-trigger", "/proc/irq", "/proc/bus", NULL
};

/* Host paths a container must not get.  ABOVE: the source is this path or
 * one of its parents; INSIDE: the source is below it.  ANY: whatever the
 * mount's mode (a read-only mount of a socket still connects; of /proc,
 * /sys or /dev still reads the host). */
enum { S_ABOVE_RW = 1, S_ABOVE_ANY = 2, S_INSIDE_RW = 4, S_INSIDE_ANY = 8 };
static const struct { const char *path; int how; } sensitive_paths[] = {
  { "/", S_ABOVE_RW },
  { "/etc", S_ABOVE_RW | S_INSIDE_RW },
  { "/root", S_ABOVE_ANY | S_INSIDE_ANY },
  { "/boot", S_ABOVE_RW | S_INSIDE_RW },
  { "/proc", S_ABOVE_ANY | S_INSIDE_ANY },
  { "/sys", S_ABOVE_ANY | S_INSIDE_ANY },
  { "/dev", S_ABOVE_ANY | S_INSIDE_ANY },
  { "/usr", S_ABOVE_RW | S_INSIDE_RW },
  { "/bin", S_ABOVE_RW | S_INSIDE_RW },
  { "/sbin", S_ABOVE_RW | S_INSIDE_RW },
  { "/lib", S_ABOVE_RW | S_INSIDE_RW },
  { "/lib64", S_ABOVE_RW | S_INSIDE_RW },
  { "/home", S_ABOVE_RW },
  { "/var/log", S_ABOVE_RW },
  { "/var/lib/kubelet", S_ABOVE_RW },
  { "/var/lib/docker", S_ABOVE_RW },
  { "/var/lib/containerd", S_ABOVE_RW },
  { "/var/lib/containers", S_ABOVE_RW },
  { "/run/docker.sock", S_ABOVE_ANY },
  { "/run/containerd/containerd.sock", S_ABOVE_ANY },
  { "/run/crio/crio.sock", S_ABOVE_ANY },
  { "/run/podman/podman.sock", S_ABOVE_ANY },
  { "/run/dbus/system_bus_socket", S_ABOVE_ANY },
  { "/run/systemd/private", S_ABOVE_ANY },
};

/* Environment variable names that usually carry a secret. */
static const char *const secret_words[] = {
  "PASSWORD", "PASSWD", "SECRET", "TOKEN", "KEY", "CREDENTIAL", NULL
};

/* ------------------------------------------------------------------ */
/* JSON helpers */

static json_t *
jget (json_t *o, const char *key)
{
  json_t *v;

  if (!json_is_object (o))
    return NULL;
  v = json_object_get (o, key);
  return json_is_null (v) ? NULL : v;
}

static bool
jint (json_t *v, json_int_t *out)
{
  if (!json_is_integer (v))
    return false;
  *out = json_integer_value (v);
  return true;
}

static const char *
jstr (json_t *v)
{
  return json_is_string (v) ? json_string_value (v) : NULL;
}

/* OBJ[KEY] as an object, made when absent or null; NULL when it is
 * something else (the parser will refuse that) or on ENOMEM. */
static json_t *
jensure_obj (json_t *obj, const char *key)
{
  json_t *v;

  if (!json_is_object (obj))
    return NULL;
  v = jget (obj, key);
  if (v)
    return json_is_object (v) ? v : NULL;
  v = json_object ();
  if (v == NULL || json_object_set_new (obj, key, v) < 0)
    return NULL;
  return v;
}

static const char *
annotation (json_t *cfg, const char *key)
{
  return jstr (jget (jget (cfg, "annotations"), key));
}

static bool
is_sandbox (json_t *cfg)
{
  const char *t = annotation (cfg, SR_CRI_CONTAINER_TYPE);
  const char *t2 = annotation (cfg, SR_CRIO_CONTAINER_TYPE);

  return (t && strcmp (t, "sandbox") == 0) || (t2 && strcmp (t2, "sandbox") == 0);
}

/* ------------------------------------------------------------------ */
/* Findings */

struct ctx {
  const sr_policy_t *p;
  json_t *cfg;
  rule_id_t rule;
  bool tighten;  /* the rule may edit the tree */
  bool live;     /* about to create it: what cannot be checked is refused */
  bool sandbox;
  sr_finding_t *v;
  size_t n, cap;
  bool oom;
};

static void
finding_release (sr_finding_t *f)
{
  free (f->rule);
  free (f->path);
  free (f->message);
  free (f->fix);
}

void
sr_findings_free (sr_finding_t *f, size_t n)
{
  size_t i;

  for (i = 0; f && i < n; i++)
    finding_release (&f[i]);
  free (f);
}

static void __attribute__ ((format (printf, 5, 6)))
finding (ctx_t *x, const char *severity, const char *path, const char *fix,
         const char *fmt, ...)
{
  sr_finding_t f = { .severity = severity };
  va_list ap;

  if (x->n == x->cap)
    {
      size_t cap = x->cap ? x->cap * 2 : 8;
      sr_finding_t *v = realloc (x->v, cap * sizeof *v);
      if (v == NULL)
        {
          x->oom = true;
          return;
        }
      x->v = v;
      x->cap = cap;
    }
  va_start (ap, fmt);
  if (vasprintf (&f.message, fmt, ap) < 0)
    f.message = NULL;
  va_end (ap);
  f.rule = strdup (rules[x->rule].name);
  f.path = strdup (path);
  f.fix = strdup (fix);
  if (f.message == NULL || f.rule == NULL || f.path == NULL || f.fix == NULL)
    {
      finding_release (&f);
      x->oom = true;
      return;
    }
  x->v[x->n++] = f;
}

/* Tightening is never silent: the operator sees what the runtime changed. */
static void __attribute__ ((format (printf, 3, 4)))
tightened (ctx_t *x, const char *path, const char *fmt, ...)
{
  _cleanup_free_ char *msg = NULL;
  va_list ap;

  va_start (ap, fmt);
  if (vasprintf (&msg, fmt, ap) < 0)
    msg = NULL;
  va_end (ap);
  sr_log_warn ("policy: %s: %s (%s)", rules[x->rule].name,
               msg ? msg : "tightened", path);
}

/* A growing string for messages that list things. */
typedef struct { char *s; size_t len; FILE *f; } strbuf_t;

static void
sb_open (strbuf_t *b)
{
  b->s = NULL;
  b->len = 0;
  b->f = open_memstream (&b->s, &b->len);
}

/* The text, or NULL (ENOMEM); the caller frees it. */
static char *
sb_close (strbuf_t *b)
{
  if (b->f == NULL)
    return NULL;
  if (fclose (b->f) != 0)
    {
      free (b->s);
      return NULL;
    }
  return b->s;
}

static void
sb_item (strbuf_t *b, const char *s)
{
  if (b->f)
    fprintf (b->f, "%s%s", ftell (b->f) > 0 ? ", " : "", s);
}

/* ------------------------------------------------------------------ */
/* Capabilities */

/* "CAP_SYS_ADMIN" -> its number; -1 when libcap-ng does not know it (the
 * config parser drops those: leaving one out can only reduce privilege). */
static int
cap_number (const char *name)
{
  char lower[64];
  size_t i;

  if (name == NULL || strncmp (name, "CAP_", 4) != 0)
    return -1;
  name += 4;
  for (i = 0; i < sizeof lower - 1 && name[i]; i++)
    lower[i] = (char) tolower ((unsigned char) name[i]);
  if (name[i] || i == 0 || !isalpha ((unsigned char) lower[0]))
    return -1;
  lower[i] = '\0';
  return sr_cap_by_name (lower);
}

static void
cap_name (int cap, char *buf, size_t n)
{
  const char *s = sr_cap_name ((unsigned) cap);
  size_t i, o;

  if (s == NULL)
    {
      snprintf (buf, n, "CAP_%d", cap);
      return;
    }
  o = (size_t) snprintf (buf, n, "CAP_");
  for (i = 0; s[i] && o + 1 < n; i++)
    buf[o++] = (char) toupper ((unsigned char) s[i]);
  buf[o < n ? o : n - 1] = '\0';
}

static char *
cap_list (uint64_t mask)
{
  strbuf_t b;
  char name[64];
  int c;

  sb_open (&b);
  for (c = 0; c < 64; c++)
    if (mask & CAPBIT (c))
      {
        cap_name (c, name, sizeof name);
        sb_item (&b, name);
      }
  return sb_close (&b);
}

static const char *const cap_sets[] = {
  "bounding", "effective", "permitted", "inheritable", "ambient", NULL
};

static uint64_t
cap_set_mask (json_t *arr)
{
  uint64_t m = 0;
  size_t i;
  json_t *e;

  json_array_foreach (arr, i, e)
    {
      int c = cap_number (jstr (e));
      if (c >= 0 && c < 64)
        m |= CAPBIT (c);
    }
  return m;
}

/* ------------------------------------------------------------------ */
/* Paths */

static size_t
path_components (const char *p)
{
  size_t n = 0;

  while (*p)
    {
      while (*p == '/')
        p++;
      if (*p == '\0')
        break;
      n++;
      while (*p && *p != '/')
        p++;
    }
  return n;
}

/* Lexically normalised absolute path ("//a/./b/" -> "/a/b"); NULL with
 * *dotdot set when it has a ".." (which only resolving can judge). */
static char *
path_normalize (const char *path, bool *dotdot)
{
  char *out = malloc (strlen (path) + 2);
  const char *p = path;
  size_t o = 0;

  *dotdot = false;
  if (out == NULL)
    return NULL;
  while (*p)
    {
      const char *s;
      size_t len;

      while (*p == '/')
        p++;
      s = p;
      while (*p && *p != '/')
        p++;
      len = (size_t) (p - s);
      if (len == 0 || (len == 1 && s[0] == '.'))
        continue;
      if (len == 2 && s[0] == '.' && s[1] == '.')
        {
          *dotdot = true;
          free (out);
          return NULL;
        }
      out[o++] = '/';
      memcpy (out + o, s, len);
      o += len;
    }
  if (o == 0)
    out[o++] = '/';
  out[o] = '\0';
  return out;
}

/* PATTERN (shell wildcards allowed within components) covers PATH when it
 * matches PATH or one of PATH's parent directories. */
static bool
path_covered (const char *pattern, const char *path)
{
  size_t k = path_components (pattern), seen = 0;
  const char *p = path;
  char buf[PATH_MAX];

  if (k == 0)
    return true; /* "/" */
  while (*p && seen < k)
    {
      while (*p == '/')
        p++;
      if (*p == '\0')
        break;
      seen++;
      while (*p && *p != '/')
        p++;
    }
  if (seen < k || (size_t) (p - path) >= sizeof buf)
    return false;
  memcpy (buf, path, (size_t) (p - path));
  buf[p - path] = '\0';
  /* Patterns are written by hand: tolerate a trailing slash. */
  _cleanup_free_ char *pat = strdup (pattern);
  if (pat == NULL)
    return false;
  for (size_t l = strlen (pat); l > 1 && pat[l - 1] == '/'; l--)
    pat[l - 1] = '\0';
  return fnmatch (pat, buf, FNM_PATHNAME) == 0;
}

/* PATH is resolved (host_source), so a pattern naming a symlink, such as
 * /usr/bin/docker-init -> tini-static, is compared by its target too. */
static bool
path_covered_by_any (char *const *patterns, const char *path)
{
  for (; patterns && *patterns; patterns++)
    {
      if (path_covered (*patterns, path))
        return true;
      if (strpbrk (*patterns, "*?[") == NULL)
        {
          _cleanup_free_ char *real = realpath (*patterns, NULL);
          if (real && strcmp (real, *patterns) != 0 && path_covered (real, path))
            return true;
        }
    }
  return false;
}

/* A is B or a parent directory of B. */
static bool
path_is_or_above (const char *a, const char *b)
{
  size_t n = strlen (a);

  if (strcmp (a, "/") == 0)
    return true;
  return strncmp (a, b, n) == 0 && (b[n] == '\0' || b[n] == '/');
}

/* A bind mount's source as the kernel will see it: resolved through
 * symlinks when it exists (so "/var/run" is "/run" and a link into /etc is
 * /etc), else lexically normalised.  Relative sources are relative to the
 * runtime's working directory, the bundle for every client. */
static char *
host_source (const char *src, bool *dotdot)
{
  _cleanup_free_ char *abs = NULL;
  char *real;

  *dotdot = false;
  if (src[0] != '/')
    {
      char cwd[PATH_MAX];
      if (getcwd (cwd, sizeof cwd) == NULL || asprintf (&abs, "%s/%s", cwd, src) < 0)
        return NULL;
      src = abs;
    }
  real = realpath (src, NULL);
  if (real)
    return real;
  return path_normalize (src, dotdot);
}

/* ------------------------------------------------------------------ */
/* Mounts */

typedef struct {
  const char *destination, *type, *source;
  bool bind, ro;
} mount_info_t;

static bool
mount_read (json_t *m, mount_info_t *out)
{
  json_t *opts, *o;
  size_t i;

  memset (out, 0, sizeof *out);
  if (!json_is_object (m))
    return false;
  out->destination = jstr (jget (m, "destination"));
  out->type = jstr (jget (m, "type"));
  out->source = jstr (jget (m, "source"));
  if (out->destination == NULL)
    return false;
  out->bind = out->type && strcmp (out->type, "bind") == 0;
  opts = jget (m, "options");
  /* As mount_opts.c reads them: the last of ro/rw wins. */
  json_array_foreach (opts, i, o)
    {
      const char *s = jstr (o);
      if (s == NULL)
        continue;
      if (strcmp (s, "ro") == 0)
        out->ro = true;
      else if (strcmp (s, "rw") == 0)
        out->ro = false;
      else if (strcmp (s, "bind") == 0 || strcmp (s, "rbind") == 0)
        out->bind = true;
    }
  return true;
}

/* The host's /sys bound read-only on /sys: what a rootless container gets
 * instead of a sysfs it may not mount (secrun spec --rootless), no more
 * than a read-only sysfs shows. */
static bool
rootless_sys (const mount_info_t *mi)
{
  return mi->ro && strcmp (mi->source, "/sys") == 0
         && strcmp (mi->destination, "/sys") == 0;
}

static bool
has_mount_of_type (json_t *cfg, const char *dest, const char *type)
{
  json_t *m;
  size_t i;

  json_array_foreach (jget (cfg, "mounts"), i, m)
    {
      mount_info_t mi;
      if (mount_read (m, &mi) && strcmp (mi.destination, dest) == 0
          && mi.type && strcmp (mi.type, type) == 0)
        return true;
    }
  return false;
}

/* ------------------------------------------------------------------ */
/* Checks */

static const char *
severity_max (const char *a, const char *b)
{
  if (a == NULL)
    return b;
  if (strcmp (a, "high") == 0 || strcmp (b, "high") == 0)
    return "high";
  if (strcmp (a, "medium") == 0 || strcmp (b, "medium") == 0)
    return "medium";
  return "low";
}

static void
check_privileged (ctx_t *x)
{
  json_t *caps = jget (jget (x->cfg, "process"), "capabilities");
  json_t *lnx = jget (x->cfg, "linux");
  json_t *m, *d;
  char jp[JP_MAX];
  size_t i;

  for (i = 0; cap_sets[i]; i++)
    if ((cap_set_mask (jget (caps, cap_sets[i])) & all_caps) == all_caps)
      {
        snprintf (jp, sizeof jp, "process.capabilities.%s", cap_sets[i]);
        finding (x, "high", jp,
                 "do not run privileged (--privileged, securityContext.privileged); "
                 "add the one capability the workload needs",
                 "holds every capability, as a privileged container does");
        break;
      }

  json_array_foreach (jget (x->cfg, "mounts"), i, m)
    {
      mount_info_t mi;
      bool under_sys;

      if (!mount_read (m, &mi) || mi.ro)
        continue;
      under_sys = path_is_or_above ("/sys", mi.destination);
      if (mi.type && strcmp (mi.type, "tmpfs") == 0)
        continue;
      if (under_sys || (mi.type && (strcmp (mi.type, "sysfs") == 0
                                    || strcmp (mi.type, "cgroup") == 0
                                    || strcmp (mi.type, "cgroup2") == 0)))
        {
          snprintf (jp, sizeof jp, "mounts[%zu].options", i);
          finding (x, "high", jp, "mount it read-only: add \"ro\" to its options",
                   "mounts %s (%s) read-write: the host's kernel settings and "
                   "cgroups become writable", mi.destination,
                   mi.type ? mi.type : "bind");
        }
    }

  json_array_foreach (jget (jget (lnx, "resources"), "devices"), i, d)
    {
      const char *type = jstr (jget (d, "type"));
      json_int_t major = -1, minor = -1;
      json_t *allow = jget (d, "allow");

      if (!json_is_true (allow))
        continue;
      jint (jget (d, "major"), &major);
      jint (jget (d, "minor"), &minor);
      if ((type == NULL || strcmp (type, "a") == 0) && major < 0 && minor < 0)
        {
          snprintf (jp, sizeof jp, "linux.resources.devices[%zu]", i);
          finding (x, "high", jp,
                   "allow only the devices the workload needs (--device), after a "
                   "deny-all rule",
                   "allows access to every device of the host");
        }
    }
}

/* The namespace file at PATH is the runtime's own (the host's): 1, not: 0,
 * cannot tell: -1 with errno. */
static int
ns_is_hosts (const char *path, const char *proc_name)
{
  char self[64];
  struct stat a, b;

  snprintf (self, sizeof self, "/proc/self/ns/%s", proc_name);
  if (stat (path, &a) < 0 || stat (self, &b) < 0)
    return -1;
  return a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

static void
check_host_namespaces (ctx_t *x)
{
  json_t *nss = jget (jget (x->cfg, "linux"), "namespaces");
  char jp[JP_MAX], fix[256];
  int k;

  for (k = 0; k < NSK_COUNT; k++)
    {
      const char *type = host_ns[k].type;
      json_t *e, *found = NULL;
      size_t i, at = 0;

      if (x->p->allowed_host_ns & (1u << k))
        continue;
      json_array_foreach (nss, i, e)
        {
          const char *t = jstr (jget (e, "type"));
          if (t && strcmp (t, type) == 0)
            {
              found = e;
              at = i;
              break;
            }
        }
      snprintf (fix, sizeof fix,
                "give the container its own %s namespace: {\"type\": \"%s\"} in "
                "linux.namespaces (no host%s in the pod, no --%s=host)",
                type, type,
                k == NSK_PID ? "PID" : k == NSK_IPC ? "IPC" : "Network",
                k == NSK_NET ? "network" : type);
      if (found == NULL)
        {
          if (nss && !json_is_array (nss))
            continue; /* the parser refuses it */
          finding (x, "high", "linux.namespaces", fix,
                   "shares the host's %s namespace (no \"%s\" entry)", type, type);
          continue;
        }
      const char *path = jstr (jget (found, "path"));
      if (path == NULL)
        continue;
      snprintf (jp, sizeof jp, "linux.namespaces[%zu].path", at);
      int r = ns_is_hosts (path, host_ns[k].proc);
      if (r > 0)
        finding (x, "high", jp, fix, "joins the host's %s namespace through %s",
                 type, path);
      else if (r < 0 && x->live)
        finding (x, "high", jp, fix, "joins the %s namespace %s, which cannot be "
                 "checked: %s", type, path, sr_strerror (errno));
    }
}

static void
check_host_paths (ctx_t *x)
{
  json_t *m;
  char jp[JP_MAX];
  size_t i;

  json_array_foreach (jget (x->cfg, "mounts"), i, m)
    {
      mount_info_t mi;
      bool dotdot;

      if (!mount_read (m, &mi) || !mi.bind || mi.source == NULL
          || rootless_sys (&mi))
        continue;
      snprintf (jp, sizeof jp, "mounts[%zu].source", i);
      _cleanup_free_ char *src = host_source (mi.source, &dotdot);
      if (src == NULL)
        {
          if (dotdot)
            finding (x, "high", jp, "name the source without \"..\"",
                     "bind-mounts %s, a host path with \"..\" that does not "
                     "exist yet and cannot be checked", mi.source);
          else
            x->oom = true;
          continue;
        }
      if (path_covered_by_any (x->p->host_paths, src)
          || (mi.ro && path_covered_by_any (x->p->host_paths_ro, src)))
        continue;
      if (path_covered_by_any (x->p->host_paths_ro, src))
        finding (x, "medium", jp,
                 "add \"ro\" to the mount's options: the policy allows this path "
                 "read-only",
                 "bind-mounts the host path %s read-write", src);
      else
        finding (x, mi.ro ? "medium" : "high", jp,
                 "use storage the runtime manages (emptyDir, configMap, Secret, a "
                 "named volume), not a host path; or add it to the host-paths "
                 "allow-list of the policy",
                 "bind-mounts the host path %s%s%s%s", src,
                 strcmp (src, mi.source) ? " (written " : "",
                 strcmp (src, mi.source) ? mi.source : "",
                 strcmp (src, mi.source) ? ")" : "");
    }
}

/* Counts the paths of REQUIRED that neither list covers (a listed parent
 * covers its children), naming them in B and, when ADD is given,
 * appending them to that JSON array. */
static size_t
missing_paths (json_t *masked, json_t *ro, const char *const *required,
               strbuf_t *b, json_t *add)
{
  size_t n = 0;

  for (; required && *required; required++)
    {
      bool covered = false;
      json_t *lists[2] = { masked, ro }, *e;
      size_t i;

      for (int l = 0; l < 2 && !covered; l++)
        json_array_foreach (lists[l], i, e)
          {
            const char *s = jstr (e);
            if (s && path_is_or_above (s, *required))
              {
                covered = true;
                break;
              }
          }
      if (covered)
        continue;
      n++;
      if (b)
        sb_item (b, *required);
      if (add)
        json_array_append_new (add, json_string (*required));
    }
  return n;
}

/* The paths of REQ1 and REQ2 must be in linux.KEY (or masked, or under a
 * listed parent): tightening appends the missing ones, else they are a
 * finding.  PRE and POST frame the list in the messages. */
static void
require_paths (ctx_t *x, const char *key, const char *const *req1,
               const char *const *req2, const char *pre, const char *post,
               const char *state, const char *fix)
{
  json_t *lnx = jget (x->cfg, "linux"), *arr;
  json_t *masked = jget (lnx, "maskedPaths"), *ro = jget (lnx, "readonlyPaths");
  char jp[64];
  strbuf_t b;
  size_t n;

  if ((masked && !json_is_array (masked)) || (ro && !json_is_array (ro)))
    return; /* the parser refuses it */
  sb_open (&b);
  n = missing_paths (masked, ro, req1, &b, NULL) + missing_paths (masked, ro, req2, &b, NULL);
  _cleanup_free_ char *list = sb_close (&b);
  if (n == 0)
    return;
  snprintf (jp, sizeof jp, "linux.%s", key);
  if (x->tighten && (lnx = jensure_obj (x->cfg, "linux")) != NULL)
    {
      arr = jget (lnx, key);
      if (arr == NULL && json_object_set_new (lnx, key, arr = json_array ()) < 0)
        arr = NULL;
      if (json_is_array (arr))
        {
          missing_paths (masked, ro, req1, NULL, arr);
          missing_paths (masked, ro, req2, NULL, arr);
          tightened (x, jp, "%s %s%s", pre, list ? list : "the default paths", post);
          return;
        }
    }
  finding (x, "medium", jp, fix, "leaves %s %s", list ? list : "kernel files", state);
}

static void
check_masks (ctx_t *x)
{
  bool proc = has_mount_of_type (x->cfg, "/proc", "proc");
  bool sys = has_mount_of_type (x->cfg, "/sys", "sysfs");

  require_paths (x, "maskedPaths", proc ? required_masked_proc : NULL,
                 sys ? required_masked_sys : NULL, "masked", "", "unmasked",
                 "keep the runtime's default maskedPaths (no procMount: Unmasked, "
                 "no --security-opt systempaths=unconfined)");
  if (proc)
    require_paths (x, "readonlyPaths", required_readonly_proc, NULL, "made",
                   " read-only", "writable",
                   "keep the runtime's default readonlyPaths");
}

static void
check_sensitive_mounts (ctx_t *x)
{
  json_t *m;
  char jp[JP_MAX];
  size_t i, k;

  json_array_foreach (jget (x->cfg, "mounts"), i, m)
    {
      mount_info_t mi;
      const char *sev = NULL, *why = NULL;
      bool dotdot;

      if (!mount_read (m, &mi) || !mi.bind || mi.source == NULL
          || rootless_sys (&mi))
        continue;
      _cleanup_free_ char *src = host_source (mi.source, &dotdot);
      if (src == NULL)
        continue; /* host-paths reports what cannot be checked */
      for (k = 0; k < sizeof sensitive_paths / sizeof *sensitive_paths; k++)
        {
          const char *sp = sensitive_paths[k].path;
          int how = sensitive_paths[k].how;
          const char *s = NULL;

          if (path_is_or_above (src, sp))
            {
              if (how & S_ABOVE_ANY)
                s = "high";
              else if (how & S_ABOVE_RW)
                s = mi.ro ? "medium" : "high";
            }
          else if (path_is_or_above (sp, src) && strcmp (sp, "/") != 0)
            {
              if (how & S_INSIDE_ANY)
                s = "high";
              else if ((how & S_INSIDE_RW) && !mi.ro)
                s = "high";
            }
          if (s && (sev == NULL || strcmp (severity_max (sev, s), sev) != 0))
            {
              sev = s;
              why = sp;
            }
        }
      if (sev == NULL)
        {
          struct stat st;
          if (stat (src, &st) == 0 && S_ISSOCK (st.st_mode))
            {
              sev = "high";
              why = src;
            }
        }
      if (sev == NULL)
        continue;
      snprintf (jp, sizeof jp, "mounts[%zu].source", i);
      finding (x, sev, jp,
               "do not mount host system paths or daemon sockets into a "
               "container; mount only what it needs, read-only",
               "bind-mounts %s%s%s %s into the container at %s",
               src, strcmp (why, src) ? ", which exposes " : "",
               strcmp (why, src) ? why : "", mi.ro ? "read-only" : "read-write",
               mi.destination);
    }
  check_masks (x);
}

static bool
dev_in (const dev_id_t *v, size_t n, char type, int64_t major, int64_t minor)
{
  size_t i;

  for (i = 0; i < n; i++)
    if ((v[i].type == 'a' || v[i].type == type)
        && (v[i].major < 0 || v[i].major == major)
        && (v[i].minor < 0 || v[i].minor == minor))
      return true;
  return false;
}

static bool
dev_allowed (ctx_t *x, char type, int64_t major, int64_t minor)
{
  /* A wildcard is fine only where the list says so: with major or minor
   * -1 the rule must be covered by an entry that is itself a wildcard. */
  return dev_in (standard_devices, sizeof standard_devices / sizeof *standard_devices,
                 type, major, minor)
         || dev_in (x->p->devices, x->p->n_devices, type, major, minor);
}

static const char *
dev_severity (char type, int64_t major, int64_t minor)
{
  if (type != 'c' || major < 0 || dev_is_memory (type, major, minor))
    return "high"; /* block devices, every char device, host memory */
  return "medium";
}

static void
check_devices (ctx_t *x)
{
  json_t *lnx = jget (x->cfg, "linux"), *d;
  char jp[JP_MAX];
  size_t i;

  json_array_foreach (jget (lnx, "devices"), i, d)
    {
      const char *type = jstr (jget (d, "type"));
      const char *path = jstr (jget (d, "path"));
      json_int_t major, minor;

      if (type == NULL || !jint (jget (d, "major"), &major)
          || !jint (jget (d, "minor"), &minor))
        continue;
      if (type[0] == 'p')
        continue; /* a FIFO opens no device */
      if (type[0] == 'c' || type[0] == 'u')
        type = "c";
      if (dev_allowed (x, type[0], major, minor))
        continue;
      snprintf (jp, sizeof jp, "linux.devices[%zu]", i);
      finding (x, dev_severity (type[0], major, minor), jp,
               "do not pass host devices (--device, hostPath of a device) unless "
               "the workload is built for it; list it in the policy's devices "
               "allow-list",
               "creates the host device %s (%s %" JSON_INTEGER_FORMAT ":%"
               JSON_INTEGER_FORMAT ")", path ? path : "?", type, major, minor);
    }

  json_array_foreach (jget (jget (lnx, "resources"), "devices"), i, d)
    {
      const char *type = jstr (jget (d, "type"));
      const char *access = jstr (jget (d, "access"));
      json_int_t major = -1, minor = -1;

      if (!json_is_true (jget (d, "allow")))
        continue;
      jint (jget (d, "major"), &major);
      jint (jget (d, "minor"), &minor);
      if (type == NULL)
        type = "a";
      if (type[0] == 'a' && major < 0 && minor < 0)
        continue; /* every device: the privileged rule's */
      /* mknod alone opens nothing. */
      if (access && strchr (access, 'r') == NULL && strchr (access, 'w') == NULL)
        continue;
      if (dev_allowed (x, type[0], major, minor))
        continue;
      snprintf (jp, sizeof jp, "linux.resources.devices[%zu]", i);
      char mj[32], mn[32];
      snprintf (mj, sizeof mj, "%" JSON_INTEGER_FORMAT, major);
      snprintf (mn, sizeof mn, "%" JSON_INTEGER_FORMAT, minor);
      finding (x, type[0] == 'a' ? "high" : dev_severity (type[0], major, minor), jp,
               "allow only the devices the workload needs; list them in the "
               "policy's devices allow-list",
               "lets the container open the host devices %s %s:%s",
               type, major < 0 ? "*" : mj, minor < 0 ? "*" : mn);
    }
}

/* The host uid the process runs as: its uid, mapped through a new user
 * namespace's uidMappings.  -1: unmapped (create fails anyway); -2: joined
 * user namespace, cannot tell. */
static int64_t
host_uid (json_t *cfg, int64_t uid)
{
  json_t *lnx = jget (cfg, "linux"), *e;
  bool userns = false;
  size_t i;

  json_array_foreach (jget (lnx, "namespaces"), i, e)
    {
      const char *t = jstr (jget (e, "type"));
      if (t && strcmp (t, "user") == 0)
        {
          if (jget (e, "path"))
            return -2;
          userns = true;
        }
    }
  if (!userns)
    return uid;
  json_array_foreach (jget (lnx, "uidMappings"), i, e)
    {
      json_int_t c, h, s;
      if (jint (jget (e, "containerID"), &c) && jint (jget (e, "hostID"), &h)
          && jint (jget (e, "size"), &s) && uid >= c && uid < c + s)
        return h + (uid - c);
    }
  return -1;
}

static const char non_root_fix[]
    = "run as a non-root uid (USER in the image, runAsNonRoot and runAsUser in "
      "the pod, --user), or map root to an unprivileged host uid with a user "
      "namespace";

static void
check_non_root (ctx_t *x)
{
  json_t *user = jget (jget (x->cfg, "process"), "user");
  json_int_t uid;
  int64_t h;

  if (!jint (jget (user, "uid"), &uid))
    return;
  h = host_uid (x->cfg, uid);
  if (h == 0 && uid == 0)
    finding (x, "high", "process.user.uid", non_root_fix, "runs as uid 0 (root)");
  else if (h == 0)
    finding (x, "high", "linux.uidMappings", non_root_fix,
             "runs as uid %" JSON_INTEGER_FORMAT ", which the user namespace maps "
             "to root on the host", uid);
  else if (h == -2 && uid == 0)
    finding (x, "high", "process.user.uid", non_root_fix,
             "runs as uid 0 in a user namespace joined by path, whose mapping "
             "cannot be checked");
}

static void
check_read_only_rootfs (ctx_t *x)
{
  json_t *root = jget (x->cfg, "root");

  if (!json_is_object (root) || json_is_true (jget (root, "readonly")))
    return;
  finding (x, "medium", "root.readonly",
           "set root.readonly to true (readOnlyRootFilesystem, --read-only) and "
           "mount a tmpfs or volume where the workload writes",
           "the root filesystem is writable");
}

static void
check_capabilities (ctx_t *x)
{
  json_t *caps = jget (jget (x->cfg, "process"), "capabilities");
  uint64_t all = 0, bad;
  const char *where = NULL;
  char jp[JP_MAX];
  size_t i;

  if (!json_is_object (caps))
    return; /* absent: the process gets no capability at all */
  for (i = 0; cap_sets[i]; i++)
    {
      uint64_t m = cap_set_mask (jget (caps, cap_sets[i]));
      if ((m & ~x->p->allowed_caps) && where == NULL)
        where = cap_sets[i];
      all |= m;
    }
  bad = all & ~x->p->allowed_caps;
  if (bad == 0)
    return;

  if (x->tighten)
    {
      _cleanup_free_ char *list = cap_list (bad);
      for (i = 0; cap_sets[i]; i++)
        {
          json_t *arr = jget (caps, cap_sets[i]), *e;
          size_t j;
          if (!json_is_array (arr))
            continue;
          json_array_foreach (arr, j, e)
            {
              int c = cap_number (jstr (e));
              if (c >= 0 && c < 64 && (bad & CAPBIT (c)))
                {
                  json_array_remove (arr, j);
                  j--;
                }
            }
        }
      tightened (x, "process.capabilities", "dropped %s, which the policy does "
                 "not allow", list ? list : "capabilities");
      return;
    }

  snprintf (jp, sizeof jp, "process.capabilities.%s", where);
  /* One finding per severity, so that a dangerous capability stands out. */
  static const char *const sev[] = { "high", "medium", "low" };
  uint64_t parts[3] = { bad & dangerous_caps, bad & ~dangerous_caps & ~baseline_caps,
                        bad & baseline_caps & ~dangerous_caps };
  for (i = 0; i < 3; i++)
    {
      if (parts[i] == 0)
        continue;
      _cleanup_free_ char *list = cap_list (parts[i]);
      finding (x, sev[i], jp,
               "drop every capability and add back only what the workload needs "
               "(capabilities: drop: [ALL], --cap-drop ALL)",
               "keeps %s%s", list ? list : "capabilities",
               i == 2 ? " (the default set)" : "");
    }
}

static void
check_no_new_privileges (ctx_t *x)
{
  json_t *proc = jget (x->cfg, "process");

  if (!json_is_object (proc) || json_is_true (jget (proc, "noNewPrivileges")))
    return;
  if (x->tighten)
    {
      json_t *v = jget (proc, "noNewPrivileges");
      if (v == NULL || json_is_boolean (v))
        {
          if (json_object_set_new (proc, "noNewPrivileges", json_true ()) < 0)
            x->oom = true;
          else
            tightened (x, "process.noNewPrivileges", "set to true: setuid "
                       "binaries and file capabilities no longer raise privilege");
          return;
        }
    }
  finding (x, "medium", "process.noNewPrivileges",
           "set process.noNewPrivileges to true (allowPrivilegeEscalation: false, "
           "--security-opt no-new-privileges)",
           "setuid binaries can raise privilege (noNewPrivileges is not set)");
}

/* A profile that allows every syscall: a default of ALLOW or LOG with no
 * rule that denies anything. */
static bool
seccomp_unconfined (json_t *s)
{
  const char *def = jstr (jget (s, "defaultAction"));
  json_t *r;
  size_t i;

  if (def == NULL || (strcmp (def, "SCMP_ACT_ALLOW") != 0 && strcmp (def, "SCMP_ACT_LOG") != 0))
    return false;
  json_array_foreach (jget (s, "syscalls"), i, r)
    {
      const char *a = jstr (jget (r, "action"));
      if (a && strcmp (a, "SCMP_ACT_ALLOW") != 0 && strcmp (a, "SCMP_ACT_LOG") != 0)
        return false;
    }
  return true;
}

static void
check_seccomp (ctx_t *x)
{
  json_t *lnx = jget (x->cfg, "linux");
  json_t *s = jget (lnx, "seccomp");

  if (s == NULL)
    {
      if (x->tighten && x->p->seccomp_profile && (lnx = jensure_obj (x->cfg, "linux")))
        {
          json_t *copy = json_deep_copy (x->p->seccomp_profile);
          if (copy == NULL || json_object_set_new (lnx, "seccomp", copy) < 0)
            x->oom = true;
          else
            tightened (x, "linux.seccomp", "no profile was given: added %s",
                       x->p->seccomp_profile_path);
          return;
        }
      finding (x, "high", "linux.seccomp",
               "use the default profile (seccompProfile: RuntimeDefault, Docker's "
               "default; a policy adds secrun's own)",
               "runs without a seccomp filter: every syscall reaches the kernel");
      return;
    }
  if (json_is_object (s) && seccomp_unconfined (s))
    finding (x, "high", "linux.seccomp.defaultAction",
             "use the default profile instead of Unconfined (no seccomp=unconfined, "
             "no seccompProfile: Unconfined)",
             "the seccomp profile allows every syscall (%s and no denying rule)",
             jstr (jget (s, "defaultAction")));
}

/* A limit in linux.resources.unified (cgroup v2 file = value) other than
 * "max". */
static bool
unified_limit (json_t *res, const char *file)
{
  const char *v = jstr (jget (jget (res, "unified"), file));

  return v && *v && strncmp (v, "max", 3) != 0;
}

static void
check_memory_limit (ctx_t *x)
{
  json_t *res = jget (jget (x->cfg, "linux"), "resources");
  json_int_t v;

  /* The kubelet limits the pod's cgroup; CRI gives the pause container no
   * limit of its own, and a refusal would take the whole pod down. */
  if (x->sandbox)
    return;
  if ((jint (jget (jget (res, "memory"), "limit"), &v) && v > 0)
      || unified_limit (res, "memory.max"))
    return;
  finding (x, "medium", "linux.resources.memory.limit",
           "set a memory limit (resources.limits.memory, --memory)",
           "has no memory limit: it can take all the host's memory");
}

static void
check_pids_limit (ctx_t *x)
{
  json_t *res = jget (jget (x->cfg, "linux"), "resources");
  json_t *pids;
  json_int_t v;

  if (x->sandbox)
    return;
  if ((jint (jget (jget (res, "pids"), "limit"), &v) && v > 0)
      || unified_limit (res, "pids.max"))
    return;
  if (x->tighten && (pids = jensure_obj (jensure_obj (jensure_obj (x->cfg, "linux"),
                                                      "resources"), "pids")))
    {
      json_t *lim = jget (pids, "limit");
      if (lim == NULL || json_is_integer (lim))
        {
          if (json_object_set_new (pids, "limit", json_integer (x->p->default_pids)) < 0)
            x->oom = true;
          else
            tightened (x, "linux.resources.pids.limit", "no limit was given: set "
                       "to %" PRId64, x->p->default_pids);
          return;
        }
    }
  finding (x, "medium", "linux.resources.pids.limit",
           "set a pids limit (--pids-limit; the kubelet's podPidsLimit)",
           "has no pids limit: a fork bomb reaches the host's");
}

static void
check_cpu_limit (ctx_t *x)
{
  json_t *res = jget (jget (x->cfg, "linux"), "resources");
  json_t *cpu = jget (res, "cpu");
  json_int_t q;
  const char *cpus = jstr (jget (cpu, "cpus"));

  if (x->sandbox)
    return;
  if ((jint (jget (cpu, "quota"), &q) && q > 0) || (cpus && *cpus)
      || unified_limit (res, "cpu.max"))
    return;
  finding (x, "low", "linux.resources.cpu.quota",
           "set a CPU limit (resources.limits.cpu, --cpus)",
           "has no CPU limit");
}

static bool
looks_secret (const char *name, size_t len)
{
  char up[256];
  size_t i;

  if (len >= sizeof up)
    len = sizeof up - 1;
  for (i = 0; i < len; i++)
    up[i] = (char) toupper ((unsigned char) name[i]);
  up[len] = '\0';
  for (i = 0; secret_words[i]; i++)
    if (strstr (up, secret_words[i]))
      return true;
  return false;
}

static void
check_secrets_in_env (ctx_t *x)
{
  json_t *e;
  char jp[JP_MAX];
  size_t i;

  json_array_foreach (jget (jget (x->cfg, "process"), "env"), i, e)
    {
      const char *s = jstr (e), *eq;
      char *const *ign;
      size_t len;

      if (s == NULL || (eq = strchr (s, '=')) == NULL || eq[1] == '\0')
        continue;
      len = (size_t) (eq - s);
      if (!looks_secret (s, len))
        continue;
      for (ign = x->p->env_ignore; ign && *ign; ign++)
        if (strlen (*ign) == len && strncmp (*ign, s, len) == 0)
          break;
      if (ign && *ign)
        continue;
      snprintf (jp, sizeof jp, "process.env[%zu]", i);
      /* The value is never repeated: findings end up in logs. */
      finding (x, "medium", jp,
               "pass secrets as files (a Secret volume, docker/podman secrets), "
               "not in the environment, which /proc, logs and crash reports show",
               "the environment variable %.*s looks like a secret", (int) len, s);
    }
}

/* ------------------------------------------------------------------ */
/* Policies */

const char *
sr_policy_name (const sr_policy_t *p)
{
  return p && p->name ? p->name : "";
}

static void
strv_free (char **v)
{
  for (char **p = v; p && *p; p++)
    free (*p);
  free (v);
}

void
sr_policy_free (sr_policy_t *p)
{
  if (p == NULL)
    return;
  free (p->name);
  strv_free (p->host_paths);
  strv_free (p->host_paths_ro);
  free (p->devices);
  strv_free (p->env_ignore);
  free (p->seccomp_profile_path);
  json_decref (p->seccomp_profile);
  free (p);
}

static char **
strv_dup (const char *const *v)
{
  size_t n = 0, i;
  char **out;

  while (v[n])
    n++;
  out = calloc (n + 1, sizeof *out);
  for (i = 0; out && i < n; i++)
    if ((out[i] = strdup (v[i])) == NULL)
      {
        strv_free (out);
        return NULL;
      }
  return out;
}

/* The checklist's settings; a policy starts from them, every rule off. */
static sr_policy_t *
policy_new (rule_mode_t mode)
{
  sr_policy_t *p = calloc (1, sizeof *p);
  int r;

  if (p == NULL)
    return NULL;
  for (r = 0; r < R_COUNT; r++)
    {
      p->mode[r] = mode;
      p->tighten[r] = rules[r].can_tighten;
    }
  p->allowed_caps = CAPBIT (CAP_NET_BIND_SERVICE);
  p->default_pids = DEFAULT_PIDS_LIMIT;
  p->host_paths = strv_dup (default_host_paths);
  p->host_paths_ro = strv_dup (default_host_paths_ro);
  if (p->host_paths == NULL || p->host_paths_ro == NULL)
    {
      sr_policy_free (p);
      return NULL;
    }
  return p;
}

static int
parse_strv (json_t *v, const char *what, const char *jp, char ***out,
            sr_error_t *err)
{
  size_t i, n;
  json_t *e;
  char **r;

  if (!json_is_array (v))
    return sr_error (err, 0, "%s: %s: expected an array of strings", what, jp);
  n = json_array_size (v);
  r = calloc (n + 1, sizeof *r);
  if (r == NULL)
    return sr_error (err, ENOMEM, "%s", what);
  json_array_foreach (v, i, e)
    {
      if (!json_is_string (e))
        {
          strv_free (r);
          return sr_error (err, 0, "%s: %s[%zu]: expected a string", what, jp, i);
        }
      if ((r[i] = strdup (json_string_value (e))) == NULL)
        {
          strv_free (r);
          return sr_error (err, ENOMEM, "%s", what);
        }
    }
  strv_free (*out);
  *out = r;
  return 0;
}

static int
parse_paths (json_t *v, const char *what, const char *jp, char ***out,
             sr_error_t *err)
{
  if (parse_strv (v, what, jp, out, err) < 0)
    return -1;
  for (size_t i = 0; (*out)[i]; i++)
    if ((*out)[i][0] != '/')
      return sr_error (err, 0, "%s: %s[%zu]: \"%s\" is not an absolute path",
                       what, jp, i, (*out)[i]);
  return 0;
}

/* "c 10:200", "b 8:*", "c *:*" */
static int
parse_dev_id (const char *s, dev_id_t *d)
{
  char type, maj[24], min[24];
  char *end;

  if (sscanf (s, "%c %23[0-9*]:%23[0-9*]", &type, maj, min) != 3
      || (type != 'c' && type != 'b' && type != 'a'))
    return -1;
  d->type = type;
  d->major = strcmp (maj, "*") == 0 ? -1 : strtoll (maj, &end, 10);
  if (d->major >= 0 && *end)
    return -1;
  d->minor = strcmp (min, "*") == 0 ? -1 : strtoll (min, &end, 10);
  if (d->minor >= 0 && *end)
    return -1;
  return 0;
}

static bool
key_is (const char *k, const char *const *allowed)
{
  for (; *allowed; allowed++)
    if (strcmp (k, *allowed) == 0)
      return true;
  return false;
}

static int
parse_mode (json_t *v, const char *what, const char *jp, rule_mode_t *out,
            sr_error_t *err)
{
  const char *s = jstr (v);

  if (s && strcmp (s, "enforce") == 0)
    *out = MODE_ENFORCE;
  else if (s && strcmp (s, "audit") == 0)
    *out = MODE_AUDIT;
  else if (s && strcmp (s, "off") == 0)
    *out = MODE_OFF;
  else
    return sr_error (err, 0, "%s: %s: expected \"enforce\", \"audit\" or \"off\"",
                     what, jp);
  return 0;
}

/* Loads the profile the seccomp rule adds, keeping only the architectures
 * this kernel can report (as sr_seccomp_profile_load does): the same
 * filter the runtime would build from the profile file itself. */
static int
load_profile (sr_policy_t *p, const char *what, sr_error_t *err)
{
  sr_seccomp_t s;
  json_t *root, *arches;
  size_t i;
  int ret = 0;

  if (sr_seccomp_profile_load (p->seccomp_profile_path, &root, &s, err) < 0)
    return sr_error_prefix (err, "%s: rules.seccomp.profile", what);
  /* The names borrow from ROOT: copy them before it changes. */
  arches = json_array ();
  for (i = 0; arches && i < s.architectures.n; i++)
    if (json_array_append_new (arches, json_string (s.architectures.v[i])) < 0)
      {
        json_decref (arches);
        arches = NULL;
      }
  sr_seccomp_profile_release (&s);
  if (arches == NULL)
    ret = sr_error (err, ENOMEM, "%s", what);
  else if (json_object_get (root, "architectures")
           && json_object_set (root, "architectures", arches) < 0)
    ret = sr_error (err, ENOMEM, "%s", what);
  json_decref (arches);
  if (ret < 0)
    {
      json_decref (root);
      return ret;
    }
  p->seccomp_profile = root;
  return 0;
}

static int
parse_rule (sr_policy_t *p, rule_id_t r, json_t *v, const char *what,
            const char *base_dir, sr_error_t *err)
{
  static const char *const keys_common[] = { "mode", "tighten", NULL };
  static const char *const keys_list[] = { "allowed", NULL };
  static const char *const keys_paths[] = { "allowed", "allowedReadOnly", NULL };
  static const char *const keys_seccomp[] = { "profile", NULL };
  static const char *const keys_pids[] = { "default", NULL };
  static const char *const keys_env[] = { "ignore", NULL };
  static const char *const keys_none[] = { NULL };
  const char *name = rules[r].name;
  const char *const *keys;
  char jp[JP_MAX];
  const char *k;
  json_t *e;

  snprintf (jp, sizeof jp, "rules.%s", name);
  if (json_is_string (v))
    return parse_mode (v, what, jp, &p->mode[r], err);
  if (!json_is_object (v))
    return sr_error (err, 0, "%s: %s: expected a mode or an object", what, jp);

  switch (r)
    {
    case R_CAPABILITIES: case R_HOST_NAMESPACES: case R_DEVICES:
      keys = keys_list; break;
    case R_HOST_PATHS: keys = keys_paths; break;
    case R_SECCOMP: keys = keys_seccomp; break;
    case R_PIDS_LIMIT: keys = keys_pids; break;
    case R_SECRETS_IN_ENV: keys = keys_env; break;
    default: keys = keys_none; break;
    }
  /* A misspelt key would silently weaken the rule: refuse it. */
  json_object_foreach (v, k, e)
    if (!key_is (k, keys_common) && !key_is (k, keys))
      return sr_error (err, 0, "%s: %s: unknown key \"%s\"", what, jp, k);
    else if (strcmp (k, "tighten") == 0 && !rules[r].can_tighten)
      return sr_error (err, 0, "%s: %s.tighten: this rule never tightens; it "
                       "refuses", what, jp);

  snprintf (jp, sizeof jp, "rules.%s.mode", name);
  if ((e = json_object_get (v, "mode")) == NULL)
    return sr_error (err, 0, "%s: %s: required", what, jp);
  if (parse_mode (e, what, jp, &p->mode[r], err) < 0)
    return -1;
  if ((e = json_object_get (v, "tighten")) != NULL)
    {
      if (!json_is_boolean (e))
        return sr_error (err, 0, "%s: rules.%s.tighten: expected a boolean", what, name);
      p->tighten[r] = json_is_true (e);
    }

  switch (r)
    {
    case R_CAPABILITIES:
      if ((e = json_object_get (v, "allowed")) != NULL)
        {
          size_t i;
          json_t *c;
          snprintf (jp, sizeof jp, "rules.%s.allowed", name);
          if (!json_is_array (e))
            return sr_error (err, 0, "%s: %s: expected an array of strings", what, jp);
          p->allowed_caps = 0;
          json_array_foreach (e, i, c)
            {
              int n = cap_number (jstr (c));
              if (n < 0 || n >= 64)
                return sr_error (err, 0, "%s: %s[%zu]: unknown capability%s%s%s",
                                 what, jp, i, jstr (c) ? " \"" : "",
                                 jstr (c) ? jstr (c) : "", jstr (c) ? "\"" : "");
              p->allowed_caps |= CAPBIT (n);
            }
        }
      break;
    case R_HOST_NAMESPACES:
      if ((e = json_object_get (v, "allowed")) != NULL)
        {
          size_t i;
          json_t *t;
          snprintf (jp, sizeof jp, "rules.%s.allowed", name);
          if (!json_is_array (e))
            return sr_error (err, 0, "%s: %s: expected an array of strings", what, jp);
          p->allowed_host_ns = 0;
          json_array_foreach (e, i, t)
            {
              int kk;
              for (kk = 0; kk < NSK_COUNT; kk++)
                if (jstr (t) && strcmp (jstr (t), host_ns[kk].type) == 0)
                  break;
              if (kk == NSK_COUNT)
                return sr_error (err, 0, "%s: %s[%zu]: expected \"pid\", \"ipc\" or "
                                 "\"network\"", what, jp, i);
              p->allowed_host_ns |= 1u << kk;
            }
        }
      break;
    case R_HOST_PATHS:
      snprintf (jp, sizeof jp, "rules.%s.allowed", name);
      if ((e = json_object_get (v, "allowed")) != NULL
          && parse_paths (e, what, jp, &p->host_paths, err) < 0)
        return -1;
      snprintf (jp, sizeof jp, "rules.%s.allowedReadOnly", name);
      if ((e = json_object_get (v, "allowedReadOnly")) != NULL
          && parse_paths (e, what, jp, &p->host_paths_ro, err) < 0)
        return -1;
      break;
    case R_DEVICES:
      if ((e = json_object_get (v, "allowed")) != NULL)
        {
          _cleanup_strv_ char **list = NULL;
          snprintf (jp, sizeof jp, "rules.%s.allowed", name);
          if (parse_strv (e, what, jp, &list, err) < 0)
            return -1;
          size_t n = json_array_size (e);
          free (p->devices);
          p->devices = calloc (n ? n : 1, sizeof *p->devices);
          p->n_devices = 0;
          if (p->devices == NULL)
            return sr_error (err, ENOMEM, "%s", what);
          for (size_t i = 0; i < n; i++)
            {
              if (parse_dev_id (list[i], &p->devices[i]) < 0)
                return sr_error (err, 0, "%s: %s[%zu]: \"%s\" is not \"c|b MAJOR:MINOR\" "
                                 "(* for any)", what, jp, i, list[i]);
              p->n_devices++;
            }
        }
      break;
    case R_SECCOMP:
      if ((e = json_object_get (v, "profile")) != NULL)
        {
          const char *s = jstr (e);
          if (s == NULL || *s == '\0')
            return sr_error (err, 0, "%s: rules.seccomp.profile: expected a path", what);
          free (p->seccomp_profile_path);
          if (s[0] == '/' || base_dir == NULL)
            p->seccomp_profile_path = strdup (s);
          else
            p->seccomp_profile_path = sr_path_join (base_dir, s);
          if (p->seccomp_profile_path == NULL)
            return sr_error (err, ENOMEM, "%s", what);
        }
      break;
    case R_PIDS_LIMIT:
      if ((e = json_object_get (v, "default")) != NULL)
        {
          json_int_t n;
          if (!jint (e, &n) || n <= 0)
            return sr_error (err, 0, "%s: rules.pids-limit.default: expected a "
                             "positive integer", what);
          p->default_pids = n;
        }
      break;
    case R_SECRETS_IN_ENV:
      snprintf (jp, sizeof jp, "rules.%s.ignore", name);
      if ((e = json_object_get (v, "ignore")) != NULL
          && parse_strv (e, what, jp, &p->env_ignore, err) < 0)
        return -1;
      break;
    default:
      break;
    }
  return 0;
}

/* The installed default profile; from a build tree that was not installed,
 * the one next to the binary (as `secrun launch` finds its profiles). */
static char *
default_profile (void)
{
  char exe[PATH_MAX];
  ssize_t n;

  if (access (DEFAULT_SECCOMP_PROFILE, R_OK) == 0)
    return strdup (DEFAULT_SECCOMP_PROFILE);
  n = readlink ("/proc/self/exe", exe, sizeof exe - 1);
  if (n > 0)
    {
      char *slash, *p;

      exe[n] = '\0';
      slash = strrchr (exe, '/');
      if (slash)
        {
          *slash = '\0';
          if (asprintf (&p, "%s/profiles/seccomp/default.json", exe) < 0)
            return NULL;
          if (access (p, R_OK) == 0)
            return p;
          free (p);
        }
    }
  return strdup (DEFAULT_SECCOMP_PROFILE);
}

int
sr_policy_parse (json_t *j, const char *base_dir, const char *what,
                 sr_policy_t **out, sr_error_t *err)
{
  static const char *const top_keys[] = { "version", "name", "description",
                                          "rules", NULL };
  sr_policy_t *p;
  json_int_t version;
  const char *k;
  json_t *v, *rs;

  *out = NULL;
  if (!json_is_object (j))
    return sr_error (err, 0, "%s: expected a JSON object", what);
  json_object_foreach (j, k, v)
    if (!key_is (k, top_keys))
      return sr_error (err, 0, "%s: unknown key \"%s\"", what, k);
  if (!jint (json_object_get (j, "version"), &version) || version != 1)
    return sr_error (err, 0, "%s: version: expected 1", what);
  v = json_object_get (j, "name");
  if (v && !json_is_string (v))
    return sr_error (err, 0, "%s: name: expected a string", what);
  v = json_object_get (j, "description");
  if (v && !json_is_string (v))
    return sr_error (err, 0, "%s: description: expected a string", what);
  rs = json_object_get (j, "rules");
  if (!json_is_object (rs))
    return sr_error (err, 0, "%s: rules: expected an object", what);

  p = policy_new (MODE_OFF);
  if (p == NULL)
    return sr_error (err, ENOMEM, "%s", what);
  p->name = strdup (jstr (json_object_get (j, "name")) ? jstr (json_object_get (j, "name")) : "");
  p->seccomp_profile_path = default_profile ();
  if (p->name == NULL || p->seccomp_profile_path == NULL)
    {
      sr_policy_free (p);
      return sr_error (err, ENOMEM, "%s", what);
    }
  json_object_foreach (rs, k, v)
    {
      int r;
      for (r = 0; r < R_COUNT; r++)
        if (strcmp (k, rules[r].name) == 0)
          break;
      if (r == R_COUNT)
        {
          sr_policy_free (p);
          return sr_error (err, 0, "%s: rules: unknown rule \"%s\"", what, k);
        }
      if (parse_rule (p, (rule_id_t) r, v, what, base_dir, err) < 0)
        {
          sr_policy_free (p);
          return -1;
        }
    }
  /* Loaded now, not per container: a broken profile stops every create
   * with the same clear error instead of surprising one of them. */
  if (p->mode[R_SECCOMP] == MODE_ENFORCE && p->tighten[R_SECCOMP]
      && load_profile (p, what, err) < 0)
    {
      sr_policy_free (p);
      return -1;
    }
  *out = p;
  return 0;
}

int
sr_policy_load (const char *path, sr_policy_t **out, sr_error_t *err)
{
  _cleanup_close_ int fd = -1;
  _cleanup_free_ char *dir = NULL;
  char fdpath[64];
  struct stat st;
  json_t *j;
  int ret;

  *out = NULL;
  if (path == NULL)
    {
      path = SR_POLICY_DEFAULT_PATH;
      if (lstat (path, &st) < 0 && errno == ENOENT)
        return 0;
    }
  fd = open (path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
  if (fd < 0)
    return sr_error_errno (err, "policy %s", path);
  if (fstat (fd, &st) < 0)
    return sr_error_errno (err, "policy %s", path);
  if (!S_ISREG (st.st_mode))
    return sr_error (err, 0, "policy %s: not a regular file", path);
  if (st.st_uid != 0 && st.st_uid != geteuid ())
    return sr_error (err, 0, "policy %s: owned by uid %u, not by root: whoever "
                     "owns it decides what containers may do", path,
                     (unsigned) st.st_uid);
  if (st.st_mode & (S_IWGRP | S_IWOTH))
    return sr_error (err, 0, "policy %s: writable by group or others (mode %04o)",
                     path, (unsigned) (st.st_mode & 07777));
  /* Read what was checked, not whatever the path names by now. */
  snprintf (fdpath, sizeof fdpath, "/proc/self/fd/%d", fd);
  j = sr_json_load (fdpath, path, err);
  if (j == NULL)
    return sr_error_prefix (err, "policy");
  {
    _cleanup_free_ char *copy = strdup (path);
    dir = copy ? strdup (dirname (copy)) : NULL;
  }
  if (dir == NULL)
    {
      json_decref (j);
      return sr_error (err, ENOMEM, "policy %s", path);
    }
  {
    _cleanup_free_ char *what = NULL;
    if (asprintf (&what, "policy %s", path) < 0)
      what = NULL;
    ret = sr_policy_parse (j, dir, what ? what : "policy", out, err);
  }
  json_decref (j);
  return ret;
}

/* ------------------------------------------------------------------ */
/* Running the checks */

static void
ctx_reset (ctx_t *x)
{
  sr_findings_free (x->v, x->n);
  x->v = NULL;
  x->n = x->cap = 0;
}

int
sr_policy_apply (const sr_policy_t *p, json_t *config, sr_error_t *err)
{
  ctx_t x = { .p = p, .cfg = config, .live = true };
  int r;

  if (p == NULL)
    return 0;
  if (!json_is_object (config))
    return sr_error (err, 0, "config.json: expected an object");
  x.sandbox = is_sandbox (config);
  for (r = 0; r < R_COUNT; r++)
    {
      if (p->mode[r] == MODE_OFF)
        continue;
      x.rule = (rule_id_t) r;
      x.tighten = p->mode[r] == MODE_ENFORCE && p->tighten[r];
      rules[r].fn (&x);
      if (x.oom)
        {
          ctx_reset (&x);
          return sr_error (err, ENOMEM, "policy: %s", rules[r].name);
        }
      if (x.n && p->mode[r] == MODE_ENFORCE)
        {
          sr_error (err, 0, "policy: %s: %s (%s)", x.v[0].rule, x.v[0].message,
                    x.v[0].path);
          ctx_reset (&x);
          return -1;
        }
      for (size_t i = 0; i < x.n; i++)
        sr_log_warn ("policy: %s: %s (%s) [audit]", x.v[i].rule, x.v[i].message,
                     x.v[i].path);
      ctx_reset (&x);
    }
  return 0;
}

static int
severity_rank (const char *s)
{
  return strcmp (s, "high") == 0 ? 0 : strcmp (s, "medium") == 0 ? 1 : 2;
}

int
sr_policy_audit (const sr_policy_t *p, json_t *config, sr_finding_t **out,
                 size_t *n, sr_error_t *err)
{
  sr_policy_t *own = NULL;
  ctx_t x = { .cfg = config };
  int r;

  *out = NULL;
  *n = 0;
  if (!json_is_object (config))
    return sr_error (err, 0, "config.json: expected an object");
  if (p == NULL)
    {
      own = policy_new (MODE_AUDIT);
      if (own == NULL)
        return sr_error (err, ENOMEM, "audit");
      p = own;
    }
  x.p = p;
  x.sandbox = is_sandbox (config);
  for (r = 0; r < R_COUNT && !x.oom; r++)
    if (p->mode[r] != MODE_OFF)
      {
        x.rule = (rule_id_t) r;
        rules[r].fn (&x);
      }
  sr_policy_free (own);
  if (x.oom)
    {
      ctx_reset (&x);
      return sr_error (err, ENOMEM, "audit");
    }
  /* Most severe first; within a severity, in checklist order. */
  for (size_t i = 1; i < x.n; i++)
    {
      sr_finding_t f = x.v[i];
      size_t j = i;
      for (; j > 0 && severity_rank (x.v[j - 1].severity) > severity_rank (f.severity); j--)
        x.v[j] = x.v[j - 1];
      x.v[j] = f;
    }
  *out = x.v;
  *n = x.n;
  return 0;
}

int
sr_audit_config (json_t *config, sr_finding_t **out, size_t *n, sr_error_t *err)
{
  return sr_policy_audit (NULL, config, out, n, err);
}

int
sr_policy_check_exec (const sr_policy_t *p, const sr_config_t *c,
                      const sr_process_t *proc, sr_error_t *err)
{
  int64_t uid, h;

  if (p == NULL || p->mode[R_NON_ROOT] == MODE_OFF || !proc->user.uid.set)
    return 0;
  uid = proc->user.uid.v;
  h = host_uid (c->json, uid);
  if (h != 0 && !(h == -2 && uid == 0))
    return 0;
  if (p->mode[R_NON_ROOT] == MODE_ENFORCE)
    return sr_error (err, 0, "policy: non-root: exec runs as uid %" PRId64 "%s "
                     "(process.user.uid)", uid,
                     uid == 0 ? " (root)" : ", root on the host");
  sr_log_warn ("policy: non-root: exec runs as uid %" PRId64 " (process.user.uid) "
               "[audit]", uid);
  return 0;
}
