/* Logging: errors go to stderr and, with --log, to a file (text or one JSON
 * object per line, nothing else, because containerd's shim parses it). */
#ifndef SECRUN_LOG_H
#define SECRUN_LOG_H

#include <stdbool.h>

#include "error.h"

enum { SR_LOG_TEXT, SR_LOG_JSON };

/* Opens the log file (O_APPEND|O_CLOEXEC). Failure is reported on stderr
 * only: a runtime that cannot log must still be able to refuse loudly. */
void sr_log_init (const char *path, int format, bool debug);
bool sr_log_debug_enabled (void);

void sr_log_error (const char *fmt, ...) __attribute__ ((format (printf, 1, 2)));
void sr_log_warn (const char *fmt, ...) __attribute__ ((format (printf, 1, 2)));
void sr_log_debug (const char *fmt, ...) __attribute__ ((format (printf, 1, 2)));
/* Writes err->msg at error level and clears err. */
void sr_log_error_t (sr_error_t *err);

/* The fd of the log file, or -1: kept open across fork so the container's
 * init can report its own failures before exec (it is O_CLOEXEC). */
int sr_log_fd (void);

#endif
