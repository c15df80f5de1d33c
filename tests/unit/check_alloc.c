/* The musl build's allocator (runtime/alloc_musl.c), linked into this test
 * in place of glibc's, so every allocation of the test and of Check goes
 * through it too: alignment, reuse, calloc zeroing reused blocks, realloc
 * keeping the bytes, big and over-aligned blocks, a task sharing the heap
 * killed anywhere inside it, and an abort (not a corrupt free list) on a
 * double free or a smashed header. */
#include <check.h>
#include <sched.h>
#include <errno.h>
#include <malloc.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>

/* The block sizes the allocator's classes and big path meet at. */
static const size_t sizes[] = { 0,    1,    15,   16,    17,    100,   1000,  4080,
                                4081, 8000, 65519, 65520, 65536, 70000, 1 << 20 };

START_TEST (test_alignment_and_usable_size)
{
  /* This allocator's classes, not glibc's (which gives 24 and 104). */
  void *a = malloc (1), *b = malloc (100);
  ck_assert_uint_eq (malloc_usable_size (a), 16);
  ck_assert_uint_eq (malloc_usable_size (b), 112);
  free (a);
  free (b);
  for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++)
    {
      unsigned char *p = malloc (sizes[i]);
      ck_assert_ptr_nonnull (p);
      ck_assert_uint_eq ((uintptr_t) p % 16, 0);
      ck_assert_uint_ge (malloc_usable_size (p), sizes[i]);
      memset (p, 0xab, sizes[i]);
      free (p);
    }
}
END_TEST

START_TEST (test_calloc_zeroes_a_reused_block)
{
  for (size_t i = 1; i < sizeof sizes / sizeof sizes[0]; i++)
    {
      unsigned char *p = malloc (sizes[i]);
      ck_assert_ptr_nonnull (p);
      memset (p, 0xff, sizes[i]);
      free (p);
      unsigned char *q = calloc (1, sizes[i]);
      unsigned char any = 0;
      ck_assert_ptr_nonnull (q);
      for (size_t j = 0; j < sizes[i]; j++)
        any |= q[j];
      ck_assert_uint_eq (any, 0);
      free (q);
    }
  volatile size_t half = SIZE_MAX / 2;
  errno = 0;
  ck_assert_ptr_null (calloc (half, 3));
  ck_assert_int_eq (errno, ENOMEM);
}
END_TEST

START_TEST (test_realloc_keeps_the_bytes)
{
  unsigned char *p = NULL;
  size_t had = 0;
  /* up through every class into the big path, then back down */
  for (size_t n = 1; n < (300u << 10); n = n * 3 / 2 + 1)
    {
      p = realloc (p, n);
      ck_assert_ptr_nonnull (p);
      for (size_t j = 0; j < had; j++)
        if (p[j] != (unsigned char) j)
          ck_abort_msg ("byte %zu of %zu lost growing to %zu", j, had, n);
      for (size_t j = had; j < n; j++)
        p[j] = (unsigned char) j;
      had = n;
    }
  for (size_t n = had; n > 0; n /= 3)
    {
      p = realloc (p, n);
      ck_assert_ptr_nonnull (p);
      for (size_t j = 0; j < n; j++)
        if (p[j] != (unsigned char) j)
          ck_abort_msg ("byte %zu lost shrinking to %zu", j, n);
    }
  free (p);
  ck_assert_ptr_null (realloc (malloc (10), 0));
}
END_TEST

START_TEST (test_aligned)
{
  for (size_t a = 16; a <= (64u << 10); a *= 2)
    {
      void *p = aligned_alloc (a, 100);
      ck_assert_ptr_nonnull (p);
      ck_assert_uint_eq ((uintptr_t) p % a, 0);
      memset (p, 1, 100);
      free (p);
      void *q = NULL;
      ck_assert_int_eq (posix_memalign (&q, a, 5000), 0);
      ck_assert_uint_eq ((uintptr_t) q % a, 0);
      ck_assert_uint_ge (malloc_usable_size (q), 5000);
      free (q);
    }
  ck_assert_ptr_null (aligned_alloc (24, 10));
}
END_TEST

START_TEST (test_blocks_are_distinct)
{
  enum { N = 2000 };
  static unsigned char *p[N];
  for (int i = 0; i < N; i++)
    {
      p[i] = malloc ((size_t) (i % 300) + 1);
      ck_assert_ptr_nonnull (p[i]);
      memset (p[i], i & 0xff, (size_t) (i % 300) + 1);
    }
  for (int i = 0; i < N; i += 2)
    free (p[i]);
  for (int i = 0; i < N; i += 2)
    p[i] = malloc ((size_t) (i % 300) + 1), memset (p[i], i & 0xff, (size_t) (i % 300) + 1);
  for (int i = 0; i < N; i++)
    {
      for (int j = 0; j <= i % 300; j++)
        if (p[i][j] != (unsigned char) (i & 0xff))
          ck_abort_msg ("block %d overwritten at %d", i, j);
      free (p[i]);
    }
}
END_TEST

/* The vfork start's init shares the runtime's heap, and may be killed
 * anywhere inside malloc or free (by a host root or the OOM killer). A task
 * sharing our memory allocates and frees in a loop until SIGKILL lands at a
 * random point; after sr_alloc_unlock_after_death the allocator must still
 * hand out distinct, usable blocks. */
void sr_alloc_unlock_after_death (void);

static int
churn (void *arg)
{
  unsigned int seed = (unsigned int) (uintptr_t) arg;
  void *keep[16] = { 0 };
  for (unsigned int i = 0;; i++)
    {
      seed = seed * 1103515245u + 12345u;
      size_t n = (seed >> 8) % 3 == 0 ? (seed >> 4) % 100000 : (seed >> 4) % 700;
      unsigned int k = (seed >> 20) % 16;
      free (keep[k]);
      keep[k] = malloc (n);
    }
  return 0;
}

START_TEST (test_survives_a_task_killed_inside)
{
  enum { ROUNDS = 150, STACK = 64 << 10, N = 400 };
  char *stack = mmap (NULL, STACK, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  ck_assert_ptr_ne (stack, MAP_FAILED);
  for (int r = 0; r < ROUNDS; r++)
    {
      pid_t pid = clone (churn, stack + STACK, CLONE_VM | SIGCHLD, (void *) (uintptr_t) (r + 1));
      ck_assert_int_gt (pid, 0);
      struct timespec ts = { 0, (r % 50) * 20000 };
      nanosleep (&ts, NULL);
      kill (pid, SIGKILL);
      /* No allocation (ck_assert allocates) before the unlock. */
      pid_t w = waitpid (pid, NULL, 0);
      sr_alloc_unlock_after_death ();
      ck_assert_int_eq (w, pid);
      static unsigned char *p[N];
      for (int i = 0; i < N; i++)
        {
          size_t n = (size_t) (i * 37 % 900) + 1;
          p[i] = malloc (n);
          ck_assert_ptr_nonnull (p[i]);
          memset (p[i], i & 0xff, n);
        }
      for (int i = 0; i < N; i++)
        {
          size_t n = (size_t) (i * 37 % 900) + 1;
          for (size_t j = 0; j < n; j++)
            if (p[i][j] != (unsigned char) (i & 0xff))
              ck_abort_msg ("round %d: block %d overwritten at %zu", r, i, j);
          free (p[i]);
        }
    }
  munmap (stack, STACK);
}
END_TEST

/* Through volatile: the compiler may drop what it sees as undefined. */
START_TEST (test_double_free_aborts)
{
  void *volatile p = malloc (40);
  free (p);
  free (p);
}
END_TEST

START_TEST (test_smashed_header_aborts)
{
  unsigned char *p = malloc (40);
  /* an underflow over the header */
  volatile unsigned char *under = (unsigned char *) ((uintptr_t) p - 8);
  for (int i = 0; i < 8; i++)
    under[i] = 0x41;
  free (p);
}
END_TEST

int
main (void)
{
  Suite *s = suite_create ("alloc");
  TCase *t = tcase_create ("core");
  tcase_add_test (t, test_alignment_and_usable_size);
  tcase_add_test (t, test_calloc_zeroes_a_reused_block);
  tcase_add_test (t, test_realloc_keeps_the_bytes);
  tcase_add_test (t, test_aligned);
  tcase_add_test (t, test_blocks_are_distinct);
  tcase_add_test (t, test_survives_a_task_killed_inside);
  tcase_set_timeout (t, 60);
  tcase_add_test_raise_signal (t, test_double_free_aborts, SIGABRT);
  tcase_add_test_raise_signal (t, test_smashed_header_aborts, SIGABRT);
  suite_add_tcase (s, t);
  SRunner *r = srunner_create (s);
  srunner_run_all (r, CK_NORMAL);
  int failed = srunner_ntests_failed (r);
  srunner_free (r);
  return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
