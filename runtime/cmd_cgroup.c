/* The cgroup-backed commands: ps, pause, resume, update, events. Each loads
 * the container's state, rebuilds its cgroup from the JSON the create path
 * saved, and asks the cgroup manager. */
#ifndef _GNU_SOURCE
# define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cgroup.h"
#include "cleanup.h"
#include "commands.h"
#include "config.h"
#include "log.h"
#include "state.h"
#include "utils.h"

/* A loaded container with its cgroup; released by container_close. */
typedef struct {
  sr_container_dir_t d;
  sr_state_t st;
  sr_cgroup_t *cg;
  sr_status_t status;
  bool open;
} ctr_t;

static void
ctr_close (ctr_t *c)
{
  sr_cgroup_free (c->cg);
  c->cg = NULL;
  if (c->open)
    {
      sr_state_release (&c->st);
      sr_container_dir_close (&c->d);
      c->open = false;
    }
}

static int
ctr_load (sr_global_t *g, const char *id, ctr_t *c, sr_error_t *err)
{
  memset (c, 0, sizeof *c);
  if (sr_container_load (g->root, id, &c->d, &c->st, err) < 0)
    return -1;
  c->open = true;
  c->status = sr_state_status (&c->d, &c->st);
  if (c->st.cgroup == NULL)
    return sr_error (err, 0, "container %s has no cgroup", id);
  return sr_cgroup_from_json (c->st.cgroup, &c->cg, err);
}

static int
usage_error (const char *cmd, const char *usage)
{
  sr_log_error ("%s: usage: %s", cmd, usage);
  return 1;
}

/* ---- ps ---------------------------------------------------------------- */

static bool
has_pid (const pid_t *v, size_t n, long p)
{
  for (size_t i = 0; i < n; i++)
    if (v[i] == p)
      return true;
  return false;
}

/* Runs ps(1) with ARGS and prints its header plus the lines whose PID
 * column is one of the container's (what runc ps does). */
static int
ps_table (char **args, int nargs, const pid_t *pids, size_t n, sr_error_t *err)
{
  _cleanup_free_ char **argv = calloc ((size_t) nargs + 3, sizeof *argv);
  _cleanup_free_ char *out = NULL;
  size_t len = 0, cap = 0;
  int fds[2], status, pid_col = -1;
  pid_t child;

  if (argv == NULL)
    return sr_error_errno (err, "calloc");
  argv[0] = (char *) "ps";
  if (nargs == 0)
    argv[1] = (char *) "-ef";
  for (int i = 0; i < nargs; i++)
    argv[i + 1] = args[i];
  if (pipe2 (fds, O_CLOEXEC) < 0)
    return sr_error_errno (err, "pipe");
  child = fork ();
  if (child < 0)
    {
      close (fds[0]);
      close (fds[1]);
      return sr_error_errno (err, "fork");
    }
  if (child == 0)
    {
      /* main() ignores SIGPIPE, and an ignored signal survives execve. */
      signal (SIGPIPE, SIG_DFL);
      dup2 (fds[1], STDOUT_FILENO);
      dup2 (fds[1], STDERR_FILENO);
      execvp ("ps", argv);
      _exit (127);
    }
  close (fds[1]);
  for (;;)
    {
      ssize_t r;
      if (cap - len < 4096)
        {
          char *t = realloc (out, cap = cap ? cap * 2 : 16384);
          if (t == NULL)
            break;
          out = t;
        }
      r = read (fds[0], out + len, cap - len - 1);
      if (r < 0 && errno == EINTR)
        continue;
      if (r <= 0)
        break;
      len += (size_t) r;
    }
  close (fds[0]);
  while (waitpid (child, &status, 0) < 0 && errno == EINTR)
    ;
  if (out == NULL)
    return sr_error (err, ENOMEM, "ps output");
  out[len] = '\0';
  if (!WIFEXITED (status) || WEXITSTATUS (status) != 0)
    return sr_error (err, 0, "ps failed (%s): %s",
                     WIFEXITED (status) && WEXITSTATUS (status) == 127
                     ? "not found" : "exit status", out);

  for (char *line = out, *nl; line && *line; line = nl ? nl + 1 : NULL)
    {
      _cleanup_free_ char *copy = NULL;
      char *save = NULL, *tok;
      int col = 0;

      nl = strchr (line, '\n');
      if (nl)
        *nl = '\0';
      copy = strdup (line);
      if (copy == NULL)
        return sr_error_errno (err, "strdup");
      if (pid_col < 0)
        {
          for (tok = strtok_r (copy, " \t", &save); tok; tok = strtok_r (NULL, " \t", &save), col++)
            if (strcmp (tok, "PID") == 0)
              pid_col = col;
          if (pid_col < 0)
            return sr_error (err, 0, "ps: no PID column in \"%s\"", line);
          puts (line);
          continue;
        }
      for (tok = strtok_r (copy, " \t", &save); tok && col < pid_col;
           tok = strtok_r (NULL, " \t", &save))
        col++;
      if (tok && has_pid (pids, n, strtol (tok, NULL, 10)))
        puts (line);
    }
  return 0;
}

int
cmd_ps (sr_global_t *g, int argc, char **argv)
{
  static const struct option opts[] = { { "format", required_argument, NULL, 'f' },
                                        { "help", no_argument, NULL, 'h' },
                                        { NULL, 0, NULL, 0 } };
  static const char use[] = "secrun ps [--format table|json] ID [-- PS-ARGS...]";
  const char *format = "table";
  _cleanup_free_ pid_t *pids = NULL;
  size_t n = 0;
  sr_error_t err = { 0 };
  ctr_t c;
  int opt, r = 0;

  /* "+": everything after the id belongs to ps(1). */
  while ((opt = getopt_long (argc, argv, "+f:h", opts, NULL)) != -1)
    switch (opt)
      {
      case 'f': format = optarg; break;
      case 'h':
        printf ("Usage: %s\n\nLists the container's processes (host pids).\n"
                "  -f, --format table|json  table: ps(1) output (default ps -ef)\n"
                "                           json: a JSON array of pids, nothing else\n",
                use);
        return 0;
      default: return 1;
      }
  if (optind >= argc)
    return usage_error ("ps", use);
  if (strcmp (format, "table") != 0 && strcmp (format, "json") != 0)
    {
      sr_log_error ("ps: --format must be table or json, not \"%s\"", format);
      return 1;
    }
  if (ctr_load (g, argv[optind], &c, &err) < 0)
    {
      ctr_close (&c);
      return sr_fail (&err);
    }
  if (sr_cgroup_pids (c.cg, &pids, &n, &err) < 0)
    {
      /* A stopped container whose cgroup is already gone has no process. */
      if (err.errnum != ENOENT)
        r = -1;
      else
        sr_error_clear (&err);
    }
  if (r == 0 && strcmp (format, "json") == 0)
    {
      fputc ('[', stdout);
      for (size_t i = 0; i < n; i++)
        printf ("%s%d", i ? "," : "", (int) pids[i]);
      fputs ("]\n", stdout);
    }
  else if (r == 0)
    {
      int first = optind + 1;
      if (first < argc && strcmp (argv[first], "--") == 0)
        first++;
      r = ps_table (argv + first, argc - first, pids, n, &err);
    }
  ctr_close (&c);
  if (fflush (stdout) != 0 && r == 0)
    r = sr_error_errno (&err, "write");
  return r < 0 ? sr_fail (&err) : 0;
}

/* ---- pause / resume ------------------------------------------------------ */

static int
freeze_cmd (sr_global_t *g, int argc, char **argv, bool pause)
{
  static const struct option opts[] = { { "help", no_argument, NULL, 'h' },
                                        { NULL, 0, NULL, 0 } };
  const char *name = pause ? "pause" : "resume";
  sr_error_t err = { 0 };
  ctr_t c;
  int opt, r;

  while ((opt = getopt_long (argc, argv, "+h", opts, NULL)) != -1)
    switch (opt)
      {
      case 'h':
        if (pause)
          printf ("Usage: secrun pause ID\n\nFreezes every process of a running "
                  "container (cgroup v2 cgroup.freeze, v1 freezer).\n");
        else
          printf ("Usage: secrun resume ID\n\nThaws a paused container.\n");
        return 0;
      default: return 1;
      }
  if (optind != argc - 1)
    return usage_error (name, pause ? "secrun pause ID" : "secrun resume ID");
  if (ctr_load (g, argv[optind], &c, &err) < 0)
    {
      ctr_close (&c);
      return sr_fail (&err);
    }
  if (pause && c.status != SR_STATUS_RUNNING)
    r = sr_error (&err, 0, "container not running");
  else if (!pause && c.status != SR_STATUS_PAUSED)
    r = sr_error (&err, 0, c.status == SR_STATUS_RUNNING ? "container not paused"
                  : "container not running");
  else
    r = sr_cgroup_freeze (c.cg, pause, &err);
  ctr_close (&c);
  return r < 0 ? sr_fail (&err) : 0;
}

int
cmd_pause (sr_global_t *g, int argc, char **argv)
{
  return freeze_cmd (g, argc, argv, true);
}

int
cmd_resume (sr_global_t *g, int argc, char **argv)
{
  return freeze_cmd (g, argc, argv, false);
}

/* ---- update ------------------------------------------------------------------ */

enum { OPT_RESOURCES = 256, OPT_FLAG };

static const struct option update_opts[] = {
  { "resources", required_argument, NULL, 'r' },
  { "memory", required_argument, NULL, OPT_FLAG },
  { "memory-swap", required_argument, NULL, OPT_FLAG },
  { "memory-reservation", required_argument, NULL, OPT_FLAG },
  { "kernel-memory", required_argument, NULL, OPT_FLAG },
  { "kernel-memory-tcp", required_argument, NULL, OPT_FLAG },
  { "cpu-shares", required_argument, NULL, OPT_FLAG },
  { "cpu-share", required_argument, NULL, OPT_FLAG }, /* runc's spelling */
  { "cpu-quota", required_argument, NULL, OPT_FLAG },
  { "cpu-period", required_argument, NULL, OPT_FLAG },
  { "cpu-burst", required_argument, NULL, OPT_FLAG },
  { "cpu-idle", required_argument, NULL, OPT_FLAG },
  { "cpu-rt-period", required_argument, NULL, OPT_FLAG },
  { "cpu-rt-runtime", required_argument, NULL, OPT_FLAG },
  { "cpuset-cpus", required_argument, NULL, OPT_FLAG },
  { "cpuset-mems", required_argument, NULL, OPT_FLAG },
  { "pids-limit", required_argument, NULL, OPT_FLAG },
  { "blkio-weight", required_argument, NULL, OPT_FLAG },
  { "help", no_argument, NULL, 'h' },
  { NULL, 0, NULL, 0 },
};

static void
update_help (void)
{
  printf ("Usage: secrun update [OPTIONS] ID\n\n"
          "Changes the cgroup limits of a created, running or paused container.\n"
          "A value of 0 means \"leave unchanged\"; -1 means unlimited.\n\n"
          "  -r, --resources FILE|-       a linux.resources JSON object (- = stdin);\n"
          "                               the flags below override its fields\n"
          "      --memory SIZE            memory limit (k, m, g suffixes)\n"
          "      --memory-swap SIZE       memory+swap limit\n"
          "      --memory-reservation SIZE  soft limit (v2 memory.low)\n"
          "      --kernel-memory SIZE     kernel memory limit (v1 only)\n"
          "      --kernel-memory-tcp SIZE kernel TCP buffer limit (v1 only)\n"
          "      --cpu-shares N           relative CPU weight (v2: cpu.weight);\n"
          "                               --cpu-share (runc's name) works too\n"
          "      --cpu-quota US           CPU time per period, -1 for none\n"
          "      --cpu-period US          CFS period\n"
          "      --cpu-burst US           CFS burst\n"
          "      --cpu-idle 0|1           SCHED_IDLE for the cgroup\n"
          "      --cpu-rt-period US       real-time period (v1 only)\n"
          "      --cpu-rt-runtime US      real-time runtime (v1 only)\n"
          "      --cpuset-cpus LIST       CPUs to run on, e.g. 0-3,5\n"
          "      --cpuset-mems LIST       memory nodes\n"
          "      --pids-limit N           maximum number of tasks, -1 for none\n"
          "      --blkio-weight N         block I/O weight, 10-1000\n");
}

static json_t *
read_resources (const char *file, sr_error_t *err)
{
  _cleanup_free_ char *buf = NULL;
  size_t len = 0, cap = 0;

  if (strcmp (file, "-") != 0)
    return sr_json_load (file, "resources", err);
  for (;;)
    {
      ssize_t r;
      if (cap - len < 4096)
        {
          char *t;
          if (cap > (16u << 20))
            {
              sr_error (err, 0, "resources: stdin is larger than 16 MiB");
              return NULL;
            }
          t = realloc (buf, cap = cap ? cap * 2 : 8192);
          if (t == NULL)
            {
              sr_error_errno (err, "realloc");
              return NULL;
            }
          buf = t;
        }
      r = read (STDIN_FILENO, buf + len, cap - len);
      if (r < 0 && errno == EINTR)
        continue;
      if (r < 0)
        {
          sr_error_errno (err, "read resources from stdin");
          return NULL;
        }
      if (r == 0)
        break;
      len += (size_t) r;
    }
  return sr_json_parse (buf ? buf : "", len, "resources", err);
}

int
cmd_update (sr_global_t *g, int argc, char **argv)
{
  const char *file = NULL;
  struct { const char *name, *value; } flags[32];
  size_t n_flags = 0;
  sr_resources_t res;
  json_t *obj = NULL;
  sr_error_t err = { 0 };
  ctr_t c;
  int opt, idx, r = -1;

  memset (&res, 0, sizeof res);
  memset (&c, 0, sizeof c);
  while ((opt = getopt_long (argc, argv, "+r:h", update_opts, &idx)) != -1)
    switch (opt)
      {
      case 'r': file = optarg; break;
      case OPT_FLAG:
        if (n_flags == sizeof flags / sizeof flags[0])
          {
            sr_log_error ("update: too many flags");
            return 1;
          }
        flags[n_flags].name = update_opts[idx].name;
        flags[n_flags++].value = optarg;
        break;
      case 'h': update_help (); return 0;
      default: return 1;
      }
  if (optind != argc - 1)
    return usage_error ("update", "secrun update [--resources FILE|-] [FLAGS] ID");
  if (file == NULL && n_flags == 0)
    {
      sr_log_error ("update: nothing to update (give --resources or a flag)");
      return 1;
    }
  if (file)
    {
      obj = read_resources (file, &err);
      if (obj == NULL || sr_resources_parse (obj, "", &res, &err) < 0)
        goto out;
    }
  /* Flags after the JSON: an explicit flag wins over the file. */
  for (size_t i = 0; i < n_flags; i++)
    if (sr_cgroup_update_flag (&res, flags[i].name, flags[i].value, &err) < 0)
      goto out;
  if (ctr_load (g, argv[optind], &c, &err) < 0)
    goto out;
  if (c.status == SR_STATUS_STOPPED || c.status == SR_STATUS_CREATING)
    {
      sr_error (&err, 0, "container not running");
      goto out;
    }
  r = sr_cgroup_update (c.cg, &res, &err);

out:
  ctr_close (&c);
  if (file)
    sr_resources_release (&res);
  json_decref (obj);
  return r < 0 ? sr_fail (&err) : 0;
}

/* ---- events ------------------------------------------------------------------ */

static int
print_event (const char *type, const char *id, json_t *data, sr_error_t *err)
{
  json_t *ev = json_pack ("{s:s, s:s}", "type", type, "id", id);
  _cleanup_free_ char *s = NULL;

  if (ev && data)
    json_object_set (ev, "data", data);
  s = ev ? sr_cgroup_json_dumps (ev) : NULL;
  json_decref (ev);
  if (s == NULL)
    return sr_error (err, ENOMEM, "events: encoding JSON");
  /* One object per line, flushed: the reader is usually a pipe. */
  if (printf ("%s\n", s) < 0 || fflush (stdout) != 0)
    return sr_error_errno (err, "events: write");
  return 0;
}

static int
print_stats (sr_cgroup_t *cg, const char *id, sr_error_t *err)
{
  json_t *data = sr_cgroup_stats (cg, err);
  int r;

  if (data == NULL)
    return -1;
  r = print_event ("stats", id, data, err);
  json_decref (data);
  return r;
}

static uint64_t
now_ms (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (uint64_t) ts.tv_sec * 1000 + (uint64_t) ts.tv_nsec / 1000000;
}

int
cmd_events (sr_global_t *g, int argc, char **argv)
{
  static const struct option opts[] = { { "stats", no_argument, NULL, 's' },
                                        { "interval", required_argument, NULL, 'i' },
                                        { "help", no_argument, NULL, 'h' },
                                        { NULL, 0, NULL, 0 } };
  bool once = false;
  uint64_t interval = 5000, next;
  unsigned long long oom = 0, oom_now;
  sr_error_t err = { 0 };
  _cleanup_free_ char *id = NULL;
  pid_t pid;
  uint64_t start;
  ctr_t c;
  int opt, r = 0;

  while ((opt = getopt_long (argc, argv, "+si:h", opts, NULL)) != -1)
    switch (opt)
      {
      case 's': once = true; break;
      case 'i':
        if (sr_cgroup_parse_duration (optarg, &interval) < 0)
          {
            sr_log_error ("events: --interval: \"%s\" is not a duration like 5s or 500ms",
                          optarg);
            return 1;
          }
        break;
      case 'h':
        printf ("Usage: secrun events [--stats] [--interval 5s] ID\n\n"
                "Prints the container's cgroup statistics as JSON lines, runc's format:\n"
                "{\"type\":\"stats\",\"id\":ID,\"data\":{cpu,memory,pids,blkio,hugetlb}}\n"
                "every interval, and {\"type\":\"oom\",\"id\":ID} when a process of the\n"
                "container is OOM-killed. Ends when the container stops.\n"
                "  -s, --stats          print the statistics once and exit\n"
                "  -i, --interval DUR   time between statistics (default 5s)\n");
        return 0;
      default: return 1;
      }
  if (optind != argc - 1)
    return usage_error ("events", "secrun events [--stats] [--interval 5s] ID");
  if (ctr_load (g, argv[optind], &c, &err) < 0)
    {
      ctr_close (&c);
      return sr_fail (&err);
    }
  if (c.status == SR_STATUS_STOPPED || c.status == SR_STATUS_CREATING)
    {
      ctr_close (&c);
      sr_error (&err, 0, "container not running");
      return sr_fail (&err);
    }
  id = strdup (c.st.id);
  pid = c.st.pid;
  start = c.st.pid_start;
  /* Keep the cgroup, drop the state lock: delete, kill, update must not
   * wait for an events stream that runs for hours. */
  {
    sr_cgroup_t *cg = c.cg;
    c.cg = NULL;
    ctr_close (&c);
    c.cg = cg;
  }
  if (id == NULL)
    {
      sr_cgroup_free (c.cg);
      sr_error_errno (&err, "strdup");
      return sr_fail (&err);
    }
  if (once)
    {
      r = print_stats (c.cg, id, &err);
      sr_cgroup_free (c.cg);
      return r < 0 ? sr_fail (&err) : 0;
    }

  signal (SIGPIPE, SIG_IGN); /* a closed reader ends us through EPIPE */
  if (sr_cgroup_oom_count (c.cg, &oom, &err) < 0)
    {
      sr_log_debug ("events: %s", err.msg);
      sr_error_clear (&err);
    }
  next = now_ms () + interval;
  while (r == 0)
    {
      unsigned long long o = 0;
      uint64_t t;

      /* Liveness first, the OOM count after: an init the OOM killer took
       * must still get its event (the cgroup outlives it until delete). */
      bool alive = sr_proc_alive (pid, start);
      if (sr_cgroup_oom_count (c.cg, &o, &err) == 0)
        {
          oom_now = o;
          if (oom_now > oom)
            r = print_event ("oom", id, NULL, &err);
          oom = oom_now;
        }
      else
        sr_error_clear (&err);
      if (!alive)
        break;
      t = now_ms ();
      if (r == 0 && t >= next)
        {
          if (print_stats (c.cg, id, &err) < 0)
            {
              /* The cgroup went away with the container: a normal end. */
              if (!sr_proc_alive (pid, start) || err.errnum == ENOENT)
                {
                  sr_error_clear (&err);
                  break;
                }
              r = -1;
            }
          next = t + interval;
        }
      if (r == 0)
        poll (NULL, 0, (int) (interval < 100 ? interval : 100));
    }
  sr_cgroup_free (c.cg);
  return r < 0 ? sr_fail (&err) : 0;
}
