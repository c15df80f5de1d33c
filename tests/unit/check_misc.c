/* Unit tests for the small pure pieces: ids, mount options, signals. */
#include <check.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>

#include "mounts.h"
#include "signals.h"
#include "state.h"

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
  suite_add_tcase (s, t);
  SRunner *r = srunner_create (s);
  srunner_run_all (r, CK_NORMAL);
  int failed = srunner_ntests_failed (r);
  srunner_free (r);
  return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
