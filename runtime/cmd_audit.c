/* secrun audit [--format text|json] CONFIG.json|BUNDLE|IMAGE
 *
 * Grades a container's config against the hardening checklist (with the
 * global --policy, against that policy's rules and allow-lists instead).
 * An image is graded by the config `secrun launch IMAGE` would run: the
 * hardened defaults with the image's user and environment.
 * Exit status: 0 no finding, 1 findings, 2 the audit could not run; so
 * that a CI step can gate on it like on a linter. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "cleanup.h"
#include "commands.h"
#include "config.h"
#include "image.h"
#include "launch_config.h"
#include "log.h"
#include "policy.h"
#include "state.h"
#include "utils.h"

enum { AUDIT_CLEAN = 0, AUDIT_FINDINGS = 1, AUDIT_ERROR = 2 };

static void
usage (FILE *f)
{
  fprintf (f, "Usage: secrun [--policy FILE] audit [--format text|json] CONFIG.json|BUNDLE|IMAGE\n\n"
              "Grades a container's config.json against the hardening checklist:\n"
              "privileged, host namespaces, host paths, sensitive mounts, devices,\n"
              "non-root user, read-only rootfs, capabilities, no-new-privileges,\n"
              "seccomp, memory/pids/CPU limits, secrets in the environment.\n"
              "One finding per line: severity, rule, JSON path, what, and the fix.\n"
              "With --policy, grades against that policy instead (see secrun-policy(5)).\n"
              "IMAGE (oci:DIR[:TAG], docker-archive:FILE, or an archive file) is graded\n"
              "by the config `secrun launch IMAGE` would run.\n\n"
              "  --format FMT   text (default) or json\n\n"
              "Exit status: 0 no finding, 1 findings, 2 error.\n");
}

static int
print_json (const char *source, const sr_policy_t *p, sr_finding_t *f, size_t n)
{
  json_t *arr = json_array (), *o;
  size_t count[3] = { 0, 0, 0 };
  char *s;

  if (arr == NULL)
    return -1;
  for (size_t i = 0; i < n; i++)
    {
      count[strcmp (f[i].severity, "high") == 0 ? 0
            : strcmp (f[i].severity, "medium") == 0 ? 1 : 2]++;
      if (json_array_append_new (arr, json_pack ("{s:s, s:s, s:s, s:s, s:s}",
                                                 "severity", f[i].severity,
                                                 "rule", f[i].rule,
                                                 "path", f[i].path,
                                                 "message", f[i].message,
                                                 "fix", f[i].fix)) < 0)
        {
          json_decref (arr);
          return -1;
        }
    }
  o = json_pack ("{s:s, s:s?, s:o, s:{s:I, s:I, s:I}}", "config", source,
                 "policy", p ? sr_policy_name (p) : NULL, "findings", arr,
                 "summary", "high", (json_int_t) count[0], "medium",
                 (json_int_t) count[1], "low", (json_int_t) count[2]);
  if (o == NULL)
    return -1;
  s = json_dumps (o, JSON_INDENT (2) | JSON_PRESERVE_ORDER);
  json_decref (o);
  if (s == NULL)
    return -1;
  puts (s);
  free (s);
  return 0;
}

static void
print_text (const char *source, sr_finding_t *f, size_t n)
{
  size_t count[3] = { 0, 0, 0 };

  for (size_t i = 0; i < n; i++)
    {
      count[strcmp (f[i].severity, "high") == 0 ? 0
            : strcmp (f[i].severity, "medium") == 0 ? 1 : 2]++;
      printf ("%-6s %-17s %s: %s; fix: %s\n", f[i].severity, f[i].rule,
              f[i].path, f[i].message, f[i].fix);
    }
  fflush (stdout);
  /* The tally goes to stderr: stdout stays one finding per line. */
  if (n == 0)
    fprintf (stderr, "secrun audit: %s: no findings\n", source);
  else
    fprintf (stderr, "secrun audit: %s: %zu finding%s (%zu high, %zu medium, %zu low)\n",
             source, n, n == 1 ? "" : "s", count[0], count[1], count[2]);
}

/* A regular file is a config when it holds a JSON object, else an image
 * archive (docker save, podman save). */
static bool
looks_like_json (const char *path)
{
  _cleanup_fclose_ FILE *f = fopen (path, "re");
  int c;

  if (f == NULL)
    return true; /* let the JSON reader report it */
  while ((c = fgetc (f)) != EOF && (c == ' ' || c == '\t' || c == '\n' || c == '\r'))
    ;
  return c == '{';
}

/* The config `secrun launch IMAGE` would run, unpacking the image into
 * launch's cache under the state root (shared with launch, so a later
 * launch of it unpacks nothing). */
static json_t *
image_config (sr_global_t *g, const char *source, sr_error_t *err)
{
  _cleanup_free_ char *cache = NULL;
  _cleanup_free_ char *weak = NULL;
  sr_image_t img = { 0 };
  sr_launch_opts_t lo = { 0 };
  json_t *cfg;
  int rfd;

  rfd = sr_state_root_open (g->root, err);
  if (rfd < 0)
    return NULL;
  close (rfd);
  cache = sr_path_join (g->root, SR_IMAGE_CACHE);
  if (cache == NULL)
    return sr_error (err, ENOMEM, "audit"), NULL;
  if (sr_image_prepare (source, cache, &img, err) < 0)
    return NULL;
  lo.id = "audit";
  lo.source = source;
  lo.rootfs = img.rootfs;
  lo.image_rootfs = img.rootfs;
  lo.image_config = json_object_get (img.config, "config");
  lo.chain_id = img.chain_id;
  lo.no_new_privileges = -1;
  cfg = sr_launch_config (&lo, &weak, NULL, err);
  sr_image_release (&img);
  return cfg;
}

int
cmd_audit (sr_global_t *g, int argc, char **argv)
{
  static const struct option opts[] = { { "format", required_argument, NULL, 'f' },
                                        { "help", no_argument, NULL, 'h' },
                                        { NULL, 0, NULL, 0 } };
  _cleanup_free_ char *path = NULL;
  sr_error_t err = { 0 };
  sr_policy_t *policy = NULL;
  sr_finding_t *f = NULL;
  bool json = false;
  struct stat st;
  size_t n = 0;
  json_t *cfg;
  int c, ret;

  while ((c = getopt_long (argc, argv, "f:h", opts, NULL)) != -1)
    switch (c)
      {
      case 'f':
        if (strcmp (optarg, "json") == 0)
          json = true;
        else if (strcmp (optarg, "text") == 0)
          json = false;
        else
          {
            sr_log_error ("audit: --format: \"%s\" is not text or json", optarg);
            return AUDIT_ERROR;
          }
        break;
      case 'h': usage (stdout); return 0;
      default: usage (stderr); return AUDIT_ERROR;
      }
  if (optind != argc - 1)
    {
      usage (stderr);
      return AUDIT_ERROR;
    }
  const char *target = argv[optind];

  bool exists = stat (target, &st) == 0;
  int stat_errno = errno;
  bool is_dir = exists && S_ISDIR (st.st_mode);
  bool is_reg = exists && S_ISREG (st.st_mode);

  path = is_dir ? sr_path_join (target, "config.json") : strdup (target);
  if (path == NULL)
    {
      sr_log_error ("audit: out of memory");
      return AUDIT_ERROR;
    }
  if (!is_dir && sr_image_is_ref (target) && !(is_reg && looks_like_json (target)))
    cfg = image_config (g, target, &err);
  else if (!exists)
    {
      sr_log_error ("audit: %s: %s (give a config.json, a bundle, or an image as "
                    "oci:DIR[:TAG] or docker-archive:FILE)", target, strerror (stat_errno));
      return AUDIT_ERROR;
    }
  else
    cfg = sr_json_load (path, path, &err);
  if (cfg == NULL)
    {
      sr_error_prefix (&err, "audit");
      sr_fail (&err);
      return AUDIT_ERROR;
    }
  if (g->policy && sr_policy_load (g->policy, &policy, &err) < 0)
    {
      json_decref (cfg);
      sr_fail (&err);
      return AUDIT_ERROR;
    }
  ret = sr_policy_audit (policy, cfg, &f, &n, &err);
  json_decref (cfg);
  if (ret < 0)
    {
      sr_policy_free (policy);
      sr_fail (&err);
      return AUDIT_ERROR;
    }
  if (json)
    ret = print_json (path, policy, f, n);
  else
    print_text (path, f, n);
  sr_findings_free (f, n);
  sr_policy_free (policy);
  if (ret < 0)
    {
      sr_log_error ("audit: out of memory");
      return AUDIT_ERROR;
    }
  return n ? AUDIT_FINDINGS : AUDIT_CLEAN;
}
