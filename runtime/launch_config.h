/* The config.json of `secrun launch`: profiles/hardened.json, then the
 * image's settings, then the command line's Docker-named options. */
#ifndef SECRUN_LAUNCH_CONFIG_H
#define SECRUN_LAUNCH_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "error.h"

/* Where launch keeps its generated bundles, under the state root. */
#define SR_LAUNCH_DIR ".launch"

/* Strings borrowed from argv. */
typedef struct { const char **v; size_t n; } sr_launch_list_t;

int sr_launch_list_add (sr_launch_list_t *l, const char *s);
void sr_launch_list_free (sr_launch_list_t *l);

typedef struct {
  const char *id;
  const char *source;          /* for the annotation */
  const char *rootfs;          /* absolute: root.path */
  const char *image_rootfs;    /* where to read /etc/passwd and /etc/group
                                  (the image's unpacked rootfs, or rootfs) */
  json_t *image_config;        /* the image config's "config" object
                                  (Entrypoint, Cmd, Env, ...), or NULL */
  const char *chain_id;        /* images: the layer cache key, or NULL */

  const char **command;        /* COMMAND [ARG...] after SOURCE */
  size_t n_command;
  const char *entrypoint;      /* --entrypoint ("" clears it) */
  const char *user;            /* --user */
  sr_launch_list_t group_add;
  sr_launch_list_t env;        /* KEY=VALUE, --env-file lines then -e */
  const char *workdir;
  const char *hostname;
  bool network_host;
  bool read_write;
  sr_launch_list_t cap_add, cap_drop;
  int no_new_privileges;       /* -1 default (on), 0 off, 1 on */
  const char *seccomp;         /* NULL default, "unconfined" or a file */
  sr_launch_list_t tmpfs, volumes, mounts, devices, ulimits;
  int64_t memory;              /* bytes; 0 unset */
  int64_t memory_swap;         /* bytes; 0 unset, -1 unlimited */
  uint64_t cpu_quota, cpu_period; /* from --cpus; 0 unset */
  uint64_t cpu_shares;
  bool pids_set;
  int64_t pids_limit;          /* <= 0: unlimited */
  bool tty;
  const char *init_path;       /* --init: the host path of secrun-init */
  const char *cgroup_parent;
} sr_launch_opts_t;

/* Builds the config. *weakened gets a malloc'd, comma-separated list of
 * the options that weakened a default ("--cap-add CAP_NET_ADMIN,
 * --network host"), or NULL when none did. *stop_signal (may be NULL)
 * gets the image's StopSignal, borrowed from o->image_config. */
json_t *sr_launch_config (const sr_launch_opts_t *o, char **weakened,
                          const char **stop_signal, sr_error_t *err);

/* json_dumps for the config: RLIM_INFINITY (above INT64_MAX, which jansson
 * cannot hold) comes out as 18446744073709551615. malloc'd. */
char *sr_launch_config_dumps (const json_t *config);

/* The directory holding hardened.json and seccomp/: next to the secrun
 * binary in a build tree (./profiles), else the installed PROFILEDIR.
 * malloc'd. */
char *sr_launch_profile_dir (void);

/* Parses "512m", "1g", "1024" (bytes; b k m g t suffixes, binary) as
 * Docker does. -1 on a malformed size. */
int sr_launch_parse_size (const char *s, int64_t *out);

/* Unmounts and removes ROOT/.launch/ID if it exists: what `secrun delete`
 * calls so that a kept launch container leaves nothing behind. Problems
 * are logged as warnings. */
void sr_launch_cleanup (const char *root, const char *id);

#endif
