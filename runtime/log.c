#include "log.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "utils.h"

static int log_fd = -1;
static int log_format = SR_LOG_TEXT;
static bool log_debug;

void
sr_log_init (const char *path, int format, bool debug)
{
  log_format = format;
  log_debug = debug;
  if (path == NULL || *path == '\0')
    return;
  log_fd = open (path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  if (log_fd < 0)
    fprintf (stderr, "secrun: cannot open log file %s: %s\n", path, sr_strerror (errno));
}

bool
sr_log_debug_enabled (void)
{
  return log_debug;
}

int
sr_log_fd (void)
{
  return log_fd;
}

static void
emit (const char *level, const char *msg, bool to_stderr)
{
  if (to_stderr)
    {
      /* One write so that lines from concurrent processes do not interleave. */
      size_t n = strlen (msg);
      char *line = malloc (n + 16);
      if (line)
        {
          int len = snprintf (line, n + 16, "secrun: %s\n", msg);
          sr_write_all (STDERR_FILENO, line, (size_t) len);
          free (line);
        }
    }
  if (log_fd < 0)
    return;
  char ts[64];
  sr_rfc3339_now (ts, sizeof ts);
  if (log_format == SR_LOG_JSON)
    {
      json_t *o = json_pack ("{s:s, s:s, s:s}", "level", level, "msg", msg,
                             "time", ts);
      char *s = o ? json_dumps (o, JSON_COMPACT) : NULL;
      if (s)
        {
          size_t n = strlen (s);
          s[n] = '\n'; /* json_dumps leaves room: we reuse the NUL slot */
          sr_write_all (log_fd, s, n + 1);
        }
      free (s);
      json_decref (o);
    }
  else
    {
      char *line = NULL;
      int len = asprintf (&line, "%s %s: %s\n", ts, level, msg);
      if (len > 0)
        sr_write_all (log_fd, line, (size_t) len);
      free (line);
    }
}

static void
vlog (const char *level, bool to_stderr, const char *fmt, va_list ap)
{
  char *msg = NULL;
  if (vasprintf (&msg, fmt, ap) < 0)
    return;
  emit (level, msg, to_stderr);
  free (msg);
}

void
sr_log_error (const char *fmt, ...)
{
  va_list ap;
  va_start (ap, fmt);
  vlog ("error", true, fmt, ap);
  va_end (ap);
}

void
sr_log_warn (const char *fmt, ...)
{
  va_list ap;
  va_start (ap, fmt);
  vlog ("warning", true, fmt, ap);
  va_end (ap);
}

void
sr_log_debug (const char *fmt, ...)
{
  va_list ap;
  if (!log_debug)
    return;
  va_start (ap, fmt);
  /* With a log file, debug goes there only: stderr may be the workload's. */
  vlog ("debug", log_fd < 0, fmt, ap);
  va_end (ap);
}

void
sr_log_error_t (sr_error_t *err)
{
  emit ("error", err->msg ? err->msg : "unknown error", true);
  sr_error_clear (err);
}
