#ifndef SECRUN_SIGNALS_H
#define SECRUN_SIGNALS_H
/* "TERM", "SIGTERM", "15", "RTMIN+3": the signal number, or -1. */
int sr_signal_parse (const char *s);
#endif
