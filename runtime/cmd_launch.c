/* secrun launch [OPTIONS] SOURCE [--] [COMMAND [ARG...]]
 *
 * One line from a rootfs, a bundle or an image to a hardened, limited,
 * non-root workload: generate the config (launch_config.c) into a bundle
 * under <root>/.launch/<id>/, run it the way `secrun run` does, exit with
 * its status, and remove everything made for it. --name and --detach keep
 * the container for the usual state/exec/kill/delete commands; `secrun
 * delete` then removes the bundle too (sr_launch_cleanup). */
#ifndef _GNU_SOURCE
# define _GNU_SOURCE
#endif

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <sys/file.h>
#include <sys/mount.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cleanup.h"
#include "commands.h"
#include "config.h"
#include "container.h"
#include "image.h"
#include "launch_config.h"
#include "log.h"
#include "notify.h"
#include "signals.h"
#include "state.h"
#include "terminal.h"
#include "utils.h"

#ifndef PKGLIBEXECDIR
# define PKGLIBEXECDIR "/usr/local/libexec/secrun"
#endif

static inline void
jsonp_decref (json_t **j)
{
  json_decref (*j);
}
#define _cleanup_json_ __attribute__ ((cleanup (jsonp_decref)))

enum {
  O_READ_ONLY = 256, O_READ_WRITE, O_TMPFS, O_MOUNT, O_CAP_ADD, O_CAP_DROP,
  O_SECOPT, O_MEMSWAP, O_CPUS, O_PIDS, O_ULIMIT, O_GROUP_ADD, O_ENV_FILE,
  O_NETWORK, O_DEVICE, O_ENTRYPOINT, O_INIT, O_NAME, O_RM, O_CGROUP_PARENT,
  O_HELP,
};

static const struct option launch_opts[] = {
  { "read-only", no_argument, NULL, O_READ_ONLY },
  { "read-write", no_argument, NULL, O_READ_WRITE },
  { "tmpfs", required_argument, NULL, O_TMPFS },
  { "volume", required_argument, NULL, 'v' },
  { "mount", required_argument, NULL, O_MOUNT },
  { "cap-add", required_argument, NULL, O_CAP_ADD },
  { "cap-drop", required_argument, NULL, O_CAP_DROP },
  { "security-opt", required_argument, NULL, O_SECOPT },
  { "memory", required_argument, NULL, 'm' },
  { "memory-swap", required_argument, NULL, O_MEMSWAP },
  { "cpus", required_argument, NULL, O_CPUS },
  { "cpu-shares", required_argument, NULL, 'c' },
  { "pids-limit", required_argument, NULL, O_PIDS },
  { "ulimit", required_argument, NULL, O_ULIMIT },
  { "user", required_argument, NULL, 'u' },
  { "group-add", required_argument, NULL, O_GROUP_ADD },
  { "env", required_argument, NULL, 'e' },
  { "env-file", required_argument, NULL, O_ENV_FILE },
  { "workdir", required_argument, NULL, 'w' },
  { "hostname", required_argument, NULL, 'h' },
  { "network", required_argument, NULL, O_NETWORK },
  { "net", required_argument, NULL, O_NETWORK },
  { "device", required_argument, NULL, O_DEVICE },
  { "entrypoint", required_argument, NULL, O_ENTRYPOINT },
  { "tty", no_argument, NULL, 't' },
  { "interactive", no_argument, NULL, 'i' },
  { "init", no_argument, NULL, O_INIT },
  { "name", required_argument, NULL, O_NAME },
  { "detach", no_argument, NULL, 'd' },
  { "rm", no_argument, NULL, O_RM },
  { "quiet", no_argument, NULL, 'q' },
  { "cgroup-parent", required_argument, NULL, O_CGROUP_PARENT },
  { "help", no_argument, NULL, O_HELP },
  { NULL, 0, NULL, 0 },
};

static void
usage (void)
{
  printf ("Usage: secrun launch [OPTIONS] SOURCE [--] [COMMAND [ARG...]]\n\n"
          "SOURCE: a rootfs directory, an OCI bundle directory, oci:DIR[:TAG] (an OCI\n"
          "image layout) or a docker-archive tarball (docker save / podman save).\n"
          "Runs it hardened (profiles/hardened.json): read-only root, no capabilities,\n"
          "no-new-privileges, seccomp, non-root, no network, pids.max 1024.\n\n"
          "      --read-only             read-only root filesystem (the default)\n"
          "      --read-write            writable root (an image gets a throwaway layer)\n"
          "      --tmpfs PATH[:OPTS]     a tmpfs (nosuid,nodev,noexec unless OPTS say)\n"
          "  -v, --volume SRC:DST[:ro]   bind mount a host path\n"
          "      --mount type=bind|tmpfs,source=,target=,readonly\n"
          "      --cap-add CAP           give a capability back (or ALL)\n"
          "      --cap-drop CAP          drop a capability again\n"
          "      --security-opt OPT      no-new-privileges[=false], seccomp=PATH|unconfined\n"
          "  -m, --memory SIZE           memory limit (512m, 1g)\n"
          "      --memory-swap SIZE      memory plus swap limit (-1: unlimited)\n"
          "      --cpus N                CPU quota in CPUs (1.5)\n"
          "  -c, --cpu-shares N          relative CPU weight\n"
          "      --pids-limit N          pids.max (default 1024; 0 or -1: unlimited)\n"
          "      --ulimit NAME=SOFT[:HARD]\n"
          "  -u, --user USER[:GROUP]     run as (default: the image's USER unless root,\n"
          "                              else 65534; 0 means root and is warned about)\n"
          "      --group-add GROUP       a supplementary group\n"
          "  -e, --env KEY[=VALUE]       set a variable (KEY alone: from this environment)\n"
          "      --env-file FILE         KEY=VALUE lines\n"
          "  -w, --workdir DIR           working directory\n"
          "  -h, --hostname NAME         host name\n"
          "      --network none|host     network namespace (default none)\n"
          "      --device HOST[:CTR][:rwm]  give access to a device\n"
          "      --entrypoint CMD        replace the image's Entrypoint (\"\" clears it)\n"
          "  -t, --tty                   allocate a terminal\n"
          "  -i, --interactive           keep stdin open (default: /dev/null)\n"
          "      --init                  run a minimal reaping init as pid 1\n"
          "      --name ID               container id; the container is kept after exit\n"
          "  -d, --detach                start it and return; the container is kept\n"
          "      --rm                    remove after exit even with --name\n"
          "      --cgroup-parent PATH    cgroupsPath PATH/ID (default /secrun/ID)\n"
          "  -q, --quiet                 no warning about weakened defaults\n"
          "      --help                  this text\n");
}

/* Strings this command allocates for launch_config (which borrows). */
typedef struct { char **v; size_t n; } owned_t;

static const char *
own (owned_t *o, char *s)
{
  char **v = s ? realloc (o->v, (o->n + 1) * sizeof *v) : NULL;
  if (v == NULL)
    {
      free (s);
      return NULL;
    }
  v[o->n++] = s;
  o->v = v;
  return s;
}

static void
owned_free (owned_t *o)
{
  for (size_t i = 0; i < o->n; i++)
    free (o->v[i]);
  free (o->v);
}

/* -e KEY=VALUE as is; -e KEY takes KEY from our environment, and is
 * dropped when unset (Docker does the same). */
static int
add_env (sr_launch_opts_t *lo, owned_t *own_, const char *kv)
{
  if (strchr (kv, '='))
    return sr_launch_list_add (&lo->env, kv);
  const char *v = getenv (kv);
  char *s = NULL;
  if (v == NULL)
    return 0;
  if (asprintf (&s, "%s=%s", kv, v) < 0)
    return -1;
  const char *p = own (own_, s);
  return p ? sr_launch_list_add (&lo->env, p) : -1;
}

static int
read_env_file (sr_launch_opts_t *lo, owned_t *own_, const char *path, sr_error_t *err)
{
  _cleanup_fclose_ FILE *f = fopen (path, "re");
  char *line = NULL;
  size_t cap = 0;
  ssize_t n;

  if (f == NULL)
    return sr_error_errno (err, "--env-file %s", path);
  while ((n = getline (&line, &cap, f)) >= 0)
    {
      while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
        line[--n] = '\0';
      char *p = line + strspn (line, " \t");
      if (*p == '\0' || *p == '#')
        continue;
      char *copy = strdup (p);
      if (copy == NULL || own (own_, copy) == NULL || add_env (lo, own_, copy) < 0)
        {
          free (line);
          return sr_error (err, ENOMEM, "--env-file");
        }
    }
  free (line);
  return 0;
}

/* secrun-init next to us (a build tree), else the installed one. It is
 * bind-mounted into containers: it must be root's and not writable by
 * anyone else. */
static char *
find_init (sr_error_t *err)
{
  char exe[PATH_MAX];
  ssize_t n = readlink ("/proc/self/exe", exe, sizeof exe - 1);
  char *cand[2] = { NULL, NULL };
  struct stat st;

  if (n > 0)
    {
      exe[n] = '\0';
      char *slash = strrchr (exe, '/');
      if (slash)
        {
          *slash = '\0';
          cand[0] = sr_path_join (exe, "secrun-init");
        }
    }
  cand[1] = strdup (PKGLIBEXECDIR "/secrun-init");
  for (int i = 0; i < 2; i++)
    if (cand[i] && stat (cand[i], &st) == 0 && S_ISREG (st.st_mode))
      {
        if (st.st_uid != 0 || (st.st_mode & 022))
          {
            sr_error (err, 0, "--init: %s must be owned by root and writable only by it",
                      cand[i]);
            free (cand[0]);
            free (cand[1]);
            return NULL;
          }
        char *r = cand[i];
        free (cand[1 - i]);
        return r;
      }
  free (cand[0]);
  free (cand[1]);
  return sr_error (err, 0, "--init: secrun-init not found next to secrun nor in "
                   PKGLIBEXECDIR), NULL;
}

/* Launch bundles whose launch died before making a container: no state
 * dir, and no launch holding the lock. */
static void
sweep_stale (const char *root, int launchfd)
{
  int dfd = fcntl (launchfd, F_DUPFD_CLOEXEC, 3);
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
      struct stat st;
      if (de->d_name[0] == '.')
        continue;
      _cleanup_close_ int fd = openat (launchfd, de->d_name,
                                       O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      if (fd < 0 || flock (fd, LOCK_EX | LOCK_NB) < 0)
        continue;
      _cleanup_free_ char *state = sr_path_join (root, de->d_name);
      if (state && stat (state, &st) < 0 && errno == ENOENT)
        {
          sr_log_debug ("launch: removing the stale bundle of %s", de->d_name);
          sr_launch_cleanup (root, de->d_name);
        }
    }
  closedir (d);
}

/* <root>/.launch/<id>, locked for as long as we run (sweep_stale skips it). */
static int
make_bundle_dir (const char *root, const char *id, char **dir, int *lockfd,
                 sr_error_t *err)
{
  _cleanup_free_ char *ldir = sr_path_join (root, SR_LAUNCH_DIR);
  _cleanup_free_ char *state = sr_path_join (root, id);
  _cleanup_close_ int lfd = -1;
  struct stat st;

  if (ldir == NULL || state == NULL)
    return sr_error (err, ENOMEM, "launch");
  if (sr_mkdir_p (ldir, 0700, err) < 0)
    return -1;
  lfd = open (ldir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (lfd < 0)
    return sr_error_errno (err, "%s", ldir);
  sweep_stale (root, lfd);
  if (stat (state, &st) == 0)
    return sr_error (err, 0, "container \"%s\" already exists", id);
  /* Made and locked under a dot name that sweep_stale skips, then renamed
   * (the lock stays with the inode): another launch's sweep never sees it
   * unlocked. */
  char tmp[64];
  snprintf (tmp, sizeof tmp, ".new-%d", (int) getpid ());
  if (mkdirat (lfd, tmp, 0711) < 0)
    return sr_error_errno (err, "%s/%s", ldir, tmp);
  *lockfd = openat (lfd, tmp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (*lockfd < 0 || flock (*lockfd, LOCK_EX | LOCK_NB) < 0
      || renameat2 (lfd, tmp, lfd, id, RENAME_NOREPLACE) < 0)
    {
      int e = errno;
      unlinkat (lfd, tmp, AT_REMOVEDIR);
      return sr_error (err, e, "launch: bundle dir %s/%s", ldir, id);
    }
  *dir = sr_path_join (ldir, id);
  return *dir ? 0 : sr_error (err, ENOMEM, "launch");
}

/* Whether the bundle dir is still the one make_bundle_dir made (LOCKFD):
 * a `delete --force` meanwhile removes it, and another launch may have
 * made its own under the name. */
static bool
bundle_is_ours (const char *bundle, int lockfd)
{
  struct stat a, b;
  return bundle && lockfd >= 0 && fstat (lockfd, &a) == 0 && a.st_nlink > 0
         && lstat (bundle, &b) == 0 && a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

/* The image's read-only cache dir under a throwaway overlay: the cache is
 * shared by every container of the image and must never change, yet the
 * runtime creates mount points and --read-write containers write. nodev:
 * device nodes come from the runtime's /dev only. */
static int
mount_overlay (const char *bundle, const char *lower, sr_error_t *err)
{
  _cleanup_free_ char *upper = sr_path_join (bundle, "upper");
  _cleanup_free_ char *work = sr_path_join (bundle, "work");
  _cleanup_free_ char *merged = sr_path_join (bundle, "rootfs");
  _cleanup_free_ char *data = NULL;

  if (upper == NULL || work == NULL || merged == NULL)
    return sr_error (err, ENOMEM, "overlay");
  if (strpbrk (bundle, ",:\\") || strpbrk (lower, ",:\\"))
    return sr_error (err, 0, "the state root %s has a ',', ':' or '\\' in its path, "
                     "which overlayfs options cannot carry", bundle);
  if (mkdir (upper, 0755) < 0 || mkdir (work, 0700) < 0 || mkdir (merged, 0755) < 0)
    return sr_error_errno (err, "overlay dirs in %s", bundle);
  if (asprintf (&data, "lowerdir=%s,upperdir=%s,workdir=%s", lower, upper, work) < 0)
    return sr_error (err, ENOMEM, "overlay");
  if (mount ("overlay", merged, "overlay", MS_NODEV, data) < 0)
    return sr_error_errno (err, "mount an overlay on the image at %s", merged);
  return 0;
}

/* An OCI bundle as a source: its rootfs, and its process as if it were an
 * image config (hardened.json still decides everything else). */
static int
read_bundle (const char *dir, char **rootfs, json_t **image_config, sr_error_t *err)
{
  _cleanup_free_ char *path = sr_path_join (dir, "config.json");
  _cleanup_json_ json_t *c = path ? sr_json_load (path, "config.json", err) : NULL;
  if (c == NULL)
    return sr_error_prefix (err, "bundle %s", dir);
  const char *rp = json_string_value (json_object_get (json_object_get (c, "root"), "path"));
  if (rp == NULL)
    return sr_error (err, 0, "bundle %s: root.path is missing", dir);
  _cleanup_free_ char *joined = rp[0] == '/' ? strdup (rp) : sr_path_join (dir, rp);
  *rootfs = joined ? realpath (joined, NULL) : NULL;
  if (*rootfs == NULL)
    return sr_error_errno (err, "bundle %s: root.path %s", dir, rp);
  json_t *p = json_object_get (c, "process");
  json_t *ic = json_object ();
  json_t *user = json_object_get (p, "user");
  json_object_set (ic, "Cmd", json_object_get (p, "args"));
  json_object_set (ic, "Env", json_object_get (p, "env"));
  json_object_set (ic, "WorkingDir", json_object_get (p, "cwd"));
  if (json_integer_value (json_object_get (user, "uid")) != 0)
    {
      char u[64];
      snprintf (u, sizeof u, "%lld:%lld",
                (long long) json_integer_value (json_object_get (user, "uid")),
                (long long) json_integer_value (json_object_get (user, "gid")));
      json_object_set_new (ic, "User", json_string (u));
    }
  *image_config = ic;
  return 0;
}

static int
parse_security_opt (sr_launch_opts_t *lo, const char *s, sr_error_t *err)
{
  /* Docker takes both "=" and the older ":" */
  size_t k = strcspn (s, "=:");
  const char *v = s[k] ? s + k + 1 : NULL;

  if (strncmp (s, "no-new-privileges", k) == 0 && k == 17)
    {
      if (v == NULL || strcmp (v, "true") == 0)
        lo->no_new_privileges = 1;
      else if (strcmp (v, "false") == 0)
        lo->no_new_privileges = 0;
      else
        return sr_error (err, 0, "--security-opt %s: true or false", s);
      return 0;
    }
  if (strncmp (s, "seccomp", k) == 0 && k == 7 && v && *v)
    {
      lo->seccomp = v;
      return 0;
    }
  return sr_error (err, 0, "--security-opt %s: unsupported (no-new-privileges[=false], "
                   "seccomp=PATH|unconfined)", s);
}

static int
parse_u64_opt (const char *name, const char *s, uint64_t *out, sr_error_t *err)
{
  if (sr_parse_u64 (s, out) < 0)
    return sr_error (err, 0, "%s: \"%s\" is not a number", name, s);
  return 0;
}

int
cmd_launch (sr_global_t *g, int argc, char **argv)
{
  sr_launch_opts_t lo = { .no_new_privileges = -1 };
  sr_error_t err = { 0 };
  owned_t owned = { 0 };
  sr_image_t img = { 0 };
  _cleanup_json_ json_t *bundle_ic = NULL;
  _cleanup_json_ json_t *cfg = NULL;
  _cleanup_free_ char *bundle = NULL;
  _cleanup_free_ char *rootfs = NULL;
  _cleanup_free_ char *dir_rootfs = NULL;
  _cleanup_free_ char *init_path = NULL;
  _cleanup_free_ char *weak = NULL;
  _cleanup_free_ char *text = NULL;
  _cleanup_close_ int lockfd = -1;
  char gen_id[32];
  bool tty = false, interactive = false, detach = false, rm = false, quiet = false;
  bool init = false, made_bundle = false, created = false, named = false;
  const char *name = NULL, *stop_sig_name = NULL;
  int sv[2] = { -1, -1 };
  int ret = 1, c;
  pid_t pid = -1;

  while ((c = getopt_long (argc, argv, "+v:m:c:u:e:w:h:tidq", launch_opts, NULL)) != -1)
    {
      int r = 0;
      switch (c)
        {
        case O_READ_ONLY: lo.read_write = false; break;
        case O_READ_WRITE: lo.read_write = true; break;
        case O_TMPFS: r = sr_launch_list_add (&lo.tmpfs, optarg); break;
        case 'v': r = sr_launch_list_add (&lo.volumes, optarg); break;
        case O_MOUNT: r = sr_launch_list_add (&lo.mounts, optarg); break;
        case O_CAP_ADD: r = sr_launch_list_add (&lo.cap_add, optarg); break;
        case O_CAP_DROP: r = sr_launch_list_add (&lo.cap_drop, optarg); break;
        case O_SECOPT: r = parse_security_opt (&lo, optarg, &err); break;
        case 'm':
          if (sr_launch_parse_size (optarg, &lo.memory) < 0 || lo.memory <= 0)
            r = sr_error (&err, 0, "--memory: \"%s\" is not a size", optarg);
          break;
        case O_MEMSWAP:
          if (strcmp (optarg, "-1") == 0)
            lo.memory_swap = -1;
          else if (sr_launch_parse_size (optarg, &lo.memory_swap) < 0 || lo.memory_swap <= 0)
            r = sr_error (&err, 0, "--memory-swap: \"%s\" is not a size", optarg);
          break;
        case O_CPUS:
          {
            char *end;
            double v = strtod (optarg, &end);
            if (*end || !(v > 0) || v > 1e6)
              r = sr_error (&err, 0, "--cpus: \"%s\" is not a number of CPUs", optarg);
            lo.cpu_period = 100000;
            lo.cpu_quota = (uint64_t) (v * 100000.0 + 0.5);
            if (lo.cpu_quota < 1000)
              lo.cpu_quota = 1000; /* the kernel's minimum quota */
            break;
          }
        case 'c': r = parse_u64_opt ("--cpu-shares", optarg, &lo.cpu_shares, &err); break;
        case O_PIDS:
          lo.pids_set = true;
          if (sr_parse_i64 (optarg, &lo.pids_limit) < 0)
            r = sr_error (&err, 0, "--pids-limit: \"%s\" is not a number", optarg);
          break;
        case O_ULIMIT: r = sr_launch_list_add (&lo.ulimits, optarg); break;
        case 'u': lo.user = optarg; break;
        case O_GROUP_ADD: r = sr_launch_list_add (&lo.group_add, optarg); break;
        case 'e': r = add_env (&lo, &owned, optarg); break;
        case O_ENV_FILE: r = read_env_file (&lo, &owned, optarg, &err); break;
        case 'w': lo.workdir = optarg; break;
        case 'h': lo.hostname = optarg; break;
        case O_NETWORK:
          if (strcmp (optarg, "none") == 0)
            lo.network_host = false;
          else if (strcmp (optarg, "host") == 0)
            lo.network_host = true;
          else
            r = sr_error (&err, 0, "--network %s: only none and host are supported", optarg);
          break;
        case O_DEVICE: r = sr_launch_list_add (&lo.devices, optarg); break;
        case O_ENTRYPOINT: lo.entrypoint = optarg; break;
        case 't': tty = true; break;
        case 'i': interactive = true; break;
        case O_INIT: init = true; break;
        case O_NAME: name = optarg; named = true; break;
        case 'd': detach = true; break;
        case O_RM: rm = true; break;
        case 'q': quiet = true; break;
        case O_CGROUP_PARENT: lo.cgroup_parent = optarg; break;
        case O_HELP: usage (); ret = 0; goto out;
        default: goto out;
        }
      if (r < 0)
        {
          if (err.msg == NULL)
            sr_error (&err, ENOMEM, "launch");
          ret = sr_fail (&err);
          goto out;
        }
    }
  if (optind >= argc)
    {
      sr_log_error ("launch: a SOURCE is required; see 'secrun launch --help'");
      goto out;
    }
  const char *source = argv[optind++];
  if (optind < argc && strcmp (argv[optind], "--") == 0)
    optind++;
  lo.command = (const char **) argv + optind;
  lo.n_command = (size_t) (argc - optind);
  lo.tty = tty;
  lo.source = source;

  if (detach && rm)
    {
      sr_error (&err, 0, "launch: --rm and --detach: nobody would be left to remove "
                "the container (delete it with 'secrun delete')");
      ret = sr_fail (&err);
      goto out;
    }
  if (detach && tty)
    {
      sr_error (&err, 0, "launch: -t and --detach: nothing would hold the terminal");
      ret = sr_fail (&err);
      goto out;
    }
  if (name == NULL)
    {
      unsigned char r[6];
      if (getrandom (r, sizeof r, 0) != sizeof r)
        {
          sr_error_errno (&err, "getrandom");
          ret = sr_fail (&err);
          goto out;
        }
      snprintf (gen_id, sizeof gen_id, "launch-%02x%02x%02x%02x%02x%02x", r[0], r[1], r[2],
                r[3], r[4], r[5]);
      name = gen_id;
    }
  lo.id = name;
  if (sr_id_validate (name, &err) < 0)
    {
      ret = sr_fail (&err);
      goto out;
    }
  if (init && (init_path = find_init (&err)) == NULL)
    {
      ret = sr_fail (&err);
      goto out;
    }
  lo.init_path = init_path;
  {
    int rfd = sr_state_root_open (g->root, &err);
    if (rfd < 0)
      {
        ret = sr_fail (&err);
        goto out;
      }
    close (rfd);
  }

  /* What to run from. */
  struct stat st;
  if (sr_image_is_ref (source))
    {
      _cleanup_free_ char *cache = sr_path_join (g->root, SR_IMAGE_CACHE);
      if (cache == NULL || sr_image_prepare (source, cache, &img, &err) < 0)
        {
          ret = sr_fail (&err);
          goto out;
        }
      lo.image_config = json_object_get (img.config, "config");
      lo.image_rootfs = img.rootfs;
      lo.chain_id = img.chain_id;
    }
  else if (stat (source, &st) == 0 && S_ISDIR (st.st_mode))
    {
      _cleanup_free_ char *cj = sr_path_join (source, "config.json");
      if (cj && access (cj, F_OK) == 0)
        {
          if (read_bundle (source, &dir_rootfs, &bundle_ic, &err) < 0)
            {
              ret = sr_fail (&err);
              goto out;
            }
          lo.image_config = bundle_ic;
        }
      else if ((dir_rootfs = realpath (source, NULL)) == NULL)
        {
          sr_error_errno (&err, "%s", source);
          ret = sr_fail (&err);
          goto out;
        }
      lo.image_rootfs = dir_rootfs;
    }
  else
    {
      sr_error (&err, errno, "launch: %s: not a directory, an image layout (oci:DIR) "
                "or an archive", source);
      ret = sr_fail (&err);
      goto out;
    }

  if (make_bundle_dir (g->root, name, &bundle, &lockfd, &err) < 0)
    {
      ret = sr_fail (&err);
      goto out;
    }
  made_bundle = true;
  if (img.rootfs)
    {
      if (mount_overlay (bundle, img.rootfs, &err) < 0)
        {
          ret = sr_fail (&err);
          goto out;
        }
      rootfs = sr_path_join (bundle, "rootfs");
    }
  else
    rootfs = strdup (dir_rootfs);
  lo.rootfs = rootfs;

  const char *stop_sig = NULL;
  cfg = rootfs ? sr_launch_config (&lo, &weak, &stop_sig, &err) : NULL;
  if (cfg == NULL)
    {
      ret = sr_fail (&err);
      goto out;
    }
  stop_sig_name = stop_sig;
  text = sr_launch_config_dumps (cfg);
  {
    _cleanup_close_ int bfd = open (bundle, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (text == NULL || bfd < 0
        || sr_write_file_atomic (bfd, "config.json", text, strlen (text), 0600, &err) < 0)
      {
        if (err.msg == NULL)
          sr_error_errno (&err, "write %s/config.json", bundle);
        ret = sr_fail (&err);
        goto out;
      }
  }
  if (weak && !quiet)
    sr_log_warn ("launch: weakened defaults: %s", weak);

  /* Without -i the workload reads nothing of ours, as with Docker. */
  if (!interactive)
    {
      int null = open ("/dev/null", O_RDONLY | O_CLOEXEC);
      if (null >= 0)
        {
          dup2 (null, STDIN_FILENO);
          close (null);
        }
    }

  int notify_fd = -1;
  sr_create_opts_t o = { .root = g->root, .id = name, .bundle = bundle,
                         .systemd_cgroup = g->systemd_cgroup, .start_now = true,
                         .console_fd = -1, .notify_fd = &notify_fd };
  if (tty)
    {
      if (socketpair (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
        {
          sr_error_errno (&err, "socketpair");
          ret = sr_fail (&err);
          goto out;
        }
      o.console_fd = sv[1];
    }
  int r = sr_container_create (&o, &pid, &err);
  if (sv[1] >= 0)
    close (sv[1]);
  if (r < 0)
    {
      ret = sr_fail (&err);
      goto out;
    }
  created = true;
  if (notify_fd >= 0 && sr_notify_after_run (notify_fd, pid, detach, &err) < 0)
    {
      ret = sr_fail (&err);
      goto out;
    }
  if (detach)
    {
      printf ("%s\n", name);
      fflush (stdout);
      ret = 0;
      goto out;
    }

  if (tty)
    {
      /* The init sends the master as soon as it has made the pty. */
      int master = sr_terminal_recv_master (sv[0], &err);
      if (master >= 0)
        {
          sr_terminal_proxy (master);
          close (master);
        }
      else
        sr_log_error_t (&err);
    }
  /* SIGTERM (how a supervisor asks us to stop) becomes the image's
   * StopSignal, as `docker stop` would send it. */
  ret = sr_forward_until_exit (pid, stop_sig_name ? sr_signal_parse (stop_sig_name) : -1);

out:
  if (sv[0] >= 0)
    close (sv[0]);
  {
    bool keep = created && (detach || (named && !rm));
    if (created && !keep)
      {
        sr_container_dir_t d;
        sr_state_t sst;
        if (sr_container_load (g->root, name, &d, &sst, &err) == 0)
          {
            /* Only ours: a `delete --force` meanwhile may have let another
             * container take the name. */
            if (sst.pid != pid)
              sr_container_dir_close (&d);
            else if (sr_container_destroy (&d, &sst, true, &err) < 0)
              sr_log_error_t (&err);
            sr_state_release (&sst);
          }
        else
          sr_log_error_t (&err);
      }
    if (made_bundle && !keep && bundle_is_ours (bundle, lockfd))
      sr_launch_cleanup (g->root, name);
  }
  sr_image_release (&img);
  sr_launch_list_free (&lo.group_add);
  sr_launch_list_free (&lo.env);
  sr_launch_list_free (&lo.cap_add);
  sr_launch_list_free (&lo.cap_drop);
  sr_launch_list_free (&lo.tmpfs);
  sr_launch_list_free (&lo.volumes);
  sr_launch_list_free (&lo.mounts);
  sr_launch_list_free (&lo.devices);
  sr_launch_list_free (&lo.ulimits);
  owned_free (&owned);
  sr_error_clear (&err);
  return ret;
}
