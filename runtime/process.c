#include "process.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <linux/keyctl.h>
#include <linux/magic.h>
#include <linux/openat2.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "caps.h"
#include "cleanup.h"
#include "log.h"
#include "utils.h"

#define IOPRIO_CLASS_SHIFT 13
#define IOPRIO_WHO_PROCESS 1

struct sr_sched_attr {
  uint32_t size, sched_policy;
  uint64_t sched_flags;
  int32_t sched_nice;
  uint32_t sched_priority;
  uint64_t sched_runtime, sched_deadline, sched_period;
};

static bool proc_self_toggle;

void
sr_process_allow_dumpable_writes (bool allow)
{
  proc_self_toggle = allow;
}

int
sr_write_proc_self (const char *file, const char *value, sr_error_t *err)
{
  int fd, e = 0;

  /* A non-dumpable process's /proc/self files belong to the host's root,
   * which a user namespace's root is not. Where nothing else can see us
   * (our own new pid namespace) we may be dumpable for the write. */
  if (proc_self_toggle)
    prctl (PR_SET_DUMPABLE, 1, 0, 0, 0);
  fd = open (file, O_WRONLY | O_CLOEXEC);
  /* The container's /proc: a write that lands anywhere but procfs (a
   * tmpfs or a volume over /proc, the CVE-2019-16884 class) would leave
   * a label or a limit silently unapplied. */
  struct statfs sfs;
  if (fd >= 0 && (fstatfs (fd, &sfs) < 0 || sfs.f_type != PROC_SUPER_MAGIC))
    e = EXDEV;
  else if (fd < 0 || sr_write_all (fd, value, strlen (value)) < 0)
    e = errno;
  if (fd >= 0)
    close (fd);
  if (proc_self_toggle)
    prctl (PR_SET_DUMPABLE, 0, 0, 0, 0);
  if (e == EXDEV)
    return sr_error (err, 0, "write %s: not a file of procfs", file);
  if (e)
    return sr_error (err, e, "write %s", file);
  return 0;
}

/* Which LSMs the host has, found by the runtime before the container
 * exists (sr_process_probe_lsm): inside it /sys/kernel/security is not
 * mounted, or is the container's to fake. */
static bool lsm_apparmor, lsm_selinux;

static bool
read_small (const char *path, char *buf, size_t n)
{
  _cleanup_close_ int fd = open (path, O_RDONLY | O_CLOEXEC);
  ssize_t r;
  if (fd < 0 || (r = read (fd, buf, n - 1)) <= 0)
    return false;
  buf[r] = '\0';
  return true;
}

void
sr_process_probe_lsm (const sr_process_t *p)
{
  char buf[512];

  if (!(p->apparmor_profile && *p->apparmor_profile)
      && !(p->selinux_label && *p->selinux_label))
    return;
  if (read_small ("/sys/kernel/security/lsm", buf, sizeof buf))
    {
      lsm_apparmor = strstr (buf, "apparmor") != NULL;
      lsm_selinux = strstr (buf, "selinux") != NULL;
      return;
    }
  /* No securityfs mounted: what runc and libselinux look at. */
  lsm_apparmor = read_small ("/sys/module/apparmor/parameters/enabled", buf, sizeof buf)
                 && buf[0] == 'Y';
  lsm_selinux = access ("/sys/fs/selinux/enforce", F_OK) == 0;
}

int
sr_process_apply_personality (const sr_linux_t *l, sr_error_t *err)
{
  if (l->personality.set
      && personality ((unsigned long) l->personality.domain
                      | (unsigned long) l->personality.flags) < 0)
    return sr_error_errno (err, "linux.personality");
  return 0;
}

/* The init is one task, and may share its memory with a runtime that has a
 * thread (the vfork start and its start helper). The libc wrappers of
 * setgroups, setres[ug]id and setrlimit apply the change to every thread of
 * the process they believe they run in, which is then the runtime's: musl's
 * __synccall signals the helper's tid, which does not exist in the init's
 * pid namespace, and returns 1 without changing anything. The raw syscalls
 * change this task only, which is all the init wants. */
static int
task_setgroups (size_t n, const gid_t *list)
{
  return (int) syscall (SYS_setgroups, n, list);
}

static int
task_setresgid (gid_t g)
{
  return (int) syscall (SYS_setresgid, g, g, g);
}

static int
task_setresuid (uid_t u)
{
  return (int) syscall (SYS_setresuid, u, u, u);
}

static int
task_setrlimit (int resource, const struct rlimit *rl)
{
  return (int) syscall (SYS_prlimit64, 0, resource, rl, NULL);
}

int
sr_process_apply_privileged (const sr_process_t *p, sr_error_t *err)
{
  for (size_t i = 0; i < p->n_rlimits; i++)
    {
      struct rlimit rl = { .rlim_cur = p->rlimits[i].soft, .rlim_max = p->rlimits[i].hard };
      if (task_setrlimit (p->rlimits[i].resource, &rl) != 0)
        return sr_error_errno (err, "process.rlimits[%zu] (%s %llu/%llu)", i,
                               p->rlimits[i].name,
                               (unsigned long long) rl.rlim_cur,
                               (unsigned long long) rl.rlim_max);
    }
  if (p->oom_score_adj.set)
    {
      char v[32];
      snprintf (v, sizeof v, "%lld", (long long) p->oom_score_adj.v);
      if (sr_write_proc_self ("/proc/self/oom_score_adj", v, err) < 0)
        return sr_error_prefix (err, "process.oomScoreAdj");
    }
  if (p->scheduler.set)
    {
      struct sr_sched_attr a = {
        .size = sizeof a,
        .sched_policy = (uint32_t) p->scheduler.policy,
        .sched_flags = p->scheduler.flags,
        .sched_nice = (int32_t) p->scheduler.nice.v,
        .sched_priority = (uint32_t) p->scheduler.priority.v,
        .sched_runtime = (uint64_t) p->scheduler.runtime.v,
        .sched_deadline = (uint64_t) p->scheduler.deadline.v,
        .sched_period = (uint64_t) p->scheduler.period.v,
      };
      if (syscall (SYS_sched_setattr, 0, &a, 0) < 0)
        return sr_error_errno (err, "process.scheduler");
    }
  if (p->io_priority.set)
    {
      int v = (p->io_priority.klass << IOPRIO_CLASS_SHIFT) | p->io_priority.priority;
      if (syscall (SYS_ioprio_set, IOPRIO_WHO_PROCESS, 0, v) < 0)
        return sr_error_errno (err, "process.ioPriority");
    }
  if (p->user.umask.set)
    umask ((mode_t) p->user.umask.v & 0777);
  else
    umask (0022);
  /* An LSM profile that cannot be applied is an error, never a silent
   * downgrade. SELinux labels are ignored where SELinux is off, as runc
   * does; AppArmor is refused where it is off, as runc does. */
  if (p->apparmor_profile && *p->apparmor_profile)
    {
      if (!lsm_apparmor)
        return sr_error (err, 0, "process.apparmorProfile: \"%s\" was asked for, "
                         "but AppArmor is not enabled on this host",
                         p->apparmor_profile);
      char v[512];
      snprintf (v, sizeof v, "exec %s", p->apparmor_profile);
      if (sr_write_proc_self ("/proc/self/attr/apparmor/exec", v, err) < 0)
        return sr_error_prefix (err, "process.apparmorProfile");
    }
  if (p->selinux_label && *p->selinux_label && lsm_selinux)
    if (sr_write_proc_self ("/proc/self/attr/exec", p->selinux_label, err) < 0)
      return sr_error_prefix (err, "process.selinuxLabel");
  return 0;
}

int
sr_process_become_ns_root (int peer_fd, sr_error_t *err)
{
  struct pollfd pfd = { .fd = peer_fd, .events = POLLIN };

  if (task_setresgid (0) < 0 || task_setresuid (0) < 0)
    return sr_error_errno (err, "become root in the user namespace");
  /* The new uid cleared our parent-death signal (commit_creds): arm it
   * again, then make sure the runtime did not die in between (its end of
   * PEER_FD is closed then). */
  prctl (PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
  if (peer_fd >= 0 && poll (&pfd, 1, 0) == 1 && (pfd.revents & (POLLHUP | POLLERR)))
    return sr_error (err, 0, "the runtime went away");
  return 0;
}

int
sr_process_new_keyring (const char *id, sr_error_t *err)
{
  char name[64];
  snprintf (name, sizeof name, "_ses.%.58s", id);
  if (syscall (SYS_keyctl, KEYCTL_JOIN_SESSION_KEYRING, name, 0, 0, 0) < 0)
    {
      /* Kernels without keys, and user namespaces that may not create
       * one: the workload then simply shares no keyring with us either. */
      if (errno == ENOSYS || errno == EACCES || errno == EPERM)
        return 0;
      return sr_error_errno (err, "join a new session keyring");
    }
  return 0;
}

int
sr_process_apply_identity (const sr_process_t *p, sr_error_t *err)
{
  uid_t uid = (uid_t) p->user.uid.v;
  gid_t gid = (gid_t) p->user.gid.v;
  const sr_caps_t *c = &p->caps;
  int r;

  /* The bounding set first: dropping from it needs CAP_SETPCAP, which we
   * lose with the uid change. Caps not asked for are gone for good. */
  if ((r = sr_caps_limit_bounding (c->set ? c->bounding : 0)) < 0)
    return sr_error (err, -r, "process.capabilities.bounding: apply");

  if (prctl (PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0)
    return sr_error_errno (err, "prctl PR_SET_KEEPCAPS");
  if (task_setgroups (p->user.n_additional_gids, p->user.additional_gids) != 0)
    return sr_error_errno (err, "process.user.additionalGids: setgroups");
  if (task_setresgid (gid) != 0)
    return sr_error_errno (err, "process.user.gid: setresgid %u", gid);
  if (task_setresuid (uid) != 0)
    return sr_error_errno (err, "process.user.uid: setresuid %u", uid);
  {
    /* Checked, not assumed: a change that silently did not happen would
     * run the workload as root. */
    uid_t ru, eu, su;
    gid_t rg, eg, sg;
    if (getresuid (&ru, &eu, &su) < 0 || ru != uid || eu != uid || su != uid)
      return sr_error (err, 0, "process.user.uid: the switch to %u did not happen", uid);
    if (getresgid (&rg, &eg, &sg) < 0 || rg != gid || eg != gid || sg != gid)
      return sr_error (err, 0, "process.user.gid: the switch to %u did not happen", gid);
    if (getgroups (0, NULL) != (int) p->user.n_additional_gids)
      return sr_error (err, 0, "process.user.additionalGids: setgroups did not happen");
  }
  if (prctl (PR_SET_KEEPCAPS, 0, 0, 0, 0) < 0)
    return sr_error_errno (err, "prctl PR_SET_KEEPCAPS");

  if (c->set)
    r = sr_caps_set (c->effective, c->permitted, c->inheritable);
  else
    r = sr_caps_set (0, 0, 0);
  if (r < 0)
    return sr_error (err, -r, "process.capabilities: capset");
  /* Ambient is cleared always, then raised only as asked: an ambient cap
   * needs to be permitted and inheritable, so ask after capset. */
  if (prctl (PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL)
    return sr_error_errno (err, "clear the ambient set");
  if (c->set && c->ambient)
    for (unsigned cap = 0; cap <= SR_CAP_LAST; cap++)
      if ((c->ambient & (1ULL << cap))
          && prctl (PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, cap, 0, 0) < 0)
        return sr_error_errno (err, "process.capabilities.ambient: raise CAP_%s",
                               sr_cap_name (cap));
  if (p->no_new_privileges.v
      && prctl (PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
    return sr_error_errno (err, "process.noNewPrivileges");
  return 0;
}

int
sr_process_chdir (const char *cwd, sr_error_t *err)
{
  char buf[PATH_MAX];
  /* Without magic links: a cwd swapped for a symlink to /proc/self/fd/N
   * or /proc/1/cwd must not reach a directory the container cannot name
   * (a mount's covered directory, or the host's). */
  struct open_how how = { .flags = O_PATH | O_DIRECTORY | O_CLOEXEC,
                          .resolve = RESOLVE_NO_MAGICLINKS };
  int fd = (int) syscall (SYS_openat2, AT_FDCWD, cwd, &how, sizeof how);
  if (fd < 0)
    return sr_error_errno (err, "process.cwd: chdir %s", cwd);
  int r = fchdir (fd);
  int e = errno;
  close (fd);
  if (r < 0)
    return sr_error (err, e, "process.cwd: chdir %s", cwd);
  /* getcwd fails (ENOENT) or answers "(unreachable)" for a directory that
   * is not under our root: the CVE-2024-21626 class. */
  if (getcwd (buf, sizeof buf) == NULL || buf[0] != '/')
    return sr_error (err, 0, "process.cwd: %s is outside the container", cwd);
  return 0;
}

int
sr_process_find_exec (const char *file, char *const envp[], char *buf,
                      size_t n, sr_error_t *err)
{
  const char *path = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
  int last_errno = ENOENT;

  if (strchr (file, '/'))
    {
      if (snprintf (buf, n, "%s", file) >= (int) n)
        return sr_error (err, ENAMETOOLONG, "process.args[0]");
      return 0;
    }
  for (char *const *e = envp; e && *e; e++)
    if (strncmp (*e, "PATH=", 5) == 0)
      path = *e + 5;
  while (*path)
    {
      const char *colon = strchr (path, ':');
      size_t len = colon ? (size_t) (colon - path) : strlen (path);
      struct stat st;
      if (len == 0)
        snprintf (buf, n, "%s", file);
      else
        snprintf (buf, n, "%.*s/%s", (int) len, path, file);
      if (stat (buf, &st) == 0 && S_ISREG (st.st_mode))
        {
          if (access (buf, X_OK) == 0)
            return 0;
          last_errno = EACCES;
        }
      path += len + (colon ? 1 : 0);
    }
  return sr_error (err, last_errno, "exec \"%s\": not found in $PATH", file);
}
