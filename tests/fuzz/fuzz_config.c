/* Fuzz target: config.json, as `secrun create` reads it.
 *
 * The input is the text of a config.json. It goes through sr_config_parse;
 * a config that parses then goes through the checks create makes before
 * anything exists on the host, all of them pure: the mount options of every
 * mount, rootfsPropagation, the cgroupsPath resolution, linux.resources for
 * both cgroup versions, the device rules and their BPF program, the seccomp
 * filter (compiled by libseccomp in memory, never loaded), the hardening
 * checklist of `secrun audit`, and the restricted policy floor applied to
 * the tree and parsed again. */
#include "build-config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <linux/bpf.h>

#include "cgroup_internal.h"
#include "config.h"
#include "log.h"
#include "mounts.h"
#include "policy.h"
#include "seccomp_bpf.h"

#include "fuzz.h"

#ifndef FUZZ_POLICY
# error "FUZZ_POLICY must name profiles/policy/restricted.json"
#endif

static sr_policy_t *policy;

int
LLVMFuzzerInitialize (int *argc, char ***argv)
{
  sr_error_t err = { 0 };

  (void) argc;
  (void) argv;
  if (sr_policy_load (FUZZ_POLICY, &policy, &err) < 0 || policy == NULL)
    {
      fprintf (stderr, "fuzz_config: cannot load %s: %s\n", FUZZ_POLICY,
               err.msg ? err.msg : "no policy");
      abort ();
    }
  return 0;
}

static void
check_mounts (const sr_config_t *c)
{
  sr_error_t err = { 0 };

  for (size_t i = 0; i < c->n_mounts; i++)
    {
      sr_mount_opts_t o;
      int r = sr_mount_opts_parse (&c->mounts[i].options, &o, &err);
      fuzz_check_err (r, &err, "sr_mount_opts_parse");
      if (r == 0)
        sr_mount_opts_release (&o);
    }
  if (c->linux_.rootfs_propagation)
    (void) sr_propagation_parse (c->linux_.rootfs_propagation);
}

static void
check_cgroup (const sr_config_t *c)
{
  sr_error_t err = { 0 };
  sr_cg_needs_t needs;
  sr_device_rule_t *rules = NULL;
  struct bpf_insn *insns = NULL;
  size_t n_rules = 0, count = 0;
  char *path = NULL;
  int r;

  r = sr_cg_resolve_path ("fuzz", c->linux_.cgroups_path, &path, &err);
  fuzz_check_err (r, &err, "sr_cg_resolve_path");
  if (r == 0)
    {
      /* What create resolves is saved in the state and checked again by
       * every later command: it must pass that check. */
      r = sr_cg_check_abs_path ("path", path, &err);
      FUZZ_ASSERT (r == 0, "resolved cgroup path \"%s\" refused: %s", path,
                   err.msg);
      free (path);
    }
  r = sr_cg_check_resources (&c->linux_.resources, SR_CG_V2, &needs, &err);
  fuzz_check_err (r, &err, "sr_cg_check_resources v2");
  r = sr_cg_check_resources (&c->linux_.resources, SR_CG_V1, &needs, &err);
  fuzz_check_err (r, &err, "sr_cg_check_resources v1");
  r = sr_cg_device_rules (&c->linux_, &rules, &n_rules, &err);
  fuzz_check_err (r, &err, "sr_cg_device_rules");
  if (r == 0)
    {
      r = sr_cg_devices_bpf (rules, n_rules, &insns, &count, &err);
      fuzz_check_err (r, &err, "sr_cg_devices_bpf");
      free (insns);
      free (rules);
    }
}

static void
check_seccomp (const sr_config_t *c)
{
  sr_error_t err = { 0 };
  sr_bpf_t bpf;
  unsigned int flags;
  int r;

  if (!c->linux_.seccomp.set)
    return;
  r = sr_seccomp_flags (&c->linux_.seccomp, &flags, &err);
  fuzz_check_err (r, &err, "sr_seccomp_flags");
  r = sr_seccomp_compile (&c->linux_.seccomp, &bpf, &err);
  fuzz_check_err (r, &err, "sr_seccomp_compile");
  if (r == 0)
    sr_bpf_release (&bpf);
}

static void
check_policy (json_t *tree)
{
  sr_error_t err = { 0 };
  sr_finding_t *f = NULL;
  size_t n = 0;
  json_t *copy;
  sr_config_t *c;
  int r;

  r = sr_audit_config (tree, &f, &n, &err);
  fuzz_check_err (r, &err, "sr_audit_config");
  if (r == 0)
    sr_findings_free (f, n);

  /* create: the floor on the tree, then the tightened tree parsed again. */
  copy = json_deep_copy (tree);
  if (copy == NULL)
    return;
  r = sr_policy_apply (policy, copy, &err);
  fuzz_check_err (r, &err, "sr_policy_apply");
  if (r < 0)
    {
      json_decref (copy);
      return;
    }
  c = sr_config_from_json (copy, &err); /* takes COPY over */
  fuzz_check_err (c ? 0 : -1, &err, "sr_config_from_json after the policy");
  sr_config_free (c);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  sr_error_t err = { 0 };
  sr_config_t *c;

  c = sr_config_parse ((const char *) data, size, &err);
  fuzz_check_err (c ? 0 : -1, &err, "sr_config_parse");
  if (c == NULL)
    return 0;
  check_mounts (c);
  check_cgroup (c);
  check_seccomp (c);
  check_policy (c->json);
  sr_config_free (c);
  return 0;
}
