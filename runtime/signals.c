#include "signals.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const struct { const char *name; int num; } signals[] = {
  { "HUP", SIGHUP }, { "INT", SIGINT }, { "QUIT", SIGQUIT }, { "ILL", SIGILL },
  { "TRAP", SIGTRAP }, { "ABRT", SIGABRT }, { "IOT", SIGIOT }, { "BUS", SIGBUS },
  { "FPE", SIGFPE }, { "KILL", SIGKILL }, { "USR1", SIGUSR1 }, { "SEGV", SIGSEGV },
  { "USR2", SIGUSR2 }, { "PIPE", SIGPIPE }, { "ALRM", SIGALRM }, { "TERM", SIGTERM },
  { "STKFLT", SIGSTKFLT }, { "CHLD", SIGCHLD }, { "CONT", SIGCONT },
  { "STOP", SIGSTOP }, { "TSTP", SIGTSTP }, { "TTIN", SIGTTIN }, { "TTOU", SIGTTOU },
  { "URG", SIGURG }, { "XCPU", SIGXCPU }, { "XFSZ", SIGXFSZ }, { "VTALRM", SIGVTALRM },
  { "PROF", SIGPROF }, { "WINCH", SIGWINCH }, { "IO", SIGIO }, { "POLL", SIGPOLL },
  { "PWR", SIGPWR }, { "SYS", SIGSYS },
};

static int
parse_num (const char *s)
{
  char *end;
  long v = strtol (s, &end, 10);
  if (*s == '\0' || *end != '\0' || v < 0 || v > 64)
    return -1;
  return (int) v;
}

int
sr_signal_parse (const char *s)
{
  if (s == NULL || *s == '\0')
    return -1;
  if (*s >= '0' && *s <= '9')
    {
      int n = parse_num (s);
      return n > 0 ? n : -1;
    }
  if (strncasecmp (s, "SIG", 3) == 0)
    s += 3;
  for (size_t i = 0; i < sizeof signals / sizeof *signals; i++)
    if (strcasecmp (s, signals[i].name) == 0)
      return signals[i].num;
  if (strncasecmp (s, "RTMIN", 5) == 0)
    {
      int off = s[5] == '\0' ? 0 : (s[5] == '+' ? parse_num (s + 6) : -1);
      if (off < 0 || SIGRTMIN + off > SIGRTMAX)
        return -1;
      return SIGRTMIN + off;
    }
  if (strncasecmp (s, "RTMAX", 5) == 0)
    {
      int off = s[5] == '\0' ? 0 : (s[5] == '-' ? parse_num (s + 6) : -1);
      if (off < 0 || SIGRTMAX - off < SIGRTMIN)
        return -1;
      return SIGRTMAX - off;
    }
  return -1;
}
