#include "build-config.h"
#include "container.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/capability.h>
#include <malloc.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cgroup.h"
#include "cleanup.h"
#include "compat.h"
#include "hooks.h"
#include "log.h"
#include "mounts.h"
#include "namespaces.h"
#include "notify.h"
#include "policy.h"
#include "process.h"
#include "sealed_exe.h"
#include "seccomp_bpf.h"
#include "start_helper.h"
#include "terminal.h"
#include "utils.h"

/* ASan (GCC says __SANITIZE_ADDRESS__, clang __has_feature). */
#if defined(__SANITIZE_ADDRESS__)
#define SR_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SR_ASAN 1
#endif
#endif
#ifdef SR_ASAN
#include <sanitizer/common_interface_defs.h>
#endif

#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif
#ifndef CLONE_INTO_CGROUP
#define CLONE_INTO_CGROUP 0x200000000ULL
#endif

/* Parent <-> init messages on a SOCK_SEQPACKET pair: one message each. */
/* The whole conversation: GO (the runtime has put us in our cgroups and
 * saved our state), [HOOKS, HOOKS_DONE], READY (set up; from here we may
 * outlive the runtime), then EOF when execve closes the socket, or ERROR
 * with the reason. Nothing waits for an answer after READY. The init sets
 * up its mounts while the runtime makes its cgroups, moves it into them
 * and saves its state, and waits for GO only before pivot_root, when it
 * binds its own v1 cgroups into /sys/fs/cgroup (see needs_go_first). */
enum { SYNC_GO = 1, SYNC_HOOKS, SYNC_HOOKS_DONE, SYNC_READY, SYNC_ERROR };

struct sync_msg {
  int type;
  int errnum;
  char msg[4000];
};

struct sr_clone_args {
  uint64_t flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size,
      tls, set_tid, set_tid_size, cgroup;
};

typedef struct {
  const sr_create_opts_t *o;
  const sr_config_t *c;
  const char *rootfs;
  const char *bundle; /* resolved */
  pid_t host_pid;     /* our pid as the runtime sees it, sent with SYNC_GO */
  int sync_fd;
  int exec_listen;  /* -1 with start_now */
  int console_fd;   /* connected --console-socket, or -1 */
  int conn;         /* the accepted connection of `start`, or -1 */
  int *ns_fds;
  sr_bpf_t *bpf;
  unsigned int seccomp_flags;
  /* The vfork start (see vfork_start_ok): the init runs in our memory
   * while we are suspended, so it does the runtime's part itself and
   * leaves its result here for us to read when we resume. */
  bool vforked;
  volatile pid_t *ptid;     /* our view of its pid (CLONE_PARENT_SETTID) */
  sr_container_dir_t *dir;  /* its fds are the init's copies */
  sr_start_helper_t *helper; /* our part, done on a thread meanwhile */
  char *stack;              /* the init's stack: its lowest byte */
  volatile bool execing;    /* set just before execve */
  volatile bool failed;     /* set with err when setup failed */
  sr_error_t err;
  /* Under ASan: the runtime's stack, as ASan knew it, for switching back. */
  const void *asan_bottom;
  size_t asan_size;
} init_ctx_t;

static int
sync_send (int fd, int type, const char *msg, int errnum)
{
  struct sync_msg m = { .type = type, .errnum = errnum };
  size_t len = offsetof (struct sync_msg, msg);
  if (msg)
    {
      snprintf (m.msg, sizeof m.msg, "%s", msg);
      len += strlen (m.msg) + 1;
    }
  return send (fd, &m, len, MSG_NOSIGNAL) < 0 ? -1 : 0;
}

/* 0 on EOF, else the message type. */
static int
sync_recv (int fd, struct sync_msg *m)
{
  ssize_t n;
  memset (m, 0, sizeof *m);
  do
    n = recv (fd, m, sizeof *m - 1, 0);
  while (n < 0 && errno == EINTR);
  if (n <= 0)
    return 0;
  return m->type;
}

static bool
has_hooks (const sr_hook_list_t *l)
{
  return l->n > 0;
}

/* The state a hook run by the init gets on stdin. */
static char *
init_state_json (const init_ctx_t *x, const char *status)
{
  json_t *j = json_pack ("{s:s, s:s, s:s, s:i, s:s}", "ociVersion", OCI_SPEC_VERSION,
                         "id", x->o->id, "status", status, "pid", (int) x->host_pid,
                         "bundle", x->bundle);
  char *s = j ? json_dumps (j, JSON_COMPACT) : NULL;
  json_decref (j);
  return s;
}

/* Whether the init must wait for GO before any setup: a new user
 * namespace needs the id maps the runtime writes, a new cgroup namespace
 * is rooted at the cgroup the runtime moves us into, hooks that run
 * during setup talk to (or report to) the runtime, and a mount inside
 * the cgroup mount needs that mount complete in order. Everything else
 * in the setup depends on none of it: it runs while the runtime works,
 * on the other CPU. */
static bool
needs_go_first (const sr_config_t *c)
{
  const sr_hooks_t *h = &c->hooks;
  return sr_config_namespace (c, SR_NS_USER) || sr_config_namespace (c, SR_NS_CGROUP)
         || has_hooks (&h->prestart) || has_hooks (&h->create_runtime)
         || has_hooks (&h->create_container) || sr_mounts_cgroup_nested (c);
}

/* The vfork start's stand-in for GO: what the runtime does between the
 * clone and GO (make the cgroups, move us in, save the state) is done
 * meanwhile by its start helper, on the other CPU. */
static int
vfork_go (init_ctx_t *x, sr_error_t *err)
{
  x->host_pid = *x->ptid;
  if (sr_start_helper_wait (x->helper, err) < 0)
    return -1;
  /* The flock of the state dir belongs to the runtime. */
  close (x->dir->dirfd);
  close (x->dir->rootfd);
  return 0;
}

static int
wait_go (init_ctx_t *x, sr_error_t *err)
{
  if (x->vforked)
    return vfork_go (x, err);
  struct sync_msg m;
  if (sync_recv (x->sync_fd, &m) != SYNC_GO)
    return sr_error (err, 0, "the runtime went away during setup");
  x->host_pid = (pid_t) m.errnum;
  return 0;
}

/* Everything the init does between clone and execve. Returns only on
 * failure, with err set. */
static int
init_setup (init_ctx_t *x, sr_error_t *err)
{
  const sr_config_t *c = x->c;
  const sr_process_t *p = &c->process;
  const sr_hooks_t *h = &c->hooks;
  struct sync_msg m;
  char exe[PATH_MAX];
  bool early_seccomp = x->bpf && !p->no_new_privileges.v;
  bool go_first = needs_go_first (c);
  sr_v1_cgroups_t v1cg = { .fd = -1 };
  int nfds;

  if (go_first && wait_go (x, err) < 0)
    return -1;
  {
    const sr_namespace_t *pidns = sr_config_namespace (c, SR_NS_PID);
    sr_process_allow_dumpable_writes (pidns && pidns->path == NULL);
  }
  if (sr_ns_join (c, x->ns_fds, err) < 0)
    return -1;
  if (sr_config_namespace (c, SR_NS_USER) && sr_process_become_ns_root (x->sync_fd, err) < 0)
    return -1;
  if (sr_ns_unshare_late (c, err) < 0)
    return -1;
  if (sr_ns_apply_uts_sysctl (c, err) < 0 || sr_ns_loopback_up (c, err) < 0)
    return -1;
  if (sr_mounts_prepare_rootfs (c, x->rootfs, x->bundle, go_first ? NULL : &v1cg, err) < 0)
    return -1;
  if (has_hooks (&h->prestart) || has_hooks (&h->create_runtime))
    {
      sync_send (x->sync_fd, SYNC_HOOKS, NULL, 0);
      if (sync_recv (x->sync_fd, &m) != SYNC_HOOKS_DONE)
        return sr_error (err, 0, "the runtime went away during hooks");
    }
  if (has_hooks (&h->create_container))
    {
      /* Their paths resolve in the runtime namespace: run them before
       * pivot_root, inside the container's namespaces. */
      _cleanup_free_ char *state = init_state_json (x, "creating");
      if (state == NULL)
        return sr_error (err, ENOMEM, "hook state");
      if (sr_hooks_run (&h->create_container, "createContainer", state, err) < 0)
        return -1;
    }
  if (!go_first && wait_go (x, err) < 0)
    return -1;
  if (sr_mounts_fill_v1_cgroups (&v1cg, err) < 0)
    return -1;
  if (sr_mounts_pivot (x->rootfs, x->o->no_pivot, err) < 0)
    return -1;
  if (sr_mounts_finalize (c, err) < 0)
    return -1;
  if (p->terminal && x->console_fd >= 0
      && sr_terminal_setup (x->console_fd, p, err) < 0)
    return -1;
  if (sr_process_apply_privileged (p, err) < 0
      || sr_process_apply_personality (&c->linux_, err) < 0)
    return -1;
  if (!x->o->no_new_keyring && sr_process_new_keyring (x->o->id, err) < 0)
    return -1;
  /* Our own last syscalls (chdir, getcwd, close_range) come before a
   * filter loaded early, so a profile that denies them, as the
   * runtime-tools default does, still gets a container. */
  if (sr_process_chdir (p->cwd, err) < 0)
    return -1;
  /* Only stdio, --preserve-fds and LISTEN_FDS reach the workload. */
  nfds = 3 + x->o->preserve_fds;
  for (size_t i = 0; i < p->env.n; i++)
    if (strncmp (p->env.v[i], "LISTEN_FDS=", 11) == 0)
      {
        int n = atoi (p->env.v[i] + 11);
        if (n > 0 && n < 1024 && 3 + n > nfds)
          nfds = 3 + n;
      }
  if (syscall (SYS_close_range, nfds, ~0U, CLOSE_RANGE_CLOEXEC) < 0)
    return sr_error_errno (err, "mark fds close-on-exec");
  if (early_seccomp)
    {
      /* Without no_new_privs the filter needs CAP_SYS_ADMIN: load it
       * before the capabilities go, as runc does. */
      int r = sr_seccomp_load (x->bpf, x->seccomp_flags);
      if (r < 0)
        return sr_error (err, -r, "linux.seccomp: load the filter");
    }
  if (sr_process_apply_identity (p, err) < 0)
    return -1;
  if (sr_process_find_exec (p->args.v[0], (char *const *) p->env.v, exe,
                            sizeof exe, err) < 0)
    return -1;

  /* The runtime saved our state before GO: from here we may outlive it.
   * A runtime killed before this point takes us with it, and leaves
   * nothing that `delete` cannot find. */
  prctl (PR_SET_PDEATHSIG, 0, 0, 0, 0);
  if (x->sync_fd >= 0)
    sync_send (x->sync_fd, SYNC_READY, NULL, 0);
  if (x->exec_listen >= 0)
    {
      char b;
      /* The parent is gone once `create` returns: errors go to `start`. */
      close (x->sync_fd);
      x->sync_fd = -1;
      do
        x->conn = accept4 (x->exec_listen, NULL, NULL, SOCK_CLOEXEC);
      while (x->conn < 0 && errno == EINTR);
      if (x->conn < 0 || read (x->conn, &b, 1) != 1)
        _exit (1);
    }

  if (has_hooks (&h->start_container))
    {
      _cleanup_free_ char *state = init_state_json (x, "created");
      if (state == NULL)
        return sr_error (err, ENOMEM, "hook state");
      if (sr_hooks_run (&h->start_container, "startContainer", state, err) < 0)
        return -1;
    }
  if (x->bpf && !early_seccomp)
    {
      int r = sr_seccomp_load (x->bpf, x->seccomp_flags);
      if (r < 0)
        return sr_error (err, -r, "linux.seccomp: load the filter");
    }
  x->execing = true;
  execve (exe, (char *const *) p->args.v, (char *const *) p->env.v);
  return sr_error_errno (err, "exec \"%s\"", p->args.v[0]);
}

static void __attribute__ ((noreturn))
init_main (init_ctx_t *x)
{
  sr_error_t err = { 0 };
  /* Until execve this process is the runtime's binary: keep other
   * processes from opening it through /proc/PID/exe (CVE-2019-5736). */
  prctl (PR_SET_DUMPABLE, 0, 0, 0, 0);
  /* A runtime killed during setup takes its half-made init with it. */
  prctl (PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
  sr_reset_signals ();
  init_setup (x, &err);
  const char *msg = err.msg ? err.msg : "container init failed";
  if (x->vforked)
    {
      /* The text is in the runtime's heap, which it reads on resuming. */
      if (err.msg == NULL)
        sr_error (&err, 0, "%s", msg);
      x->err = err;
      x->failed = true;
    }
  else if (x->conn >= 0)
    /* The peer is `start`, which prints the bare text. */
    sr_write_all (x->conn, msg, strlen (msg));
  else if (x->sync_fd >= 0)
    sync_send (x->sync_fd, SYNC_ERROR, msg, err.errnum);
  _exit (127);
}

static void reap (pid_t pid);

static int
init_entry (void *arg)
{
  init_ctx_t *x = arg;
#ifdef SR_ASAN
  /* ASan's thread state is the runtime's (same memory, same TLS): tell it
   * we now run on the init's stack (vfork_init started the switch). */
  __sanitizer_finish_switch_fiber (NULL, &x->asan_bottom, &x->asan_size);
#endif
  /* The helper moves us into our cgroups while we set up. */
  sr_start_helper_publish_pid (x->helper, *x->ptid);
  init_main (x);
}

/* Whether `run` may start the init with CLONE_VM | CLONE_VFORK, as
 * posix_spawn does: no page tables copied, and none of the 50 or so
 * copy-on-write faults that a fork costs the runtime and the init after
 * it (16-55 us each on a VM: docs/performance.md). Only where the cgroups
 * are v1, which the init must join by writing cgroup.procs anyway: on v2
 * the fork path clones it straight into its cgroup and overlaps the
 * runtime's work with its setup, and measured faster in the cgroup v2 VM
 * (0.31 of crun against 0.38 with vfork, even with clone3 into the cgroup).
 * The runtime's part is done meanwhile by its start helper, a thread
 * (start_helper.h), so nothing may need the runtime itself while the init
 * sets up, and no step may need an mm of its own: no user namespace (the
 * runtime writes its id maps), no time namespace (setns refuses a process
 * whose mm is shared), no hooks that run before the workload starts. */
static bool
vfork_start_ok (const sr_create_opts_t *o, const sr_config_t *c)
{
  const sr_hooks_t *h = &c->hooks;
  return o->start_now && sr_config_namespace (c, SR_NS_USER) == NULL
         && sr_config_namespace (c, SR_NS_TIME) == NULL && !has_hooks (&h->prestart)
         && !has_hooks (&h->create_runtime) && !has_hooks (&h->create_container)
         && !has_hooks (&h->start_container);
}

/* The stacks of the vfork start, in one mapping: the start helper's,
 * then the init's (ours stays as it is while we are suspended). Each has
 * a guard below it and its top pre-faulted in one call, cheaper than
 * faulting it page by page. They stay mapped until we exit: unmapping
 * costs 0.3-0.6 ms here (a TLB shootdown to the CPU the init ran on, in a
 * VM), more than the 64 KiB they hold is worth. */
enum {
  STACK_GUARD = 64 << 10,
  HELPER_STACK_SIZE = 256 << 10,
  INIT_STACK_SIZE = 512 << 10,
  STACK_HOT = 32 << 10,
  STACKS_SIZE = STACK_GUARD + HELPER_STACK_SIZE + STACK_GUARD + INIT_STACK_SIZE
};

static int
stack_map_at (char *lo, size_t size)
{
  if (mmap (lo, size, PROT_READ | PROT_WRITE,
            MAP_FIXED | MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_STACK, -1, 0)
      == MAP_FAILED)
    return -1;
  /* Best effort: without it the pages fault in as they are used. */
  madvise (lo + size - STACK_HOT, STACK_HOT, MADV_POPULATE_WRITE);
  return 0;
}

/* The mapping's base: the helper's stack starts STACK_GUARD above it, the
 * init's (INIT_STACK_SIZE) STACK_GUARD above the helper's. */
static char *
stacks_map (void)
{
  char *base = mmap (NULL, STACKS_SIZE, PROT_NONE,
                     MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (base == MAP_FAILED)
    return NULL;
  if (stack_map_at (base + STACK_GUARD, HELPER_STACK_SIZE) < 0
      || stack_map_at (base + STACKS_SIZE - INIT_STACK_SIZE, INIT_STACK_SIZE) < 0)
    {
      munmap (base, STACKS_SIZE);
      return NULL;
    }
  return base;
}

/* Starts the init with CLONE_VM | CLONE_VFORK and returns once it has
 * exec'd the workload (its pid) or failed (-1, with its reason). */
static pid_t
vfork_init (init_ctx_t *x, int ns_flags, sr_error_t *err)
{
  volatile pid_t ptid = 0;
  char *stack = x->stack;
  int dumpable, e;
  pid_t pid;

  x->vforked = true;
  x->ptid = &ptid;
  /* The init makes our shared mm non-dumpable; ours is restored after. */
  dumpable = prctl (PR_GET_DUMPABLE, 0, 0, 0, 0);
#ifdef SR_ASAN
  void *fake = NULL;
  __sanitizer_start_switch_fiber (&fake, stack, INIT_STACK_SIZE);
#endif
  pid = clone (init_entry, stack + INIT_STACK_SIZE,
               ns_flags | CLONE_VM | CLONE_VFORK | CLONE_PARENT_SETTID | SIGCHLD, x,
               &ptid);
  e = errno;
#ifdef SR_ASAN
  /* Back on our stack (the init's is done with: exec'd or gone). An init
   * that never ran (a failed clone) never finished the switch: finish it
   * here, which tells us our own stack, then switch back the same way. */
  if (x->asan_size == 0)
    {
      __sanitizer_finish_switch_fiber (fake, &x->asan_bottom, &x->asan_size);
      __sanitizer_start_switch_fiber (&fake, x->asan_bottom, x->asan_size);
    }
  else
    __sanitizer_start_switch_fiber (NULL, x->asan_bottom, x->asan_size);
  __sanitizer_finish_switch_fiber (fake, NULL, NULL);
#endif
  /* Before any reap below: the helper may still write the pid. */
  sr_start_helper_join (x->helper);
#ifndef __GLIBC__
  /* Gone without exec'ing, and not by returning its error: it may have
   * died holding the heap's lock (sr_alloc_unlock_after_death). */
  if (pid > 0 && !x->execing && !x->failed)
    sr_alloc_unlock_after_death ();
#endif
  if (dumpable > 0)
    prctl (PR_SET_DUMPABLE, dumpable, 0, 0, 0);
  if (pid < 0)
    return sr_error (err, e, "clone the container's init");
  if (x->failed)
    {
      sr_error_clear (err);
      *err = x->err;
      memset (&x->err, 0, sizeof x->err);
      reap (pid);
      return -1;
    }
  if (!x->execing)
    {
      reap (pid);
      return sr_error (err, 0, "the container's init exited during setup");
    }
  return pid;
}

/* The start path takes about a dozen fresh page faults in the heap, at
 * 10-14 us each here; one MADV_POPULATE_WRITE over the first 96 KiB of the
 * heap costs 2-4 us a page, and skips pages already there (64, 96 and 160
 * KiB measured the same). Not done for commands that use little heap
 * (state, kill: measured slower). */
enum { PREFAULT_HEAP = 96u << 10 };

static void
prefault_heap (void)
{
#ifdef __GLIBC__
  struct mallinfo2 mi = mallinfo2 ();
  uintptr_t top = (uintptr_t) sbrk (0);
  size_t n = mi.arena < PREFAULT_HEAP ? mi.arena : PREFAULT_HEAP;

  if (n && top > mi.arena)
    madvise ((void *) ((top - mi.arena) & ~(uintptr_t) 4095), n, MADV_POPULATE_WRITE);
#else
  sr_alloc_prefault (PREFAULT_HEAP);
#endif
}

int
sr_write_pid_file (const char *path, pid_t pid, sr_error_t *err)
{
  char buf[32], tmp[PATH_MAX];
  int n = snprintf (buf, sizeof buf, "%d", (int) pid);
  if (snprintf (tmp, sizeof tmp, "%s.tmp%d", path, (int) getpid ()) >= (int) sizeof tmp)
    return sr_error (err, ENAMETOOLONG, "--pid-file %s", path);
  /* A name planted in a shared directory (a symlink, a file) is
   * replaced, never written through. */
  unlink (tmp);
  _cleanup_close_ int fd = open (tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0644);
  if (fd < 0 || sr_write_all (fd, buf, (size_t) n) < 0)
    {
      int e = errno;
      if (fd >= 0)
        unlink (tmp);
      return sr_error (err, e, "--pid-file %s", path);
    }
  if (rename (tmp, path) < 0)
    {
      int e = errno;
      unlink (tmp);
      return sr_error (err, e, "--pid-file %s", path);
    }
  return 0;
}

static int
exec_socket_listen (int dirfd, sr_error_t *err)
{
  struct sockaddr_un addr = { .sun_family = AF_UNIX };
  int fd = socket (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0)
    return sr_error_errno (err, "exec socket");
  /* The state dir path may be long: bind through our fd of it. */
  snprintf (addr.sun_path, sizeof addr.sun_path, "/proc/self/fd/%d/%s", dirfd,
            SR_EXEC_SOCK);
  if (bind (fd, (struct sockaddr *) &addr, sizeof addr) < 0 || listen (fd, 1) < 0)
    {
      int e = errno;
      close (fd);
      return sr_error (err, e, "exec socket");
    }
  if (fchmodat (dirfd, SR_EXEC_SOCK, 0600, 0) < 0)
    {
      int e = errno;
      close (fd);
      return sr_error (err, e, "exec socket");
    }
  return fd;
}

/* NOTIFY_SOCKET: the workload's own socket lives in the state dir. */
static int
add_notify_socket (json_t *j, const sr_create_opts_t *o, sr_error_t *err)
{
  _cleanup_free_ char *cwd = NULL;
  _cleanup_free_ char *dir = NULL;

  if (o->root[0] != '/' && (cwd = getcwd (NULL, 0)) == NULL)
    return sr_error_errno (err, "getcwd");
  if (asprintf (&dir, "%s%s%s/%s", cwd ? cwd : "", cwd ? "/" : "", o->root, o->id) < 0)
    return sr_error (err, ENOMEM, "NOTIFY_SOCKET");
  return sr_notify_config (j, dir, err);
}

static char *
state_json_str (const sr_state_t *st, sr_status_t status)
{
  json_t *j = sr_state_to_json (st, status);
  char *s = json_dumps (j, JSON_COMPACT);
  json_decref (j);
  return s;
}

static char *
resolve_rootfs (const char *bundle, const sr_config_t *c, sr_error_t *err)
{
  _cleanup_free_ char *joined = NULL;
  char *real;
  struct stat st;

  if (c->root_path == NULL)
    return sr_error (err, 0, "root.path: required"), NULL;
  joined = c->root_path[0] == '/' ? strdup (c->root_path)
                                  : sr_path_join (bundle, c->root_path);
  if (joined == NULL)
    return sr_error (err, ENOMEM, "root.path"), NULL;
  /* The bundle is canonical already: "rootfs" below it, a directory and
   * not a symlink, is too, without realpath's readlink per component. */
  if (c->root_path[0] != '/' && c->root_path[0] != '\0' && strchr (c->root_path, '/') == NULL
      && strcmp (c->root_path, ".") != 0 && strcmp (c->root_path, "..") != 0
      && lstat (joined, &st) == 0 && S_ISDIR (st.st_mode))
    return sr_steal_ptr (joined);
  real = realpath (joined, NULL);
  if (real == NULL)
    return sr_error_errno (err, "root.path: %s", joined), NULL;
  if (stat (real, &st) < 0 || !S_ISDIR (st.st_mode))
    {
      free (real);
      return sr_error (err, ENOTDIR, "root.path: %s", joined), NULL;
    }
  if (strcmp (real, "/") == 0)
    {
      free (real);
      return sr_error (err, EINVAL, "root.path: %s is the host's root directory", joined), NULL;
    }
  return real;
}

int
sr_wait_pid_gone (pid_t pid, uint64_t start, int timeout_ms)
{
  _cleanup_close_ int pfd = (int) syscall (SYS_pidfd_open, pid, 0);
  if (pfd < 0 || !sr_proc_alive (pid, start))
    return 0;
  struct pollfd p = { .fd = pfd, .events = POLLIN };
  int r;
  do
    r = poll (&p, 1, timeout_ms);
  while (r < 0 && errno == EINTR);
  return r > 0 || !sr_proc_alive (pid, start) ? 0 : -1;
}

static void
reap (pid_t pid)
{
  while (waitpid (pid, NULL, 0) < 0 && errno == EINTR)
    ;
}

int
sr_container_create (const sr_create_opts_t *o, pid_t *pid_out, sr_error_t *err)
{
  _cleanup_free_ char *bundle = NULL;
  _cleanup_free_ char *text = NULL;
  _cleanup_free_ char *rootfs = NULL;
  _cleanup_free_ char *cfgpath = NULL;
  _cleanup_close_ int exec_listen = -1;
  _cleanup_close_ int console_fd = -1;
  sr_config_t *c = NULL;
  sr_container_dir_t d = { .rootfd = -1, .dirfd = -1 };
  sr_cgroup_t *cg = NULL;
  bool cg_first = true;
  sr_bpf_t bpf = { 0 };
  bool have_bpf = false;
  const char *notify_host = NULL;
  _cleanup_close_ int notify_fd = -1;
  unsigned int scmp_flags = 0;
  int ns_fds[SR_NS_COUNT];
  int sv[2] = { -1, -1 };
  pid_t pid = -1;
  size_t len;
  int ret = -1;
  char created[64];
  sr_state_t st = { 0 };
  sr_state_text_t stt = { 0 };
  sr_start_helper_t helper = { 0 };
  char *stacks = NULL;
  bool raw_config = false;
  bool vforked = false;
  size_t raw_off = 0, raw_len = 0;
  bool have_raw = false, raw_hit = false;
  _cleanup_free_ char *cache_dir = sr_path_join (o->root, SR_SECCOMP_CACHE);
  struct sync_msg m;

  for (int i = 0; i < SR_NS_COUNT; i++)
    ns_fds[i] = -1;

  /* Everything that can be checked is checked before anything exists. */
  if (sr_id_validate (o->id, err) < 0)
    return -1;
  prefault_heap ();
  bundle = realpath (o->bundle ? o->bundle : ".", NULL);
  if (bundle == NULL)
    return sr_error_errno (err, "bundle %s", o->bundle ? o->bundle : ".");
  cfgpath = sr_path_join (bundle, "config.json");
  if (sr_read_file_at (AT_FDCWD, cfgpath, &text, &len, err) < 0)
    return -1;
  if (cache_dir == NULL)
    return sr_error (err, ENOMEM, "seccomp cache path");
  {
    /* The security floor is applied to the JSON before anything reads it;
     * the tightened config is what is saved, so exec sees it too. */
    sr_policy_t *pol = NULL;
    bool bad = false;
    _cleanup_free_ char *blanked = NULL;
    json_t *j;

    notify_host = sr_notify_host (&bad, err);
    if (bad || sr_policy_load (o->policy, &pol, err) < 0)
      {
        sr_policy_free (pol);
        return -1;
      }
    /* Unchanged by a policy or NOTIFY_SOCKET, the config is saved as
     * read, without serialising it again; and a seccomp profile whose
     * exact bytes were compiled before is not parsed at all: its filter
     * comes from the raw cache, and the parse sees null in its place
     * (blanked, newlines kept, so error positions stay true). */
    raw_config = pol == NULL && notify_host == NULL;
    if (raw_config && sr_seccomp_find_raw (text, len, &raw_off, &raw_len))
      {
        have_raw = true;
        raw_hit = sr_seccomp_lookup_raw (cache_dir, text + raw_off, raw_len, &bpf, &scmp_flags);
        if (raw_hit && (blanked = malloc (len)) == NULL)
          {
            sr_policy_free (pol);
            sr_bpf_release (&bpf);
            return sr_error (err, ENOMEM, "config.json");
          }
        if (raw_hit)
          {
            memcpy (blanked, text, len);
            for (size_t i = 0; i < raw_len; i++)
              if (blanked[raw_off + i] != '\n')
                blanked[raw_off + i] = ' ';
            memcpy (blanked + raw_off, "null", 4);
            have_bpf = true;
          }
      }
    j = sr_json_parse (blanked ? blanked : text, len, "config.json", err);
    if (j && raw_hit)
      json_object_del (json_object_get (j, "linux"), "seccomp");
    if (j == NULL || sr_policy_apply (pol, j, err) < 0
        || (notify_host && add_notify_socket (j, o, err) < 0))
      {
        json_decref (j);
        sr_policy_free (pol);
        if (have_bpf)
          sr_bpf_release (&bpf);
        return -1;
      }
    c = sr_config_from_json (j, err);
    sr_policy_free (pol);
    if (c == NULL)
      {
        if (have_bpf)
          sr_bpf_release (&bpf);
        return -1;
      }
  }
  if (!c->has_process)
    {
      sr_error (err, 0, "process: required to create a container");
      goto out;
    }
  rootfs = resolve_rootfs (bundle, c, err);
  if (rootfs == NULL)
    goto out;
  if (sr_config_namespace (c, SR_NS_MOUNT) == NULL)
    {
      sr_error (err, 0, "linux.namespaces: a mount namespace is required");
      goto out;
    }
  {
    /* An init that shares its pid namespace is visible before it execs:
     * run it from a sealed copy of ourselves (sealed_exe.c). So is one
     * left waiting for `start`, to what `exec` puts in the container: with
     * CAP_SYS_PTRACE of the host's user namespace (a container without a
     * user namespace whose bounding set has it; exec never gets more) that
     * opens /proc/1/exe despite non-dumpable. */
    const sr_namespace_t *pidns = sr_config_namespace (c, SR_NS_PID);
    const uint64_t ptrace = UINT64_C (1) << CAP_SYS_PTRACE;
    bool exec_may_ptrace = !o->start_now && sr_config_namespace (c, SR_NS_USER) == NULL
                           && c->process.caps.set && (c->process.caps.bounding & ptrace);
    if ((pidns == NULL || pidns->path != NULL || exec_may_ptrace) && sr_reexec_sealed (err) < 0)
      goto out;
  }
  if (c->process.terminal && o->console_socket == NULL && o->console_fd < 0
      && o->console_pair == NULL)
    {
      sr_error (err, 0, "process.terminal is true: --console-socket is required "
                "when the container is not run in the foreground");
      goto out;
    }
  if (!raw_hit && c->linux_.seccomp.set)
    {
      if (sr_seccomp_flags (&c->linux_.seccomp, &scmp_flags, err) < 0
          || sr_seccomp_compile_cached (&c->linux_.seccomp, sr_config_seccomp_json (c), cache_dir, &bpf, err) < 0)
        goto out;
      have_bpf = true;
      if (have_raw)
        sr_seccomp_store_raw (cache_dir, text + raw_off, raw_len, &bpf, scmp_flags);
    }
  if (sr_ns_open_paths (c, ns_fds, err) < 0)
    goto out;

  sr_process_probe_lsm (&c->process);
  if (sr_container_dir_open (o->root, o->id, true, &d, err) < 0)
    goto out;
  /* From here a failure must remove the state dir and all it names. The
   * cgroup's path is recorded before it exists: if we are killed before
   * state.json is written, `delete --force` still finds it. */
  {
    _cleanup_free_ char *cgpath = NULL;
    if (sr_cgroup_resolve_path (o->id, &c->linux_, &cgpath, err) < 0)
      goto fail;
    if (symlinkat (cgpath, d.dirfd, SR_CGROUP_RECORD) < 0)
      {
        sr_error_errno (err, "record the cgroup path");
        goto fail;
      }
  }
  /* clone3 puts the init straight into a v2 cgroup, which must exist by
   * then; v1 cgroups are made while the init sets up (it needs them only
   * when it binds them into /sys/fs/cgroup, after GO): by us after the
   * clone, or for a vfork start, while we are suspended, by the start
   * helper, which starts on them now. */
  cg_first = sr_cgroup_detect () != SR_CG_V1;
  vforked = !cg_first && vfork_start_ok (o, c);
  if (cg_first && sr_cgroup_create (o->id, &c->linux_, &cg, err) < 0)
    goto fail;
  if (vforked)
    {
      helper.id = o->id;
      helper.linux_ = &c->linux_;
      helper.dir = &d;
      helper.st = &st;
      helper.stt = &stt;
      /* Without its stacks or its thread (RLIMIT_NPROC, a pids limit on
       * us), the start takes the plain clone path instead. */
      sr_error_t e2 = { 0 };
      if ((stacks = stacks_map ()) == NULL
          || sr_start_helper_run (&helper, stacks + STACK_GUARD, HELPER_STACK_SIZE, &e2) < 0)
        {
          sr_log_debug ("vfork start unavailable (%s): plain clone",
                        e2.msg ? e2.msg : "no stack");
          sr_error_clear (&e2);
          if (stacks)
            munmap (stacks, STACKS_SIZE);
          stacks = NULL;
          vforked = false;
        }
    }
  if (!o->start_now && (exec_listen = exec_socket_listen (d.dirfd, err)) < 0)
    goto fail;
  /* Bound before the workload can speak. create's socket closes when it
   * returns (the directory stays mounted in the container); start binds a
   * fresh one there before it releases the init. */
  if (notify_host && (notify_fd = sr_notify_listen (d.dirfd, err)) < 0)
    goto fail;
  if (o->console_socket && (console_fd = sr_terminal_connect (o->console_socket, err)) < 0)
    goto fail;
  if (o->console_fd >= 0 && (console_fd = fcntl (o->console_fd, F_DUPFD_CLOEXEC, 3)) < 0)
    {
      sr_error_errno (err, "console");
      goto fail;
    }
  if (o->console_pair && o->console_socket == NULL && c->process.terminal)
    {
      int pair[2];
      if (socketpair (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) < 0)
        {
          sr_error_errno (err, "process.terminal: socket for the pty master");
          goto fail;
        }
      console_fd = pair[1];
      *o->console_pair = pair[0];
    }
  if (!vforked && socketpair (AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
    {
      sr_error_errno (err, "socketpair");
      goto fail;
    }
  /* Serialised before the clone: afterwards each page we write is a
   * copy-on-write fault, with the init's memory shared with ours. */
  sr_rfc3339_now (created, sizeof created);
  st.id = (char *) o->id;
  st.bundle = bundle;
  st.rootfs = rootfs;
  st.created = created;
  st.owner = (char *) "root";
  st.systemd_cgroup = o->systemd_cgroup;
  st.no_new_keyring = o->no_new_keyring;
  st.config = c->json; /* borrowed: saved in state.json with the rest */
  if (c->n_annotations)
    {
      st.annotations = json_object ();
      for (size_t i = 0; i < c->n_annotations; i++)
        json_object_set_new (st.annotations, c->annotations[i].key,
                             json_string (c->annotations[i].value));
    }
  if (sr_state_prepare (&st, raw_config ? text : NULL, len, &stt, err) < 0)
    goto fail;

  {
    struct sr_clone_args ca = { .flags = (uint64_t) sr_ns_clone_flags (c),
                                .exit_signal = SIGCHLD };
    int cgfd = cg ? sr_cgroup_dirfd (cg) : -1;
    if (ns_fds[SR_NS_PID] >= 0 && setns (ns_fds[SR_NS_PID], CLONE_NEWPID) < 0)
      {
        sr_error_errno (err, "linux.namespaces: join the pid namespace");
        goto fail;
      }
    if (vforked)
      {
        init_ctx_t x = { .o = o, .c = c, .rootfs = rootfs, .bundle = bundle,
                         .sync_fd = -1, .exec_listen = exec_listen,
                         .console_fd = console_fd, .conn = -1, .ns_fds = ns_fds,
                         .bpf = have_bpf ? &bpf : NULL, .seccomp_flags = scmp_flags,
                         .dir = &d, .helper = &helper,
                         .stack = stacks + STACKS_SIZE - INIT_STACK_SIZE };
        pid = vfork_init (&x, sr_ns_clone_flags (c), err);
        cg = sr_steal_ptr (helper.cg);
        if (pid < 0)
          goto fail;
        /* The helper has moved it into its cgroups and saved its state,
         * and it has exec'd the workload. */
        sr_ns_close_paths (ns_fds);
        goto started;
      }
    if (cgfd >= 0)
      {
        ca.flags |= CLONE_INTO_CGROUP;
        ca.cgroup = (uint64_t) cgfd;
      }
    pid = (pid_t) syscall (SYS_clone3, &ca, sizeof ca);
    if (pid < 0)
      {
        sr_error_errno (err, "clone3 the container's init");
        goto fail;
      }
    if (pid == 0)
      {
        init_ctx_t x = { .o = o, .c = c, .rootfs = rootfs, .bundle = bundle,
                         .sync_fd = sv[1],
                         .exec_listen = exec_listen, .console_fd = console_fd, .conn = -1,
                         .ns_fds = ns_fds, .bpf = have_bpf ? &bpf : NULL,
                         .seccomp_flags = scmp_flags };
        /* The flock of the state dir belongs to this command: an inherited
         * copy would block `start`. */
        close (sv[0]);
        close (d.dirfd);
        close (d.rootfd);
        init_main (&x);
      }
    if (!cg_first && sr_cgroup_create (o->id, &c->linux_, &cg, err) < 0)
      goto fail;
    if (cgfd < 0 && sr_cgroup_enter (cg, pid, err) < 0)
      goto fail;
  }
  close (sv[1]);
  sv[1] = -1;
  sr_ns_close_paths (ns_fds);

  if (sr_config_namespace (c, SR_NS_USER) && sr_config_namespace (c, SR_NS_USER)->path == NULL
      && sr_ns_write_id_maps (pid, &c->linux_, err) < 0)
    goto fail;

  st.pid = pid;
  st.pid_start = sr_proc_start_time (pid);
  st.cgroup = sr_cgroup_to_json (cg);
  /* Saved before the init may go on: whatever happens next, `state` and
   * `delete` find the container (its status follows the init's pid). */
  if (sr_state_commit (&d, &stt, &st, err) < 0)
    goto fail;
  /* An init that failed already has left its reason in the socket; the
   * loop reads it whether or not GO could still be sent. */
  sync_send (sv[0], SYNC_GO, NULL, (int) pid);
  for (bool ready = false;;)
    {
      int t = sync_recv (sv[0], &m);
      if (t == SYNC_READY && !o->start_now)
        break;
      if (t == SYNC_READY && !ready)
        {
          ready = true;
          continue;
        }
      if (t == 0 && ready)
        break; /* execve closed the socket */
      if (t == SYNC_ERROR)
        {
          /* The text already carries strerror. */
          sr_error (err, 0, "%s", m.msg);
          err->errnum = m.errnum;
          goto fail;
        }
      if (t == SYNC_HOOKS && !ready)
        {
          /* prestart (deprecated) has always seen a created container, as
           * crun shows it and runtime-tools checks; createRuntime runs while
           * the container is still being created. */
          _cleanup_free_ char *pre = state_json_str (&st, SR_STATUS_CREATED);
          _cleanup_free_ char *s = state_json_str (&st, SR_STATUS_CREATING);
          if (sr_hooks_run (&c->hooks.prestart, "prestart", pre, err) < 0
              || sr_hooks_run (&c->hooks.create_runtime, "createRuntime", s, err) < 0)
            goto fail;
          sync_send (sv[0], SYNC_HOOKS_DONE, NULL, 0);
          continue;
        }
      sr_error (err, 0, "the container's init exited during setup");
      goto fail;
    }

started:
  if (o->pid_file && sr_write_pid_file (o->pid_file, pid, err) < 0)
    goto fail;
  if (o->start_now)
    {
      _cleanup_free_ char *s = state_json_str (&st, SR_STATUS_RUNNING);
      sr_hooks_run_warn (&c->hooks.poststart, "poststart", s);
    }
  *pid_out = pid;
  if (o->notify_fd && o->start_now)
    *o->notify_fd = sr_steal_fd (notify_fd);
  if (o->keep_dir && o->keep_state)
    {
      /* `run` destroys the container when it exits: with what we have in
       * memory, instead of reading and parsing state.json again. Other
       * commands may take the lock meanwhile. */
      sr_state_t *k = o->keep_state;
      memset (k, 0, sizeof *k);
      k->id = strdup (o->id);
      k->bundle = sr_steal_ptr (bundle);
      k->rootfs = sr_steal_ptr (rootfs);
      k->pid = pid;
      k->pid_start = st.pid_start;
      k->created = strdup (created);
      k->owner = strdup ("root");
      k->systemd_cgroup = o->systemd_cgroup;
      k->no_new_keyring = o->no_new_keyring;
      k->cgroup = sr_steal_ptr (st.cgroup);
      k->annotations = sr_steal_ptr (st.annotations);
      k->config = json_incref (c->json);
      flock (d.dirfd, LOCK_UN);
      *o->keep_dir = d;
      d.rootfd = d.dirfd = -1;
      d.id = NULL;
    }
  ret = 0;
  goto out;

fail:
  /* A helper still running made cgroups that are ours to remove. */
  sr_start_helper_join (&helper);
  if (helper.cg)
    cg = sr_steal_ptr (helper.cg);
  if (pid > 0)
    {
      /* The init works while we do: a failure of ours (joining a cgroup it
       * already left) may follow from its own, which is the one to say. */
      struct sync_msg em = { 0 };
      if (sv[0] >= 0 && recv (sv[0], &em, sizeof em - 1, MSG_DONTWAIT) > 0
          && em.type == SYNC_ERROR)
        {
          sr_error_clear (err);
          sr_error (err, 0, "%s", em.msg);
          err->errnum = em.errnum;
        }
      kill (pid, SIGKILL);
      reap (pid);
    }
  if (cg)
    {
      sr_error_t e2 = { 0 };
      if (sr_cgroup_destroy (cg, &e2) < 0)
        sr_log_warn ("%s", e2.msg);
      sr_error_clear (&e2);
      cg = NULL;
    }
  if (d.dirfd >= 0)
    {
      sr_error_t e2 = { 0 };
      sr_container_dir_remove (&d, false, &e2);
      sr_error_clear (&e2);
    }
out:
  sr_start_helper_join (&helper);
  sr_error_clear (&helper.err);
  sr_ns_close_paths (ns_fds);
  if (sv[0] >= 0)
    close (sv[0]);
  if (sv[1] >= 0)
    close (sv[1]);
  json_decref (st.cgroup);
  json_decref (st.annotations);
  sr_state_text_release (&stt);
  if (cg)
    sr_cgroup_free (cg);
  if (have_bpf)
    sr_bpf_release (&bpf);
  sr_container_dir_close (&d);
  sr_config_free (c);
  return ret;
}

/* Whether the saved config has hooks of KIND: the whole config is parsed
 * only then. */
static bool
state_has_hooks (const sr_state_t *st, const char *kind)
{
  return json_array_size (json_object_get (json_object_get (st->config, "hooks"), kind)) > 0;
}

sr_config_t *
sr_state_config (const sr_state_t *st, sr_error_t *err)
{
  if (st->config == NULL)
    {
      sr_error (err, 0, "container \"%s\": its state has no config", st->id);
      return NULL;
    }
  return sr_config_from_json (json_incref (st->config), err);
}

int
sr_container_start (sr_container_dir_t *d, sr_state_t *st, sr_error_t *err)
{
  struct sockaddr_un addr = { .sun_family = AF_UNIX };
  _cleanup_close_ int fd = socket (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  char buf[4096];
  size_t n = 0;
  sr_config_t *c;

  _cleanup_close_ int notify_fd = -1;
  bool bad = false;
  const char *notify_host = sr_notify_host (&bad, err);

  if (bad)
    return -1;
  if (fd < 0)
    return sr_error_errno (err, "socket");
  /* Only a container created with NOTIFY_SOCKET has the directory. */
  if (notify_host && faccessat (d->dirfd, SR_NOTIFY_DIR, F_OK, AT_SYMLINK_NOFOLLOW) == 0
      && (notify_fd = sr_notify_listen (d->dirfd, err)) < 0)
    return -1;
  snprintf (addr.sun_path, sizeof addr.sun_path, "/proc/self/fd/%d/%s",
            d->dirfd, SR_EXEC_SOCK);
  if (connect (fd, (struct sockaddr *) &addr, sizeof addr) < 0)
    return sr_error_errno (err, "container \"%s\": reach its init", st->id);
  if (write (fd, "s", 1) != 1)
    return sr_error_errno (err, "container \"%s\": release its init", st->id);
  /* EOF without a word means execve succeeded (the socket is CLOEXEC). */
  for (;;)
    {
      ssize_t r = read (fd, buf + n, sizeof buf - 1 - n);
      if (r < 0 && errno == EINTR)
        continue;
      if (r <= 0 || (n += (size_t) r) >= sizeof buf - 1)
        break;
    }
  unlinkat (d->dirfd, SR_EXEC_SOCK, 0);
  if (n > 0)
    {
      buf[n] = '\0';
      /* The init sent its text, then a sync message: keep the text. */
      return sr_error (err, 0, "%s", buf);
    }
  if (!state_has_hooks (st, "poststart"))
    c = NULL;
  else if ((c = sr_state_config (st, err)) == NULL)
    return -1;
  if (c && c->hooks.poststart.n)
    {
      _cleanup_free_ char *s = state_json_str (st, SR_STATUS_RUNNING);
      sr_hooks_run_warn (&c->hooks.poststart, "poststart", s);
    }
  sr_config_free (c);
  /* As runc: start returns once the workload is ready (or gone), and
   * systemd watches the workload's init from then on. */
  if (notify_fd >= 0)
    return sr_notify_forward (notify_fd, notify_host, st->pid, st->pid, err);
  return 0;
}

int
sr_container_destroy (sr_container_dir_t *d, sr_state_t *st, bool park, sr_error_t *err)
{
  sr_cgroup_t *cg = NULL;
  sr_config_t *c;
  sr_error_t e2 = { 0 };

  if (st->cgroup && sr_cgroup_from_json (st->cgroup, &cg, &e2) < 0)
    {
      sr_log_warn ("%s", e2.msg);
      sr_error_clear (&e2);
    }
  if (st->pid > 0 && sr_proc_alive (st->pid, st->pid_start))
    {
      _cleanup_close_ int pfd = (int) syscall (SYS_pidfd_open, st->pid, 0);
      if (pfd >= 0 && sr_proc_alive (st->pid, st->pid_start))
        syscall (SYS_pidfd_send_signal, pfd, SIGKILL, NULL, 0);
      if (cg && sr_cgroup_kill (cg, SIGKILL, &e2) < 0)
        sr_error_clear (&e2);
      sr_wait_pid_gone (st->pid, st->pid_start, 5000);
    }
  if (cg && sr_cgroup_destroy (cg, &e2) < 0)
    {
      sr_log_warn ("%s", e2.msg);
      sr_error_clear (&e2);
    }
  if (st->interrupted)
    {
      /* Only the path recorded before the cgroup was made is known: its
       * empty leaves go (sr_cgroup_remove_orphan). */
      char path[4096];
      ssize_t n = readlinkat (d->dirfd, SR_CGROUP_RECORD, path, sizeof path - 1);
      if (n > 0)
        {
          path[n] = '\0';
          if (sr_cgroup_remove_orphan (path, &e2) < 0)
            sr_log_warn ("%s", e2.msg);
          sr_error_clear (&e2);
        }
    }
  c = state_has_hooks (st, "poststop") ? sr_state_config (st, &e2) : NULL;
  sr_error_clear (&e2);
  if (c && c->hooks.poststop.n)
    {
      _cleanup_free_ char *s = state_json_str (st, SR_STATUS_STOPPED);
      sr_hooks_run_warn (&c->hooks.poststop, "poststop", s);
    }
  sr_config_free (c);
  return sr_container_dir_remove (d, park, err);
}

int
sr_container_reclaim (sr_container_dir_t *d, sr_state_t *st, sr_error_t *err)
{
  int r = 0;

  while (flock (d->dirfd, LOCK_EX) < 0)
    if (errno != EINTR)
      {
        r = sr_error_errno (err, "lock the state of \"%s\"", st->id);
        break;
      }
  /* A `delete --force` meanwhile removed it all, or something parked it
   * and another container took it under its own id, or ours: either way
   * it is no longer ours to remove. (We hold the lock now: whoever parks
   * or removes a dir holds its lock, so the name stays ours after.) */
  if (r == 0 && sr_container_dir_is_named (d))
    {
      /* Our caller reaped the init: no need to look for it in /proc. */
      st->pid = 0;
      r = sr_container_destroy (d, st, true, err);
    }
  sr_container_dir_close (d);
  sr_state_release (st);
  return r;
}

int
sr_forward_until_exit (pid_t pid, int term_as)
{
  sigset_t all, old;
  int status = 0;

  /* Signals a crash of our own must still kill us, not be forwarded. */
  sigfillset (&all);
  sigdelset (&all, SIGSEGV);
  sigdelset (&all, SIGBUS);
  sigdelset (&all, SIGILL);
  sigdelset (&all, SIGFPE);
  sigprocmask (SIG_BLOCK, &all, &old);
  for (;;)
    {
      pid_t r = waitpid (pid, &status, WNOHANG);
      if (r == pid || (r < 0 && errno == ECHILD))
        break;
      siginfo_t si;
      int sig = sigwaitinfo (&all, &si);
      if (sig < 0 || sig == SIGCHLD)
        continue;
      kill (pid, sig == SIGTERM && term_as > 0 ? term_as : sig);
    }
  sigprocmask (SIG_SETMASK, &old, NULL);
  if (WIFEXITED (status))
    return WEXITSTATUS (status);
  if (WIFSIGNALED (status))
    return 128 + WTERMSIG (status);
  return 1;
}
