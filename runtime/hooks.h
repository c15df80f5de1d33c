#ifndef SECRUN_HOOKS_H
#define SECRUN_HOOKS_H

#include "config.h"
#include "error.h"

/* Runs each hook of the list in order with the state JSON on its stdin.
 * kind names the list in errors ("prestart"). Stops at the first failure. */
int sr_hooks_run (const sr_hook_list_t *l, const char *kind,
                  const char *state_json, sr_error_t *err);

/* For the hooks whose failure the spec says only to log (poststart,
 * poststop): runs them all and warns about each failure. */
void sr_hooks_run_warn (const sr_hook_list_t *l, const char *kind,
                        const char *state_json);

#endif
