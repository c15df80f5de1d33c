#ifndef SECRUN_TERMINAL_H
#define SECRUN_TERMINAL_H

#include "config.h"
#include "error.h"

/* Connects to --console-socket (before pivot_root, in the runtime). */
int sr_terminal_connect (const char *path, sr_error_t *err);

/* In the init, after pivot_root: a pty from the container's devpts, the
 * master sent over console_fd with SCM_RIGHTS, the slave made the
 * controlling terminal and stdio, consoleSize applied. */
int sr_terminal_setup (int console_fd, const sr_process_t *p, sr_error_t *err);

/* Receives the master sent by sr_terminal_setup. */
int sr_terminal_recv_master (int sock, sr_error_t *err);

/* Foreground run: copies between our stdio and the master until the
 * master closes, with our terminal in raw mode (restored on return) and
 * its size forwarded. */
void sr_terminal_proxy (int master);

#endif
