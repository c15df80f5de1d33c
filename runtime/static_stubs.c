/* Linked into the static secrun only. libcap-ng's capng_change_id(), which
 * secrun never calls, refers to getpwuid() and initgroups(); in a static
 * glibc binary those need NSS modules loaded at run time from the shared
 * libraries of the exact glibc version that linked us, which is neither
 * safe nor reliable. These definitions replace them: any call fails with
 * ENOSYS instead of dlopen()ing NSS, and the linker has nothing to warn
 * about. secrun resolves user and group names itself, inside the rootfs. */
#include <errno.h>
#include <stddef.h>
#include <pwd.h>
#include <grp.h>

struct passwd *
getpwuid (uid_t uid)
{
  (void) uid;
  errno = ENOSYS;
  return NULL;
}

int
initgroups (const char *user, gid_t group)
{
  (void) user;
  (void) group;
  errno = ENOSYS;
  return -1;
}
