/* One error type for the whole runtime, carried up to main() with context.
 * Library code never prints or exits: it fills an sr_error_t and returns -1. */
#ifndef SECRUN_ERROR_H
#define SECRUN_ERROR_H

#include <stdarg.h>

typedef struct sr_error {
  int errnum; /* errno at the failure, 0 when the cause is not a syscall */
  char *msg;  /* heap string; "context: cause" once wrapped */
} sr_error_t;

/* Sets *err (if still empty) to the formatted message and returns -1.
 * errnum != 0 appends ": strerror(errnum)". */
int sr_error (sr_error_t *err, int errnum, const char *fmt, ...)
    __attribute__ ((format (printf, 3, 4)));
/* Same, with errno taken from the caller's errno. */
#define sr_error_errno(err, ...) sr_error ((err), errno, __VA_ARGS__)

/* Prefixes an existing error with "context: " and returns -1. */
int sr_error_prefix (sr_error_t *err, const char *fmt, ...)
    __attribute__ ((format (printf, 2, 3)));

void sr_error_clear (sr_error_t *err);

/* strerror, in glibc's words whatever the libc. */
const char *sr_strerror (int errnum);

#endif
