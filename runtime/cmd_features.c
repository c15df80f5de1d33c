/* secrun features: the runtime-spec features document, built from the same
 * tables the runtime uses, so it cannot claim what the code does not do. */
#include "build-config.h"

#include "caps.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <seccomp.h>

#include "commands.h"
#include "mounts.h"

static json_t *
strs (const char *const *v)
{
  json_t *a = json_array ();
  for (; *v; v++)
    json_array_append_new (a, json_string (*v));
  return a;
}

static json_t *
capabilities (void)
{
  json_t *a = json_array ();
  for (unsigned c = 0; c <= SR_CAP_LAST; c++)
    {
      const char *n = sr_cap_name (c);
      if (n == NULL)
        continue;
      char buf[64];
      snprintf (buf, sizeof buf, "CAP_%s", n);
      for (char *p = buf; *p; p++)
        *p = (char) (*p >= 'a' && *p <= 'z' ? *p - 32 : *p);
      json_array_append_new (a, json_string (buf));
    }
  return a;
}

static bool
lsm (const char *name)
{
  FILE *f = fopen ("/sys/kernel/security/lsm", "re");
  char buf[512] = "";
  if (f)
    {
      if (fgets (buf, sizeof buf, f) == NULL)
        buf[0] = '\0';
      fclose (f);
    }
  return strstr (buf, name) != NULL;
}

int
cmd_features (sr_global_t *g, int argc, char **argv)
{
  static const char *const hooks[] = { "prestart", "createRuntime", "createContainer",
                                       "startContainer", "poststart", "poststop", NULL };
  static const char *const ns[] = { "cgroup", "ipc", "mount", "network", "pid",
                                    "time", "user", "uts", NULL };
  static const char *const actions[] = { "SCMP_ACT_ALLOW", "SCMP_ACT_ERRNO",
                                         "SCMP_ACT_KILL", "SCMP_ACT_KILL_PROCESS",
                                         "SCMP_ACT_KILL_THREAD", "SCMP_ACT_LOG",
                                         "SCMP_ACT_TRACE", "SCMP_ACT_TRAP", NULL };
  static const char *const ops[] = { "SCMP_CMP_EQ", "SCMP_CMP_GE", "SCMP_CMP_GT",
                                     "SCMP_CMP_LE", "SCMP_CMP_LT", "SCMP_CMP_MASKED_EQ",
                                     "SCMP_CMP_NE", NULL };
  static const char *const archs[] = { "SCMP_ARCH_AARCH64", "SCMP_ARCH_ARM",
                                       "SCMP_ARCH_X32", "SCMP_ARCH_X86",
                                       "SCMP_ARCH_X86_64", NULL };
  static const char *const flags[] = { "SECCOMP_FILTER_FLAG_LOG",
                                       "SECCOMP_FILTER_FLAG_SPEC_ALLOW",
                                       "SECCOMP_FILTER_FLAG_TSYNC", NULL };
  const char *mopts[128];
  size_t n;

  (void) g;
  if (argc > 1 && (strcmp (argv[1], "--help") == 0 || strcmp (argv[1], "-h") == 0))
    {
      printf ("Usage: secrun features\n\nPrints the runtime-spec features JSON.\n");
      return 0;
    }
  n = sr_mount_opts_known (mopts, 127);
  mopts[n] = NULL;
  const struct scmp_version *v = seccomp_version ();
  char lib[64];
  snprintf (lib, sizeof lib, "%u.%u.%u", v->major, v->minor, v->micro);

  json_t *seccomp = json_pack ("{s:b, s:o, s:o, s:o, s:o, s:o}", "enabled", 1,
                               "actions", strs (actions), "operators", strs (ops),
                               "archs", strs (archs), "knownFlags", strs (flags),
                               "supportedFlags", strs (flags));
  json_t *linux_ = json_pack (
      "{s:o, s:o, s:{s:b, s:b, s:b, s:b, s:b}, s:o, s:{s:b}, s:{s:b}, s:{s:b}, s:{s:{s:b}}}",
      "namespaces", strs (ns), "capabilities", capabilities (),
      "cgroup", "v1", 1, "v2", 1, "systemd", 0, "systemdUser", 0, "rdma", 0,
      "seccomp", seccomp, "apparmor", "enabled", lsm ("apparmor"),
      "selinux", "enabled", lsm ("selinux"), "intelRdt", "enabled", 0,
      "mountExtensions", "idmap", "enabled", 0);
  json_t *doc = json_pack ("{s:s, s:s, s:o, s:o, s:o, s:{s:s, s:s, s:s}}",
                           "ociVersionMin", "1.0.0", "ociVersionMax", OCI_SPEC_VERSION,
                           "hooks", strs (hooks), "mountOptions", strs (mopts),
                           "linux", linux_, "annotations",
                           "io.github.seccomp.libseccomp.version", lib,
                           "org.secrun.version", PACKAGE_VERSION,
                           "org.secrun.commit", GIT_COMMIT);
  char *s = json_dumps (doc, JSON_INDENT (2) | JSON_PRESERVE_ORDER);
  printf ("%s\n", s);
  free (s);
  json_decref (doc);
  return 0;
}
