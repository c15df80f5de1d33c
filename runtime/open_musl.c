/* open(2) for the musl build of secrun (configure --with-musl).
 *
 * musl's open() follows every O_CLOEXEC open with fcntl(F_SETFD), for
 * kernels before 2.6.23 that ignored the flag: 17 needless syscalls
 * in one `run`, at 1.2 us each on this project's VM. secrun needs a kernel
 * with openat2 and the mount API, so the flag is always honoured; this
 * open() is openat() from the cwd, which musl passes straight through.
 * (opendir() calls open() too; fopen() keeps musl's own path.) */
#include <fcntl.h>
#include <stdarg.h>
#include <sys/types.h>

int
open (const char *path, int flags, ...)
{
  mode_t mode = 0;

  if ((flags & O_CREAT) || (flags & O_TMPFILE) == O_TMPFILE)
    {
      va_list ap;
      va_start (ap, flags);
      mode = va_arg (ap, mode_t);
      va_end (ap);
    }
  return openat (AT_FDCWD, path, flags, mode);
}

/* Anything asking for open64 would otherwise pull in musl's open(). */
#undef open64
int open64 (const char *path, int flags, ...) __attribute__ ((alias ("open")));
