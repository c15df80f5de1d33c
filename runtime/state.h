/* Container state under --root: one directory per id, guarded by an flock on
 * that directory, written atomically. The status is derived from the live
 * process (pid + start time) and the exec socket, never trusted from disk. */
#ifndef SECRUN_STATE_H
#define SECRUN_STATE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include <jansson.h>

#include "error.h"

#define SR_DEFAULT_ROOT "/run/secrun"
#define SR_ID_MAX 1024
#define SR_EXEC_SOCK "exec.sock" /* exists from create until start */
#define SR_STATE_FILE "state.json"
/* A symlink to the cgroup path, made before the cgroup: what `delete
 * --force` removes when a create was killed before writing state.json. */
#define SR_CGROUP_RECORD "cgroup.path"

typedef enum {
  SR_STATUS_CREATING,
  SR_STATUS_CREATED,
  SR_STATUS_RUNNING,
  SR_STATUS_PAUSED,
  SR_STATUS_STOPPED,
} sr_status_t;

typedef struct {
  char *id;
  char *bundle;  /* absolute */
  char *rootfs;  /* absolute */
  pid_t pid;     /* host pid of the container's init; 0 while creating */
  uint64_t pid_start;
  char *created; /* RFC 3339 */
  char *owner;
  json_t *annotations; /* object or NULL */
  json_t *cgroup;      /* opaque data of the cgroup manager, or NULL */
  json_t *config;      /* the config as created (policy applied): what exec
                          and the hooks of start/delete use; one file less
                          to write on the start path than a copy of its own */
  bool systemd_cgroup;
  bool no_new_keyring; /* created with --no-new-keyring: exec keeps the caller's too */
  bool interrupted;    /* no state.json: a create killed before saving it
                          (we hold the lock, so none is running); reported
                          as stopped, removed by delete */
} sr_state_t;

/* An open, locked container directory. */
typedef struct {
  int rootfd;
  int dirfd;
  char *id;
} sr_container_dir_t;

/* [A-Za-z0-9_+.-]{1,1024}, not "." or "..". */
int sr_id_validate (const char *id, sr_error_t *err);

/* Opens (creating with 0700 if needed) the state root. */
int sr_state_root_open (const char *root, sr_error_t *err);

/* Opens and exclusively locks ROOT/ID. With create: the directory must not
 * exist yet ("container ID already exists"). Without: "container ID does not
 * exist". Blocks on the lock: concurrent commands on one id serialise. */
int sr_container_dir_open (const char *root, const char *id, bool create,
                           sr_container_dir_t *out, sr_error_t *err);
void sr_container_dir_close (sr_container_dir_t *d);
/* Whether ROOT/ID still names the directory we hold (locked): not removed,
 * nor parked and taken by another container since. */
bool sr_container_dir_is_named (const sr_container_dir_t *d);
/* Removes everything in the directory, and the directory itself, or with
 * PARK, leaves it emptied in a small pool for the next create to take
 * (only its maker may: state.c). The dir is closed after. */
int sr_container_dir_remove (sr_container_dir_t *d, bool park, sr_error_t *err);

/* state.json is written in two steps around the clone of the init: the
 * fields known before it exists are serialised then (with the config,
 * the biggest part), and the pid and cgroup are spliced in after, so the
 * runtime builds no big buffer once its memory is shared copy-on-write
 * with the init. config_text, when given, is the config's JSON text as
 * read (borrowed: it must outlive the commit); otherwise st->config is
 * serialised. */
typedef struct {
  char *head;          /* "{...": the early fields, without the closing brace */
  const char *config;  /* the config's JSON text, or NULL */
  size_t config_len;
  char *config_owned;
} sr_state_text_t;
int sr_state_prepare (const sr_state_t *st, const char *config_text, size_t config_len,
                      sr_state_text_t *t, sr_error_t *err);
/* Writes state.json atomically: t plus st's pid, pid_start and cgroup. */
int sr_state_commit (const sr_container_dir_t *d, const sr_state_text_t *t,
                     const sr_state_t *st, sr_error_t *err);
void sr_state_text_release (sr_state_text_t *t);
int sr_state_read (const sr_container_dir_t *d, sr_state_t *st,
                   sr_error_t *err);
void sr_state_release (sr_state_t *st);

/* created/running/paused/stopped from the process and the exec socket. The
 * paused bit is asked of the cgroup manager (cgroups/). */
sr_status_t sr_state_status (const sr_container_dir_t *d, const sr_state_t *st);
const char *sr_status_name (sr_status_t s);

/* The runtime-spec state object: ociVersion, id, status, pid, bundle,
 * annotations (plus rootfs, created, owner as runc prints them). */
json_t *sr_state_to_json (const sr_state_t *st, sr_status_t status);

/* Convenience for the simple commands: validate id, open+lock, read state. */
int sr_container_load (const char *root, const char *id,
                       sr_container_dir_t *d, sr_state_t *st, sr_error_t *err);

#endif
