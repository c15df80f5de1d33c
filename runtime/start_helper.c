#include "build-config.h"
#include "start_helper.h"

#include <errno.h>
#include <linux/futex.h>
#include <malloc.h>
#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "utils.h"

static void
futex_wait (uint32_t *word, uint32_t val)
{
  /* EAGAIN (changed already) and EINTR: the caller checks again. */
  syscall (SYS_futex, word, FUTEX_WAIT_PRIVATE, val, NULL, NULL, 0);
}

static void
futex_wake (uint32_t *word)
{
  syscall (SYS_futex, word, FUTEX_WAKE_PRIVATE, INT32_MAX, NULL, NULL, 0);
}

/* Waits until *word is no longer 0 and returns it. */
static uint32_t
wait_nonzero (uint32_t *word)
{
  uint32_t v;
  while ((v = __atomic_load_n (word, __ATOMIC_ACQUIRE)) == 0)
    futex_wait (word, 0);
  return v;
}

static void *
helper_main (void *arg)
{
  sr_start_helper_t *h = arg;
  uint32_t pid;

  if (sr_cgroup_create (h->id, h->linux_, &h->cg, &h->err) < 0)
    goto failed;
  pid = wait_nonzero (&h->pid_word);
  if (pid == UINT32_MAX)
    goto done; /* no init: the runtime cleans up */
  /* The init cannot be reaped before we are joined, so the pid is its. */
  if (sr_cgroup_enter (h->cg, (pid_t) pid, &h->err) < 0)
    goto failed;
  h->st->pid = (pid_t) pid;
  h->st->pid_start = sr_proc_start_time ((pid_t) pid);
  h->st->cgroup = sr_cgroup_to_json (h->cg);
  if (sr_state_commit (h->dir, h->stt, h->st, &h->err) < 0)
    goto failed;
  goto done;
failed:
  h->failed = true;
done:
  __atomic_store_n (&h->done, 1, __ATOMIC_RELEASE);
  futex_wake (&h->done);
  return NULL;
}

int
sr_start_helper_run (sr_start_helper_t *h, void *stack, size_t size, sr_error_t *err)
{
  pthread_attr_t a;
  sigset_t all;
  int e;

  sigfillset (&all);
#ifdef __GLIBC__
  /* One malloc arena, shared under its lock: a thread's own arena costs a
   * 128 MiB reservation trimmed by two munmaps, each a TLB shootdown to
   * the CPUs this mm runs on. (The musl build's allocator has one.) */
  mallopt (M_ARENA_MAX, 1);
#endif
  if ((e = pthread_attr_init (&a)) != 0)
    return sr_error (err, e, "start helper");
  /* Signals for the runtime (forwarded to the workload by `run`) must not
   * land here. */
  if ((e = pthread_attr_setstack (&a, stack, size)) == 0)
    {
      sigset_t old;
      pthread_sigmask (SIG_SETMASK, &all, &old);
      e = pthread_create (&h->thread, &a, helper_main, h);
      pthread_sigmask (SIG_SETMASK, &old, NULL);
    }
  pthread_attr_destroy (&a);
  if (e != 0)
    return sr_error (err, e, "start helper");
  h->running = true;
  return 0;
}

void
sr_start_helper_publish_pid (sr_start_helper_t *h, pid_t pid)
{
  __atomic_store_n (&h->pid_word, (uint32_t) pid, __ATOMIC_RELEASE);
  futex_wake (&h->pid_word);
}

int
sr_start_helper_wait (sr_start_helper_t *h, sr_error_t *err)
{
  wait_nonzero (&h->done);
  if (!h->failed)
    return 0;
  sr_error (err, 0, "%s", h->err.msg ? h->err.msg : "start helper failed");
  err->errnum = h->err.errnum;
  return -1;
}

void
sr_start_helper_join (sr_start_helper_t *h)
{
  uint32_t none = 0;

  if (!h->running)
    return;
  if (__atomic_compare_exchange_n (&h->pid_word, &none, UINT32_MAX, false,
                                   __ATOMIC_RELEASE, __ATOMIC_RELAXED))
    futex_wake (&h->pid_word);
  pthread_join (h->thread, NULL);
  h->running = false;
}
