/* benchdrv - low-overhead interleaved driver for OCI runtime CLIs.
 *
 * benchdrv -m run|split|seq -b BUNDLE [-n ITERS] [-w WARMUP] [-k SEQLEN]
 *          [-g CGPARENT] [-o OUT.tsv] [-l ERRLOG] [-x NAME=DIR]...
 *          NAME=CMD [NAME=CMD ...]
 *
 * (secrun copy of ../shared/bench-anchors/benchdrv.c; changes: -x, and the
 *  split mode also emits csd_us = create+start+delete without the wait;
 *  the cgroup leak check also works on a pure cgroup v2 host.)
 * -x NAME=DIR : before every lifecycle of runtime NAME (untimed), empty the
 *          flat directory DIR (e.g. secrun's ROOT/.seccomp-cache), so that
 *          NAME measures the cold, first-run cost.
 *
 * CMD is the runtime argv prefix, split on spaces ("crun", "/x/limit --minimal").
 * NAME@PATH=CMD overrides the bundle for that entry (e.g. plain vs seccomp interleaved).
 * Iterations interleave the runtimes and rotate the order each iteration
 * (A B C, B C A, C A B, ...).  Every container gets a unique id.
 *   run  : time `CMD run -b BUNDLE ID` (fork..wait4), peak RSS (ru_maxrss of
 *          the run process incl. the children it reaped, as /usr/bin/time -v
 *          reports), user+sys CPU.  If the runtime leaves state behind after
 *          `run` (probed once: `CMD state ID` == 0), `CMD delete ID` is timed
 *          too and included in "lifecycle".
 *   split: benchdrv becomes a child subreaper; times `create -b B --pid-file F ID`,
 *          `start ID`, the wait for the container pid to exit, `delete ID`.
 *   seq  : wall time of SEQLEN sequential run(+delete) lifecycles, per runtime,
 *          repeated ITERS times interleaved.
 * After every lifecycle it checks for leaks: state (`CMD state ID` == 0),
 * cgroup dirs left under /sys/fs/cgroup/<every hierarchy>/CGPARENT/, and the
 * mount count of /proc/self/mountinfo; any leak is counted, reported and
 * cleaned (delete -f / rmdir).
 * Output rows: mode\truntime\titer\tmetric\tvalue   (times in microseconds)
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

struct rt {
  char *name;
  char *argv[16];
  int argc;
  int needs_delete;   /* run leaves state that delete must remove */
  int state_ok;       /* `state` distinguishes existing / missing */
  int leaks;
  int no_split;
  const char *bundle;  /* per-runtime bundle override: NAME@BUNDLE=CMD */
  const char *clear;   /* -x: directory emptied before each lifecycle */
};

static struct rt rts[16];
static int nrt;
static const char *bundle, *cgparent = "/secrun-bench";
static int errfd, nullfd;
static FILE *out;
static long seqno;

static double now_us(void)
{
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec * 1e6 + t.tv_nsec / 1e3;
}

/* spawn rt argv + extra args; wait; return exit status; fill wall/rusage */
static int runcmd(struct rt *r, const char **extra, double *wall, struct rusage *ru)
{
  char *argv[40];
  int n = 0;
  for (int i = 0; i < r->argc; i++) argv[n++] = r->argv[i];
  for (int i = 0; extra[i]; i++) argv[n++] = (char *)extra[i];
  argv[n] = NULL;
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, nullfd, 0);
  posix_spawn_file_actions_adddup2(&fa, nullfd, 1);
  posix_spawn_file_actions_adddup2(&fa, errfd, 2);
  pid_t pid;
  int st;
  struct rusage dummy;
  double t0 = now_us();
  if (posix_spawnp(&pid, argv[0], &fa, NULL, argv, environ) != 0) { perror(argv[0]); exit(1); }
  while (wait4(pid, &st, 0, ru ? ru : &dummy) < 0) if (errno != EINTR) { perror("wait4"); exit(1); }
  double t1 = now_us();
  posix_spawn_file_actions_destroy(&fa);
  if (wall) *wall = t1 - t0;
  return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

/* -x: empty a flat directory (files only; sub-directories are left alone) */
static void clear_dir(const char *dir)
{
  DIR *d = opendir(dir);
  struct dirent *de;
  if (!d) return;
  while ((de = readdir(d)))
    if (de->d_name[0] != '.' || (strcmp(de->d_name, ".") && strcmp(de->d_name, "..")))
      unlinkat(dirfd(d), de->d_name, 0);
  closedir(d);
}

static void newid(char *id, size_t n) { snprintf(id, n, "sb%d-%ld", (int)getpid(), seqno++); }

static int mountcount(void)
{
  FILE *f = fopen("/proc/self/mountinfo", "r");
  int c, n = 0;
  while ((c = getc(f)) != EOF) n += c == '\n';
  fclose(f);
  return n;
}

/* count + remove directories left under DIR (a cgroup parent) */
static int cgroup_leaks_in(const char *p)
{
  int leaks = 0;
  char q[1400];
  DIR *e = opendir(p);
  struct dirent *f;
  if (!e) return 0;
  while ((f = readdir(e))) {
    if (f->d_type != DT_DIR || f->d_name[0] == '.') continue;
    snprintf(q, sizeof q, "%s/%s", p, f->d_name);
    leaks++;
    dprintf(errfd, "benchdrv: LEAK cgroup %s\n", q);
    rmdir(q);
  }
  closedir(e);
  return leaks;
}

/* count + remove directories left under /sys/fs/cgroup/<h>/<cgparent>/
 * (v1 and hybrid), or /sys/fs/cgroup/<cgparent>/ on a pure cgroup v2 host */
static int cgroup_leaks(void)
{
  int leaks = 0;
  DIR *d;
  struct dirent *de;
  char p[1024], q[1400];
  struct statfs root;
  if (statfs("/sys/fs/cgroup", &root) == 0 && root.f_type == 0x63677270) {
    snprintf(p, sizeof p, "/sys/fs/cgroup%s", cgparent);
    return cgroup_leaks_in(p);
  }
  d = opendir("/sys/fs/cgroup");
  if (!d) return 0;
  while ((de = readdir(d))) {
    if (de->d_name[0] == '.') continue;
    struct statfs sf;
    snprintf(p, sizeof p, "/sys/fs/cgroup/%s", de->d_name);
    /* only real cgroup hierarchies (not e.g. the tmpfs hiding a hybrid unified mount) */
    if (statfs(p, &sf) < 0 || (sf.f_type != 0x27e0eb && sf.f_type != 0x63677270)) continue;
    snprintf(q, sizeof q, "/sys/fs/cgroup/%s%s", de->d_name, cgparent);
    leaks += cgroup_leaks_in(q);
  }
  closedir(d);
  return leaks;
}

static void emit(const char *mode, struct rt *r, int it, const char *metric, double v)
{
  fprintf(out, "%s\t%s\t%d\t%s\t%.1f\n", mode, r->name, it, metric, v);
}

static int check_leaks(struct rt *r, const char *id, int mounts_before)
{
  int leaks = 0;
  if (r->state_ok) {
    const char *sa[] = {"state", id, NULL};
    if (runcmd(r, sa, NULL, NULL) == 0) {
      leaks++;
      dprintf(errfd, "benchdrv: LEAK state %s %s\n", r->name, id);
      const char *da[] = {"delete", "-f", id, NULL};
      runcmd(r, da, NULL, NULL);
    }
  }
  leaks += cgroup_leaks();
  int m = mountcount();
  /* only growth is a leak: crun briefly bind-mounts /proc/self/exe in the caller's namespace */
  if (m > mounts_before) { leaks++; dprintf(errfd, "benchdrv: LEAK mounts %s %d -> %d\n", r->name, mounts_before, m); }
  r->leaks += leaks;
  return leaks;
}

/* one run lifecycle; returns status */
static int lifecycle_run(struct rt *r, const char *id, double *trun, double *tdel, struct rusage *ru)
{
  const char *ra[] = {"run", "-b", r->bundle ? r->bundle : bundle, id, NULL};
  if (r->clear) clear_dir(r->clear);
  int st = runcmd(r, ra, trun, ru);
  *tdel = 0;
  if (r->needs_delete) {
    const char *da[] = {"delete", id, NULL};
    runcmd(r, da, tdel, NULL);
  }
  return st;
}

static void probe(struct rt *r)
{
  char id[64];
  newid(id, sizeof id);
  const char *sa[] = {"state", id, NULL};
  r->state_ok = runcmd(r, sa, NULL, NULL) != 0;   /* must fail for a missing id */
  double a, b;
  struct rusage ru;
  int st = lifecycle_run(r, id, &a, &b, &ru);
  if (st != 0) { fprintf(stderr, "benchdrv: %s run failed with %d (see error log)\n", r->name, st); exit(1); }
  if (r->state_ok && runcmd(r, sa, NULL, NULL) == 0) {
    r->needs_delete = 1;
    const char *da[] = {"delete", id, NULL};
    runcmd(r, da, NULL, NULL);
  }
  cgroup_leaks();
  fprintf(stderr, "benchdrv: %s: state query %s, run %s delete\n", r->name,
          r->state_ok ? "works" : "unusable", r->needs_delete ? "needs" : "does not need");
}

static void do_run(struct rt *r, int it, int record)
{
  char id[64];
  newid(id, sizeof id);
  int m0 = mountcount();
  double trun, tdel;
  struct rusage ru;
  int st = lifecycle_run(r, id, &trun, &tdel, &ru);
  int leaks = check_leaks(r, id, m0);
  if (!record) return;
  emit("run", r, it, "run_us", trun);
  emit("run", r, it, "lifecycle_us", trun + tdel);
  emit("run", r, it, "maxrss_kb", ru.ru_maxrss);
  emit("run", r, it, "cpu_us", ru.ru_utime.tv_sec * 1e6 + ru.ru_utime.tv_usec + ru.ru_stime.tv_sec * 1e6 + ru.ru_stime.tv_usec);
  emit("run", r, it, "status", st);
  emit("run", r, it, "leaks", leaks);
}

static void reap_all(void) { while (waitpid(-1, NULL, WNOHANG) > 0); }

static void do_split(struct rt *r, int it, int record)
{
  char id[64], pidf[128];
  newid(id, sizeof id);
  snprintf(pidf, sizeof pidf, "/tmp/benchdrv-%s.pid", id);
  int m0 = mountcount();
  double tc, ts, tw, td, t2, t3;
  struct rusage ru;
  const char *ca[] = {"create", "-b", r->bundle ? r->bundle : bundle, "--pid-file", pidf, id, NULL};
  if (r->clear) clear_dir(r->clear);
  int st = runcmd(r, ca, &tc, &ru);
  pid_t cpid = 0;
  FILE *f = fopen(pidf, "r");
  if (f) { if (fscanf(f, "%d", &cpid) != 1) cpid = 0; fclose(f); unlink(pidf); }
  if (st != 0 || cpid <= 0) {
    fprintf(stderr, "benchdrv: %s create failed (%d), skipping split for it\n", r->name, st);
    r->no_split = 1;
    reap_all();
    check_leaks(r, id, m0);
    return;
  }
  const char *sa[] = {"start", id, NULL};
  int st2 = runcmd(r, sa, &ts, NULL);
  t2 = now_us();
  int cst;
  while (waitpid(cpid, &cst, 0) < 0) if (errno != EINTR) { perror("waitpid container"); break; }
  t3 = now_us();
  tw = t3 - t2;
  reap_all();
  const char *da[] = {"delete", id, NULL};
  int st3 = runcmd(r, da, &td, NULL);
  int leaks = check_leaks(r, id, m0);
  if (!record) return;
  emit("split", r, it, "create_us", tc);
  emit("split", r, it, "start_us", ts);
  emit("split", r, it, "wait_us", tw);
  emit("split", r, it, "delete_us", td);
  emit("split", r, it, "total_us", tc + ts + tw + td);
  emit("split", r, it, "csd_us", tc + ts + td);
  emit("split", r, it, "create_maxrss_kb", ru.ru_maxrss);
  emit("split", r, it, "status", st2 | st3 | (WIFEXITED(cst) ? WEXITSTATUS(cst) : 128));
  emit("split", r, it, "leaks", leaks);
}

static void do_seq(struct rt *r, int it, int record, int k)
{
  int m0 = mountcount(), bad = 0;
  double t0 = now_us();
  for (int j = 0; j < k; j++) {
    char id[64];
    newid(id, sizeof id);
    double a, b;
    if (lifecycle_run(r, id, &a, &b, NULL) != 0) bad++;
  }
  double t1 = now_us();
  int leaks = check_leaks(r, "none-such", m0);
  if (!record) return;
  emit("seq", r, it, "seq_total_ms", (t1 - t0) / 1000.0);
  emit("seq", r, it, "failures", bad);
  emit("seq", r, it, "leaks", leaks);
}

int main(int argc, char **argv)
{
  const char *mode = "run", *outp = NULL, *errp = "/tmp/benchdrv-errors.log";
  int iters = 50, warm = 3, k = 100, c, nclear = 0;
  char *clears[16];
  while ((c = getopt(argc, argv, "m:b:n:w:k:g:o:l:x:")) != -1) {
    switch (c) {
    case 'm': mode = optarg; break;
    case 'b': bundle = optarg; break;
    case 'n': iters = atoi(optarg); break;
    case 'w': warm = atoi(optarg); break;
    case 'k': k = atoi(optarg); break;
    case 'g': cgparent = optarg; break;
    case 'o': outp = optarg; break;
    case 'l': errp = optarg; break;
    case 'x': if (nclear < 16 && strchr(optarg, '=')) clears[nclear++] = optarg; break;
    default: return 2;
    }
  }
  if (!bundle || optind >= argc) { fprintf(stderr, "usage: benchdrv -m run|split|seq -b BUNDLE NAME=CMD...\n"); return 2; }
  for (; optind < argc && nrt < 16; optind++) {
    struct rt *r = &rts[nrt++];
    char *s = strdup(argv[optind]), *eq = strchr(s, '=');
    if (!eq) { r->name = s; r->argv[r->argc++] = s; continue; }
    *eq = 0;
    r->name = s;
    char *at = strchr(s, '@');
    if (at) { *at = 0; r->bundle = at + 1; }
    for (char *tok = strtok(eq + 1, " "); tok && r->argc < 15; tok = strtok(NULL, " ")) r->argv[r->argc++] = tok;
  }
  for (int i = 0; i < nclear; i++) {
    char *eq = strchr(clears[i], '=');
    for (int j = 0; j < nrt; j++)
      if (strlen(rts[j].name) == (size_t)(eq - clears[i]) && !strncmp(rts[j].name, clears[i], eq - clears[i]))
        rts[j].clear = eq + 1;
  }
  out = outp ? fopen(outp, "a") : stdout;
  errfd = open(errp, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  nullfd = open("/dev/null", O_RDWR | O_CLOEXEC);
  if (!out || errfd < 0 || nullfd < 0) { perror("open"); return 1; }
  if (!strcmp(mode, "split")) prctl(PR_SET_CHILD_SUBREAPER, 1);
  for (int i = 0; i < nrt; i++) probe(&rts[i]);
  for (int it = -warm; it < iters; it++) {
    for (int j = 0; j < nrt; j++) {
      struct rt *r = &rts[((it < 0 ? -it : it) + j) % nrt];
      if (!strcmp(mode, "run")) do_run(r, it, it >= 0);
      else if (!strcmp(mode, "split")) { if (!r->no_split) do_split(r, it, it >= 0); }
      else if (!strcmp(mode, "seq")) do_seq(r, it, it >= 0, k);
      else { fprintf(stderr, "bad mode\n"); return 2; }
    }
    fflush(out);
  }
  int total = 0;
  for (int i = 0; i < nrt; i++) {
    if (rts[i].leaks) fprintf(stderr, "benchdrv: %s: %d leaks detected (and cleaned)\n", rts[i].name, rts[i].leaks);
    total += rts[i].leaks;
  }
  return total ? 3 : 0;
}
