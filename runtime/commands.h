/* One small file per CLI command; main.c parses the global flags. */
#ifndef SECRUN_COMMANDS_H
#define SECRUN_COMMANDS_H

#include <stdbool.h>

#include "error.h"

typedef struct {
  const char *root;   /* --root, default /run/secrun */
  const char *log;    /* --log FILE */
  int log_format;     /* SR_LOG_TEXT / SR_LOG_JSON */
  bool debug;
  bool systemd_cgroup;
  const char *criu;
  const char *policy; /* --policy FILE */
} sr_global_t;

/* Each returns the process exit status. argv[0] is the command name. */
typedef int (*sr_command_fn) (sr_global_t *g, int argc, char **argv);

int cmd_spec (sr_global_t *g, int argc, char **argv);
int cmd_create (sr_global_t *g, int argc, char **argv);
int cmd_start (sr_global_t *g, int argc, char **argv);
int cmd_run (sr_global_t *g, int argc, char **argv);
int cmd_state (sr_global_t *g, int argc, char **argv);
int cmd_kill (sr_global_t *g, int argc, char **argv);
int cmd_delete (sr_global_t *g, int argc, char **argv);
int cmd_list (sr_global_t *g, int argc, char **argv);
int cmd_exec (sr_global_t *g, int argc, char **argv);
int cmd_features (sr_global_t *g, int argc, char **argv);
int cmd_launch (sr_global_t *g, int argc, char **argv);
int cmd_audit (sr_global_t *g, int argc, char **argv);
/* cgroup-backed commands, runtime/cmd_cgroup.c */
int cmd_ps (sr_global_t *g, int argc, char **argv);
int cmd_pause (sr_global_t *g, int argc, char **argv);
int cmd_resume (sr_global_t *g, int argc, char **argv);
int cmd_update (sr_global_t *g, int argc, char **argv);
int cmd_events (sr_global_t *g, int argc, char **argv);

/* Prints the error (stderr + log) and returns 1: the common tail of every
 * command's failure path. */
int sr_fail (sr_error_t *err);

#endif
