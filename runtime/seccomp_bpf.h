/* linux.seccomp: compiled with libseccomp in the runtime (before fork),
 * loaded as raw BPF in the container's init right before execve.
 *
 * Translation follows crun/runc so that a config behaves the same under
 * secrun: unknown syscall names are skipped, rules whose action equals the
 * default action are skipped, and a rule that compares the same argument
 * twice becomes one rule per comparison (OR), as runc does. */
#ifndef SECRUN_SECCOMP_BPF_H
#define SECRUN_SECCOMP_BPF_H

#include <linux/filter.h>

#include <jansson.h>

#include "config.h"
#include "error.h"

typedef struct
{
  struct sock_filter *insns;
  unsigned short len; /* instructions, at most BPF_MAXINSNS */
} sr_bpf_t;

/* Compiles the config's seccomp section into raw BPF (pre-fork, in the
 * runtime). Errors name the JSON path: "linux.seccomp.syscalls[3].args[0]: ...". */
int sr_seccomp_compile (const sr_seccomp_t *s, sr_bpf_t *out, sr_error_t *err);

/* Same result as sr_seccomp_compile, through the cache in dir (created
 * 0700 if missing; see seccomp_cache.c). obj is the linux.seccomp JSON the
 * struct was parsed from. Any cache problem falls back to compiling. */
int sr_seccomp_compile_cached (const sr_seccomp_t *s, json_t *obj,
                               const char *dir, sr_bpf_t *out, sr_error_t *err);

/* The raw cache (seccomp_cache.c): where linux.seccomp's value is in the
 * text of a config.json, found without parsing it (false when absent or
 * anything is unusual); the filter and flags cached under those bytes; and
 * storing them, once the same bytes were parsed and compiled in full. */
bool sr_seccomp_find_raw (const char *text, size_t len, size_t *off, size_t *n);
bool sr_seccomp_lookup_raw (const char *dir, const char *raw, size_t n, sr_bpf_t *out,
                            unsigned int *flags);
void sr_seccomp_store_raw (const char *dir, const char *raw, size_t n, const sr_bpf_t *b,
                           unsigned int flags);

/* The linux.seccomp object of a parsed config, for the cache key. */
static inline json_t *
sr_config_seccomp_json (const sr_config_t *c)
{
  return json_object_get (json_object_get (c->json, "linux"), "seccomp");
}

/* Where the cache lives under a state root (list skips dot names). */
#define SR_SECCOMP_CACHE ".seccomp-cache"

/* Translates linux.seccomp.flags into SECCOMP_FILTER_FLAG_* bits for
 * sr_seccomp_load. An unknown flag is an error naming it. */
int sr_seccomp_flags (const sr_seccomp_t *s, unsigned int *flags,
                      sr_error_t *err);

/* Loads compiled BPF: seccomp(SECCOMP_SET_MODE_FILTER, flags, &prog).
 * Runs in the container's init after fork: allocates nothing, touches no
 * lock. The caller has set no_new_privs or holds CAP_SYS_ADMIN.
 * Returns 0 or -errno. */
int sr_seccomp_load (const sr_bpf_t *bpf, unsigned int flags);

void sr_bpf_release (sr_bpf_t *b);

/* Parses a linux.seccomp object. Strings are borrowed from obj; the arrays
 * are allocated and freed by sr_seccomp_profile_release. jpath prefixes
 * error messages ("linux.seccomp"). Unknown keys are refused: a misspelt
 * "args" would otherwise turn a conditional allow into an unconditional one. */
int sr_seccomp_parse (json_t *obj, const char *jpath, sr_seccomp_t *out,
                      sr_error_t *err);

/* Loads a profile file like profiles/seccomp/default.json (a linux.seccomp
 * object) into *out; *json receives the tree the strings point into, which
 * the caller keeps alive and json_decref()s after sr_seccomp_profile_release.
 * Architectures the running kernel can never report (aarch64 on an x86_64
 * host, ...) are dropped from out->architectures, as Docker's archMap does:
 * they would only lengthen the filter. */
int sr_seccomp_profile_load (const char *path, json_t **json,
                             sr_seccomp_t *out, sr_error_t *err);

/* Frees the arrays of an sr_seccomp_t filled by sr_seccomp_parse or
 * sr_seccomp_profile_load (not one owned by an sr_config_t). */
void sr_seccomp_profile_release (sr_seccomp_t *s);

#endif
