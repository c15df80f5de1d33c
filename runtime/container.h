/* The create / start / destroy path shared by create, start, run, delete. */
#ifndef SECRUN_CONTAINER_H
#define SECRUN_CONTAINER_H

#include <stdbool.h>
#include <sys/types.h>

#include "config.h"
#include "error.h"
#include "state.h"

typedef struct {
  const char *root;
  const char *id;
  const char *bundle;         /* NULL: the current directory */
  const char *pid_file;
  const char *console_socket;
  int console_fd;             /* >= 0: a socket to send the pty master on
                                 (run in the foreground), instead of
                                 --console-socket */
  int *console_pair;          /* run in the foreground without
                                 --console-socket: if the config asks for a
                                 terminal, receives our end of a socketpair
                                 the init sends the pty master on (the
                                 caller closes it); else stays -1 */
  int preserve_fds;
  bool no_pivot;
  bool no_new_keyring;
  bool start_now;             /* run: release the init as soon as it is ready */
  bool systemd_cgroup;
  const char *policy;         /* --policy, or NULL for /etc/secrun/policy.json */
  int *notify_fd;             /* run: receives the bound NOTIFY_SOCKET proxy
                                 socket, or stays -1 */
  sr_container_dir_t *keep_dir; /* run in the foreground: receive the state
                                   dir (open, unlocked) and the state, for
                                   sr_container_reclaim at the end */
  sr_state_t *keep_state;
} sr_create_opts_t;

/* Sets up the container and leaves its init blocked just before execve
 * (or, with start_now, lets it exec). On success *pid is the init. On
 * failure nothing is left behind. */
int sr_container_create (const sr_create_opts_t *o, pid_t *pid, sr_error_t *err);

/* The config the container was created with, parsed from its state. */
sr_config_t *sr_state_config (const sr_state_t *st, sr_error_t *err);

/* Releases a created container's init and runs the poststart hooks. */
int sr_container_start (sr_container_dir_t *d, sr_state_t *st, sr_error_t *err);

/* Kills whatever is left, removes the cgroup, runs poststop hooks and
 * removes the state dir (which closes d). PARK: the caller made the
 * container and no `run` can still hold its dir (sr_container_dir_remove). */
int sr_container_destroy (sr_container_dir_t *d, sr_state_t *st, bool park,
                          sr_error_t *err);

/* run in the foreground, once the init has exited: locks again the state
 * dir kept by create and destroys the container, unless a concurrent
 * delete already has. Releases d and st. */
int sr_container_reclaim (sr_container_dir_t *d, sr_state_t *st, sr_error_t *err);

/* Waits (with pidfd, so it works for non-children) until pid exits. */
int sr_wait_pid_gone (pid_t pid, uint64_t start, int timeout_ms);

/* In the foreground: forwards every catchable signal to pid (SIGTERM as
 * term_as when > 0, an image's StopSignal) until it exits; returns the
 * exit code a shell would show (128+N for signal N). */
int sr_forward_until_exit (pid_t pid, int term_as);

/* Writes PID as bare digits to PATH, atomically (a temporary file and a
 * rename), never through a symlink. */
int sr_write_pid_file (const char *path, pid_t pid, sr_error_t *err);

#endif
