/* Unit tests for the small pure pieces: ids, mount options, signals,
 * capability names, timestamps. */
#include <check.h>
#include <linux/capability.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <time.h>

#include "caps.h"
#include "mounts.h"
#include "signals.h"
#include "state.h"
#include "utils.h"

static int
id_ok (const char *id)
{
  sr_error_t err = { 0 };
  int r = sr_id_validate (id, &err);
  sr_error_clear (&err);
  return r == 0;
}

START_TEST (test_ids)
{
  char big[SR_ID_MAX + 2];
  ck_assert (id_ok ("abc"));
  ck_assert (id_ok ("a.b-c_d+e"));
  ck_assert (id_ok ("0123456789abcdef0123456789abcdef"));
  ck_assert (!id_ok (""));
  ck_assert (!id_ok ("."));
  ck_assert (!id_ok (".."));
  ck_assert (!id_ok ("../x"));
  ck_assert (!id_ok ("a/b"));
  ck_assert (!id_ok ("a b"));
  ck_assert (!id_ok ("a\nb"));
  ck_assert (!id_ok ("é"));
  memset (big, 'a', SR_ID_MAX);
  big[SR_ID_MAX] = '\0';
  ck_assert (id_ok (big));
  big[SR_ID_MAX] = 'a';
  big[SR_ID_MAX + 1] = '\0';
  ck_assert (!id_ok (big));
}
END_TEST

START_TEST (test_id_error_names_id)
{
  sr_error_t err = { 0 };
  ck_assert_int_eq (sr_id_validate ("../x", &err), -1);
  ck_assert_ptr_nonnull (strstr (err.msg, "\"../x\""));
  sr_error_clear (&err);
}
END_TEST

static sr_mount_opts_t
parse (const char **v, size_t n)
{
  sr_strv_t s = { .v = v, .n = n };
  sr_mount_opts_t o;
  sr_error_t err = { 0 };
  ck_assert_int_eq (sr_mount_opts_parse (&s, &o, &err), 0);
  return o;
}

START_TEST (test_mount_opts_flags)
{
  const char *v[] = { "nosuid", "nodev", "noexec", "ro", "size=65536k", "mode=755" };
  sr_mount_opts_t o = parse (v, 6);
  ck_assert (o.ro);
  ck_assert_uint_eq (o.attr_set, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV
                     | MOUNT_ATTR_NOEXEC | MOUNT_ATTR_RDONLY);
  ck_assert_str_eq (o.data, "size=65536k,mode=755");
  ck_assert (!o.bind);
  sr_mount_opts_release (&o);
}
END_TEST

START_TEST (test_mount_opts_last_wins)
{
  const char *v[] = { "ro", "rw", "noexec", "exec" };
  sr_mount_opts_t o = parse (v, 4);
  ck_assert (!o.ro);
  ck_assert_uint_eq (o.attr_set, 0);
  ck_assert_uint_eq (o.attr_clr, MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOEXEC);
  sr_mount_opts_release (&o);
}
END_TEST

START_TEST (test_mount_opts_bind_prop)
{
  const char *v[] = { "rbind", "rslave", "relatime", "tmpcopyup" };
  sr_mount_opts_t o = parse (v, 4);
  ck_assert (o.bind && o.recursive && o.tmpcopyup);
  ck_assert_uint_eq (o.propagation, MS_SLAVE);
  ck_assert (o.propagation_rec);
  ck_assert_uint_eq (o.attr_clr & MOUNT_ATTR__ATIME, MOUNT_ATTR__ATIME);
  ck_assert_uint_eq (o.attr_set & MOUNT_ATTR__ATIME, MOUNT_ATTR_RELATIME);
  ck_assert_ptr_null (o.data);
  sr_mount_opts_release (&o);
}
END_TEST

START_TEST (test_mount_opts_idmap_refused)
{
  const char *v[] = { "idmap" };
  sr_strv_t s = { .v = v, .n = 1 };
  sr_mount_opts_t o;
  sr_error_t err = { 0 };
  ck_assert_int_eq (sr_mount_opts_parse (&s, &o, &err), -1);
  ck_assert_ptr_nonnull (strstr (err.msg, "idmap"));
  sr_error_clear (&err);
  sr_mount_opts_release (&o);
}
END_TEST

START_TEST (test_propagation)
{
  ck_assert_int_eq (sr_propagation_parse ("rprivate"), MS_PRIVATE | MS_REC);
  ck_assert_int_eq (sr_propagation_parse ("shared"), MS_SHARED);
  ck_assert_int_eq (sr_propagation_parse ("runbindable"), MS_UNBINDABLE | MS_REC);
  ck_assert_int_eq (sr_propagation_parse ("bogus"), -1);
  ck_assert_int_eq (sr_propagation_parse ("nosuid"), -1);
}
END_TEST

START_TEST (test_signals)
{
  ck_assert_int_eq (sr_signal_parse ("TERM"), SIGTERM);
  ck_assert_int_eq (sr_signal_parse ("SIGTERM"), SIGTERM);
  ck_assert_int_eq (sr_signal_parse ("sigkill"), SIGKILL);
  ck_assert_int_eq (sr_signal_parse ("9"), 9);
  ck_assert_int_eq (sr_signal_parse ("15"), 15);
  ck_assert_int_eq (sr_signal_parse ("RTMIN+2"), SIGRTMIN + 2);
  ck_assert_int_eq (sr_signal_parse ("SIGRTMAX-1"), SIGRTMAX - 1);
  ck_assert_int_eq (sr_signal_parse ("0"), -1);
  ck_assert_int_eq (sr_signal_parse ("65"), -1);
  ck_assert_int_eq (sr_signal_parse ("NOPE"), -1);
  ck_assert_int_eq (sr_signal_parse (""), -1);
  ck_assert_int_eq (sr_signal_parse ("9x"), -1);
}
END_TEST

static void
on_usr1 (int sig)
{
  (void) sig;
}

/* What execve would keep (ignored signals, the mask) goes back to the
 * defaults, and so do handlers: all of them, found in /proc/self/status. */
START_TEST (test_reset_signals)
{
  struct sigaction sa = { .sa_handler = on_usr1 }, got;
  sigset_t block, now;

  signal (SIGHUP, SIG_IGN);
  signal (SIGRTMIN + 3, SIG_IGN);
  sigaction (SIGUSR1, &sa, NULL);
  sigemptyset (&block);
  sigaddset (&block, SIGTERM);
  sigprocmask (SIG_BLOCK, &block, NULL);
  sr_reset_signals ();
  for (int sig = 1; sig < 32; sig++)
    if (sig != SIGKILL && sig != SIGSTOP)
      {
        ck_assert_int_eq (sigaction (sig, NULL, &got), 0);
        ck_assert_msg (got.sa_handler == SIG_DFL, "signal %d not reset", sig);
      }
  ck_assert_int_eq (sigaction (SIGRTMIN + 3, NULL, &got), 0);
  ck_assert (got.sa_handler == SIG_DFL);
  sigprocmask (SIG_SETMASK, NULL, &now);
  ck_assert (!sigismember (&now, SIGTERM));
}
END_TEST

START_TEST (test_cap_names)
{
  for (unsigned c = 0; c <= SR_CAP_LAST; c++)
    {
      ck_assert_ptr_nonnull (sr_cap_name (c));
      ck_assert_int_eq (sr_cap_by_name (sr_cap_name (c)), (int) c);
    }
  ck_assert_int_eq (sr_cap_by_name ("chown"), CAP_CHOWN);
  ck_assert_int_eq (sr_cap_by_name ("net_raw"), CAP_NET_RAW);
  ck_assert_int_eq (sr_cap_by_name ("sys_admin"), CAP_SYS_ADMIN);
  ck_assert_int_eq (sr_cap_by_name ("audit_read"), CAP_AUDIT_READ);
  ck_assert_int_eq (sr_cap_by_name ("checkpoint_restore"), CAP_CHECKPOINT_RESTORE);
  ck_assert_int_eq (SR_CAP_LAST, CAP_LAST_CAP);
  ck_assert_int_eq (sr_cap_by_name ("SYS_ADMIN"), CAP_SYS_ADMIN);
  ck_assert_int_eq (sr_cap_by_name ("CAP_SYS_ADMIN"), -1);
  ck_assert_int_eq (sr_cap_by_name ("test"), -1);
  ck_assert_int_eq (sr_cap_by_name (""), -1);
  ck_assert_ptr_null (sr_cap_name (SR_CAP_LAST + 1));
}
END_TEST

/* Our hand-made UTC against glibc's gmtime_r(), across leap days,
 * centuries and times before the epoch. */
START_TEST (test_rfc3339)
{
  static const int64_t when[] = { 0, -1, 59, 86399, 86400, 951782400, 951868799,
                                  978307200, 1709164800, 1795424707, 4102444800,
                                  4107542399, -2208988800, 253402300799 };
  char mine[64], ref[64];

  sr_rfc3339_format (0, 0, mine, sizeof mine);
  ck_assert_str_eq (mine, "1970-01-01T00:00:00.000000000Z");
  sr_rfc3339_format (951825600, 5, mine, sizeof mine);
  ck_assert_str_eq (mine, "2000-02-29T12:00:00.000000005Z");
  for (size_t i = 0; i < sizeof when / sizeof *when; i++)
    {
      time_t t = (time_t) when[i];
      struct tm tm;
      gmtime_r (&t, &tm);
      snprintf (ref, sizeof ref, "%04d-%02d-%02dT%02d:%02d:%02d.000000123Z",
                tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
                tm.tm_sec);
      sr_rfc3339_format (when[i], 123, mine, sizeof mine);
      ck_assert_str_eq (mine, ref);
    }
  for (int64_t t = -400LL * 86400 * 366; t < 400LL * 86400 * 366; t += 86400 * 7 + 3607)
    {
      time_t tt = (time_t) t;
      struct tm tm;
      gmtime_r (&tt, &tm);
      snprintf (ref, sizeof ref, "%04d-%02d-%02dT%02d:%02d:%02d.000000000Z",
                tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
                tm.tm_sec);
      sr_rfc3339_format (t, 0, mine, sizeof mine);
      ck_assert_str_eq (mine, ref);
    }
}
END_TEST

int
main (void)
{
  Suite *s = suite_create ("misc");
  TCase *t = tcase_create ("core");
  tcase_add_test (t, test_ids);
  tcase_add_test (t, test_id_error_names_id);
  tcase_add_test (t, test_mount_opts_flags);
  tcase_add_test (t, test_mount_opts_last_wins);
  tcase_add_test (t, test_mount_opts_bind_prop);
  tcase_add_test (t, test_mount_opts_idmap_refused);
  tcase_add_test (t, test_propagation);
  tcase_add_test (t, test_signals);
  tcase_add_test (t, test_reset_signals);
  tcase_add_test (t, test_cap_names);
  tcase_add_test (t, test_rfc3339);
  suite_add_tcase (s, t);
  SRunner *r = srunner_create (s);
  srunner_run_all (r, CK_NORMAL);
  int failed = srunner_ntests_failed (r);
  srunner_free (r);
  return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
