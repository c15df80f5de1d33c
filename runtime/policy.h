/* The security floor (--policy, /etc/secrun/policy.json) and the hardening
 * checklist behind `secrun audit`.
 *
 * Both are the same set of checks over a config.json tree.  Under a policy
 * each check is a rule in one of three modes: "enforce" refuses a container
 * that breaks it (or, where the rule says so and it is safe, tightens the
 * config instead), "audit" logs a warning and lets it run, "off" skips it.
 * The checklist runs every check and returns its findings.  The file format
 * is documented in secrun-policy(5). */
#ifndef SECRUN_POLICY_H
#define SECRUN_POLICY_H

#include <stddef.h>

#include <jansson.h>

#include "config.h"
#include "error.h"

/* Read when no --policy is given; its absence means no policy. */
#define SR_POLICY_DEFAULT_PATH "/etc/secrun/policy.json"

/* How containerd (and CRI-O) mark the pause container of a pod. */
#define SR_CRI_CONTAINER_TYPE "io.kubernetes.cri.container-type"
#define SR_CRIO_CONTAINER_TYPE "io.kubernetes.cri-o.ContainerType"

typedef struct sr_policy sr_policy_t;

/* Loads the policy file PATH, or SR_POLICY_DEFAULT_PATH when PATH is NULL
 * and that file exists; with neither, *out = NULL and 0.  The file must be
 * a regular file owned by root (or the caller) and writable by nobody else:
 * whoever can write it decides what containers may do. */
int sr_policy_load (const char *path, sr_policy_t **out, sr_error_t *err);

/* Builds a policy from its JSON (not taken over).  BASE_DIR resolves a
 * relative seccomp profile path; WHAT prefixes errors. */
int sr_policy_parse (json_t *j, const char *base_dir, const char *what,
                     sr_policy_t **out, sr_error_t *err);

/* "restricted", ... as the file names it; "" when it does not. */
const char *sr_policy_name (const sr_policy_t *p);

/* Applies the floor to a config's JSON tree before it is parsed into
 * structs.  An enforced rule refuses with
 *   "policy: RULE: WHAT THE CONFIG ASKED (JSON PATH)"
 * or tightens the tree where the rule allows it (see secrun-policy(5)) and
 * says so in a warning; an audited rule logs
 *   "policy: RULE: ... (JSON PATH) [audit]"
 * and lets the container run.  P NULL: nothing to do.  The pause container
 * (SR_CRI_CONTAINER_TYPE = "sandbox") is not asked for resource limits:
 * the kubelet limits the pod's cgroup, and CRI gives the sandbox none. */
int sr_policy_apply (const sr_policy_t *p, json_t *config, sr_error_t *err);

/* The rules that still mean something for `exec` (the new process's user:
 * capabilities, no_new_privs and seccomp come from the saved, already
 * tightened config).  C is the container's config, PROC the process about
 * to run. */
int sr_policy_check_exec (const sr_policy_t *p, const sr_config_t *c,
                          const sr_process_t *proc, sr_error_t *err);

void sr_policy_free (sr_policy_t *p);

/* One finding: severity is "high", "medium" or "low" (static); the rest is
 * owned by the finding.  path is a JSON path into the config. */
typedef struct {
  const char *severity;
  char *rule;
  char *path;
  char *message;
  char *fix;
} sr_finding_t;

/* Every finding of the hardening checklist, most severe first.  Reads the
 * tree only.  *out is NULL when *n is 0; free with sr_findings_free. */
int sr_audit_config (json_t *config, sr_finding_t **out, size_t *n,
                     sr_error_t *err);

/* The same, graded against a policy: its allow-lists, and only the rules
 * it does not turn off.  P NULL is sr_audit_config. */
int sr_policy_audit (const sr_policy_t *p, json_t *config, sr_finding_t **out,
                     size_t *n, sr_error_t *err);

void sr_findings_free (sr_finding_t *f, size_t n);

#endif
