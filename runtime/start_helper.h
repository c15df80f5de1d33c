/* The start helper: a thread that does the runtime's part of a vfork
 * start while the init is being cloned and sets up its mounts.
 *
 * With CLONE_VFORK the runtime is suspended until the init execs, so its
 * part (make the v1 cgroups, move the init into them, save state.json)
 * would otherwise sit on the start path before the clone or inside the
 * init. The helper runs it on the other CPU instead: it makes the cgroups
 * at once, moves the init in as soon as the init has published its pid,
 * then saves the state; the init waits for it only where it needs the
 * result (its GO point, before it binds its cgroups and pivots). */
#ifndef SECRUN_START_HELPER_H
#define SECRUN_START_HELPER_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "cgroup.h"
#include "config.h"
#include "error.h"
#include "state.h"

typedef struct {
  /* In: read by the helper. st and stt are complete before the init
   * publishes its pid, and are not read before. */
  const char *id;
  const sr_linux_t *linux_;
  const sr_container_dir_t *dir;
  sr_state_t *st;
  const sr_state_text_t *stt;
  /* Out: valid once the helper is joined (or, for the init, done). */
  sr_cgroup_t *cg;
  bool failed;
  sr_error_t err;
  /* Futex words: the init's pid (0 until known, UINT32_MAX for none) and
   * whether the helper is done. */
  uint32_t pid_word;
  uint32_t done;
  pthread_t thread;
  bool running;
} sr_start_helper_t;

/* Starts the helper on STACK (caller-owned: a stack glibc does not own is
 * never freed or madvised by it, which would cost a TLB shootdown to the
 * CPU the init runs on) with every signal blocked. */
int sr_start_helper_run (sr_start_helper_t *h, void *stack, size_t size, sr_error_t *err);

/* The init, first thing after the clone: its pid as the runtime sees it. */
void sr_start_helper_publish_pid (sr_start_helper_t *h, pid_t pid);

/* The init, at its GO point: waits until the helper is done; -1 with the
 * helper's error if it failed. */
int sr_start_helper_wait (sr_start_helper_t *h, sr_error_t *err);

/* The runtime, once the clone has returned (whatever became of the init):
 * tells a helper still waiting that no pid will come, and joins it. Must
 * come before the init is reaped, so that its pid cannot be reused
 * meanwhile. The helper's cg is then the caller's. */
void sr_start_helper_join (sr_start_helper_t *h);

#endif
