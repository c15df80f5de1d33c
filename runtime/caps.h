/* Capability names and the raw syscalls that apply capability sets.
 * Our own table, not libcap-ng: its constructor reads
 * /proc/sys/kernel/cap_last_cap and probes prctl in every exec of secrun,
 * and its capng_apply() reads /proc/self/status three times per container,
 * all on the start path. */
#ifndef SECRUN_CAPS_H
#define SECRUN_CAPS_H

#include <stdint.h>

/* The highest capability this build knows by name (CAP_CHECKPOINT_RESTORE). */
#define SR_CAP_LAST 40

/* "sys_admin" (any case, no CAP_ prefix) -> 21; -1 if unknown. */
int sr_cap_by_name (const char *lower);

/* 21 -> "sys_admin"; NULL beyond SR_CAP_LAST. */
const char *sr_cap_name (unsigned cap);

/* Drops from the bounding set every capability not in keep, up to the
 * kernel's last one. Needs CAP_SETPCAP. Returns 0 or -errno. */
int sr_caps_limit_bounding (uint64_t keep);

/* capset(2) of the effective, permitted and inheritable sets of the
 * calling thread. Returns 0 or -errno. */
int sr_caps_set (uint64_t effective, uint64_t permitted, uint64_t inheritable);

#endif
