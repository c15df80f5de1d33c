#include "caps.h"

#include <errno.h>
#include <linux/capability.h>
#include <string.h>
#include <strings.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

static const char *const names[SR_CAP_LAST + 1] = {
  "chown", "dac_override", "dac_read_search", "fowner", "fsetid", "kill",
  "setgid", "setuid", "setpcap", "linux_immutable", "net_bind_service",
  "net_broadcast", "net_admin", "net_raw", "ipc_lock", "ipc_owner",
  "sys_module", "sys_rawio", "sys_chroot", "sys_ptrace", "sys_pacct",
  "sys_admin", "sys_boot", "sys_nice", "sys_resource", "sys_time",
  "sys_tty_config", "mknod", "lease", "audit_write", "audit_control",
  "setfcap", "mac_override", "mac_admin", "syslog", "wake_alarm",
  "block_suspend", "audit_read", "perfmon", "bpf", "checkpoint_restore",
};

int
sr_cap_by_name (const char *lower)
{
  for (int i = 0; i <= SR_CAP_LAST; i++)
    if (strcasecmp (names[i], lower) == 0)
      return i;
  return -1;
}

const char *
sr_cap_name (unsigned cap)
{
  return cap <= SR_CAP_LAST ? names[cap] : NULL;
}

int
sr_caps_limit_bounding (uint64_t keep)
{
  /* The kernel answers EINVAL past its last capability: that ends the
   * walk without reading /proc/sys/kernel/cap_last_cap. Every kernel we
   * run on knows CAP_AUDIT_READ (37, Linux 3.16), so an EINVAL at or
   * below it is a real failure, not the end of the list. */
  for (unsigned long c = 0; c < 64; c++)
    {
      if (keep & (1ULL << c))
        continue;
      if (prctl (PR_CAPBSET_DROP, c, 0, 0, 0) < 0)
        return errno == EINVAL && c > 37 ? 0 : -errno;
    }
  return 0;
}

int
sr_caps_set (uint64_t effective, uint64_t permitted, uint64_t inheritable)
{
  struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3, .pid = 0 };
  struct __user_cap_data_struct d[2] = {
    { (uint32_t) effective, (uint32_t) permitted, (uint32_t) inheritable },
    { (uint32_t) (effective >> 32), (uint32_t) (permitted >> 32), (uint32_t) (inheritable >> 32) },
  };
  return syscall (SYS_capset, &h, d) < 0 ? -errno : 0;
}
