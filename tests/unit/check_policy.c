/* Unit tests of the security floor and the hardening checklist
 * (runtime/policy.c): every rule on crafted configs, in each mode; the
 * shipped policies; every client sample audited and put through them. */
#ifndef _GNU_SOURCE
# define _GNU_SOURCE
#endif

#include <check.h>
#include <ctype.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

/* Not "config.h": from this directory the include path finds autoconf's
 * config.h in the build root before runtime/. */
#include "../../runtime/config.h"
#include "../../runtime/caps.h"
#include "../../runtime/policy.h"
#include "../../runtime/spec.h"

#ifndef SAMPLEDIR
# error "SAMPLEDIR must name the directory of client samples"
#endif
#ifndef PROFILE_SRCDIR
# error "PROFILE_SRCDIR must name the source tree's profiles/"
#endif

#define SECCOMP_PROFILE PROFILE_SRCDIR "/seccomp/default.json"

/* ------------------------------------------------------------------ */
/* helpers */

static json_t *
jparse (const char *text)
{
  sr_error_t err = { 0, NULL };
  json_t *j = sr_json_parse (text, strlen (text), "test", &err);

  ck_assert_msg (j != NULL, "%s", err.msg);
  return j;
}

static json_t *
jload (const char *path)
{
  sr_error_t err = { 0, NULL };
  json_t *j = sr_json_load (path, path, &err);

  ck_assert_msg (j != NULL, "%s", err.msg);
  return j;
}

static json_t *
sample (const char *name)
{
  char path[PATH_MAX];

  snprintf (path, sizeof path, "%s/%s", SAMPLEDIR, name);
  return jload (path);
}

/* Sets the value at a dotted path ("process.user.uid"), making objects on
 * the way; takes V over.  V NULL deletes the key. */
static void
jset (json_t *root, const char *dotted, json_t *v)
{
  char buf[256], *key, *dot;
  json_t *o = root;

  snprintf (buf, sizeof buf, "%s", dotted);
  key = buf;
  while ((dot = strchr (key, '.')) != NULL)
    {
      json_t *next;
      *dot = '\0';
      next = json_object_get (o, key);
      if (!json_is_object (next))
        {
          next = json_object ();
          json_object_set_new (o, key, next);
        }
      o = next;
      key = dot + 1;
    }
  if (v)
    json_object_set_new (o, key, v);
  else
    json_object_del (o, key);
}

static json_t *
jat (json_t *root, const char *dotted)
{
  char buf[256], *key, *dot;
  json_t *o = root;

  snprintf (buf, sizeof buf, "%s", dotted);
  key = buf;
  while ((dot = strchr (key, '.')) != NULL)
    {
      *dot = '\0';
      o = json_object_get (o, key);
      key = dot + 1;
    }
  return json_object_get (o, key);
}

static bool
jarr_has (json_t *arr, const char *s)
{
  size_t i;
  json_t *e;

  json_array_foreach (arr, i, e)
    if (json_is_string (e) && strcmp (json_string_value (e), s) == 0)
      return true;
  return false;
}

/* A config that meets every rule of the checklist: the launcher's
 * hardened defaults plus the default seccomp profile and memory, CPU and
 * pids limits. */
static const char clean_text[] =
  "{\"ociVersion\":\"1.2.0\","
  "\"process\":{\"user\":{\"uid\":65534,\"gid\":65534},\"args\":[\"sh\"],"
  "\"env\":[\"PATH=/usr/bin:/bin\",\"HOME=/tmp\"],\"cwd\":\"/\","
  "\"capabilities\":{\"bounding\":[],\"effective\":[],\"inheritable\":[],"
  "\"permitted\":[],\"ambient\":[]},\"noNewPrivileges\":true},"
  "\"root\":{\"path\":\"rootfs\",\"readonly\":true},"
  "\"mounts\":["
  "{\"destination\":\"/proc\",\"type\":\"proc\",\"source\":\"proc\"},"
  "{\"destination\":\"/dev\",\"type\":\"tmpfs\",\"source\":\"tmpfs\",\"options\":[\"nosuid\",\"mode=755\"]},"
  "{\"destination\":\"/sys\",\"type\":\"sysfs\",\"source\":\"sysfs\",\"options\":[\"nosuid\",\"noexec\",\"nodev\",\"ro\"]},"
  "{\"destination\":\"/sys/fs/cgroup\",\"type\":\"cgroup\",\"source\":\"cgroup\",\"options\":[\"ro\"]},"
  "{\"destination\":\"/tmp\",\"type\":\"tmpfs\",\"source\":\"tmpfs\",\"options\":[\"nosuid\",\"nodev\",\"noexec\"]}],"
  "\"linux\":{\"namespaces\":[{\"type\":\"pid\"},{\"type\":\"ipc\"},{\"type\":\"uts\"},"
  "{\"type\":\"mount\"},{\"type\":\"network\"},{\"type\":\"cgroup\"}],"
  "\"resources\":{\"devices\":[{\"allow\":false,\"access\":\"rwm\"}],"
  "\"memory\":{\"limit\":268435456},\"cpu\":{\"quota\":50000,\"period\":100000},"
  "\"pids\":{\"limit\":1024}},"
  "\"maskedPaths\":[\"/proc/acpi\",\"/proc/asound\",\"/proc/kcore\",\"/proc/keys\","
  "\"/proc/latency_stats\",\"/proc/timer_list\",\"/proc/timer_stats\",\"/proc/sched_debug\","
  "\"/proc/scsi\",\"/sys/firmware\"],"
  "\"readonlyPaths\":[\"/proc/bus\",\"/proc/fs\",\"/proc/irq\",\"/proc/sys\",\"/proc/sysrq-trigger\"]}}";

static json_t *
clean_config (void)
{
  json_t *c = jparse (clean_text);

  jset (c, "linux.seccomp", jload (SECCOMP_PROFILE));
  return c;
}

static size_t
audit (json_t *cfg, sr_finding_t **f)
{
  sr_error_t err = { 0, NULL };
  size_t n;

  ck_assert_msg (sr_audit_config (cfg, f, &n, &err) == 0, "%s", err.msg);
  return n;
}

static const sr_finding_t *
find_rule (const sr_finding_t *f, size_t n, const char *rule)
{
  for (size_t i = 0; i < n; i++)
    if (strcmp (f[i].rule, rule) == 0)
      return &f[i];
  return NULL;
}

static char *
findings_text (const sr_finding_t *f, size_t n)
{
  char *s = NULL;
  size_t len = 0;
  FILE *m = open_memstream (&s, &len);

  for (size_t i = 0; i < n; i++)
    fprintf (m, "\n  %s %s %s: %s", f[i].severity, f[i].rule, f[i].path, f[i].message);
  fclose (m);
  return s;
}

/* The checklist finds RULE at PATH with SEVERITY (and only that rule,
 * when ONLY). */
static void
expect_finding (json_t *cfg, const char *rule, const char *path,
                const char *severity, bool only)
{
  sr_finding_t *f;
  size_t n = audit (cfg, &f);
  char *all = findings_text (f, n);
  const sr_finding_t *x = find_rule (f, n, rule);

  ck_assert_msg (x != NULL, "no %s finding in:%s", rule, all);
  ck_assert_msg (strcmp (x->path, path) == 0, "%s at %s, expected %s", rule, x->path, path);
  if (severity)
    ck_assert_msg (strcmp (x->severity, severity) == 0, "%s is %s, expected %s",
                   rule, x->severity, severity);
  ck_assert (x->fix && *x->fix);
  if (only)
    for (size_t i = 0; i < n; i++)
      ck_assert_msg (strcmp (f[i].rule, rule) == 0, "unexpected findings:%s", all);
  free (all);
  sr_findings_free (f, n);
}

static void
expect_no_finding (json_t *cfg, const char *rule)
{
  sr_finding_t *f;
  size_t n = audit (cfg, &f);
  char *all = findings_text (f, n);

  if (rule)
    ck_assert_msg (find_rule (f, n, rule) == NULL, "a %s finding:%s", rule, all);
  else
    ck_assert_msg (n == 0, "findings:%s", all);
  free (all);
  sr_findings_free (f, n);
}

/* Policies from text; a seccomp rule that tightens gets the source tree's
 * profile (the installed one may not exist where the tests run). */
static sr_policy_t *
policy_json (json_t *j)
{
  sr_error_t err = { 0, NULL };
  sr_policy_t *p;
  json_t *sc = jat (j, "rules.seccomp");

  if (json_is_object (sc) && json_object_get (sc, "profile") == NULL)
    json_object_set_new (sc, "profile", json_string (SECCOMP_PROFILE));
  else if (json_is_string (sc) && strcmp (json_string_value (sc), "enforce") == 0)
    jset (j, "rules.seccomp", json_pack ("{s:s, s:s}", "mode", "enforce", "profile",
                                         SECCOMP_PROFILE));
  ck_assert_msg (sr_policy_parse (j, NULL, "test policy", &p, &err) == 0, "%s", err.msg);
  json_decref (j);
  return p;
}

/* {"version": 1, "rules": {RULE: SETTING}} with SETTING as JSON text. */
static sr_policy_t *
policy_one (const char *rule, const char *setting)
{
  char *text;
  sr_policy_t *p;

  ck_assert (asprintf (&text, "{\"version\":1,\"rules\":{\"%s\":%s}}", rule, setting) > 0);
  p = policy_json (jparse (text));
  free (text);
  return p;
}

/* The sample configs name directories of the machine they were recorded
 * on: allow those as the real defaults allow the standard ones. */
static const char *const sample_roots[] = {
  "/var/lib/containerd-test/root/io.containerd.grpc.v1.cri",
  "/run/containerd-test/state/io.containerd.grpc.v1.cri",
  "/var/lib/docker-test/data/containers",
  "/run/test-podman/runroot/overlay-containers",
  "/var/lib/podman-test/storage/overlay-containers",
  NULL
};

static sr_policy_t *
shipped_policy (const char *name, bool sample_paths)
{
  char path[PATH_MAX];
  json_t *j, *allowed;

  snprintf (path, sizeof path, "%s/policy/%s.json", PROFILE_SRCDIR, name);
  j = jload (path);
  allowed = jat (j, "rules.host-paths.allowed");
  ck_assert (json_is_array (allowed));
  for (size_t i = 0; sample_paths && sample_roots[i]; i++)
    json_array_append_new (allowed, json_string (sample_roots[i]));
  return policy_json (j);
}

/* Applying P refuses CFG for RULE, naming PATH; the message has the form
 * "policy: RULE: ... (PATH)". */
static void
expect_refused (const sr_policy_t *p, json_t *cfg, const char *rule, const char *path)
{
  sr_error_t err = { 0, NULL };
  char head[128], tail[300];

  ck_assert_msg (sr_policy_apply (p, cfg, &err) < 0, "%s: not refused", rule);
  snprintf (head, sizeof head, "policy: %s: ", rule);
  snprintf (tail, sizeof tail, "(%s)", path);
  ck_assert_msg (strncmp (err.msg, head, strlen (head)) == 0, "%s", err.msg);
  ck_assert_msg (strlen (err.msg) >= strlen (tail)
                 && strcmp (err.msg + strlen (err.msg) - strlen (tail), tail) == 0,
                 "%s: expected to end with %s", err.msg, tail);
  sr_error_clear (&err);
}

static void
expect_passes (const sr_policy_t *p, json_t *cfg)
{
  sr_error_t err = { 0, NULL };

  ck_assert_msg (sr_policy_apply (p, cfg, &err) == 0, "%s", err.msg);
}

/* Under "audit" the rule logs and lets the config through untouched. */
static void
expect_audit_only (const char *rule, json_t *cfg)
{
  sr_policy_t *p = policy_one (rule, "\"audit\"");
  json_t *before = json_deep_copy (cfg);

  expect_passes (p, cfg);
  ck_assert_msg (json_equal (before, cfg), "audit mode changed the config");
  json_decref (before);
  sr_policy_free (p);
}

/* The full check of one crafted config breaking RULE at PATH: the
 * checklist finds it, "enforce" refuses it, "audit" lets it run, "off"
 * ignores it. */
static void
expect_rule (json_t *cfg, const char *rule, const char *path, const char *enforce_setting)
{
  sr_policy_t *p;
  json_t *copy;

  expect_finding (cfg, rule, path, NULL, false);
  p = policy_one (rule, enforce_setting ? enforce_setting : "\"enforce\"");
  copy = json_deep_copy (cfg);
  expect_refused (p, copy, rule, path);
  json_decref (copy);
  sr_policy_free (p);
  copy = json_deep_copy (cfg);
  expect_audit_only (rule, copy);
  json_decref (copy);
  p = policy_one (rule, "\"off\"");
  expect_passes (p, cfg);
  sr_policy_free (p);
}

static json_t *
bind_mount (const char *src, const char *dst, bool ro)
{
  return json_pack ("{s:s, s:s, s:s, s:[s, s]}", "destination", dst, "type", "bind",
                    "source", src, "options", "rbind", ro ? "ro" : "rw");
}

/* ------------------------------------------------------------------ */
/* A process in namespaces of its own (a new user namespace makes this
 * work unprivileged too): the stand-in for a pod's sandbox. */

static char ns_stack[64 * 1024] __attribute__ ((aligned (16)));

static int
ns_child_main (void *arg)
{
  (void) arg;
  for (;;)
    pause ();
  return 0;
}

static pid_t
ns_child (void)
{
  pid_t pid = clone (ns_child_main, ns_stack + sizeof ns_stack,
                     CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWIPC
                     | CLONE_NEWUTS | SIGCHLD, NULL);
  ck_assert_msg (pid > 0, "clone a namespaced child: %m");
  return pid;
}

static void
ns_child_end (pid_t pid)
{
  kill (pid, SIGKILL);
  waitpid (pid, NULL, 0);
}

/* Points every namespace path of CFG (the sample's /proc/PID/ns/X and
 * /var/run/netns/cni-...) at PID's namespaces. */
static void
remap_ns_paths (json_t *cfg, pid_t pid)
{
  json_t *e;
  size_t i;

  json_array_foreach (jat (cfg, "linux.namespaces"), i, e)
    if (json_object_get (e, "path"))
      {
        const char *t = json_string_value (json_object_get (e, "type"));
        char p[64];
        snprintf (p, sizeof p, "/proc/%d/ns/%s", (int) pid,
                  strcmp (t, "network") == 0 ? "net" : t);
        json_object_set_new (e, "path", json_string (p));
      }
}

/* ------------------------------------------------------------------ */
/* the checklist */

START_TEST (test_clean_has_no_findings)
{
  json_t *c = clean_config ();
  expect_no_finding (c, NULL);
  json_decref (c);
}
END_TEST

/* The launcher's hardened defaults (profiles/hardened.json), with the
 * seccomp profile it adds: nothing to report but the limits it leaves to
 * the command line (--memory, --cpus). */
START_TEST (test_hardened_default)
{
  char path[PATH_MAX];
  sr_finding_t *f;
  json_t *h, *c;
  size_t n;

  snprintf (path, sizeof path, "%s/hardened.json", PROFILE_SRCDIR);
  if (access (path, R_OK) != 0)
    return; /* launch not in this tree */
  h = jload (path);
  c = json_deep_copy (json_object_get (h, "config"));
  ck_assert (json_is_object (c));
  jset (c, "linux.seccomp", jload (SECCOMP_PROFILE));
  /* The launcher's default is the checklist's answer: no finding at all. */
  n = audit (c, &f);
  char *all = findings_text (f, n);
  ck_assert_msg (n == 0, "findings on the hardened default:%s", all);
  free (all);
  sr_findings_free (f, n);
  expect_no_finding (c, NULL);
  json_decref (c);
  json_decref (h);
}
END_TEST

/* `secrun spec`: runc's defaults, which the checklist grades; the
 * rootless variant's read-only bind of /sys is not a host-path finding. */
START_TEST (test_spec_defaults)
{
  json_t *c = sr_spec_default (false);

  expect_finding (c, "non-root", "process.user.uid", "high", false);
  expect_finding (c, "seccomp", "linux.seccomp", "high", false);
  expect_no_finding (c, "privileged");
  expect_no_finding (c, "sensitive-mounts");
  expect_no_finding (c, "no-new-privileges");
  expect_no_finding (c, "read-only-rootfs");
  json_decref (c);
  c = sr_spec_default (true);
  expect_no_finding (c, "host-paths");
  expect_no_finding (c, "sensitive-mounts");
  json_decref (c);
}
END_TEST

START_TEST (test_findings_sorted_and_complete)
{
  json_t *c = clean_config ();
  sr_finding_t *f;
  size_t n;

  jset (c, "process.user.uid", json_integer (0));            /* high */
  jset (c, "linux.resources.cpu", NULL);                     /* low */
  jset (c, "root.readonly", json_false ());                  /* medium */
  n = audit (c, &f);
  ck_assert_uint_eq (n, 3);
  ck_assert_str_eq (f[0].severity, "high");
  ck_assert_str_eq (f[1].severity, "medium");
  ck_assert_str_eq (f[2].severity, "low");
  for (size_t i = 0; i < n; i++)
    ck_assert (f[i].rule && f[i].path && f[i].message && f[i].fix);
  sr_findings_free (f, n);
  json_decref (c);
}
END_TEST

/* ------------------------------------------------------------------ */
/* one test per rule: checklist, enforce, audit, off */

START_TEST (test_rule_privileged)
{
  static const char *const sets[] = { "bounding", "effective", "permitted", NULL };
  json_t *c = clean_config (), *all = json_array ();

  for (int i = 0; i <= 37; i++)
    {
      char name[64];
      const char *s = sr_cap_name ((unsigned) i);
      snprintf (name, sizeof name, "CAP_%s", s);
      for (char *p = name; *p; p++)
        *p = (char) toupper ((unsigned char) *p);
      json_array_append_new (all, json_string (name));
    }
  for (int i = 0; sets[i]; i++)
    json_object_set (json_object_get (jat (c, "process"), "capabilities"), sets[i], all);
  json_decref (all);
  expect_rule (c, "privileged", "process.capabilities.bounding", NULL);
  json_decref (c);

  /* a read-write /sys */
  c = clean_config ();
  json_array_set_new (jat (c, "mounts"), 2,
                      json_pack ("{s:s, s:s, s:s, s:[s]}", "destination", "/sys",
                                 "type", "sysfs", "source", "sysfs", "options", "nosuid"));
  expect_rule (c, "privileged", "mounts[2].options", NULL);
  json_decref (c);

  /* a read-write cgroupfs: "rw" after "ro" wins, as mount_opts.c reads it */
  c = clean_config ();
  json_array_set_new (jat (c, "mounts"), 3,
                      json_pack ("{s:s, s:s, s:s, s:[s, s]}", "destination", "/sys/fs/cgroup",
                                 "type", "cgroup", "source", "cgroup", "options", "ro", "rw"));
  expect_rule (c, "privileged", "mounts[3].options", NULL);
  json_decref (c);

  /* every device allowed */
  c = clean_config ();
  json_array_append_new (jat (c, "linux.resources.devices"),
                         json_pack ("{s:b, s:s}", "allow", 1, "access", "rwm"));
  expect_rule (c, "privileged", "linux.resources.devices[1]", NULL);
  json_decref (c);
}
END_TEST

START_TEST (test_rule_host_namespaces)
{
  json_t *c = clean_config ();
  sr_policy_t *p;
  pid_t child;

  /* absent = the host's */
  json_array_remove (jat (c, "linux.namespaces"), 4); /* network */
  expect_rule (c, "host-namespaces", "linux.namespaces", NULL);
  /* ... unless the policy allows it (hostNetwork pods) */
  p = policy_one ("host-namespaces", "{\"mode\":\"enforce\",\"allowed\":[\"network\"]}");
  expect_passes (p, c);
  sr_policy_free (p);
  json_decref (c);

  c = clean_config ();
  json_array_remove (jat (c, "linux.namespaces"), 0); /* pid */
  expect_rule (c, "host-namespaces", "linux.namespaces", NULL);
  json_decref (c);

  /* joined by path: the host's own namespace */
  c = clean_config ();
  json_array_set_new (jat (c, "linux.namespaces"), 1,
                      json_pack ("{s:s, s:s}", "type", "ipc", "path", "/proc/self/ns/ipc"));
  expect_rule (c, "host-namespaces", "linux.namespaces[1].path", NULL);
  json_decref (c);

  /* joined by path: a pod's namespaces, as CRI app containers do */
  child = ns_child ();
  c = clean_config ();
  for (int i = 0; i < 5; i++)
    {
      json_t *e = json_array_get (jat (c, "linux.namespaces"), (size_t) i);
      const char *t = json_string_value (json_object_get (e, "type"));
      if (strcmp (t, "mount") != 0)
        json_object_set_new (e, "path", json_string ("x"));
    }
  remap_ns_paths (c, child);
  expect_no_finding (c, NULL);
  p = policy_one ("host-namespaces", "\"enforce\"");
  expect_passes (p, c);
  sr_policy_free (p);
  json_decref (c);
  ns_child_end (child);

  /* a path that cannot be checked: refused when creating, not reported by
   * the checklist (the config may come from another machine) */
  c = clean_config ();
  json_array_set_new (jat (c, "linux.namespaces"), 4,
                      json_pack ("{s:s, s:s}", "type", "network", "path",
                                 "/var/run/netns/does-not-exist"));
  expect_no_finding (c, "host-namespaces");
  p = policy_one ("host-namespaces", "\"enforce\"");
  expect_refused (p, c, "host-namespaces", "linux.namespaces[4].path");
  sr_policy_free (p);
  json_decref (c);
}
END_TEST

START_TEST (test_rule_host_paths)
{
  char dir[] = "/tmp/check_policy.XXXXXX", sub[256], link[256], setting[1024];
  sr_policy_t *p;
  json_t *c;

  ck_assert (mkdtemp (dir) != NULL);
  snprintf (sub, sizeof sub, "%s/data", dir);
  ck_assert_int_eq (mkdir (sub, 0755), 0);
  snprintf (link, sizeof link, "%s/escape", dir);
  ck_assert_int_eq (symlink ("/etc", link), 0);

  /* a host path outside every allow-list */
  c = clean_config ();
  json_array_append_new (jat (c, "mounts"), bind_mount ("/srv", "/srv", false));
  expect_rule (c, "host-paths", "mounts[5].source", NULL);
  expect_finding (c, "host-paths", "mounts[5].source", "high", true);
  json_decref (c);

  /* inside an allowed directory; by a pattern too */
  snprintf (setting, sizeof setting, "{\"mode\":\"enforce\",\"allowed\":[\"%s\"]}", dir);
  p = policy_one ("host-paths", setting);
  c = clean_config ();
  json_array_append_new (jat (c, "mounts"), bind_mount (sub, "/data", false));
  expect_passes (p, c);
  json_decref (c);
  /* a symlink in the allowed directory does not lead out of it */
  c = clean_config ();
  json_array_append_new (jat (c, "mounts"), bind_mount (link, "/data", false));
  expect_refused (p, c, "host-paths", "mounts[5].source");
  json_decref (c);
  /* ".." that cannot be resolved is refused */
  c = clean_config ();
  snprintf (setting, sizeof setting, "%s/nope/../../../etc", dir);
  json_array_append_new (jat (c, "mounts"), bind_mount (setting, "/data", false));
  expect_refused (p, c, "host-paths", "mounts[5].source");
  json_decref (c);
  sr_policy_free (p);

  snprintf (setting, sizeof setting,
            "{\"mode\":\"enforce\",\"allowed\":[\"/tmp/check_policy.*/data\"]}");
  p = policy_one ("host-paths", setting);
  c = clean_config ();
  json_array_append_new (jat (c, "mounts"), bind_mount (sub, "/data", false));
  expect_passes (p, c);
  json_decref (c);
  sr_policy_free (p);

  /* read-only allowed: read-write is not */
  snprintf (setting, sizeof setting,
            "{\"mode\":\"enforce\",\"allowed\":[],\"allowedReadOnly\":[\"%s\"]}", sub);
  p = policy_one ("host-paths", setting);
  c = clean_config ();
  json_array_append_new (jat (c, "mounts"), bind_mount (sub, "/data", true));
  expect_passes (p, c);
  json_decref (c);
  c = clean_config ();
  json_array_append_new (jat (c, "mounts"), bind_mount (sub, "/data", false));
  expect_refused (p, c, "host-paths", "mounts[5].source");
  json_decref (c);
  sr_policy_free (p);

  /* the default allow-list: kubelet volumes */
  c = clean_config ();
  json_array_append_new (jat (c, "mounts"),
                         bind_mount ("/var/lib/kubelet/pods/u1/volumes/kubernetes.io~empty-dir/x",
                                     "/x", false));
  expect_no_finding (c, NULL);
  json_decref (c);

  unlink (link);
  rmdir (sub);
  rmdir (dir);
}
END_TEST

START_TEST (test_rule_sensitive_mounts)
{
  sr_policy_t *p;
  json_t *c;

  /* a daemon socket, even read-only */
  c = clean_config ();
  json_array_append_new (jat (c, "mounts"),
                         bind_mount ("/run/containerd/containerd.sock", "/s", true));
  expect_finding (c, "sensitive-mounts", "mounts[5].source", "high", false);
  p = policy_one ("sensitive-mounts", "\"enforce\"");
  expect_refused (p, c, "sensitive-mounts", "mounts[5].source");
  sr_policy_free (p);
  json_decref (c);

  /* the host's root, read-only: it still holds the sockets */
  c = clean_config ();
  json_array_append_new (jat (c, "mounts"), bind_mount ("/", "/host", true));
  expect_finding (c, "sensitive-mounts", "mounts[5].source", "high", false);
  json_decref (c);

  /* /etc read-write; /etc/localtime read-only is fine */
  c = clean_config ();
  json_array_append_new (jat (c, "mounts"), bind_mount ("/etc", "/etc2", false));
  expect_rule (c, "sensitive-mounts", "mounts[5].source", "{\"mode\":\"enforce\",\"tighten\":false}");
  json_decref (c);
  c = clean_config ();
  json_array_append_new (jat (c, "mounts"), bind_mount ("/etc/hostname", "/etc/hostname", true));
  expect_no_finding (c, "sensitive-mounts");
  json_decref (c);

  /* /proc unmasked, /proc/sys writable */
  c = clean_config ();
  jset (c, "linux.maskedPaths", json_pack ("[s]", "/proc/acpi"));
  expect_rule (c, "sensitive-mounts", "linux.maskedPaths", "{\"mode\":\"enforce\",\"tighten\":false}");
  json_decref (c);
  c = clean_config ();
  jset (c, "linux.readonlyPaths", NULL);
  expect_rule (c, "sensitive-mounts", "linux.readonlyPaths", "{\"mode\":\"enforce\",\"tighten\":false}");
  /* tightened: the missing paths are added */
  jset (c, "linux.maskedPaths", NULL);
  p = policy_one ("sensitive-mounts", "\"enforce\"");
  expect_passes (p, c);
  sr_policy_free (p);
  ck_assert (jarr_has (jat (c, "linux.maskedPaths"), "/proc/kcore"));
  ck_assert (jarr_has (jat (c, "linux.maskedPaths"), "/sys/firmware"));
  ck_assert (jarr_has (jat (c, "linux.readonlyPaths"), "/proc/sys"));
  expect_no_finding (c, NULL);
  json_decref (c);
}
END_TEST

START_TEST (test_rule_devices)
{
  sr_policy_t *p;
  json_t *c;

  /* a block device node */
  c = clean_config ();
  jset (c, "linux.devices", json_pack ("[{s:s, s:s, s:i, s:i}]", "path", "/dev/sda",
                                       "type", "b", "major", 8, "minor", 0));
  expect_rule (c, "devices", "linux.devices[0]", NULL);
  expect_finding (c, "devices", "linux.devices[0]", "high", true);
  /* listed in the policy: fine */
  p = policy_one ("devices", "{\"mode\":\"enforce\",\"allowed\":[\"b 8:*\"]}");
  expect_passes (p, c);
  sr_policy_free (p);
  json_decref (c);

  /* a cgroup rule opening /dev/kvm */
  c = clean_config ();
  json_array_append_new (jat (c, "linux.resources.devices"),
                         json_pack ("{s:b, s:s, s:i, s:i, s:s}", "allow", 1, "type", "c",
                                    "major", 10, "minor", 232, "access", "rwm"));
  expect_rule (c, "devices", "linux.resources.devices[1]", NULL);
  json_decref (c);

  /* what every container has anyway, and mknod-only rules, are fine */
  c = clean_config ();
  jset (c, "linux.devices", json_pack ("[{s:s, s:s, s:i, s:i}]", "path", "/dev/mynull",
                                       "type", "c", "major", 1, "minor", 3));
  json_array_append_new (jat (c, "linux.resources.devices"),
                         json_pack ("{s:b, s:s, s:i, s:s}", "allow", 1, "type", "c",
                                    "major", 136, "access", "rwm"));
  json_array_append_new (jat (c, "linux.resources.devices"),
                         json_pack ("{s:b, s:s, s:s}", "allow", 1, "type", "b", "access", "m"));
  expect_no_finding (c, NULL);
  json_decref (c);
}
END_TEST

START_TEST (test_rule_non_root)
{
  sr_policy_t *p;
  json_t *c = clean_config ();

  jset (c, "process.user.uid", json_integer (0));
  expect_rule (c, "non-root", "process.user.uid", NULL);
  expect_finding (c, "non-root", "process.user.uid", "high", true);

  /* root in a user namespace mapped to an unprivileged host uid */
  json_array_append_new (jat (c, "linux.namespaces"), json_pack ("{s:s}", "type", "user"));
  jset (c, "linux.uidMappings", json_pack ("[{s:i, s:i, s:i}]", "containerID", 0,
                                           "hostID", 100000, "size", 65536));
  expect_no_finding (c, NULL);
  p = policy_one ("non-root", "\"enforce\"");
  expect_passes (p, c);

  /* a non-zero uid that the mapping makes host root */
  jset (c, "process.user.uid", json_integer (1000));
  jset (c, "linux.uidMappings", json_pack ("[{s:i, s:i, s:i}]", "containerID", 1000,
                                           "hostID", 0, "size", 1));
  expect_refused (p, c, "non-root", "linux.uidMappings");
  sr_policy_free (p);
  json_decref (c);
}
END_TEST

START_TEST (test_rule_read_only_rootfs)
{
  json_t *c = clean_config ();

  jset (c, "root.readonly", json_false ());
  expect_rule (c, "read-only-rootfs", "root.readonly", NULL);
  jset (c, "root.readonly", NULL);
  expect_finding (c, "read-only-rootfs", "root.readonly", "medium", true);
  json_decref (c);
}
END_TEST

START_TEST (test_rule_capabilities)
{
  sr_policy_t *p;
  sr_error_t err = { 0, NULL };
  json_t *c = clean_config (), *caps;

  caps = json_pack ("[s, s, s]", "CAP_SYS_ADMIN", "CAP_NET_BIND_SERVICE", "CAP_CHOWN");
  json_object_set (jat (c, "process.capabilities"), "bounding", caps);
  json_object_set (jat (c, "process.capabilities"), "effective", caps);
  json_object_set (jat (c, "process.capabilities"), "ambient", caps);
  json_decref (caps);
  expect_rule (c, "capabilities", "process.capabilities.bounding",
               "{\"mode\":\"enforce\",\"tighten\":false}");
  /* the dangerous one stands out as high, the default-set one is low */
  sr_finding_t *f;
  size_t n = audit (c, &f);
  ck_assert_uint_eq (n, 2);
  ck_assert_str_eq (f[0].severity, "high");
  ck_assert_ptr_nonnull (strstr (f[0].message, "CAP_SYS_ADMIN"));
  ck_assert_str_eq (f[1].severity, "low");
  ck_assert_ptr_nonnull (strstr (f[1].message, "CAP_CHOWN"));
  sr_findings_free (f, n);

  /* refused, naming the capability */
  p = policy_one ("capabilities", "{\"mode\":\"enforce\",\"tighten\":false}");
  ck_assert_int_lt (sr_policy_apply (p, c, &err), 0);
  ck_assert_ptr_nonnull (strstr (err.msg, "CAP_SYS_ADMIN"));
  sr_error_clear (&err);
  sr_policy_free (p);

  /* tightened: dropped from every set, the allowed one kept */
  p = policy_one ("capabilities", "{\"mode\":\"enforce\",\"allowed\":[\"CAP_NET_BIND_SERVICE\"]}");
  expect_passes (p, c);
  sr_policy_free (p);
  for (const char *const *s = (const char *const[]) { "bounding", "effective", "ambient", NULL };
       *s; s++)
    {
      json_t *a = json_object_get (jat (c, "process.capabilities"), *s);
      ck_assert_uint_eq (json_array_size (a), 1);
      ck_assert (jarr_has (a, "CAP_NET_BIND_SERVICE"));
    }
  expect_no_finding (c, NULL);
  json_decref (c);

  /* absent capabilities mean none at all */
  c = clean_config ();
  jset (c, "process.capabilities", NULL);
  expect_no_finding (c, NULL);
  json_decref (c);
}
END_TEST

START_TEST (test_rule_no_new_privileges)
{
  sr_policy_t *p;
  json_t *c = clean_config ();

  jset (c, "process.noNewPrivileges", json_false ());
  expect_rule (c, "no-new-privileges", "process.noNewPrivileges",
               "{\"mode\":\"enforce\",\"tighten\":false}");
  jset (c, "process.noNewPrivileges", NULL);
  p = policy_one ("no-new-privileges", "\"enforce\"");
  expect_passes (p, c);
  sr_policy_free (p);
  ck_assert (json_is_true (jat (c, "process.noNewPrivileges")));
  json_decref (c);
}
END_TEST

START_TEST (test_rule_seccomp)
{
  sr_policy_t *p;
  json_t *c = clean_config ();

  /* none at all */
  jset (c, "linux.seccomp", NULL);
  expect_rule (c, "seccomp", "linux.seccomp", "{\"mode\":\"enforce\",\"tighten\":false}");
  expect_finding (c, "seccomp", "linux.seccomp", "high", true);
  /* tightened: the default profile, with this kernel's architectures only */
  p = policy_one ("seccomp", "\"enforce\"");
  expect_passes (p, c);
  ck_assert_str_eq (json_string_value (jat (c, "linux.seccomp.defaultAction")), "SCMP_ACT_ERRNO");
  ck_assert_int_gt (json_array_size (jat (c, "linux.seccomp.syscalls")), 0);
#ifdef __x86_64__
  ck_assert (!jarr_has (jat (c, "linux.seccomp.architectures"), "SCMP_ARCH_AARCH64"));
  ck_assert (jarr_has (jat (c, "linux.seccomp.architectures"), "SCMP_ARCH_X86_64"));
#endif
  expect_no_finding (c, NULL);
  /* the tightened tree is what the parser gets */
  {
    sr_error_t err = { 0, NULL };
    sr_config_t *cfg = sr_config_from_json (json_deep_copy (c), &err);
    ck_assert_msg (cfg != NULL, "%s", err.msg);
    ck_assert (cfg->linux_.seccomp.set);
    sr_config_free (cfg);
  }

  /* asked for unconfined: refused, even by a rule that tightens */
  jset (c, "linux.seccomp", json_pack ("{s:s}", "defaultAction", "SCMP_ACT_ALLOW"));
  expect_refused (p, c, "seccomp", "linux.seccomp.defaultAction");
  expect_rule (c, "seccomp", "linux.seccomp.defaultAction", NULL);
  /* a deny-list is not unconfined */
  jset (c, "linux.seccomp", json_pack ("{s:s, s:[{s:[s], s:s}]}", "defaultAction",
                                       "SCMP_ACT_ALLOW", "syscalls", "names", "kexec_load",
                                       "action", "SCMP_ACT_ERRNO"));
  expect_passes (p, c);
  sr_policy_free (p);
  json_decref (c);
}
END_TEST

START_TEST (test_rule_memory_limit)
{
  json_t *c = clean_config ();

  jset (c, "linux.resources.memory", NULL);
  expect_rule (c, "memory-limit", "linux.resources.memory.limit", NULL);
  jset (c, "linux.resources.memory.limit", json_integer (-1));
  expect_finding (c, "memory-limit", "linux.resources.memory.limit", "medium", true);
  /* cgroup v2 unified form counts */
  jset (c, "linux.resources.memory", NULL);
  jset (c, "linux.resources.unified", json_pack ("{s:s}", "memory.max", "1073741824"));
  expect_no_finding (c, NULL);
  json_decref (c);
}
END_TEST

START_TEST (test_rule_pids_limit)
{
  sr_policy_t *p;
  json_t *c = clean_config ();

  jset (c, "linux.resources.pids", NULL);
  expect_rule (c, "pids-limit", "linux.resources.pids.limit",
               "{\"mode\":\"enforce\",\"tighten\":false}");
  p = policy_one ("pids-limit", "{\"mode\":\"enforce\",\"default\":512}");
  expect_passes (p, c);
  ck_assert_int_eq (json_integer_value (jat (c, "linux.resources.pids.limit")), 512);
  sr_policy_free (p);
  /* and into a config with no linux.resources at all */
  jset (c, "linux.resources", NULL);
  p = policy_one ("pids-limit", "\"enforce\"");
  expect_passes (p, c);
  ck_assert_int_eq (json_integer_value (jat (c, "linux.resources.pids.limit")), 4096);
  sr_policy_free (p);
  json_decref (c);
}
END_TEST

START_TEST (test_rule_cpu_limit)
{
  json_t *c = clean_config ();

  jset (c, "linux.resources.cpu", NULL);
  expect_rule (c, "cpu-limit", "linux.resources.cpu.quota", NULL);
  expect_finding (c, "cpu-limit", "linux.resources.cpu.quota", "low", true);
  jset (c, "linux.resources.cpu.cpus", json_string ("0-1"));
  expect_no_finding (c, NULL);
  json_decref (c);
}
END_TEST

START_TEST (test_rule_secrets_in_env)
{
  sr_policy_t *p;
  sr_finding_t *f;
  size_t n;
  json_t *c = clean_config ();

  json_array_append_new (jat (c, "process.env"), json_string ("DB_Password=hunter2"));
  expect_rule (c, "secrets-in-env", "process.env[2]", NULL);
  /* the value is never repeated */
  n = audit (c, &f);
  ck_assert_uint_eq (n, 1);
  ck_assert_ptr_null (strstr (f[0].message, "hunter2"));
  ck_assert_ptr_nonnull (strstr (f[0].message, "DB_Password"));
  sr_findings_free (f, n);
  /* every word, case-insensitive; empty values are no secret */
  json_array_clear (jat (c, "process.env"));
  json_array_append_new (jat (c, "process.env"), json_string ("GITHUB_TOKEN=x"));
  json_array_append_new (jat (c, "process.env"), json_string ("aws_secret_access_key=x"));
  json_array_append_new (jat (c, "process.env"), json_string ("API_KEY=x"));
  json_array_append_new (jat (c, "process.env"), json_string ("PASSWORD="));
  json_array_append_new (jat (c, "process.env"), json_string ("PATH=/bin"));
  n = audit (c, &f);
  ck_assert_uint_eq (n, 3);
  sr_findings_free (f, n);
  /* an ignore list for the known-harmless ones (GPG_KEY in python images) */
  json_array_clear (jat (c, "process.env"));
  json_array_append_new (jat (c, "process.env"), json_string ("GPG_KEY=A035C8C19219BA821ECEA86B64E628F8D684696D"));
  p = policy_one ("secrets-in-env", "{\"mode\":\"enforce\",\"ignore\":[\"GPG_KEY\"]}");
  expect_passes (p, c);
  sr_policy_free (p);
  json_decref (c);
}
END_TEST

/* ------------------------------------------------------------------ */
/* the pause container */

START_TEST (test_sandbox_exempt_from_limits_only)
{
  json_t *c = clean_config ();

  jset (c, "linux.resources.memory", NULL);
  jset (c, "linux.resources.pids", NULL);
  jset (c, "linux.resources.cpu", NULL);
  jset (c, "annotations", json_pack ("{s:s}", SR_CRI_CONTAINER_TYPE, "sandbox"));
  expect_no_finding (c, NULL);
  /* everything else still applies to it */
  jset (c, "process.user.uid", json_integer (0));
  expect_finding (c, "non-root", "process.user.uid", "high", true);
  /* an app container of the pod is not exempt */
  jset (c, "process.user.uid", json_integer (1000));
  jset (c, "annotations", json_pack ("{s:s}", SR_CRI_CONTAINER_TYPE, "container"));
  expect_finding (c, "memory-limit", "linux.resources.memory.limit", NULL, false);
  json_decref (c);
}
END_TEST

/* ------------------------------------------------------------------ */
/* policy files */

static void
expect_policy_error (const char *text, const char *expected)
{
  sr_error_t err = { 0, NULL };
  sr_policy_t *p = NULL;
  json_t *j = jparse (text);

  ck_assert_int_lt (sr_policy_parse (j, NULL, "p", &p, &err), 0);
  ck_assert_ptr_null (p);
  ck_assert_msg (strstr (err.msg, expected) != NULL, "%s: expected \"%s\"", err.msg, expected);
  sr_error_clear (&err);
  json_decref (j);
}

START_TEST (test_policy_parse_errors)
{
  expect_policy_error ("[]", "expected a JSON object");
  expect_policy_error ("{\"rules\":{}}", "version: expected 1");
  expect_policy_error ("{\"version\":2,\"rules\":{}}", "version: expected 1");
  expect_policy_error ("{\"version\":1}", "rules: expected an object");
  expect_policy_error ("{\"version\":1,\"rules\":{},\"extra\":1}", "unknown key \"extra\"");
  expect_policy_error ("{\"version\":1,\"rules\":{\"non_root\":\"enforce\"}}",
                       "rules: unknown rule \"non_root\"");
  expect_policy_error ("{\"version\":1,\"rules\":{\"non-root\":\"strict\"}}",
                       "rules.non-root: expected \"enforce\", \"audit\" or \"off\"");
  expect_policy_error ("{\"version\":1,\"rules\":{\"non-root\":{\"tighten\":true}}}",
                       "rules.non-root.tighten: this rule never tightens");
  expect_policy_error ("{\"version\":1,\"rules\":{\"seccomp\":{\"mod\":\"enforce\"}}}",
                       "rules.seccomp: unknown key \"mod\"");
  expect_policy_error ("{\"version\":1,\"rules\":{\"seccomp\":{\"tighten\":false}}}",
                       "rules.seccomp.mode: required");
  expect_policy_error ("{\"version\":1,\"rules\":{\"capabilities\":{\"mode\":\"enforce\","
                       "\"allowed\":[\"CAP_NOPE\"]}}}",
                       "rules.capabilities.allowed[0]: unknown capability \"CAP_NOPE\"");
  expect_policy_error ("{\"version\":1,\"rules\":{\"host-namespaces\":{\"mode\":\"enforce\","
                       "\"allowed\":[\"uts\"]}}}", "rules.host-namespaces.allowed[0]");
  expect_policy_error ("{\"version\":1,\"rules\":{\"host-paths\":{\"mode\":\"enforce\","
                       "\"allowed\":[\"var/lib\"]}}}", "not an absolute path");
  expect_policy_error ("{\"version\":1,\"rules\":{\"devices\":{\"mode\":\"enforce\","
                       "\"allowed\":[\"x 1:2\"]}}}", "rules.devices.allowed[0]");
  expect_policy_error ("{\"version\":1,\"rules\":{\"pids-limit\":{\"mode\":\"enforce\","
                       "\"default\":0}}}", "rules.pids-limit.default");
  expect_policy_error ("{\"version\":1,\"rules\":{\"seccomp\":{\"mode\":\"enforce\","
                       "\"profile\":\"/nonexistent/profile.json\"}}}",
                       "rules.seccomp.profile: /nonexistent/profile.json");
}
END_TEST

START_TEST (test_policy_load_file)
{
  char dir[] = "/tmp/check_policy.XXXXXX", path[PATH_MAX];
  sr_error_t err = { 0, NULL };
  sr_policy_t *p;
  FILE *f;

  ck_assert (mkdtemp (dir) != NULL);
  snprintf (path, sizeof path, "%s/policy.json", dir);
  f = fopen (path, "w");
  fprintf (f, "{\"version\":1,\"name\":\"mine\",\"rules\":{\"non-root\":\"enforce\","
           "\"seccomp\":{\"mode\":\"enforce\",\"profile\":\"profile.json\"}}}");
  fclose (f);
  /* a relative profile path is relative to the policy file */
  {
    char prof[PATH_MAX];
    snprintf (prof, sizeof prof, "%s/profile.json", dir);
    ck_assert_int_eq (symlink (SECCOMP_PROFILE, prof), 0);
  }
  chmod (path, 0644);
  ck_assert_msg (sr_policy_load (path, &p, &err) == 0, "%s", err.msg);
  ck_assert_str_eq (sr_policy_name (p), "mine");
  sr_policy_free (p);

  /* writable by others: whoever can write it decides */
  chmod (path, 0666);
  ck_assert_int_lt (sr_policy_load (path, &p, &err), 0);
  ck_assert_ptr_nonnull (strstr (err.msg, "writable by group or others"));
  sr_error_clear (&err);
  chmod (path, 0644);

  /* an explicit path that does not exist is an error, not "no policy" */
  ck_assert_int_lt (sr_policy_load ("/nonexistent/policy.json", &p, &err), 0);
  ck_assert_ptr_null (p);
  sr_error_clear (&err);
  /* not a regular file */
  ck_assert_int_lt (sr_policy_load (dir, &p, &err), 0);
  sr_error_clear (&err);
  /* no path: the default file, or no policy at all */
  if (access (SR_POLICY_DEFAULT_PATH, F_OK) != 0)
    {
      p = (sr_policy_t *) 1;
      ck_assert_int_eq (sr_policy_load (NULL, &p, &err), 0);
      ck_assert_ptr_null (p);
    }
  /* no policy applies nothing */
  {
    json_t *c = jparse ("{\"process\":{\"user\":{\"uid\":0}}}");
    expect_passes (NULL, c);
    json_decref (c);
  }

  snprintf (path, sizeof path, "%s/profile.json", dir);
  unlink (path);
  snprintf (path, sizeof path, "%s/policy.json", dir);
  unlink (path);
  rmdir (dir);
}
END_TEST

START_TEST (test_shipped_policies_parse)
{
  sr_policy_t *b = shipped_policy ("baseline", false);
  sr_policy_t *r = shipped_policy ("restricted", false);

  ck_assert_str_eq (sr_policy_name (b), "baseline");
  ck_assert_str_eq (sr_policy_name (r), "restricted");
  /* the clean config runs under both, untouched but for nothing */
  json_t *c = clean_config (), *before = json_deep_copy (c);
  expect_passes (b, c);
  expect_passes (r, c);
  ck_assert (json_equal (before, c));
  json_decref (before);
  json_decref (c);
  sr_policy_free (b);
  sr_policy_free (r);
}
END_TEST

START_TEST (test_exec_check)
{
  sr_error_t err = { 0, NULL };
  sr_policy_t *p = policy_one ("non-root", "\"enforce\"");
  json_t *j = clean_config ();
  sr_config_t *c = sr_config_from_json (j, &err);
  sr_process_t proc;

  ck_assert_msg (c != NULL, "%s", err.msg);
  proc = c->process;
  ck_assert_int_eq (sr_policy_check_exec (p, c, &proc, &err), 0);
  proc.user.uid.v = 0;
  ck_assert_int_lt (sr_policy_check_exec (p, c, &proc, &err), 0);
  ck_assert_ptr_nonnull (strstr (err.msg, "policy: non-root: exec runs as uid 0"));
  sr_error_clear (&err);
  sr_policy_free (p);
  p = policy_one ("non-root", "\"audit\"");
  ck_assert_int_eq (sr_policy_check_exec (p, c, &proc, &err), 0);
  sr_policy_free (p);
  sr_config_free (c);
}
END_TEST

/* ------------------------------------------------------------------ */
/* the client samples */

static const char *const config_samples[] = {
  "cri-container-hardened-config.json", "cri-sandbox-config.json",
  "cri-sandbox-hostnetwork-config.json", "ctr-run-d-config.json",
  "ctr-run-readonly-seccomp-config.json", "ctr-run-tty-config.json",
  "docker-hardened-config.json", "docker-init-ulimit-device-bind-config.json",
  "podman-hardened-config.json", NULL
};

/* Every sample audits, with the findings its client's settings call for. */
START_TEST (test_samples_audited)
{
  for (size_t i = 0; config_samples[i]; i++)
    {
      json_t *c = sample (config_samples[i]);
      sr_finding_t *f;
      size_t n = audit (c, &f);
      bool root = strncmp (config_samples[i], "ctr-", 4) == 0
                  || strncmp (config_samples[i], "docker-init", 11) == 0;
      bool sandbox = strstr (config_samples[i], "sandbox") != NULL;

      ck_assert_msg ((find_rule (f, n, "non-root") != NULL) == root, "%s", config_samples[i]);
      /* no privileged marker, no unconfined /proc, in any client's default */
      ck_assert_msg (find_rule (f, n, "privileged") == NULL, "%s", config_samples[i]);
      ck_assert_msg (find_rule (f, n, "sensitive-mounts") == NULL, "%s", config_samples[i]);
      ck_assert_msg (find_rule (f, n, "devices") == NULL, "%s", config_samples[i]);
      /* the pause container is not asked for limits */
      if (sandbox)
        ck_assert_msg (find_rule (f, n, "memory-limit") == NULL, "%s", config_samples[i]);
      sr_findings_free (f, n);
      json_decref (c);
    }
}
END_TEST

START_TEST (test_samples_specific_findings)
{
  json_t *c;

  c = sample ("cri-sandbox-hostnetwork-config.json");
  expect_finding (c, "host-namespaces", "linux.namespaces", "high", false);
  json_decref (c);
  c = sample ("cri-sandbox-config.json");
  expect_finding (c, "seccomp", "linux.seccomp", "high", false);
  expect_finding (c, "capabilities", "process.capabilities.bounding", NULL, false);
  json_decref (c);
  c = sample ("docker-init-ulimit-device-bind-config.json");
  expect_finding (c, "no-new-privileges", "process.noNewPrivileges", "medium", false);
  expect_finding (c, "read-only-rootfs", "root.readonly", "medium", false);
  json_decref (c);
  c = sample ("docker-hardened-config.json");
  expect_no_finding (c, "non-root");
  expect_no_finding (c, "seccomp");
  expect_no_finding (c, "capabilities");
  expect_no_finding (c, "memory-limit");
  json_decref (c);
}
END_TEST

/* The strictest policy: the pause container starts, and so do the
 * hardened app containers of every client; root containers do not. */
START_TEST (test_samples_restricted)
{
  sr_policy_t *p = shipped_policy ("restricted", true);
  pid_t child = ns_child ();
  json_t *c;

  c = sample ("cri-sandbox-config.json");
  remap_ns_paths (c, child);
  expect_passes (p, c);
  /* tightened: the default profile, no capability left but the allowed
   * one, still non-root */
  ck_assert (json_is_object (jat (c, "linux.seccomp")));
  ck_assert_uint_eq (json_array_size (jat (c, "process.capabilities.bounding")), 1);
  ck_assert (jarr_has (jat (c, "process.capabilities.bounding"), "CAP_NET_BIND_SERVICE"));
  ck_assert_int_eq (json_integer_value (jat (c, "process.user.uid")), 65535);
  /* and still parses */
  {
    sr_error_t err = { 0, NULL };
    sr_config_t *cfg = sr_config_from_json (json_incref (c), &err);
    ck_assert_msg (cfg != NULL, "%s", err.msg);
    sr_config_free (cfg);
  }
  json_decref (c);

  /* a hostNetwork pod needs a policy that allows it */
  c = sample ("cri-sandbox-hostnetwork-config.json");
  expect_refused (p, c, "host-namespaces", "linux.namespaces");
  json_decref (c);

  c = sample ("cri-container-hardened-config.json");
  remap_ns_paths (c, child);
  expect_passes (p, c);
  ck_assert_int_eq (json_integer_value (jat (c, "linux.resources.pids.limit")), 4096);
  json_decref (c);

  c = sample ("docker-hardened-config.json");
  expect_passes (p, c);
  json_decref (c);
  c = sample ("podman-hardened-config.json");
  expect_passes (p, c);
  json_decref (c);

  c = sample ("ctr-run-d-config.json");
  expect_refused (p, c, "non-root", "process.user.uid");
  json_decref (c);
  c = sample ("docker-init-ulimit-device-bind-config.json");
  expect_refused (p, c, "host-paths", "mounts[8].source");
  json_decref (c);

  ns_child_end (child);
  sr_policy_free (p);
}
END_TEST

/* Baseline runs what the clients run by default. */
START_TEST (test_samples_baseline)
{
  sr_policy_t *p = shipped_policy ("baseline", true);
  pid_t child = ns_child ();

  for (size_t i = 0; config_samples[i]; i++)
    {
      json_t *c = sample (config_samples[i]);
      remap_ns_paths (c, child);
      if (strcmp (config_samples[i], "cri-sandbox-hostnetwork-config.json") == 0)
        expect_refused (p, c, "host-namespaces", "linux.namespaces");
      else if (strcmp (config_samples[i], "docker-init-ulimit-device-bind-config.json") == 0)
        expect_refused (p, c, "host-paths", "mounts[8].source"); /* -v /tmp/dk-bind */
      else
        {
          expect_passes (p, c);
          /* CAP_NET_RAW is not in the baseline list */
          ck_assert_msg (!jarr_has (jat (c, "process.capabilities.bounding"), "CAP_NET_RAW"),
                         "%s", config_samples[i]);
          ck_assert (json_is_object (jat (c, "linux.seccomp")));
        }
      json_decref (c);
    }
  ns_child_end (child);
  sr_policy_free (p);
}
END_TEST

/* ------------------------------------------------------------------ */

static Suite *
policy_suite (void)
{
  Suite *s = suite_create ("policy");
  TCase *tc;

  tc = tcase_create ("checklist");
  tcase_add_test (tc, test_clean_has_no_findings);
  tcase_add_test (tc, test_hardened_default);
  tcase_add_test (tc, test_findings_sorted_and_complete);
  tcase_add_test (tc, test_spec_defaults);
  suite_add_tcase (s, tc);

  tc = tcase_create ("rules");
  tcase_add_test (tc, test_rule_privileged);
  tcase_add_test (tc, test_rule_host_namespaces);
  tcase_add_test (tc, test_rule_host_paths);
  tcase_add_test (tc, test_rule_sensitive_mounts);
  tcase_add_test (tc, test_rule_devices);
  tcase_add_test (tc, test_rule_non_root);
  tcase_add_test (tc, test_rule_read_only_rootfs);
  tcase_add_test (tc, test_rule_capabilities);
  tcase_add_test (tc, test_rule_no_new_privileges);
  tcase_add_test (tc, test_rule_seccomp);
  tcase_add_test (tc, test_rule_memory_limit);
  tcase_add_test (tc, test_rule_pids_limit);
  tcase_add_test (tc, test_rule_cpu_limit);
  tcase_add_test (tc, test_rule_secrets_in_env);
  tcase_add_test (tc, test_sandbox_exempt_from_limits_only);
  suite_add_tcase (s, tc);

  tc = tcase_create ("policy");
  tcase_add_test (tc, test_policy_parse_errors);
  tcase_add_test (tc, test_policy_load_file);
  tcase_add_test (tc, test_shipped_policies_parse);
  tcase_add_test (tc, test_exec_check);
  suite_add_tcase (s, tc);

  tc = tcase_create ("samples");
  tcase_add_test (tc, test_samples_audited);
  tcase_add_test (tc, test_samples_specific_findings);
  tcase_add_test (tc, test_samples_restricted);
  tcase_add_test (tc, test_samples_baseline);
  suite_add_tcase (s, tc);

  return s;
}

int
main (void)
{
  SRunner *sr = srunner_create (policy_suite ());
  int failed;

  srunner_run_all (sr, CK_NORMAL);
  failed = srunner_ntests_failed (sr);
  srunner_free (sr);
  return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
