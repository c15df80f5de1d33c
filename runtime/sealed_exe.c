/* The CVE-2019-5736 defence for the cases that need it.
 *
 * Until it calls execve, a process we start inside a container runs the
 * runtime's own binary. Non-dumpable stops a container process from
 * opening it through /proc/PID/exe, unless that process has CAP_SYS_PTRACE
 * and shares our pid namespace: a joined pid namespace, or `exec`. For
 * those, and only those, we first re-execute from a sealed memfd copy of
 * ourselves (as runc does on every start): /proc/PID/exe then names a
 * file that can never be written. A container in its own new pid
 * namespace sees nothing of us and pays nothing. */
#include "sealed_exe.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "cleanup.h"

extern char **environ;

#define SEALS (F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE)

static char **saved_argv;

void
sr_sealed_exe_init (char **argv)
{
  saved_argv = argv;
}

char **
sr_saved_argv (void)
{
  return saved_argv;
}

bool
sr_running_sealed (void)
{
  _cleanup_close_ int fd = open ("/proc/self/exe", O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return false;
  int seals = fcntl (fd, F_GET_SEALS);
  return seals >= 0 && (seals & SEALS) == SEALS;
}

int
sr_reexec_sealed (sr_error_t *err)
{
  _cleanup_close_ int src = -1;
  _cleanup_close_ int mfd = -1;
  struct stat st;

  if (sr_running_sealed ())
    return 0;
  if (saved_argv == NULL)
    return sr_error (err, 0, "internal: argv not saved for the sealed re-exec");
  src = open ("/proc/self/exe", O_RDONLY | O_CLOEXEC);
  if (src < 0 || fstat (src, &st) < 0)
    return sr_error_errno (err, "open /proc/self/exe");
  mfd = memfd_create ("secrun", MFD_CLOEXEC | MFD_ALLOW_SEALING);
  if (mfd < 0)
    return sr_error_errno (err, "memfd_create");
  for (off_t left = st.st_size; left > 0;)
    {
      ssize_t n = sendfile (mfd, src, NULL, (size_t) left);
      if (n <= 0)
        return sr_error_errno (err, "copy the runtime into a sealed memfd");
      left -= n;
    }
  if (fcntl (mfd, F_ADD_SEALS, SEALS) < 0)
    return sr_error_errno (err, "seal the runtime's memfd");
  syscall (SYS_execveat, mfd, "", saved_argv, environ, AT_EMPTY_PATH);
  return sr_error_errno (err, "re-execute from the sealed memfd");
}
