/* sdnotify MESSAGE: sends MESSAGE ("\n" in it as a newline) as one datagram
 * to $NOTIFY_SOCKET, as sd_notify(3) does. Linked statically to run in the
 * busybox test rootfs. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

int
main (int argc, char **argv)
{
  const char *path = getenv ("NOTIFY_SOCKET");
  struct sockaddr_un a = { .sun_family = AF_UNIX };
  char msg[4096];
  size_t n = 0;
  int fd;

  if (argc != 2 || path == NULL || strlen (path) >= sizeof a.sun_path)
    {
      fprintf (stderr, "usage: NOTIFY_SOCKET=PATH sdnotify MESSAGE\n");
      return 2;
    }
  for (const char *p = argv[1]; *p && n < sizeof msg - 1; p++)
    {
      if (p[0] == '\\' && p[1] == 'n')
        {
          msg[n++] = '\n';
          p++;
        }
      else
        msg[n++] = *p;
    }
  strcpy (a.sun_path, path);
  fd = socket (AF_UNIX, SOCK_DGRAM, 0);
  if (fd < 0 || sendto (fd, msg, n, 0, (struct sockaddr *) &a, sizeof a) < 0)
    {
      perror ("sdnotify");
      return 1;
    }
  return 0;
}
