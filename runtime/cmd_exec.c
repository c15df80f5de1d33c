/* secrun exec: a new process inside a running container, with the
 * container's namespaces, cgroup and seccomp filter, and never more
 * capabilities than the container's bounding set. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <sched.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "caps.h"
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cgroup.h"
#include "cleanup.h"
#include "commands.h"
#include "container.h"
#include "log.h"
#include "process.h"
#include "sealed_exe.h"
#include "seccomp_bpf.h"
#include "terminal.h"
#include "utils.h"

#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif
#ifndef CLONE_INTO_CGROUP
#define CLONE_INTO_CGROUP 0x200000000ULL
#endif
#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif

struct exec_args {
  const char *process_file, *console_socket, *pid_file, *cwd, *user;
  const char *apparmor, *label;
  bool tty, detach, no_new_privs;
  int preserve_fds;
  const char **env; size_t n_env;
  const char **caps; size_t n_caps;
  uint32_t gids[64]; size_t n_gids;
  const char *id;
  char **cmd; int n_cmd;
};

struct exec_msg { int type; int errnum; char msg[4000]; };
enum { EX_GO = 1, EX_ERROR };

struct sr_clone_args {
  uint64_t flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size,
      tls, set_tid, set_tid_size, cgroup;
};

static int
parse_args (int argc, char **argv, struct exec_args *a)
{
  enum { O_PROCESS = 256, O_CONSOLE, O_PIDFILE, O_CWD, O_NNP, O_APPARMOR,
         O_LABEL, O_PRESERVE };
  static const struct option opts[] = {
    { "process", required_argument, NULL, O_PROCESS },
    { "console-socket", required_argument, NULL, O_CONSOLE },
    { "pid-file", required_argument, NULL, O_PIDFILE },
    { "cwd", required_argument, NULL, O_CWD },
    { "env", required_argument, NULL, 'e' },
    { "user", required_argument, NULL, 'u' },
    { "additional-gids", required_argument, NULL, 'g' },
    { "cap", required_argument, NULL, 'c' },
    { "tty", no_argument, NULL, 't' },
    { "detach", no_argument, NULL, 'd' },
    { "no-new-privs", no_argument, NULL, O_NNP },
    { "apparmor", required_argument, NULL, O_APPARMOR },
    { "process-label", required_argument, NULL, O_LABEL },
    { "preserve-fds", required_argument, NULL, O_PRESERVE },
    { "help", no_argument, NULL, 'h' },
    { NULL, 0, NULL, 0 },
  };
  int c;
  a->env = calloc ((size_t) argc + 1, sizeof *a->env);
  a->caps = calloc ((size_t) argc + 1, sizeof *a->caps);
  while ((c = getopt_long (argc, argv, "+e:u:g:c:tdh", opts, NULL)) != -1)
    switch (c)
      {
      case O_PROCESS: a->process_file = optarg; break;
      case O_CONSOLE: a->console_socket = optarg; break;
      case O_PIDFILE: a->pid_file = optarg; break;
      case O_CWD: a->cwd = optarg; break;
      case 'e': a->env[a->n_env++] = optarg; break;
      case 'u': a->user = optarg; break;
      case 'g':
        {
          uint64_t v;
          if (sr_parse_u64 (optarg, &v) < 0 || v > UINT32_MAX || a->n_gids >= 64)
            {
              sr_log_error ("exec: --additional-gids: \"%s\" is not a gid", optarg);
              return -1;
            }
          a->gids[a->n_gids++] = (uint32_t) v;
          break;
        }
      case 'c': a->caps[a->n_caps++] = optarg; break;
      case 't': a->tty = true; break;
      case 'd': a->detach = true; break;
      case O_NNP: a->no_new_privs = true; break;
      case O_APPARMOR: a->apparmor = optarg; break;
      case O_LABEL: a->label = optarg; break;
      case O_PRESERVE:
        if (sr_parse_fd_count (optarg, &a->preserve_fds) < 0)
          {
            sr_log_error ("--preserve-fds: \"%s\" is not a count of fds", optarg);
            return -1;
          }
        break;
      case 'h':
        printf ("Usage: secrun exec [OPTIONS] ID [COMMAND [ARG...]]\n\n"
                "  --process FILE        the process.json to run (instead of COMMAND)\n"
                "  -t, --tty             allocate a pty\n"
                "  --console-socket S    send the pty master to this unix socket\n"
                "  -d, --detach          do not wait for the process\n"
                "  --pid-file FILE       write the process's pid\n"
                "  --cwd DIR             working directory inside the container\n"
                "  -e, --env K=V         add an environment variable\n"
                "  -u, --user UID[:GID]  run as this user\n"
                "  -g, --additional-gids GID  add a supplementary group\n"
                "  -c, --cap CAP         add a capability (within the container's bounding set)\n"
                "  --no-new-privs        set no_new_privs\n"
                "  --apparmor P, --process-label L, --preserve-fds N\n");
        return 1;
      default:
        return -1;
      }
  if (optind >= argc)
    {
      sr_log_error ("exec: a container id is required");
      return -1;
    }
  a->id = argv[optind++];
  a->cmd = argv + optind;
  a->n_cmd = argc - optind;
  if (a->process_file == NULL && a->n_cmd == 0)
    {
      sr_log_error ("exec: a command or --process is required");
      return -1;
    }
  return 0;
}

/* Fills p from the container's process and the command-line overrides. */
static int
build_process (struct exec_args *a, const sr_config_t *c, sr_process_t *p,
               json_t **pjson, sr_error_t *err)
{
  if (a->process_file)
    {
      *pjson = sr_json_load (a->process_file, "--process", err);
      if (*pjson == NULL)
        return -1;
      if (sr_process_parse (*pjson, "process", p, err) < 0)
        return -1;
    }
  else
    {
      *p = c->process;
      /* Borrowed arrays of the config: replace, never free, what we change. */
      p->rlimits = c->process.rlimits;
      p->args.v = (const char **) a->cmd;
      p->args.n = (size_t) a->n_cmd;
      p->terminal = a->tty;
      p->console_height.set = p->console_width.set = false;
      p->oom_score_adj.set = false;
    }
  if (a->cwd)
    p->cwd = a->cwd;
  if (a->n_env)
    {
      size_t n = p->env.n;
      const char **v = calloc (n + a->n_env + 1, sizeof *v);
      if (v == NULL)
        return sr_error (err, ENOMEM, "env");
      memcpy (v, p->env.v, n * sizeof *v);
      memcpy (v + n, a->env, a->n_env * sizeof *v);
      p->env.v = v; /* leaked on purpose: lives until exec */
      p->env.n = n + a->n_env;
    }
  if (a->user)
    {
      char *colon;
      uint64_t u, gid = 0;
      _cleanup_free_ char *s = strdup (a->user);
      colon = strchr (s, ':');
      if (colon)
        *colon = '\0';
      if (sr_parse_u64 (s, &u) < 0 || u > UINT32_MAX
          || (colon && (sr_parse_u64 (colon + 1, &gid) < 0 || gid > UINT32_MAX)))
        return sr_error (err, 0, "--user: \"%s\" is not UID[:GID]", a->user);
      p->user.uid.v = (int64_t) u;
      p->user.gid.v = (int64_t) gid;
      p->user.uid.set = p->user.gid.set = true;
    }
  if (a->n_gids)
    {
      p->user.additional_gids = a->gids;
      p->user.n_additional_gids = a->n_gids;
    }
  for (size_t i = 0; i < a->n_caps; i++)
    {
      const char *name = a->caps[i];
      if (strncasecmp (name, "CAP_", 4) == 0)
        name += 4;
      int cap = sr_cap_by_name (name);
      if (cap < 0)
        return sr_error (err, 0, "--cap: unknown capability \"%s\"", a->caps[i]);
      uint64_t bit = 1ULL << cap;
      p->caps.set = true;
      p->caps.bounding |= bit;
      p->caps.effective |= bit;
      p->caps.permitted |= bit;
    }
  if (a->no_new_privs || c->process.no_new_privileges.v)
    p->no_new_privileges.v = p->no_new_privileges.set = true;
  if (a->apparmor)
    p->apparmor_profile = a->apparmor;
  if (a->label)
    p->selinux_label = a->label;
  /* A --process file without labels gets the container's, as runc
   * gives them: a process that asks for none is not unconfined. */
  if (p->apparmor_profile == NULL || *p->apparmor_profile == '\0')
    p->apparmor_profile = c->process.apparmor_profile;
  if (p->selinux_label == NULL || *p->selinux_label == '\0')
    p->selinux_label = c->process.selinux_label;
  /* The security floor: nothing beyond the container's own bounding set,
   * which is empty when its config lists no capabilities. */
  {
    uint64_t b = c->process.caps.set ? c->process.caps.bounding : 0;
    p->caps.bounding &= b;
    p->caps.effective &= b;
    p->caps.permitted &= b;
    p->caps.inheritable &= b;
    p->caps.ambient &= b;
  }
  if (p->args.n == 0)
    return sr_error (err, 0, "exec: empty command");
  return 0;
}

static int
ns_flags_to_join (const sr_config_t *c)
{
  static const int flag[SR_NS_COUNT] = {
    [SR_NS_NET] = CLONE_NEWNET, [SR_NS_MOUNT] = CLONE_NEWNS,
    [SR_NS_IPC] = CLONE_NEWIPC, [SR_NS_UTS] = CLONE_NEWUTS,
    [SR_NS_USER] = CLONE_NEWUSER, [SR_NS_CGROUP] = CLONE_NEWCGROUP,
    [SR_NS_TIME] = CLONE_NEWTIME,
  };
  int f = 0;
  for (size_t i = 0; i < c->linux_.n_namespaces; i++)
    f |= flag[c->linux_.namespaces[i].type];
  return f;
}

static void
send_error (int fd, sr_error_t *err)
{
  struct exec_msg m = { .type = EX_ERROR, .errnum = err->errnum };
  snprintf (m.msg, sizeof m.msg, "%s", err->msg ? err->msg : "exec failed");
  send (fd, &m, offsetof (struct exec_msg, msg) + strlen (m.msg) + 1, MSG_NOSIGNAL);
}

static void __attribute__ ((noreturn))
exec_child (int sync, int pidfd, int nsflags, const sr_config_t *c,
            sr_process_t *p, int console_fd, sr_bpf_t *bpf, unsigned sflags,
            int preserve, const char *keyring_id)
{
  sr_error_t err = { 0 };
  struct exec_msg m;
  char exe[4096];
  bool early = bpf && !p->no_new_privileges.v;

  prctl (PR_SET_DUMPABLE, 0, 0, 0, 0);
  prctl (PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
  sr_reset_signals ();
  if (recv (sync, &m, sizeof m, 0) <= 0 || m.type != EX_GO)
    _exit (1);
  /* One setns on a pidfd enters every namespace at once, user first. */
  if (nsflags && setns (pidfd, nsflags) < 0)
    {
      sr_error_errno (&err, "join the container's namespaces");
      goto fail;
    }
  close (pidfd);
  if ((nsflags & CLONE_NEWUSER) && sr_process_become_ns_root (sync, &err) < 0)
    goto fail;
  if (p->terminal && console_fd >= 0 && sr_terminal_setup (console_fd, p, &err) < 0)
    goto fail;
  if (sr_process_apply_privileged (p, &err) < 0)
    goto fail;
  /* The container's own session keyring, as the init joined it: never
   * the caller's (runc's setns init does the same). */
  if (keyring_id && sr_process_new_keyring (keyring_id, &err) < 0)
    goto fail;
  /* As in the init: our own syscalls before a filter loaded early. */
  if (sr_process_chdir (p->cwd, &err) < 0)
    goto fail;
  if (syscall (SYS_close_range, 3 + preserve, ~0U, CLOSE_RANGE_CLOEXEC) < 0)
    {
      sr_error_errno (&err, "mark fds close-on-exec");
      goto fail;
    }
  if (early)
    {
      int r = sr_seccomp_load (bpf, sflags);
      if (r < 0)
        {
          sr_error (&err, -r, "linux.seccomp: load the filter");
          goto fail;
        }
    }
  if (sr_process_apply_identity (p, &err) < 0
      || sr_process_find_exec (p->args.v[0], (char *const *) p->env.v, exe,
                               sizeof exe, &err) < 0)
    goto fail;
  if (bpf && !early)
    {
      int r = sr_seccomp_load (bpf, sflags);
      if (r < 0)
        {
          sr_error (&err, -r, "linux.seccomp: load the filter");
          goto fail;
        }
    }
  prctl (PR_SET_PDEATHSIG, 0, 0, 0, 0);
  execve (exe, (char *const *) p->args.v, (char *const *) p->env.v);
  sr_error_errno (&err, "exec \"%s\"", p->args.v[0]);
fail:
  (void) c;
  send_error (sync, &err);
  _exit (127);
}

int
cmd_exec (sr_global_t *g, int argc, char **argv)
{
  struct exec_args a = { 0 };
  sr_container_dir_t d = { .rootfd = -1, .dirfd = -1 };
  sr_state_t st = { 0 };
  sr_error_t err = { 0 };
  sr_config_t *c = NULL;
  sr_process_t p = { 0 };
  json_t *pjson = NULL;
  sr_cgroup_t *cg = NULL;
  sr_bpf_t bpf = { 0 };
  bool have_bpf = false;
  unsigned sflags = 0;
  _cleanup_close_ int pidfd = -1;
  _cleanup_close_ int console_fd = -1;
  int sv[2] = { -1, -1 }, tty[2] = { -1, -1 };
  pid_t pid = -1;
  int ret = 1, r;

  r = parse_args (argc, argv, &a);
  if (r != 0)
    {
      free (a.env);
      free (a.caps);
      return r > 0 ? 0 : 1;
    }
  /* The new process is visible in the container before it execs. */
  if (sr_reexec_sealed (&err) < 0)
    goto out_err;
  if (sr_container_load (g->root, a.id, &d, &st, &err) < 0)
    goto out_err;
  sr_status_t s = sr_state_status (&d, &st);
  if (s != SR_STATUS_RUNNING && s != SR_STATUS_CREATED)
    {
      sr_error (&err, 0, "container \"%s\" is %s: cannot exec in it", a.id,
                sr_status_name (s));
      goto out_err;
    }
  if ((c = sr_state_config (&st, &err)) == NULL)
    goto out_err;
  if (build_process (&a, c, &p, &pjson, &err) < 0)
    goto out_err;
  if (p.terminal && a.console_socket == NULL && a.detach)
    {
      sr_error (&err, 0, "exec: --tty with --detach needs --console-socket");
      goto out_err;
    }
  if (c->linux_.seccomp.set)
    {
      _cleanup_free_ char *cache_dir = sr_path_join (g->root, SR_SECCOMP_CACHE);
      if (sr_seccomp_flags (&c->linux_.seccomp, &sflags, &err) < 0
          || sr_seccomp_compile_cached (&c->linux_.seccomp, sr_config_seccomp_json (c), cache_dir, &bpf, &err) < 0)
        goto out_err;
      have_bpf = true;
    }
  pidfd = (int) syscall (SYS_pidfd_open, st.pid, 0);
  if (pidfd < 0 || !sr_proc_alive (st.pid, st.pid_start))
    {
      sr_error (&err, 0, "container not running");
      goto out_err;
    }
  if (st.cgroup && sr_cgroup_from_json (st.cgroup, &cg, &err) < 0)
    goto out_err;
  if (a.console_socket && (console_fd = sr_terminal_connect (a.console_socket, &err)) < 0)
    goto out_err;
  if (p.terminal && console_fd < 0)
    {
      if (socketpair (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, tty) < 0)
        {
          sr_error_errno (&err, "socketpair");
          goto out_err;
        }
      console_fd = tty[1];
      tty[1] = -1;
    }
  sr_process_probe_lsm (&p);
  if (socketpair (AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
    {
      sr_error_errno (&err, "socketpair");
      goto out_err;
    }
  if (sr_config_namespace (c, SR_NS_PID) && setns (pidfd, CLONE_NEWPID) < 0)
    {
      sr_error_errno (&err, "join the container's pid namespace");
      goto out_err;
    }
  {
    struct sr_clone_args ca = { .exit_signal = SIGCHLD };
    int cgfd = cg ? sr_cgroup_dirfd (cg) : -1;
    if (cgfd >= 0)
      {
        ca.flags |= CLONE_INTO_CGROUP;
        ca.cgroup = (uint64_t) cgfd;
      }
    pid = (pid_t) syscall (SYS_clone3, &ca, sizeof ca);
    if (pid < 0)
      {
        sr_error_errno (&err, "clone3");
        goto out_err;
      }
    if (pid == 0)
      {
        close (sv[0]);
        close (d.dirfd);
        close (d.rootfd);
        exec_child (sv[1], pidfd, ns_flags_to_join (c), c, &p, console_fd,
                    have_bpf ? &bpf : NULL, sflags, a.preserve_fds,
                    st.no_new_keyring ? NULL : a.id);
      }
    close (sv[1]);
    sv[1] = -1;
    if (console_fd >= 0 && tty[0] >= 0)
      {
        close (console_fd);
        console_fd = -1;
      }
    if (cg && cgfd < 0 && sr_cgroup_enter (cg, pid, &err) < 0)
      goto kill_err;
  }
  /* The container lock is not needed while the process runs. */
  sr_container_dir_close (&d);
  {
    struct exec_msg m = { .type = EX_GO };
    if (send (sv[0], &m, sizeof m.type, MSG_NOSIGNAL) < 0)
      {
        sr_error_errno (&err, "exec: release the process");
        goto kill_err;
      }
    ssize_t n;
    do
      n = recv (sv[0], &m, sizeof m - 1, 0);
    while (n < 0 && errno == EINTR);
    if (n > 0 && m.type == EX_ERROR)
      {
        waitpid (pid, NULL, 0);
        pid = -1;
        ((char *) &m)[n] = '\0';
        sr_error (&err, 0, "%s", m.msg);
        err.errnum = m.errnum;
        goto out_err;
      }
  }
  if (a.pid_file && sr_write_pid_file (a.pid_file, pid, &err) < 0)
    goto kill_err;
  if (a.detach)
    {
      ret = 0;
      goto out;
    }
  if (tty[0] >= 0)
    {
      int master = sr_terminal_recv_master (tty[0], &err);
      if (master >= 0)
        {
          sr_terminal_proxy (master);
          close (master);
        }
      else
        sr_log_error_t (&err);
    }
  ret = sr_forward_until_exit (pid, 0);
  goto out;

kill_err:
  if (pid > 0)
    {
      kill (pid, SIGKILL);
      waitpid (pid, NULL, 0);
    }
out_err:
  ret = sr_fail (&err);
out:
  if (sv[0] >= 0)
    close (sv[0]);
  if (sv[1] >= 0)
    close (sv[1]);
  if (tty[0] >= 0)
    close (tty[0]);
  if (cg)
    sr_cgroup_free (cg);
  if (have_bpf)
    sr_bpf_release (&bpf);
  if (pjson)
    sr_process_release (&p);
  json_decref (pjson);
  sr_config_free (c);
  sr_state_release (&st);
  sr_container_dir_close (&d);
  free (a.env);
  free (a.caps);
  return ret;
}
