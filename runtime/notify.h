/* sd_notify pass-through: when the runtime itself runs with NOTIFY_SOCKET
 * (a systemd Type=notify unit, podman --sdnotify=container), the workload
 * gets a socket of its own at /run/notify/notify.sock, and the runtime tells
 * the host socket READY=1 once the workload says so. Only the readiness is
 * passed on: a workload never speaks to the host's socket itself, so it
 * cannot name another MAINPID or send fds to the service manager. */
#ifndef SECRUN_NOTIFY_H
#define SECRUN_NOTIFY_H

#include <stdbool.h>
#include <sys/types.h>

#include <jansson.h>

#include "error.h"

#define SR_NOTIFY_DIR "notify" /* in the state dir, bind-mounted read-only */
#define SR_NOTIFY_SOCK "notify.sock"
#define SR_NOTIFY_MOUNT "/run/notify"

/* NOTIFY_SOCKET of our environment, or NULL when unset or empty. A value
 * that is not an absolute path or @abstract name, or is too long for a
 * socket address, is an error (*err set, NULL returned, *bad true). */
const char *sr_notify_host (bool *bad, sr_error_t *err);

/* Adds to the config JSON the read-only bind mount of STATEDIR/notify at
 * /run/notify and NOTIFY_SOCKET=/run/notify/notify.sock to process.env
 * (replacing one the config had). */
int sr_notify_config (json_t *config, const char *statedir, sr_error_t *err);

/* Creates DIRFD/notify (once) and binds a fresh datagram socket there;
 * returns its fd. */
int sr_notify_listen (int dirfd, sr_error_t *err);

/* Waits until the workload sends READY=1 on FD or PID exits; on READY
 * tells HOST "READY=1" (and MAINPID=mainpid when > 0, for a detached
 * container that systemd should watch) and waits for the host's barrier.
 * A workload that exits without READY is not an error here. */
int sr_notify_forward (int fd, const char *host, pid_t pid, pid_t mainpid,
                       sr_error_t *err);

/* After run or launch released the workload: detached, forwards READY
 * before returning (as start does); in the foreground, a child of ours
 * does it. Takes FD. */
int sr_notify_after_run (int fd, pid_t pid, bool detach, sr_error_t *err);

#endif
