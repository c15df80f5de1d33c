/* The default config.json, as `runc spec` writes it so that users and
 * scripts used to runc find the same starting point.  Differences: the
 * ociVersion is ours, the hostname is "secrun", and like newer runc there
 * are no ambient capabilities and /sys/devices/virtual/tpm is masked; we
 * also mask /sys/devices/virtual/powercap (energy counters leak secrets,
 * CVE-2020-8694) as Docker does. */
#ifndef _GNU_SOURCE
# define _GNU_SOURCE
#endif

#include "spec.h"

#include <string.h>
#include <sys/statfs.h>
#include <unistd.h>

#ifndef CGROUP2_SUPER_MAGIC
# define CGROUP2_SUPER_MAGIC 0x63677270
#endif

#define SPEC_OCI_VERSION "1.2.0"

typedef struct
{
  const char *destination, *type, *source;
  const char *options[8]; /* NULL-terminated; all NULL = no "options" */
} default_mount_t;

static const default_mount_t default_mounts[] = {
  { "/proc", "proc", "proc", { NULL } },
  { "/dev", "tmpfs", "tmpfs",
    { "nosuid", "strictatime", "mode=755", "size=65536k", NULL } },
  { "/dev/pts", "devpts", "devpts",
    { "nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5",
      NULL } },
  { "/dev/shm", "tmpfs", "shm",
    { "nosuid", "noexec", "nodev", "mode=1777", "size=65536k", NULL } },
  { "/dev/mqueue", "mqueue", "mqueue", { "nosuid", "noexec", "nodev", NULL } },
  { "/sys", "sysfs", "sysfs", { "nosuid", "noexec", "nodev", "ro", NULL } },
  { "/sys/fs/cgroup", "cgroup", "cgroup",
    { "nosuid", "noexec", "nodev", "relatime", "ro", NULL } },
};

/* Rootless keeps the host network namespace, which its user namespace does
 * not own, and the kernel refuses a new sysfs there: bind the host's /sys. */
static const default_mount_t rootless_sys = {
  "/sys", "none", "/sys", { "rbind", "nosuid", "noexec", "nodev", "ro", NULL }
};

static const char *const default_caps[] = {
  "CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE", NULL
};

static const char *const masked_paths[] = {
  "/proc/acpi", "/proc/asound", "/proc/kcore", "/proc/keys",
  "/proc/latency_stats", "/proc/timer_list", "/proc/timer_stats",
  "/proc/sched_debug", "/sys/firmware", "/proc/scsi",
  "/sys/devices/virtual/tpm", "/sys/devices/virtual/powercap", NULL
};

static const char *const readonly_paths[] = {
  "/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger",
  NULL
};

static json_t *
string_array (const char *const *v)
{
  json_t *a = json_array ();

  for (; a && *v; v++)
    if (json_array_append_new (a, json_string (*v)) < 0)
      {
        json_decref (a);
        return NULL;
      }
  return a;
}

static json_t *
make_process (void)
{
  return json_pack ("{s:b, s:{s:i, s:i}, s:[s], s:[s, s], s:s,"
                    " s:{s:o, s:o, s:o}, s:[{s:s, s:i, s:i}], s:b}",
                    "terminal", 1,
                    "user", "uid", 0, "gid", 0,
                    "args", "sh",
                    "env",
                    "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
                    "TERM=xterm",
                    "cwd", "/",
                    "capabilities",
                    "bounding", string_array (default_caps),
                    "effective", string_array (default_caps),
                    "permitted", string_array (default_caps),
                    "rlimits", "type", "RLIMIT_NOFILE", "hard", 1024, "soft", 1024,
                    "noNewPrivileges", 1);
}

/* Rootless drops uid= and gid= options: the ids may not be mapped. */
static json_t *
make_mount (const default_mount_t *m, bool rootless)
{
  json_t *opts = NULL;
  const char *const *o;

  if (m->options[0])
    {
      opts = json_array ();
      for (o = m->options; opts && *o; o++)
        {
          if (rootless && (strncmp (*o, "uid=", 4) == 0 || strncmp (*o, "gid=", 4) == 0))
            continue;
          if (json_array_append_new (opts, json_string (*o)) < 0)
            {
              json_decref (opts);
              return NULL;
            }
        }
      if (opts == NULL)
        return NULL;
    }
  return json_pack ("{s:s, s:s, s:s, s:o*}", "destination", m->destination,
                    "type", m->type, "source", m->source, "options", opts);
}

static json_t *
make_mounts (bool rootless)
{
  json_t *a = json_array ();
  size_t i;

  for (i = 0; a && i < sizeof default_mounts / sizeof *default_mounts; i++)
    {
      const default_mount_t *m = &default_mounts[i];

      if (rootless && strcmp (m->destination, "/sys") == 0)
        m = &rootless_sys;
      if (json_array_append_new (a, make_mount (m, rootless)) < 0)
        {
          json_decref (a);
          return NULL;
        }
    }
  return a;
}

/* Like runc, a cgroup namespace only on a pure cgroup v2 host. */
static bool
cgroup2_unified (void)
{
  struct statfs fs;

  return statfs ("/sys/fs/cgroup", &fs) == 0
         && (unsigned long) fs.f_type == CGROUP2_SUPER_MAGIC;
}

static json_t *
make_namespaces (bool rootless)
{
  static const char *const types[] = { "pid", "network", "ipc", "uts", "mount",
                                       "cgroup", "user", NULL };
  json_t *a = json_array ();
  const char *const *t;

  for (t = types; a && *t; t++)
    {
      if (strcmp (*t, "network") == 0 && rootless)
        continue;
      if (strcmp (*t, "user") == 0 && !rootless)
        continue;
      if (strcmp (*t, "cgroup") == 0 && !cgroup2_unified ())
        continue;
      if (json_array_append_new (a, json_pack ("{s:s}", "type", *t)) < 0)
        {
          json_decref (a);
          return NULL;
        }
    }
  return a;
}

/* Maps container root to the caller.  The effective ids, as runc does: an
 * unprivileged writer of uid_map may only map its own euid. */
static json_t *
make_idmap (unsigned long host_id)
{
  return json_pack ("[{s:i, s:I, s:i}]", "containerID", 0, "hostID",
                    (json_int_t) host_id, "size", 1);
}

static json_t *
make_linux (bool rootless)
{
  json_t *l;

  if (rootless)
    l = json_pack ("{s:o, s:o}", "uidMappings", make_idmap (geteuid ()),
                   "gidMappings", make_idmap (getegid ()));
  else
    /* Deny every device; the runtime allows the default /dev nodes itself. */
    l = json_pack ("{s:{s:[{s:b, s:s}]}}", "resources", "devices", "allow", 0,
                   "access", "rwm");
  if (l == NULL)
    return NULL;
  if (json_object_set_new (l, "namespaces", make_namespaces (rootless)) < 0
      || json_object_set_new (l, "maskedPaths", string_array (masked_paths)) < 0
      || json_object_set_new (l, "readonlyPaths", string_array (readonly_paths)) < 0)
    {
      json_decref (l);
      return NULL;
    }
  return l;
}

json_t *
sr_spec_default (bool rootless)
{
  return json_pack ("{s:s, s:o, s:{s:s, s:b}, s:s, s:o, s:o}",
                    "ociVersion", SPEC_OCI_VERSION,
                    "process", make_process (),
                    "root", "path", "rootfs", "readonly", 1,
                    "hostname", "secrun",
                    "mounts", make_mounts (rootless),
                    "linux", make_linux (rootless));
}
