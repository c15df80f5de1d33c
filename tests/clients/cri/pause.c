/* tests/clients/cri/pause.c: the pod sandbox's process for tests/clients/cri.sh
 * (the role of Kubernetes' pause image), built static and packed as an image
 * offline. It holds the pod's namespaces: it sleeps until SIGINT or SIGTERM
 * (exit 0), and as pid 1 of a pid namespace it reaps whatever is reparented
 * to it. */
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static void
on_stop (int sig)
{
  (void) sig;
  _exit (0);
}

static void
on_child (int sig)
{
  (void) sig;
  while (waitpid (-1, NULL, WNOHANG) > 0)
    ;
}

int
main (void)
{
  struct sigaction sa;

  memset (&sa, 0, sizeof sa);
  sigemptyset (&sa.sa_mask);
  sa.sa_handler = on_stop;
  if (sigaction (SIGINT, &sa, NULL) < 0 || sigaction (SIGTERM, &sa, NULL) < 0)
    return 1;
  sa.sa_handler = on_child;
  sa.sa_flags = SA_NOCLDSTOP | SA_RESTART;
  if (sigaction (SIGCHLD, &sa, NULL) < 0)
    return 1;
  for (;;)
    pause ();
}
