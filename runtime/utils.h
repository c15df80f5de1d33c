#ifndef SECRUN_UTILS_H
#define SECRUN_UTILS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "error.h"

#define SR_FILE_MAX (16u << 20) /* sr_read_file_at refuses larger files */
/* state.json holds a config of up to SR_FILE_MAX, and its annotations
 * once more: its own cap is higher (a power of two, as the buffer grows). */
#define SR_STATE_FILE_MAX (4 * (size_t) SR_FILE_MAX)

/* Whole-file helpers relative to a directory fd (AT_FDCWD allowed). */
int sr_read_file_max (int dirfd, const char *path, char **out, size_t *len,
                      size_t max, sr_error_t *err);
int sr_read_file_at (int dirfd, const char *path, char **out, size_t *len,
                     sr_error_t *err);
int sr_write_file_at (int dirfd, const char *path, const void *data,
                      size_t len, sr_error_t *err);
/* temp file + fsync-free rename: readers see the old or the new, never half. */
struct iovec;
/* The same, from the pieces of iov (at most 8), in one writev. */
int sr_write_file_atomicv (int dirfd, const char *name, const struct iovec *iov, int n,
                           mode_t mode, sr_error_t *err);
int sr_write_file_atomic (int dirfd, const char *name, const void *data,
                          size_t len, mode_t mode, sr_error_t *err);

int sr_parse_u64 (const char *s, uint64_t *out);
/* A count of fds to pass on (--preserve-fds): 0 to 2^20. */
int sr_parse_fd_count (const char *s, int *out);
int sr_parse_i64 (const char *s, int64_t *out);

/* Start time of a process (field 22 of /proc/PID/stat), 0 if it is gone:
 * pid + start time names a process without the pid-reuse race. */
uint64_t sr_proc_start_time (pid_t pid);
/* True when pid is alive and still the process that started at start_time
 * (and not a zombie). */
bool sr_proc_alive (pid_t pid, uint64_t start_time);

/* RFC 3339 UTC with nanoseconds, into buf (>= 40 bytes). */
void sr_rfc3339_now (char *buf, size_t n);
/* sec.nsec since the epoch as RFC 3339 UTC ("1970-01-01T00:00:00.000000000Z"),
 * without reading the time zone files. */
void sr_rfc3339_format (int64_t sec, long nsec, char *buf, size_t n);

/* Writes all of buf, retrying on EINTR and short writes. */
int sr_write_all (int fd, const void *buf, size_t len);

/* "a/b" joined with one slash; caller frees. */
char *sr_path_join (const char *a, const char *b);

/* Makes every directory along path (mode 0755 unless given). */
int sr_mkdir_p (const char *path, mode_t mode, sr_error_t *err);

/* Closes every fd >= from except those in keep[0..nkeep): close_range where
 * possible, so it works after pivot_root without /proc. */
int sr_close_fds_from (int from, const int *keep, size_t nkeep);

/* rm -rf of name below dirfd; symlinks are removed, never followed. */
int sr_rm_rf_at (int dirfd, const char *name, sr_error_t *err);

/* Default dispositions and an empty mask, before execve of the workload. */
void sr_reset_signals (void);

#endif
