#include "utils.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "cleanup.h"

int
sr_write_all (int fd, const void *buf, size_t len)
{
  const char *p = buf;
  while (len > 0)
    {
      ssize_t w = write (fd, p, len);
      if (w < 0)
        {
          if (errno == EINTR)
            continue;
          return -1;
        }
      p += w;
      len -= (size_t) w;
    }
  return 0;
}

int
sr_read_file_at (int dirfd, const char *path, char **out, size_t *len,
                 sr_error_t *err)
{
  return sr_read_file_max (dirfd, path, out, len, SR_FILE_MAX, err);
}

int
sr_read_file_max (int dirfd, const char *path, char **out, size_t *len,
                  size_t max, sr_error_t *err)
{
  _cleanup_close_ int fd = openat (dirfd, path, O_RDONLY | O_CLOEXEC);
  _cleanup_free_ char *buf = NULL;
  size_t cap = 4096, n = 0;

  if (fd < 0)
    return sr_error_errno (err, "open %s", path);
  buf = malloc (cap);
  if (buf == NULL)
    return sr_error_errno (err, "malloc");
  for (;;)
    {
      if (n + 1 >= cap)
        {
          /* Every file we read (configs, state, profiles, policies) is small:
           * a huge one is hostile, and must not cost us the memory. */
          if (cap >= max)
            return sr_error (err, EFBIG, "%s: larger than %zu MiB", path, max >> 20);
          char *t = realloc (buf, cap * 2);
          if (t == NULL)
            return sr_error_errno (err, "realloc");
          buf = t;
          cap *= 2;
        }
      ssize_t r = read (fd, buf + n, cap - n - 1);
      if (r < 0)
        {
          if (errno == EINTR)
            continue;
          return sr_error_errno (err, "read %s", path);
        }
      if (r == 0)
        break;
      n += (size_t) r;
    }
  buf[n] = '\0';
  if (len)
    *len = n;
  *out = sr_steal_ptr (buf);
  return 0;
}

int
sr_write_file_at (int dirfd, const char *path, const void *data, size_t len,
                  sr_error_t *err)
{
  _cleanup_close_ int fd
      = openat (dirfd, path, O_WRONLY | O_CLOEXEC | O_TRUNC | O_NOFOLLOW);
  if (fd < 0)
    return sr_error_errno (err, "open %s", path);
  if (sr_write_all (fd, data, len) < 0)
    return sr_error_errno (err, "write %s", path);
  return 0;
}

static int
writev_all (int fd, const struct iovec *in, int n)
{
  struct iovec v[8];
  struct iovec *iov = v;

  if (n > 8)
    return errno = EINVAL, -1;
  memcpy (v, in, (size_t) n * sizeof *v);
  while (n > 0)
    {
      ssize_t w = writev (fd, iov, n);
      if (w < 0)
        {
          if (errno == EINTR)
            continue;
          return -1;
        }
      while (n > 0 && (size_t) w >= iov->iov_len)
        {
          w -= (ssize_t) iov->iov_len;
          iov++;
          n--;
        }
      if (n > 0)
        {
          iov->iov_base = (char *) iov->iov_base + w;
          iov->iov_len -= (size_t) w;
        }
    }
  return 0;
}

int
sr_write_file_atomicv (int dirfd, const char *name, const struct iovec *iov, int n,
                       mode_t mode, sr_error_t *err)
{
  char tmp[PATH_MAX];
  int fd;

  if (snprintf (tmp, sizeof tmp, ".%s.tmp", name) >= (int) sizeof tmp)
    return sr_error (err, ENAMETOOLONG, "%s", name);
  fd = openat (dirfd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW,
               mode);
  if (fd < 0)
    return sr_error_errno (err, "create %s", tmp);
  if (writev_all (fd, iov, n) < 0)
    {
      int e = errno;
      close (fd);
      unlinkat (dirfd, tmp, 0);
      return sr_error (err, e, "write %s", tmp);
    }
  close (fd);
  if (renameat (dirfd, tmp, dirfd, name) < 0)
    {
      int e = errno;
      unlinkat (dirfd, tmp, 0);
      return sr_error (err, e, "rename %s", name);
    }
  return 0;
}

int
sr_write_file_atomic (int dirfd, const char *name, const void *data,
                      size_t len, mode_t mode, sr_error_t *err)
{
  struct iovec iov = { .iov_base = (void *) data, .iov_len = len };
  return sr_write_file_atomicv (dirfd, name, &iov, 1, mode, err);
}

int
sr_parse_u64 (const char *s, uint64_t *out)
{
  char *end;
  if (s == NULL || *s == '\0' || *s == '-')
    return -1;
  errno = 0;
  unsigned long long v = strtoull (s, &end, 10);
  if (errno || *end != '\0')
    return -1;
  *out = v;
  return 0;
}

int
sr_parse_fd_count (const char *s, int *out)
{
  uint64_t v;
  if (sr_parse_u64 (s, &v) < 0 || v > 1 << 20)
    return -1;
  *out = (int) v;
  return 0;
}

int
sr_parse_i64 (const char *s, int64_t *out)
{
  char *end;
  if (s == NULL || *s == '\0')
    return -1;
  errno = 0;
  long long v = strtoll (s, &end, 10);
  if (errno || *end != '\0')
    return -1;
  *out = v;
  return 0;
}

/* Returns the state letter and start time from /proc/PID/stat. The comm
 * field may hold spaces and parentheses: parse after the last ')'. */
static int
proc_stat (pid_t pid, char *state, uint64_t *start)
{
  char path[64], buf[1024];
  int fd;
  ssize_t n;

  snprintf (path, sizeof path, "/proc/%d/stat", (int) pid);
  fd = open (path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return -1;
  n = read (fd, buf, sizeof buf - 1);
  close (fd);
  if (n <= 0)
    return -1;
  buf[n] = '\0';
  char *p = strrchr (buf, ')');
  if (p == NULL || p[1] != ' ')
    return -1;
  p += 2;
  *state = *p;
  /* fields after comm: 3=state ... 22=starttime: skip 19 separators */
  for (int field = 3; field < 22; field++)
    {
      p = strchr (p, ' ');
      if (p == NULL)
        return -1;
      p++;
    }
  *start = strtoull (p, NULL, 10);
  return 0;
}

uint64_t
sr_proc_start_time (pid_t pid)
{
  char st;
  uint64_t start;
  if (pid <= 0 || proc_stat (pid, &st, &start) < 0)
    return 0;
  return start;
}

bool
sr_proc_alive (pid_t pid, uint64_t start_time)
{
  char st;
  uint64_t start;
  if (pid <= 0 || proc_stat (pid, &st, &start) < 0)
    return false;
  if (start != start_time)
    return false;
  return st != 'Z' && st != 'X';
}

void
sr_rfc3339_format (int64_t sec, long nsec, char *buf, size_t n)
{
  int64_t days = sec / 86400, secs = sec % 86400, z, era, doe, yoe, y, doy, mp, d, m;

  /* By hand: glibc's gmtime_r() and strftime() load /etc/localtime first.
   * The civil date from days since the epoch is H. Hinnant's algorithm. */
  if (secs < 0)
    {
      secs += 86400;
      days--;
    }
  z = days + 719468;
  era = (z >= 0 ? z : z - 146096) / 146097;
  doe = z - era * 146097;
  yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  y = yoe + era * 400;
  doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  mp = (5 * doy + 2) / 153;
  d = doy - (153 * mp + 2) / 5 + 1;
  m = mp < 10 ? mp + 3 : mp - 9;
  y += m <= 2;
  snprintf (buf, n, "%04" PRId64 "-%02" PRId64 "-%02" PRId64 "T%02" PRId64 ":%02" PRId64
            ":%02" PRId64 ".%09ldZ", y, m, d, secs / 3600, secs / 60 % 60, secs % 60, nsec);
}

void
sr_rfc3339_now (char *buf, size_t n)
{
  struct timespec ts;
  /* The system call, not the vDSO: the libc's first vDSO call looks the
   * symbol up in the vDSO's ELF image and faults in its pages, three
   * faults (about 35 us on a VM) to save one system call (about 1 us). */
  syscall (SYS_clock_gettime, CLOCK_REALTIME, &ts);
  sr_rfc3339_format (ts.tv_sec, ts.tv_nsec, buf, n);
}

char *
sr_path_join (const char *a, const char *b)
{
  char *r = NULL;
  size_t la = strlen (a);
  while (*b == '/')
    b++;
  if (asprintf (&r, "%s%s%s", a, (la && a[la - 1] == '/') ? "" : "/", b) < 0)
    return NULL;
  return r;
}

int
sr_mkdir_p (const char *path, mode_t mode, sr_error_t *err)
{
  _cleanup_free_ char *p = strdup (path);
  if (p == NULL)
    return sr_error_errno (err, "strdup");
  for (char *s = p + 1; *s; s++)
    {
      if (*s != '/')
        continue;
      *s = '\0';
      if (mkdir (p, mode) < 0 && errno != EEXIST)
        return sr_error_errno (err, "mkdir %s", p);
      *s = '/';
    }
  if (mkdir (p, mode) < 0 && errno != EEXIST)
    return sr_error_errno (err, "mkdir %s", p);
  return 0;
}

static int
cmp_int (const void *a, const void *b)
{
  return *(const int *) a - *(const int *) b;
}

int
sr_close_fds_from (int from, const int *keep, size_t nkeep)
{
  int sorted[64];
  size_t n = nkeep < 64 ? nkeep : 64;

  /* keep may be NULL when nkeep is 0 (hooks.c): memcpy from NULL is
   * undefined even for 0 bytes (UBSan, tests/sanitize/run.sh). */
  if (n)
    memcpy (sorted, keep, n * sizeof (int));
  qsort (sorted, n, sizeof (int), cmp_int);
  for (size_t i = 0; i < n; i++)
    {
      if (sorted[i] < from)
        continue;
      if (sorted[i] > from
          && syscall (SYS_close_range, from, sorted[i] - 1, 0) < 0)
        return -1;
      from = sorted[i] + 1;
    }
  return (int) syscall (SYS_close_range, from, ~0U, 0);
}

/* The signals whose disposition is not the default (ignored or caught),
 * from /proc/self/status; all of them if that cannot be read. */
static uint64_t
signals_not_default (void)
{
  char buf[4096];
  uint64_t set = 0;
  int found = 0;
  ssize_t n = 0, r;
  int fd = open ("/proc/self/status", O_RDONLY | O_CLOEXEC);

  if (fd < 0)
    return ~0ULL;
  while (n < (ssize_t) sizeof buf - 1
         && (r = read (fd, buf + n, sizeof buf - 1 - (size_t) n)) > 0)
    n += r;
  close (fd);
  buf[n > 0 ? n : 0] = '\0';
  for (const char *k = buf; (k = strstr (k, "\nSig")) != NULL; k++)
    if (strncmp (k + 4, "Ign:", 4) == 0 || strncmp (k + 4, "Cgt:", 4) == 0)
      {
        char *end;
        set |= strtoull (k + 8, &end, 16);
        if (end != k + 8)
          found++;
      }
  return found == 2 ? set : ~0ULL;
}

void
sr_reset_signals (void)
{
  sigset_t none;
  uint64_t set = signals_not_default ();

  /* Ignored dispositions and the mask survive execve: the workload must
   * start with the defaults, not with what the runtime needed. Only the
   * signals not already at their default are touched (one or two, not 64
   * syscalls on the start path). */
  for (int sig = 1; sig < NSIG && sig <= 64; sig++)
    if (sig != SIGKILL && sig != SIGSTOP && (set & (1ULL << (sig - 1))))
      signal (sig, SIG_DFL);
  sigemptyset (&none);
  sigprocmask (SIG_SETMASK, &none, NULL);
}

/* Removes name (a file or a whole tree) below dirfd without following
 * symlinks out of it. */
int
sr_rm_rf_at (int dirfd, const char *name, sr_error_t *err)
{
  if (unlinkat (dirfd, name, 0) == 0 || errno == ENOENT)
    return 0;
  if (errno != EISDIR && errno != EPERM)
    return sr_error_errno (err, "remove %s", name);

  int fd = openat (dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0)
    return errno == ENOENT ? 0 : sr_error_errno (err, "open %s", name);
  DIR *d = fdopendir (fd);
  if (d == NULL)
    {
      close (fd);
      return sr_error_errno (err, "read %s", name);
    }
  struct dirent *de;
  int ret = 0;
  while (ret == 0 && (errno = 0, de = readdir (d)) != NULL)
    {
      if (strcmp (de->d_name, ".") == 0 || strcmp (de->d_name, "..") == 0)
        continue;
      ret = sr_rm_rf_at (fd, de->d_name, err);
    }
  closedir (d);
  if (ret < 0)
    return sr_error_prefix (err, "%s", name);
  if (unlinkat (dirfd, name, AT_REMOVEDIR) < 0 && errno != ENOENT)
    return sr_error_errno (err, "remove %s", name);
  return 0;
}

