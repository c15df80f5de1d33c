/* Helpers shared by the libFuzzer targets in tests/fuzz (built and run by
 * tests/fuzz/run.sh). Each target defines LLVMFuzzerTestOneInput and feeds
 * the input to one of the runtime's parsers or checks; a sanitizer report,
 * a leak or a broken invariant (FUZZ_ASSERT) is a finding. */
#ifndef SECRUN_FUZZ_H
#define SECRUN_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "error.h"

/* run.sh passes -close_fd_mask=3 (the runtime's warnings would flood the
 * log), which closes stderr before the first input: invariant failures go
 * to a copy of it taken before main. */
static int fuzz_report_fd = 2;

__attribute__ ((constructor)) static void
fuzz_keep_stderr (void)
{
  int fd = dup (2);
  if (fd >= 0)
    fuzz_report_fd = fd;
}

/* An invariant the code under test promises: abort() so that libFuzzer
 * saves the input like any other crash. */
#define FUZZ_ASSERT(cond, ...)                                                \
  do                                                                          \
    {                                                                         \
      if (!(cond))                                                            \
        {                                                                     \
          dprintf (fuzz_report_fd, "%s:%d: invariant failed: %s: ", __FILE__, \
                   __LINE__, #cond);                                          \
          dprintf (fuzz_report_fd, __VA_ARGS__);                              \
          dprintf (fuzz_report_fd, "\n");                                     \
          abort ();                                                           \
        }                                                                     \
    }                                                                         \
  while (0)

/* The input as a NUL-terminated string (an embedded NUL ends it early, as
 * it would for the C strings the runtime gets from argv and JSON). */
static inline char *
fuzz_cstr (const uint8_t *data, size_t size)
{
  char *s = malloc (size + 1);
  if (s == NULL)
    abort ();
  memcpy (s, data, size);
  s[size] = '\0';
  return s;
}

/* Splits a NUL-terminated copy of the input at '\n' into a NULL-terminated
 * vector of pointers into *buf. Free *buf and the vector. */
static inline char **
fuzz_lines (const uint8_t *data, size_t size, char **buf, size_t *n)
{
  char *s = fuzz_cstr (data, size), **v;
  size_t k = 1, i = 0;

  for (char *p = s; *p; p++)
    if (*p == '\n')
      k++;
  v = calloc (k + 1, sizeof *v);
  if (v == NULL)
    abort ();
  for (char *p = s;;)
    {
      char *nl = strchr (p, '\n');
      v[i++] = p;
      if (nl == NULL)
        break;
      *nl = '\0';
      p = nl + 1;
    }
  *buf = s;
  *n = i;
  return v;
}

/* A failing call must leave a message, and one that succeeds none. */
static inline void
fuzz_check_err (int r, sr_error_t *err, const char *what)
{
  if (r < 0)
    FUZZ_ASSERT (err->msg != NULL && err->msg[0] != '\0',
                 "%s failed without a message", what);
  else
    FUZZ_ASSERT (err->msg == NULL, "%s succeeded with a message: %s", what,
                 err->msg);
  sr_error_clear (err);
}

#endif
