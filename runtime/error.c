#include "error.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef __GLIBC__
/* glibc's wording where musl's differs ("Device or resource busy", not
 * "Resource busy"): the messages stay those of runc, crun and every other
 * glibc program, whichever libc secrun is built with (README
 * "Performance"). */
static const char *const glibc_text[] = {
  [5] = "Input/output error",
  [10] = "No child processes",
  [12] = "Cannot allocate memory",
  [16] = "Device or resource busy",
  [18] = "Invalid cross-device link",
  [24] = "Too many open files",
  [25] = "Inappropriate ioctl for device",
  [29] = "Illegal seek",
  [33] = "Numerical argument out of domain",
  [34] = "Numerical result out of range",
  [35] = "Resource deadlock avoided",
  [36] = "File name too long",
  [40] = "Too many levels of symbolic links",
  [44] = "Channel number out of range",
  [45] = "Level 2 not synchronized",
  [46] = "Level 3 halted",
  [47] = "Level 3 reset",
  [48] = "Link number out of range",
  [49] = "Protocol driver not attached",
  [50] = "No CSI structure available",
  [51] = "Level 2 halted",
  [52] = "Invalid exchange",
  [53] = "Invalid request descriptor",
  [54] = "Exchange full",
  [55] = "No anode",
  [56] = "Invalid request code",
  [57] = "Invalid slot",
  [59] = "Bad font file format",
  [62] = "Timer expired",
  [64] = "Machine is not on the network",
  [65] = "Package not installed",
  [66] = "Object is remote",
  [68] = "Advertise error",
  [69] = "Srmount error",
  [70] = "Communication error on send",
  [73] = "RFS specific error",
  [75] = "Value too large for defined data type",
  [76] = "Name not unique on network",
  [78] = "Remote address changed",
  [79] = "Can not access a needed shared library",
  [80] = "Accessing a corrupted shared library",
  [81] = ".lib section in a.out corrupted",
  [82] = "Attempting to link in too many shared libraries",
  [83] = "Cannot exec a shared library directly",
  [84] = "Invalid or incomplete multibyte or wide character",
  [85] = "Interrupted system call should be restarted",
  [86] = "Streams pipe error",
  [87] = "Too many users",
  [88] = "Socket operation on non-socket",
  [90] = "Message too long",
  [95] = "Operation not supported",
  [98] = "Address already in use",
  [99] = "Cannot assign requested address",
  [101] = "Network is unreachable",
  [102] = "Network dropped connection on reset",
  [103] = "Software caused connection abort",
  [106] = "Transport endpoint is already connected",
  [107] = "Transport endpoint is not connected",
  [108] = "Cannot send after transport endpoint shutdown",
  [109] = "Too many references: cannot splice",
  [110] = "Connection timed out",
  [113] = "No route to host",
  [115] = "Operation now in progress",
  [117] = "Structure needs cleaning",
  [118] = "Not a XENIX named type file",
  [119] = "No XENIX semaphores available",
  [120] = "Is a named type file",
  [122] = "Disk quota exceeded",
  [130] = "Owner died",
  [132] = "Operation not possible due to RF-kill",
  [133] = "Memory page has hardware error",
};
#endif

const char *
sr_strerror (int errnum)
{
#ifndef __GLIBC__
  static __thread char unknown[32];
  if (errnum == 0)
    return "Success";
  if (errnum > 0 && (size_t) errnum < sizeof glibc_text / sizeof glibc_text[0]
      && glibc_text[errnum])
    return glibc_text[errnum];
  if (strcmp (strerror (errnum), "No error information") == 0)
    {
      snprintf (unknown, sizeof unknown, "Unknown error %d", errnum);
      return unknown;
    }
#endif
  return strerror (errnum);
}

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
      if (asprintf (&t, "%s: %s", s, sr_strerror (errnum)) >= 0)
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
