/* The workload's process attributes, applied by the container's init after
 * pivot_root, in the order the kernel needs: things that need privilege
 * first, then the identity change, then the capability sets, then
 * no_new_privs. Seccomp comes last (seccomp.h), right before execve. */
#ifndef SECRUN_PROCESS_H
#define SECRUN_PROCESS_H

#include <stdbool.h>

#include "config.h"
#include "error.h"

/* rlimits, oom_score_adj, scheduler, ioprio, personality, umask; the LSM
 * labels. Needs the privileges the init still has. */
int sr_process_apply_privileged (const sr_process_t *p, sr_error_t *err);
/* Finds which LSMs the host has (when P asks for a label), for
 * sr_process_apply_privileged: to be called by the runtime, before the
 * process enters the container's mount namespace. */
void sr_process_probe_lsm (const sr_process_t *p);
/* setresgid/setresuid 0 in a user namespace just joined, keeping the
 * parent-death signal (which the kernel clears on the change): fails if
 * the runtime, the other end of PEER_FD (or -1), is already gone. */
int sr_process_become_ns_root (int peer_fd, sr_error_t *err);

/* Writes a /proc/self file of the init (oom_score_adj, timens_offsets, LSM
 * attrs); see process.c for why dumpability may be lifted around it. */
int sr_write_proc_self (const char *file, const char *value, sr_error_t *err);
void sr_process_allow_dumpable_writes (bool allow);

/* linux.personality (the execution domain, e.g. PER_LINUX32). */
int sr_process_apply_personality (const sr_linux_t *l, sr_error_t *err);

/* A fresh session keyring named after the container, so the workload
 * cannot see the host's or another container's keys. */
int sr_process_new_keyring (const char *id, sr_error_t *err);

/* Bounding set, supplementary groups, uid/gid, then the other four
 * capability sets, then no_new_privs. */
int sr_process_apply_identity (const sr_process_t *p, sr_error_t *err);

/* chdir to process.cwd and prove the result is inside the container's root
 * (a cwd such as /proc/self/fd/N of a leaked host fd would not be). */
int sr_process_chdir (const char *cwd, sr_error_t *err);

/* Finds file on the PATH of envp (or a default PATH) like execvp, without
 * following anything outside the container (we are already in it). The
 * result is written into buf. */
int sr_process_find_exec (const char *file, char *const envp[], char *buf,
                          size_t n, sr_error_t *err);

#endif
