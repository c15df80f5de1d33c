#include "error.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *
vformat (const char *fmt, va_list ap)
{
  char *s = NULL;
  if (vasprintf (&s, fmt, ap) < 0)
    return NULL;
  return s;
}

int
sr_error (sr_error_t *err, int errnum, const char *fmt, ...)
{
  va_list ap;
  char *s;

  if (err == NULL || err->msg != NULL)
    return -1;
  va_start (ap, fmt);
  s = vformat (fmt, ap);
  va_end (ap);
  if (s && errnum)
    {
      char *t = NULL;
      if (asprintf (&t, "%s: %s", s, strerror (errnum)) >= 0)
        {
          free (s);
          s = t;
        }
    }
  err->errnum = errnum;
  err->msg = s ? s : strdup ("out of memory");
  return -1;
}

int
sr_error_prefix (sr_error_t *err, const char *fmt, ...)
{
  va_list ap;
  char *p, *t = NULL;

  if (err == NULL || err->msg == NULL)
    return -1;
  va_start (ap, fmt);
  p = vformat (fmt, ap);
  va_end (ap);
  if (p && asprintf (&t, "%s: %s", p, err->msg) >= 0)
    {
      free (err->msg);
      err->msg = t;
    }
  free (p);
  return -1;
}

void
sr_error_clear (sr_error_t *err)
{
  free (err->msg);
  err->msg = NULL;
  err->errnum = 0;
}
