/* systemd-style scope cleanup: every error path releases what it holds. */
#ifndef SECRUN_CLEANUP_H
#define SECRUN_CLEANUP_H

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static inline void sr_freep (void *p) { free (*(void **) p); }
static inline void sr_closep (int *fd)
{
  if (*fd >= 0)
    {
      int saved = errno;
      close (*fd);
      errno = saved;
    }
}
static inline void sr_fclosep (FILE **f)
{
  if (*f)
    fclose (*f);
}
static inline void sr_strvfreep (char ***v)
{
  if (*v)
    {
      for (char **p = *v; *p; p++)
        free (*p);
      free (*v);
    }
}

#define _cleanup_free_ __attribute__ ((cleanup (sr_freep)))
#define _cleanup_close_ __attribute__ ((cleanup (sr_closep)))
#define _cleanup_fclose_ __attribute__ ((cleanup (sr_fclosep)))
#define _cleanup_strv_ __attribute__ ((cleanup (sr_strvfreep)))

/* Hands ownership out of a cleanup variable. */
#define sr_steal_fd(fd) ({ int _t = (fd); (fd) = -1; _t; })
#define sr_steal_ptr(p) ({ __typeof__ (p) _t = (p); (p) = NULL; _t; })

#endif
