#ifndef SECRUN_SEALED_EXE_H
#define SECRUN_SEALED_EXE_H

#include <stdbool.h>

#include "error.h"

/* main() hands over its argv for a later re-exec. */
void sr_sealed_exe_init (char **argv);
/* The argv main() received. */
char **sr_saved_argv (void);
/* Whether /proc/self/exe is a fully sealed memfd. */
bool sr_running_sealed (void);
/* Re-executes this command from a sealed memfd copy of the binary; returns
 * 0 at once when already running from one, -1 on failure. Call it before
 * the command has changed anything. */
int sr_reexec_sealed (sr_error_t *err);

#endif
