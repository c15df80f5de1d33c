#include "namespaces.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#include "cleanup.h"
#include "process.h"
#include "utils.h"

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif

static const int ns_flag[SR_NS_COUNT] = {
  [SR_NS_PID] = CLONE_NEWPID, [SR_NS_NET] = CLONE_NEWNET,
  [SR_NS_MOUNT] = CLONE_NEWNS, [SR_NS_IPC] = CLONE_NEWIPC,
  [SR_NS_UTS] = CLONE_NEWUTS, [SR_NS_USER] = CLONE_NEWUSER,
  [SR_NS_CGROUP] = CLONE_NEWCGROUP, [SR_NS_TIME] = CLONE_NEWTIME,
};

int
sr_ns_clone_flags (const sr_config_t *c)
{
  int flags = 0;
  for (size_t i = 0; i < c->linux_.n_namespaces; i++)
    {
      const sr_namespace_t *n = &c->linux_.namespaces[i];
      if (n->path == NULL && n->type != SR_NS_CGROUP && n->type != SR_NS_TIME)
        flags |= ns_flag[n->type];
    }
  return flags;
}

int
sr_ns_open_paths (const sr_config_t *c, int fds[SR_NS_COUNT], sr_error_t *err)
{
  for (int i = 0; i < SR_NS_COUNT; i++)
    fds[i] = -1;
  for (size_t i = 0; i < c->linux_.n_namespaces; i++)
    {
      const sr_namespace_t *n = &c->linux_.namespaces[i];
      if (n->path == NULL)
        continue;
      fds[n->type] = open (n->path, O_RDONLY | O_CLOEXEC);
      if (fds[n->type] < 0)
        {
          int e = errno;
          sr_ns_close_paths (fds);
          return sr_error (err, e, "linux.namespaces[%zu].path: %s", i, n->path);
        }
    }
  return 0;
}

void
sr_ns_close_paths (int fds[SR_NS_COUNT])
{
  for (int i = 0; i < SR_NS_COUNT; i++)
    if (fds[i] >= 0)
      {
        close (fds[i]);
        fds[i] = -1;
      }
}

int
sr_ns_join (const sr_config_t *c, int fds[SR_NS_COUNT], sr_error_t *err)
{
  static const sr_ns_type_t order[] = { SR_NS_USER, SR_NS_IPC, SR_NS_UTS,
                                        SR_NS_NET, SR_NS_CGROUP, SR_NS_TIME,
                                        SR_NS_MOUNT };
  for (size_t i = 0; i < sizeof order / sizeof *order; i++)
    {
      int fd = fds[order[i]];
      if (fd < 0)
        continue;
      if (setns (fd, ns_flag[order[i]]) < 0)
        return sr_error_errno (err, "join the %s namespace %s",
                               sr_ns_type_name (order[i]),
                               sr_config_namespace (c, order[i])->path);
      close (fd);
      fds[order[i]] = -1;
    }
  return 0;
}

static int
write_offsets (const sr_linux_t *l, sr_error_t *err)
{
  char buf[128];
  int n = 0;
  if (l->time_monotonic.set)
    n += snprintf (buf + n, sizeof buf - (size_t) n, "monotonic %lld %u\n",
                   (long long) l->time_monotonic.secs, l->time_monotonic.nanosecs);
  if (l->time_boottime.set)
    n += snprintf (buf + n, sizeof buf - (size_t) n, "boottime %lld %u\n",
                   (long long) l->time_boottime.secs, l->time_boottime.nanosecs);
  if (n == 0)
    return 0;
  if (sr_write_proc_self ("/proc/self/timens_offsets", buf, err) < 0)
    return sr_error_prefix (err, "linux.timeOffsets");
  return 0;
}

int
sr_ns_unshare_late (const sr_config_t *c, sr_error_t *err)
{
  const sr_namespace_t *cg = sr_config_namespace (c, SR_NS_CGROUP);
  const sr_namespace_t *t = sr_config_namespace (c, SR_NS_TIME);

  if (cg && cg->path == NULL && unshare (CLONE_NEWCGROUP) < 0)
    return sr_error_errno (err, "create the cgroup namespace");
  if (t && t->path == NULL)
    {
      if (unshare (CLONE_NEWTIME) < 0)
        return sr_error_errno (err, "create the time namespace");
      /* The init enters it at execve. */
      if (write_offsets (&c->linux_, err) < 0)
        return -1;
    }
  else if (c->linux_.time_monotonic.set || c->linux_.time_boottime.set)
    return sr_error (err, 0, "linux.timeOffsets: needs a new time namespace");
  return 0;
}

static int
write_map (pid_t pid, const char *file, const sr_idmap_t *m, size_t n,
           sr_error_t *err)
{
  char path[64], buf[4096];
  size_t len = 0;
  for (size_t i = 0; i < n && len < sizeof buf - 40; i++)
    len += (size_t) snprintf (buf + len, sizeof buf - len, "%u %u %u\n",
                              m[i].container_id, m[i].host_id, m[i].size);
  snprintf (path, sizeof path, "/proc/%d/%s", (int) pid, file);
  _cleanup_close_ int fd = open (path, O_WRONLY | O_CLOEXEC);
  if (fd < 0 || write (fd, buf, len) != (ssize_t) len)
    return sr_error_errno (err, "linux.%s: write %s",
                           file[0] == 'u' ? "uidMappings" : "gidMappings", path);
  return 0;
}

int
sr_ns_write_id_maps (pid_t pid, const sr_linux_t *l, sr_error_t *err)
{
  if (l->n_uid_mappings == 0 || l->n_gid_mappings == 0)
    return sr_error (err, 0, "linux.uidMappings/gidMappings: a new user "
                     "namespace needs both");
  if (write_map (pid, "uid_map", l->uid_mappings, l->n_uid_mappings, err) < 0)
    return -1;
  return write_map (pid, "gid_map", l->gid_mappings, l->n_gid_mappings, err);
}

static bool
own_ns (const sr_config_t *c, sr_ns_type_t t)
{
  const sr_namespace_t *n = sr_config_namespace (c, t);
  return n && n->path == NULL;
}

/* Which namespace a sysctl belongs to, as runc validates it: anything else
 * would change the host. */
static int
sysctl_ns (const char *key)
{
  static const char *ipc[] = { "kernel.msgmax", "kernel.msgmnb", "kernel.msgmni",
                               "kernel.sem", "kernel.shmall", "kernel.shmmax",
                               "kernel.shmmni", "kernel.shm_rmid_forced", NULL };
  for (int i = 0; ipc[i]; i++)
    if (strcmp (key, ipc[i]) == 0)
      return SR_NS_IPC;
  if (strncmp (key, "fs.mqueue.", 10) == 0)
    return SR_NS_IPC;
  if (strncmp (key, "net.", 4) == 0)
    return SR_NS_NET;
  if (strcmp (key, "kernel.hostname") == 0 || strcmp (key, "kernel.domainname") == 0)
    return SR_NS_UTS;
  return -1;
}

int
sr_ns_apply_uts_sysctl (const sr_config_t *c, sr_error_t *err)
{
  const sr_linux_t *l = &c->linux_;

  /* A uts namespace joined by path is the container's to name (a pod's);
   * without any, the name would be the host's. */
  if ((c->hostname || c->domainname) && sr_config_namespace (c, SR_NS_UTS) == NULL)
    return sr_error (err, 0, "hostname: setting it needs a uts namespace");
  if (c->hostname && sethostname (c->hostname, strlen (c->hostname)) < 0)
    return sr_error_errno (err, "hostname: \"%s\"", c->hostname);
  if (c->domainname && setdomainname (c->domainname, strlen (c->domainname)) < 0)
    return sr_error_errno (err, "domainname: \"%s\"", c->domainname);
  for (size_t i = 0; i < l->n_sysctl; i++)
    {
      const char *k = l->sysctl[i].key;
      char path[512];
      int ns = sysctl_ns (k);
      if (ns < 0 || strstr (k, "..") || strchr (k, '/'))
        return sr_error (err, 0, "linux.sysctl: \"%s\" is not namespaced: "
                         "refusing to change the host", k);
      if (!own_ns (c, (sr_ns_type_t) ns))
        return sr_error (err, 0, "linux.sysctl: \"%s\" needs the container's own "
                         "%s namespace", k, sr_ns_type_name ((sr_ns_type_t) ns));
      snprintf (path, sizeof path, "/proc/sys/%s", k);
      for (char *p = path + 10; *p; p++)
        if (*p == '.')
          *p = '/';
      _cleanup_close_ int fd = open (path, O_WRONLY | O_CLOEXEC | O_NOFOLLOW);
      if (fd < 0 || sr_write_all (fd, l->sysctl[i].value, strlen (l->sysctl[i].value)) < 0)
        return sr_error_errno (err, "linux.sysctl: %s=%s", k, l->sysctl[i].value);
    }
  return 0;
}

int
sr_ns_loopback_up (const sr_config_t *c, sr_error_t *err)
{
  struct ifreq ifr = { 0 };
  if (!own_ns (c, SR_NS_NET))
    return 0;
  /* A fresh network namespace has lo down: 127.0.0.1 would not work. */
  _cleanup_close_ int fd = socket (AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0)
    return sr_error_errno (err, "bring lo up: socket");
  strcpy (ifr.ifr_name, "lo");
  if (ioctl (fd, SIOCGIFFLAGS, &ifr) < 0)
    return sr_error_errno (err, "bring lo up");
  if (ifr.ifr_flags & IFF_UP)
    return 0;
  ifr.ifr_flags |= IFF_UP;
  if (ioctl (fd, SIOCSIFFLAGS, &ifr) < 0)
    return sr_error_errno (err, "bring lo up");
  return 0;
}
