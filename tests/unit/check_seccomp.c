/* Unit tests for runtime/seccomp.c.
 *
 * The central property: the BPF we load is exactly what libseccomp builds
 * for the same filter. ref_build() below builds that filter straight from
 * the JSON with libseccomp, following the runtime-spec and runc, and the
 * tests compare bytes. Other tests construct sr_seccomp_t in C, and a few
 * fork a child that loads a filter and checks what the kernel does. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include <check.h>
#include <dirent.h>
#include <sys/stat.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>


#include "caps.h"
#include "seccomp_bpf.h"
#include <seccomp.h>

#ifndef PROFILE_SRCDIR
#error "build with -DPROFILE_SRCDIR='\".../profiles\"'"
#endif
#ifndef SAMPLEDIR
#error "build with -DSAMPLEDIR='\".../samples\"'"
#endif

#define DEFAULT_PROFILE PROFILE_SRCDIR "/seccomp/default.json"
#ifndef AF_VSOCK
#define AF_VSOCK 40
#endif

/* ---- reference: libseccomp driven directly from the JSON --------------- */

static uint32_t
ref_action (const char *a, json_t *errno_ret)
{
  uint32_t e = errno_ret ? (uint32_t) json_integer_value (errno_ret) : EPERM;

  if (!strcmp (a, "SCMP_ACT_ALLOW"))
    return SCMP_ACT_ALLOW;
  if (!strcmp (a, "SCMP_ACT_ERRNO"))
    return SCMP_ACT_ERRNO (e);
  if (!strcmp (a, "SCMP_ACT_KILL") || !strcmp (a, "SCMP_ACT_KILL_THREAD"))
    return SCMP_ACT_KILL_THREAD;
  if (!strcmp (a, "SCMP_ACT_KILL_PROCESS"))
    return SCMP_ACT_KILL_PROCESS;
  if (!strcmp (a, "SCMP_ACT_TRAP"))
    return SCMP_ACT_TRAP;
  if (!strcmp (a, "SCMP_ACT_TRACE"))
    return SCMP_ACT_TRACE (e);
  if (!strcmp (a, "SCMP_ACT_LOG"))
    return SCMP_ACT_LOG;
  ck_abort_msg ("reference: action %s", a);
  return 0;
}

static enum scmp_compare
ref_op (const char *o)
{
  static const char *n[] = { "SCMP_CMP_NE", "SCMP_CMP_LT", "SCMP_CMP_LE",
                             "SCMP_CMP_EQ", "SCMP_CMP_GE", "SCMP_CMP_GT",
                             "SCMP_CMP_MASKED_EQ" };
  static const enum scmp_compare c[] = { SCMP_CMP_NE, SCMP_CMP_LT, SCMP_CMP_LE,
                                         SCMP_CMP_EQ, SCMP_CMP_GE, SCMP_CMP_GT,
                                         SCMP_CMP_MASKED_EQ };
  for (size_t i = 0; i < 7; i++)
    if (!strcmp (o, n[i]))
      return c[i];
  ck_abort_msg ("reference: op %s", o);
  return SCMP_CMP_EQ;
}

static uint32_t
ref_arch (const char *name)
{
  char lc[32];
  size_t i;

  ck_assert (strncmp (name, "SCMP_ARCH_", 10) == 0);
  for (i = 0; name[10 + i] && i < sizeof lc - 1; i++)
    lc[i] = (char) (name[10 + i] >= 'A' && name[10 + i] <= 'Z'
                    ? name[10 + i] + 32 : name[10 + i]);
  lc[i] = '\0';
  return seccomp_arch_resolve_name (lc);
}

static void
ref_read_fd (int fd, uint8_t **buf, size_t *len)
{
  off_t end = lseek (fd, 0, SEEK_END);

  ck_assert_int_gt (end, 0);
  *len = (size_t) end;
  *buf = malloc (*len);
  ck_assert_ptr_nonnull (*buf);
  ck_assert_int_eq (pread (fd, *buf, *len, 0), (ssize_t) *len);
}

static void
ref_export (scmp_filter_ctx ctx, uint8_t **buf, size_t *len)
{
  FILE *f = tmpfile ();

  ck_assert_ptr_nonnull (f);
  ck_assert_int_eq (seccomp_export_bpf (ctx, fileno (f)), 0);
  ref_read_fd (fileno (f), buf, len);
  fclose (f);
}

/* arches: NULL to take the object's own list. */
static void
ref_build (json_t *sc, const char *const *arches, uint8_t **buf, size_t *len)
{
  json_t *v, *w, *x, *names, *args;
  size_t i, j, k;
  uint32_t def;
  scmp_filter_ctx ctx;

  def = ref_action (json_string_value (json_object_get (sc, "defaultAction")),
                    json_object_get (sc, "defaultErrnoRet"));
  ctx = seccomp_init (def);
  ck_assert_ptr_nonnull (ctx);
  ck_assert_int_eq (seccomp_attr_set (ctx, SCMP_FLTATR_CTL_NNP, 0), 0);
  if (arches)
    for (i = 0; arches[i]; i++)
      {
        int r = seccomp_arch_add (ctx, ref_arch (arches[i]));
        ck_assert (r == 0 || r == -EEXIST);
      }
  else
    json_array_foreach (json_object_get (sc, "architectures"), i, v)
      {
        int r = seccomp_arch_add (ctx, ref_arch (json_string_value (v)));
        ck_assert (r == 0 || r == -EEXIST);
      }

  json_array_foreach (json_object_get (sc, "syscalls"), i, v)
    {
      uint32_t act = ref_action (json_string_value (json_object_get (v, "action")),
                                 json_object_get (v, "errnoRet"));
      struct scmp_arg_cmp cmps[16];
      unsigned n = 0, seen = 0;
      bool repeated = false;

      if (act == def)
        continue;
      args = json_object_get (v, "args");
      json_array_foreach (args, k, x)
        {
          unsigned idx = (unsigned) json_integer_value (json_object_get (x, "index"));
          json_t *two = json_object_get (x, "valueTwo");

          ck_assert_uint_lt (n, 16);
          if (seen & (1u << idx))
            repeated = true;
          seen |= 1u << idx;
          cmps[n++] = SCMP_CMP64 (idx,
                                  ref_op (json_string_value (json_object_get (x, "op"))),
                                  (scmp_datum_t) json_integer_value (json_object_get (x, "value")),
                                  two ? (scmp_datum_t) json_integer_value (two) : 0);
        }
      names = json_object_get (v, "names");
      json_array_foreach (names, j, w)
        {
          int nr = seccomp_syscall_resolve_name (json_string_value (w));

          if (nr == __NR_SCMP_ERROR)
            continue;
          if (!repeated)
            ck_assert_int_eq (seccomp_rule_add_array (ctx, act, nr, n, cmps), 0);
          else
            for (k = 0; k < n; k++)
              ck_assert_int_eq (seccomp_rule_add_array (ctx, act, nr, 1, &cmps[k]), 0);
        }
    }
  ref_export (ctx, buf, len);
  seccomp_release (ctx);
}

static void
assert_same_bpf (const sr_bpf_t *b, const uint8_t *ref, size_t ref_len)
{
  ck_assert_uint_eq ((size_t) b->len * sizeof (struct sock_filter), ref_len);
  ck_assert_msg (memcmp (b->insns, ref, ref_len) == 0,
                 "BPF differs from libseccomp's own build");
}

/* ---- helpers ----------------------------------------------------------- */

static json_t *
load_json (const char *text)
{
  json_error_t jerr;
  json_t *j = json_loads (text, 0, &jerr);

  ck_assert_msg (j != NULL, "test JSON: %s", jerr.text);
  return j;
}

/* Parses and compiles a linux.seccomp object given as JSON text; returns the
 * compile's result and leaves the message in *err. */
static int
compile_text (const char *text, sr_bpf_t *b, sr_error_t *err)
{
  json_t *j = load_json (text);
  sr_seccomp_t s;
  int ret;

  ret = sr_seccomp_parse (j, "linux.seccomp", &s, err);
  if (ret == 0)
    {
      ret = sr_seccomp_compile (&s, b, err);
      sr_seccomp_profile_release (&s);
    }
  json_decref (j);
  return ret;
}

static void
assert_text_matches_ref (const char *text)
{
  sr_error_t err = { 0 };
  sr_bpf_t b;
  uint8_t *ref;
  size_t ref_len;
  json_t *j;

  ck_assert_msg (compile_text (text, &b, &err) == 0, "%s", err.msg);
  j = load_json (text);
  ref_build (j, NULL, &ref, &ref_len);
  assert_same_bpf (&b, ref, ref_len);
  free (ref);
  json_decref (j);
  sr_bpf_release (&b);
}

static void
assert_parse_error (const char *text, const char *msg)
{
  sr_error_t err = { 0 };
  sr_seccomp_t s;
  json_t *j = load_json (text);

  ck_assert_int_eq (sr_seccomp_parse (j, "linux.seccomp", &s, &err), -1);
  ck_assert_str_eq (err.msg, msg);
  sr_error_clear (&err);
  json_decref (j);
}

static void
assert_compile_error (const sr_seccomp_t *s, const char *msg)
{
  sr_error_t err = { 0 };
  sr_bpf_t b = { NULL, 0 };

  ck_assert_int_eq (sr_seccomp_compile (s, &b, &err), -1);
  ck_assert_ptr_null (b.insns);
  ck_assert_str_eq (err.msg, msg);
  sr_error_clear (&err);
}

#define STRV(a) ((sr_strv_t) { (a), sizeof (a) / sizeof ((a)[0]) - 1 })

/* The kernel's view of the running machine decides which of the profile's
 * architectures the loader keeps; the tests below run on x86_64. */
static const char *const x86_64_arches[] = { "SCMP_ARCH_X86_64", "SCMP_ARCH_X86",
                                             "SCMP_ARCH_X32", NULL };

/* ---- default profile --------------------------------------------------- */

START_TEST (default_profile_is_libseccomp_build)
{
  sr_error_t err = { 0 };
  sr_seccomp_t s;
  json_t *j;
  sr_bpf_t b;
  uint8_t *ref;
  size_t ref_len;

  ck_assert_msg (sr_seccomp_profile_load (DEFAULT_PROFILE, &j, &s, &err) == 0,
                 "%s", err.msg);
  ck_assert_msg (sr_seccomp_compile (&s, &b, &err) == 0, "%s", err.msg);
  ref_build (j, (const char *const *) s.architectures.v, &ref, &ref_len);
  assert_same_bpf (&b, ref, ref_len);
  free (ref);
  sr_bpf_release (&b);
  ck_assert_ptr_null (b.insns);
  sr_seccomp_profile_release (&s);
  json_decref (j);
}
END_TEST


/* The cache must hand back exactly what a fresh compile (and libseccomp)
 * builds, and must ignore any entry it cannot trust. */
static bool
same_bpf (const sr_bpf_t *a, const sr_bpf_t *b)
{
  return a->len == b->len
         && memcmp (a->insns, b->insns, a->len * sizeof *a->insns) == 0;
}

/* The path of the one entry in the cache directory (there must be one). */
static void
only_entry (const char *cache, char *path, size_t size)
{
  DIR *d = opendir (cache);
  struct dirent *de;
  int n = 0;

  ck_assert_ptr_nonnull (d);
  while ((de = readdir (d)) != NULL)
    if (de->d_name[0] != '.')
      {
        snprintf (path, size, "%s/%s", cache, de->d_name);
        n++;
      }
  closedir (d);
  ck_assert_int_eq (n, 1);
}

START_TEST (cache_returns_libseccomp_build)
{
  sr_error_t err = { 0 };
  sr_seccomp_t s;
  json_t *j;
  sr_bpf_t fresh, first, second, again;
  struct stat st;
  char dir[] = "/tmp/secrun-cache-test-XXXXXX";
  char cache[64], path[512];
  uint8_t *ref;
  size_t ref_len;

  ck_assert_ptr_nonnull (mkdtemp (dir));
  snprintf (cache, sizeof cache, "%s/c", dir);
  ck_assert_msg (sr_seccomp_profile_load (DEFAULT_PROFILE, &j, &s, &err) == 0,
                 "%s", err.msg);
  ck_assert (sr_seccomp_compile (&s, &fresh, &err) == 0);
  ck_assert (sr_seccomp_compile_cached (&s, j, cache, &first, &err) == 0);
  ck_assert (sr_seccomp_compile_cached (&s, j, cache, &second, &err) == 0);
  ck_assert (same_bpf (&fresh, &first));
  ck_assert (same_bpf (&fresh, &second));
  ref_build (j, (const char *const *) s.architectures.v, &ref, &ref_len);
  assert_same_bpf (&second, ref, ref_len);
  free (ref);

  /* An entry someone else could have written (here: world-writable, with a
   * byte of its BPF changed) must be ignored and replaced by a fresh build. */
  only_entry (cache, path, sizeof path);
  FILE *f = fopen (path, "r+b");
  ck_assert_ptr_nonnull (f);
  fseek (f, -4, SEEK_END);
  fputc (0x5a, f);
  fclose (f);
  ck_assert_int_eq (chmod (path, 0666), 0);
  ck_assert (sr_seccomp_compile_cached (&s, j, cache, &again, &err) == 0);
  ck_assert (same_bpf (&fresh, &again));
  ck_assert_int_eq (stat (path, &st), 0);
  ck_assert_int_eq (st.st_mode & 0777, 0600);

  /* A profile that differs only by one rule is another entry, not a hit. */
  json_t *other = json_deep_copy (j);
  json_object_set_new (other, "defaultErrnoRet", json_integer (1));
  sr_bpf_t diff;
  sr_seccomp_t s2;
  ck_assert (sr_seccomp_parse (other, "linux.seccomp", &s2, &err) == 0);
  ck_assert (sr_seccomp_compile_cached (&s2, other, cache, &diff, &err) == 0);
  ck_assert (!same_bpf (&fresh, &diff));

  sr_bpf_release (&diff);
  sr_seccomp_profile_release (&s2);
  json_decref (other);
  sr_bpf_release (&fresh);
  sr_bpf_release (&first);
  sr_bpf_release (&second);
  sr_bpf_release (&again);
  sr_seccomp_profile_release (&s);
  json_decref (j);
  char cmd[256];
  snprintf (cmd, sizeof cmd, "rm -rf %s", dir);
  ck_assert_int_eq (system (cmd), 0);
}
END_TEST

START_TEST (default_profile_shape)
{
  static const char *const absent[] = {
    "mount", "umount", "umount2", "pivot_root", "unshare", "setns", "keyctl",
    "add_key", "request_key", "bpf", "ptrace", "process_vm_readv",
    "process_vm_writev", "kexec_load", "kexec_file_load", "init_module",
    "finit_module", "delete_module", "open_by_handle_at", "name_to_handle_at",
    "perf_event_open", "userfaultfd", "swapon", "swapoff", "reboot", "syslog",
    "acct", "settimeofday", "stime", "clock_settime", "clock_settime64",
    "adjtimex", "clock_adjtime", "clock_adjtime64", "iopl", "ioperm",
    "lookup_dcookie", "fanotify_init", "fsopen", "fsmount", "fsconfig",
    "move_mount", "open_tree", "fspick", "mount_setattr", "quotactl",
    "quotactl_fd", "vm86", "vm86old", "io_uring_setup", "io_uring_enter",
    "io_uring_register", "clone3", "kcmp", "pidfd_getfd", "modify_ldt",
    "uselib", "vhangup", "memfd_secret", NULL
  };
  sr_error_t err = { 0 };
  sr_seccomp_t s;
  json_t *j;
  size_t i, k, n;

  ck_assert_msg (sr_seccomp_profile_load (DEFAULT_PROFILE, &j, &s, &err) == 0,
                 "%s", err.msg);
  ck_assert (s.set);
  ck_assert_int_eq (s.default_action, SR_SCMP_ERRNO);
  ck_assert (s.default_errno_ret.set);
  ck_assert_uint_eq (s.default_errno_ret.v, ENOSYS);
  ck_assert_ptr_null (s.listener_path);
  ck_assert_uint_eq (s.flags.n, 0);
  /* aarch64 and arm are in the file; an x86_64 kernel never reports them. */
  ck_assert_uint_eq (s.architectures.n, 3);
  for (i = 0; i < 3; i++)
    ck_assert_str_eq (s.architectures.v[i], x86_64_arches[i]);
  ck_assert_ptr_null (s.architectures.v[3]);
  for (i = 0; i < s.n_syscalls; i++)
    {
      ck_assert_int_eq (s.syscalls[i].action, SR_SCMP_ALLOW);
      for (n = 0; n < s.syscalls[i].names.n; n++)
        for (k = 0; absent[k]; k++)
          ck_assert_msg (strcmp (s.syscalls[i].names.v[n], absent[k]) != 0,
                         "%s is allowed by the default profile", absent[k]);
    }
  sr_seccomp_profile_release (&s);
  json_decref (j);
}
END_TEST

/* Every syscall name in the profile is known to libseccomp for one of the
 * architectures it lists: a typo would silently deny a syscall. */
START_TEST (default_profile_names_known)
{
  static const uint32_t arches[] = { SCMP_ARCH_X86_64, SCMP_ARCH_X86,
                                     SCMP_ARCH_X32, SCMP_ARCH_AARCH64,
                                     SCMP_ARCH_ARM };
  json_error_t jerr;
  json_t *j = json_load_file (DEFAULT_PROFILE, 0, &jerr), *r, *n;
  size_t i, k, a;

  ck_assert_ptr_nonnull (j);
  json_array_foreach (json_object_get (j, "syscalls"), i, r)
    json_array_foreach (json_object_get (r, "names"), k, n)
      {
        bool known = false;

        for (a = 0; a < 5; a++)
          known |= seccomp_syscall_resolve_name_arch (arches[a],
                                                      json_string_value (n)) >= 0;
        ck_assert_msg (known, "%s: unknown on every listed architecture",
                       json_string_value (n));
      }
  json_decref (j);
}
END_TEST

/* ---- sample configs ---------------------------------------------------- */

/* Each sample's linux.seccomp, read both by sr_config_load (config.c) and by
 * sr_seccomp_parse, compiles to libseccomp's own build of that JSON. */
START_TEST (samples_are_libseccomp_build)
{
  DIR *d = opendir (SAMPLEDIR);
  struct dirent *de;
  int compiled = 0;

  ck_assert_ptr_nonnull (d);
  while ((de = readdir (d)) != NULL)
    {
      char path[4096];
      json_error_t jerr;
      json_t *root, *sc;
      sr_error_t err = { 0 };
      sr_config_t *c;
      sr_seccomp_t s;
      sr_bpf_t b, bc;
      uint8_t *ref;
      size_t ref_len;

      if (strlen (de->d_name) < 6
          || strcmp (de->d_name + strlen (de->d_name) - 5, ".json") != 0)
        continue;
      snprintf (path, sizeof path, "%s/%s", SAMPLEDIR, de->d_name);
      root = json_load_file (path, 0, &jerr);
      ck_assert_msg (root != NULL, "%s: %s", path, jerr.text);
      sc = json_object_get (json_object_get (root, "linux"), "seccomp");
      if (sc == NULL)
        {
          json_decref (root);
          continue;
        }
      ref_build (sc, NULL, &ref, &ref_len);

      ck_assert_msg (sr_seccomp_parse (sc, "linux.seccomp", &s, &err) == 0,
                     "%s: %s", path, err.msg);
      ck_assert_msg (sr_seccomp_compile (&s, &b, &err) == 0, "%s: %s", path,
                     err.msg);
      assert_same_bpf (&b, ref, ref_len);

      c = sr_config_load (path, &err);
      ck_assert_msg (c != NULL, "%s: %s", path, err.msg);
      ck_assert (c->linux_.seccomp.set);
      ck_assert_msg (sr_seccomp_compile (&c->linux_.seccomp, &bc, &err) == 0,
                     "%s: %s", path, err.msg);
      assert_same_bpf (&bc, ref, ref_len);

      free (ref);
      sr_bpf_release (&b);
      sr_bpf_release (&bc);
      sr_config_free (c);
      sr_seccomp_profile_release (&s);
      json_decref (root);
      compiled++;
    }
  closedir (d);
  ck_assert_int_ge (compiled, 5);
}
END_TEST

/* ---- translation, on structs built in C -------------------------------- */

static const char *arch_native[] = { "SCMP_ARCH_X86_64", NULL };

START_TEST (unknown_syscall_skipped)
{
  static const char *names[] = { "no_such_syscall_zz", "getpid",
                                 "also_not_a_syscall", NULL };
  static const char *unknown_only[] = { "no_such_syscall_zz", NULL };
  sr_scmp_rule_t rules[] = {
    { .names = STRV (names), .action = SR_SCMP_ALLOW },
    { .names = STRV (unknown_only), .action = SR_SCMP_KILL_PROCESS },
  };
  sr_seccomp_t s = { .set = true, .default_action = SR_SCMP_ERRNO,
                     .architectures = STRV (arch_native),
                     .syscalls = rules, .n_syscalls = 2 };
  sr_error_t err = { 0 };
  sr_bpf_t b;
  scmp_filter_ctx ctx;
  uint8_t *ref;
  size_t ref_len;

  ck_assert_msg (sr_seccomp_compile (&s, &b, &err) == 0, "%s", err.msg);
  ctx = seccomp_init (SCMP_ACT_ERRNO (EPERM));
  seccomp_attr_set (ctx, SCMP_FLTATR_CTL_NNP, 0);
  ck_assert_int_eq (seccomp_rule_add (ctx, SCMP_ACT_ALLOW, SCMP_SYS (getpid), 0), 0);
  ref_export (ctx, &ref, &ref_len);
  assert_same_bpf (&b, ref, ref_len);
  seccomp_release (ctx);
  free (ref);
  sr_bpf_release (&b);
}
END_TEST

static const char *op_syscalls[7][2] = {
  { "getpid", NULL }, { "getppid", NULL }, { "getuid", NULL },
  { "geteuid", NULL }, { "getgid", NULL }, { "getegid", NULL },
  { "gettid", NULL },
};
/* value, value_two per operator (MASKED_EQ: mask 0xf0, datum 0x30) */
static const uint64_t op_vals[7][2] = {
  { 5, 0 }, { 10, 0 }, { 10, 0 }, { 7, 0 }, { 10, 0 }, { 10, 0 }, { 0xf0, 0x30 },
};

static void
op_rules (sr_scmp_rule_t *rules, sr_scmp_arg_t *args)
{
  for (int k = 0; k < 7; k++)
    {
      args[k] = (sr_scmp_arg_t) { .index = 0, .value = op_vals[k][0],
                                  .value_two = op_vals[k][1],
                                  .op = (sr_scmp_op_t) k };
      rules[k] = (sr_scmp_rule_t) {
        .names = { (const char **) op_syscalls[k], 1 },
        .action = SR_SCMP_ERRNO,
        .errno_ret = { true, 100 + (uint64_t) k },
        .args = &args[k], .n_args = 1 };
    }
}

START_TEST (every_operator_translated)
{
  static const enum scmp_compare cmp[7] = { SCMP_CMP_NE, SCMP_CMP_LT,
                                            SCMP_CMP_LE, SCMP_CMP_EQ,
                                            SCMP_CMP_GE, SCMP_CMP_GT,
                                            SCMP_CMP_MASKED_EQ };
  sr_scmp_rule_t rules[7];
  sr_scmp_arg_t args[7];
  sr_seccomp_t s = { .set = true, .default_action = SR_SCMP_ALLOW,
                     .syscalls = rules, .n_syscalls = 7 };
  sr_error_t err = { 0 };
  sr_bpf_t b;
  scmp_filter_ctx ctx, swapped;
  uint8_t *ref, *ref_swapped;
  size_t ref_len, ref_swapped_len;

  op_rules (rules, args);
  ck_assert_msg (sr_seccomp_compile (&s, &b, &err) == 0, "%s", err.msg);

  ctx = seccomp_init (SCMP_ACT_ALLOW);
  swapped = seccomp_init (SCMP_ACT_ALLOW);
  seccomp_attr_set (ctx, SCMP_FLTATR_CTL_NNP, 0);
  seccomp_attr_set (swapped, SCMP_FLTATR_CTL_NNP, 0);
  for (int k = 0; k < 7; k++)
    {
      int nr = seccomp_syscall_resolve_name (op_syscalls[k][0]);

      ck_assert_int_eq (seccomp_rule_add (ctx, SCMP_ACT_ERRNO (100 + k), nr, 1,
                                          SCMP_CMP64 (0, cmp[k], op_vals[k][0],
                                                      op_vals[k][1])), 0);
      ck_assert_int_eq (seccomp_rule_add (swapped, SCMP_ACT_ERRNO (100 + k), nr, 1,
                                          SCMP_CMP64 (0, cmp[k], op_vals[k][1],
                                                      op_vals[k][0])), 0);
    }
  ref_export (ctx, &ref, &ref_len);
  ref_export (swapped, &ref_swapped, &ref_swapped_len);
  assert_same_bpf (&b, ref, ref_len);
  /* value is the mask, valueTwo the datum: the other order is another filter */
  ck_assert (ref_len != ref_swapped_len || memcmp (ref, ref_swapped, ref_len) != 0);
  seccomp_release (ctx);
  seccomp_release (swapped);
  free (ref);
  free (ref_swapped);
  sr_bpf_release (&b);
}
END_TEST

START_TEST (repeated_index_split_like_runc)
{
  static const char *names[] = { "getpgrp", NULL };
  sr_scmp_arg_t args[] = {
    { .index = 0, .value = 1, .op = SR_SCMP_CMP_EQ },
    { .index = 1, .value = 9, .op = SR_SCMP_CMP_EQ },
    { .index = 0, .value = 2, .op = SR_SCMP_CMP_EQ },
  };
  sr_scmp_rule_t rule = { .names = STRV (names), .action = SR_SCMP_ERRNO,
                          .args = args, .n_args = 3 };
  sr_seccomp_t s = { .set = true, .default_action = SR_SCMP_ALLOW,
                     .syscalls = &rule, .n_syscalls = 1 };
  sr_error_t err = { 0 };
  sr_bpf_t b;
  scmp_filter_ctx ctx;
  uint8_t *ref;
  size_t ref_len;

  ck_assert_msg (sr_seccomp_compile (&s, &b, &err) == 0, "%s", err.msg);
  ctx = seccomp_init (SCMP_ACT_ALLOW);
  seccomp_attr_set (ctx, SCMP_FLTATR_CTL_NNP, 0);
  /* one rule per comparison, the arg on index 1 included, as runc does */
  ck_assert_int_eq (seccomp_rule_add (ctx, SCMP_ACT_ERRNO (EPERM), SCMP_SYS (getpgrp), 1,
                                      SCMP_A0_64 (SCMP_CMP_EQ, 1, 0)), 0);
  ck_assert_int_eq (seccomp_rule_add (ctx, SCMP_ACT_ERRNO (EPERM), SCMP_SYS (getpgrp), 1,
                                      SCMP_A1_64 (SCMP_CMP_EQ, 9, 0)), 0);
  ck_assert_int_eq (seccomp_rule_add (ctx, SCMP_ACT_ERRNO (EPERM), SCMP_SYS (getpgrp), 1,
                                      SCMP_A0_64 (SCMP_CMP_EQ, 2, 0)), 0);
  ref_export (ctx, &ref, &ref_len);
  assert_same_bpf (&b, ref, ref_len);
  seccomp_release (ctx);
  free (ref);
  sr_bpf_release (&b);
}
END_TEST

START_TEST (rule_with_default_action_skipped)
{
  /* ERRNO(38) equals the default and is skipped (libseccomp would refuse
   * it); ERRNO without errnoRet is EPERM, a different action, and stays. */
  assert_text_matches_ref (
      "{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"defaultErrnoRet\": 38,"
      " \"syscalls\": ["
      "  {\"names\": [\"getpid\"], \"action\": \"SCMP_ACT_ERRNO\", \"errnoRet\": 38},"
      "  {\"names\": [\"getppid\"], \"action\": \"SCMP_ACT_ERRNO\"},"
      "  {\"names\": [\"read\"], \"action\": \"SCMP_ACT_ALLOW\"}]}");
  assert_text_matches_ref (
      "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"syscalls\": ["
      "  {\"names\": [\"getpid\"], \"action\": \"SCMP_ACT_ALLOW\"}]}");
}
END_TEST

START_TEST (every_action_translated)
{
  /* libseccomp accepts SCMP_ACT_LOG and KILL_PROCESS only when the kernel
   * says it has them (API level 3); valgrind hides seccomp(2) and with it
   * that answer. */
  bool api3 = seccomp_api_get () >= 3;

  assert_text_matches_ref (
      api3 ? "{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"syscalls\": ["
             "  {\"names\": [\"write\"], \"action\": \"SCMP_ACT_LOG\"},"
             "  {\"names\": [\"getuid\"], \"action\": \"SCMP_ACT_KILL_PROCESS\"}]}"
           : "{\"defaultAction\": \"SCMP_ACT_ERRNO\"}");
  assert_text_matches_ref (
      "{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"architectures\":"
      " [\"SCMP_ARCH_X86_64\", \"SCMP_ARCH_X86\", \"SCMP_ARCH_X32\"],"
      " \"syscalls\": ["
      "  {\"names\": [\"read\"], \"action\": \"SCMP_ACT_ALLOW\"},"
      "  {\"names\": [\"getpid\"], \"action\": \"SCMP_ACT_KILL\"},"
      "  {\"names\": [\"getppid\"], \"action\": \"SCMP_ACT_KILL_THREAD\"},"
      "  {\"names\": [\"getgid\"], \"action\": \"SCMP_ACT_TRAP\"},"
      "  {\"names\": [\"geteuid\"], \"action\": \"SCMP_ACT_TRACE\", \"errnoRet\": 7},"
      "  {\"names\": [\"getegid\"], \"action\": \"SCMP_ACT_ERRNO\", \"errnoRet\": 22}]}");
  /* defaultErrnoRet absent: EPERM */
  {
    sr_error_t err = { 0 };
    sr_bpf_t b;
    scmp_filter_ctx ctx = seccomp_init (SCMP_ACT_ERRNO (EPERM));
    uint8_t *ref;
    size_t ref_len;

    seccomp_attr_set (ctx, SCMP_FLTATR_CTL_NNP, 0);
    ck_assert_int_eq (compile_text ("{\"defaultAction\": \"SCMP_ACT_ERRNO\"}",
                                    &b, &err), 0);
    ref_export (ctx, &ref, &ref_len);
    assert_same_bpf (&b, ref, ref_len);
    seccomp_release (ctx);
    free (ref);
    sr_bpf_release (&b);
  }
}
END_TEST

START_TEST (notify_refused)
{
  static const char *names[] = { "getpid", NULL };
  sr_scmp_rule_t rules[] = {
    { .names = STRV (names), .action = SR_SCMP_ALLOW },
    { .names = STRV (names), .action = SR_SCMP_NOTIFY },
  };
  sr_seccomp_t s = { .set = true, .default_action = SR_SCMP_ERRNO,
                     .syscalls = rules, .n_syscalls = 2 };

  assert_compile_error (&s, "linux.seccomp.syscalls[1].action: "
                        "SCMP_ACT_NOTIFY / listenerPath is not supported yet");
  s.n_syscalls = 1;
  s.listener_path = "/run/agent.sock";
  assert_compile_error (&s, "linux.seccomp.listenerPath: "
                        "SCMP_ACT_NOTIFY / listenerPath is not supported yet");
  s.listener_path = NULL;
  s.default_action = SR_SCMP_NOTIFY;
  assert_compile_error (&s, "linux.seccomp.defaultAction: "
                        "SCMP_ACT_NOTIFY / listenerPath is not supported yet");
  /* listenerMetadata alone means nothing without a listener */
  s.default_action = SR_SCMP_ERRNO;
  s.listener_metadata = "x";
  {
    sr_error_t err = { 0 };
    sr_bpf_t b;

    ck_assert_msg (sr_seccomp_compile (&s, &b, &err) == 0, "%s", err.msg);
    sr_bpf_release (&b);
  }
}
END_TEST

START_TEST (bad_arch_refused)
{
  static const char *bad[] = { "SCMP_ARCH_X86_64", "SCMP_ARCH_NOPE", NULL };
  static const char *unprefixed[] = { "x86_64", NULL };
  sr_seccomp_t s = { .set = true, .default_action = SR_SCMP_ALLOW,
                     .architectures = STRV (bad) };

  assert_compile_error (&s, "linux.seccomp.architectures[1]: unknown "
                        "architecture \"SCMP_ARCH_NOPE\"");
  s.architectures = STRV (unprefixed);
  assert_compile_error (&s, "linux.seccomp.architectures[0]: unknown "
                        "architecture \"x86_64\"");
}
END_TEST

START_TEST (struct_errors_name_path)
{
  static const char *names[] = { "getpid", NULL };
  sr_scmp_arg_t arg = { .index = 6, .value = 1, .op = SR_SCMP_CMP_EQ };
  sr_scmp_rule_t rules[] = {
    { .names = STRV (names), .action = SR_SCMP_ALLOW },
    { .names = STRV (names), .action = SR_SCMP_ERRNO, .args = &arg, .n_args = 1 },
  };
  sr_seccomp_t s = { .set = true, .default_action = SR_SCMP_KILL,
                     .syscalls = rules, .n_syscalls = 2 };

  assert_compile_error (&s, "linux.seccomp.syscalls[1].args[0].index: 6 is "
                        "out of range 0..5");
  arg.index = 0;
  rules[1].errno_ret = (sr_opt_u64) { true, 70000 };
  assert_compile_error (&s, "linux.seccomp.syscalls[1].action: errnoRet 70000 "
                        "does not fit in 16 bits");
  s.set = false;
  assert_compile_error (&s, "linux.seccomp: not present");
}
END_TEST

START_TEST (flags_translated)
{
  static const char *all[] = { "SECCOMP_FILTER_FLAG_LOG",
                               "SECCOMP_FILTER_FLAG_SPEC_ALLOW",
                               "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV",
                               "SECCOMP_FILTER_FLAG_TSYNC", NULL };
  static const char *bad[] = { "SECCOMP_FILTER_FLAG_LOG",
                               "SECCOMP_FILTER_FLAG_NEW_LISTENER", NULL };
  sr_seccomp_t s = { .set = true, .flags = STRV (all) };
  sr_error_t err = { 0 };
  unsigned int flags = 99;

  ck_assert_int_eq (sr_seccomp_flags (&s, &flags, &err), 0);
  /* TSYNC: init is single-threaded when it loads, nothing to synchronise */
  ck_assert_uint_eq (flags, SECCOMP_FILTER_FLAG_LOG | SECCOMP_FILTER_FLAG_SPEC_ALLOW
                                | SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV);
  s.flags = (sr_strv_t) { NULL, 0 };
  ck_assert_int_eq (sr_seccomp_flags (&s, &flags, &err), 0);
  ck_assert_uint_eq (flags, 0);
  s.flags = STRV (bad);
  ck_assert_int_eq (sr_seccomp_flags (&s, &flags, &err), -1);
  ck_assert_str_eq (err.msg, "linux.seccomp.flags[1]: unknown flag "
                    "\"SECCOMP_FILTER_FLAG_NEW_LISTENER\"");
  sr_error_clear (&err);
}
END_TEST

/* ---- parsing ----------------------------------------------------------- */

START_TEST (parse_fields)
{
  json_t *j = load_json (
      "{\"defaultAction\": \"SCMP_ACT_KILL_PROCESS\", \"defaultErrnoRet\": 5,"
      " \"architectures\": [\"SCMP_ARCH_X86\"], \"flags\": [\"SECCOMP_FILTER_FLAG_LOG\"],"
      " \"listenerPath\": \"/l\", \"listenerMetadata\": \"m\","
      " \"syscalls\": [{\"names\": [\"a\", \"b\"], \"action\": \"SCMP_ACT_TRACE\","
      "  \"errnoRet\": 3, \"args\": [{\"index\": 5, \"value\": 1, \"valueTwo\": 2,"
      "  \"op\": \"SCMP_CMP_MASKED_EQ\"}, {\"index\": 0, \"value\": 9223372036854775807,"
      "  \"op\": \"SCMP_CMP_GT\"}]}, {\"names\": [], \"action\": \"SCMP_ACT_LOG\","
      "  \"args\": null}]}");
  sr_error_t err = { 0 };
  sr_seccomp_t s;

  ck_assert_msg (sr_seccomp_parse (j, "linux.seccomp", &s, &err) == 0, "%s", err.msg);
  ck_assert (s.set);
  ck_assert_int_eq (s.default_action, SR_SCMP_KILL_PROCESS);
  ck_assert (s.default_errno_ret.set && s.default_errno_ret.v == 5);
  ck_assert_uint_eq (s.architectures.n, 1);
  ck_assert_str_eq (s.architectures.v[0], "SCMP_ARCH_X86");
  ck_assert_ptr_null (s.architectures.v[1]);
  ck_assert_str_eq (s.flags.v[0], "SECCOMP_FILTER_FLAG_LOG");
  ck_assert_str_eq (s.listener_path, "/l");
  ck_assert_str_eq (s.listener_metadata, "m");
  ck_assert_uint_eq (s.n_syscalls, 2);
  ck_assert_uint_eq (s.syscalls[0].names.n, 2);
  ck_assert_str_eq (s.syscalls[0].names.v[1], "b");
  ck_assert_int_eq (s.syscalls[0].action, SR_SCMP_TRACE);
  ck_assert (s.syscalls[0].errno_ret.set && s.syscalls[0].errno_ret.v == 3);
  ck_assert_uint_eq (s.syscalls[0].n_args, 2);
  ck_assert_uint_eq (s.syscalls[0].args[0].index, 5);
  ck_assert_uint_eq (s.syscalls[0].args[0].value, 1);
  ck_assert_uint_eq (s.syscalls[0].args[0].value_two, 2);
  ck_assert_int_eq (s.syscalls[0].args[0].op, SR_SCMP_CMP_MASKED_EQ);
  ck_assert_uint_eq (s.syscalls[0].args[1].value, 9223372036854775807ULL);
  ck_assert_uint_eq (s.syscalls[0].args[1].value_two, 0);
  ck_assert_int_eq (s.syscalls[0].args[1].op, SR_SCMP_CMP_GT);
  ck_assert_uint_eq (s.syscalls[1].names.n, 0);
  ck_assert (!s.syscalls[1].errno_ret.set);
  ck_assert_uint_eq (s.syscalls[1].n_args, 0);
  sr_seccomp_profile_release (&s);
  ck_assert_ptr_null (s.syscalls);
  json_decref (j);
}
END_TEST

START_TEST (parse_errors_name_path)
{
#define RULE0 "{\"names\": [\"read\"], \"action\": \"SCMP_ACT_ALLOW\"}"
  assert_parse_error ("[]", "linux.seccomp: expected object, got array");
  assert_parse_error ("{}", "linux.seccomp.defaultAction: required");
  assert_parse_error ("{\"defaultAction\": \"SCMP_ACT_NOPE\"}",
                      "linux.seccomp.defaultAction: unknown action \"SCMP_ACT_NOPE\"");
  assert_parse_error ("{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"defaultErrnoRet\": -1}",
                      "linux.seccomp.defaultErrnoRet: expected a non-negative "
                      "integer, got -1");
  assert_parse_error ("{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"architectures\": [1]}",
                      "linux.seccomp.architectures[0]: expected string, got integer");
  assert_parse_error ("{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"syscall\": []}",
                      "linux.seccomp.syscall: unknown field");
  assert_parse_error ("{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"syscalls\": {}}",
                      "linux.seccomp.syscalls: expected array, got object");
  assert_parse_error ("{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"syscalls\": ["
                      RULE0 ", {\"action\": \"SCMP_ACT_ALLOW\"}]}",
                      "linux.seccomp.syscalls[1].names: required");
  assert_parse_error ("{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"syscalls\": ["
                      "{\"name\": \"read\", \"action\": \"SCMP_ACT_ALLOW\"}]}",
                      "linux.seccomp.syscalls[0].name: unknown field");
  /* "arg" for "args" would have allowed clone unconditionally */
  assert_parse_error ("{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"syscalls\": ["
                      RULE0 ", {\"names\": [\"clone\"], \"action\": \"SCMP_ACT_ALLOW\","
                      " \"arg\": []}]}",
                      "linux.seccomp.syscalls[1].arg: unknown field");
  assert_parse_error ("{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"syscalls\": ["
                      RULE0 ", " RULE0 ", {\"names\": [\"x\"], \"action\": \"SCMP_ACT_ALLOW\","
                      " \"args\": [{\"index\": 0, \"value\": 1, \"op\": \"SCMP_CMP_EQ\"},"
                      " {\"index\": 7, \"value\": 1, \"op\": \"SCMP_CMP_EQ\"}]}]}",
                      "linux.seccomp.syscalls[2].args[1].index: 7 is out of range 0..5");
  assert_parse_error ("{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"syscalls\": ["
                      "{\"names\": [\"x\"], \"action\": \"SCMP_ACT_ALLOW\","
                      " \"args\": [{\"index\": 0, \"value\": 1, \"op\": \"SCMP_CMP_XX\"}]}]}",
                      "linux.seccomp.syscalls[0].args[0].op: unknown operator \"SCMP_CMP_XX\"");
  assert_parse_error ("{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"syscalls\": ["
                      "{\"names\": [\"x\"], \"action\": \"SCMP_ACT_ALLOW\","
                      " \"args\": [{\"index\": 0, \"op\": \"SCMP_CMP_EQ\"}]}]}",
                      "linux.seccomp.syscalls[0].args[0].value: required");
  assert_parse_error ("{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"syscalls\": ["
                      "{\"names\": [\"x\"], \"action\": \"SCMP_ACT_ALLOW\","
                      " \"args\": [{\"index\": 0, \"value\": -3, \"op\": \"SCMP_CMP_EQ\"}]}]}",
                      "linux.seccomp.syscalls[0].args[0].value: expected a "
                      "non-negative integer, got -3");
  assert_parse_error ("{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"syscalls\": ["
                      "{\"names\": [\"x\"], \"action\": \"SCMP_ACT_ALLOW\","
                      " \"args\": [{\"index\": 0, \"value\": 1, \"valueTwo\": 1.5,"
                      " \"op\": \"SCMP_CMP_EQ\"}]}]}",
                      "linux.seccomp.syscalls[0].args[0].valueTwo: expected "
                      "integer, got number");
  assert_parse_error ("{\"defaultAction\": \"SCMP_ACT_ERRNO\", \"syscalls\": ["
                      "{\"names\": [\"x\"], \"action\": \"SCMP_ACT_ALLOW\", \"errnoRet\": \"1\"}]}",
                      "linux.seccomp.syscalls[0].errnoRet: expected integer, got string");
#undef RULE0
}
END_TEST

START_TEST (profile_load_errors)
{
  sr_error_t err = { 0 };
  sr_seccomp_t s;
  json_t *j = (json_t *) 1;
  char path[] = "/tmp/check_seccomp.XXXXXX";
  int fd;

  ck_assert_int_eq (sr_seccomp_profile_load ("/nonexistent/p.json", &j, &s, &err), -1);
  ck_assert_ptr_null (j);
  ck_assert_ptr_nonnull (strstr (err.msg, "/nonexistent/p.json"));
  sr_error_clear (&err);

  fd = mkstemp (path);
  ck_assert_int_ge (fd, 0);
  ck_assert_int_gt (write (fd, "{\"defaultAction\": 1}", 20), 0);
  close (fd);
  ck_assert_int_eq (sr_seccomp_profile_load (path, &j, &s, &err), -1);
  ck_assert_ptr_null (j);
  ck_assert_ptr_nonnull (strstr (err.msg, path));
  ck_assert_ptr_nonnull (strstr (err.msg, ": linux.seccomp.defaultAction: "
                                 "expected string, got integer"));
  sr_error_clear (&err);
  unlink (path);
}
END_TEST

/* ---- loading into the kernel (forked children) ------------------------- */

/* Valgrind does not implement seccomp(2): there, the kernel checks are
 * skipped (the memory checks of everything else still run). */
static bool
kernel_has_seccomp (void)
{
  uint32_t action = SECCOMP_RET_ALLOW;

  if (syscall (SYS_seccomp, SECCOMP_GET_ACTION_AVAIL, 0, &action) == 0)
    return true;
  fprintf (stderr, "seccomp(2): %m: skipping the kernel checks\n");
  return false;
}

/* Runs fn in a child and fails with the message it writes to the pipe. */
static void
run_child (void (*fn) (int out, void *data), void *data)
{
  int p[2], status;
  char msg[512] = "";
  ssize_t n;
  pid_t pid;

  ck_assert_int_eq (pipe2 (p, O_CLOEXEC), 0);
  pid = fork ();
  ck_assert_int_ge (pid, 0);
  if (pid == 0)
    {
      close (p[0]);
      fn (p[1], data);
      _exit (0);
    }
  close (p[1]);
  n = read (p[0], msg, sizeof msg - 1);
  close (p[0]);
  ck_assert_int_eq (waitpid (pid, &status, 0), pid);
  if (n > 0)
    {
      msg[n] = '\0';
      ck_abort_msg ("child: %s", msg);
    }
  ck_assert_msg (WIFEXITED (status) && WEXITSTATUS (status) == 0,
                 "child died: status 0x%x", status);
}

#define CHILD_CHECK(out, cond, ...)                                     \
  do                                                                    \
    {                                                                   \
      if (!(cond))                                                      \
        {                                                               \
          dprintf ((out), __VA_ARGS__);                                 \
          _exit (1);                                                    \
        }                                                               \
    }                                                                   \
  while (0)

/* -1 with errno ENOSYS or EPERM: denied by the filter */
#define DENIED(r) ((r) == -1 && (errno == ENOSYS || errno == EPERM))

static void
child_default_profile (int out, void *data)
{
  const sr_bpf_t *b = data;
  char status[4096];
  ssize_t n;
  int fd, st, r;
  pid_t pid;

  CHILD_CHECK (out, prctl (PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == 0, "nnp: %m");
  r = sr_seccomp_load (b, 0);
  CHILD_CHECK (out, r == 0, "sr_seccomp_load: %s", strerror (-r));

  errno = 0;
  r = mount ("none", "/mnt", "tmpfs", 0, NULL);
  CHILD_CHECK (out, DENIED (r), "mount: %d %m", r);
  CHILD_CHECK (out, errno == ENOSYS, "mount: errno %m, not ENOSYS");
  r = unshare (CLONE_NEWUSER);
  CHILD_CHECK (out, DENIED (r), "unshare: %d %m", r);
  r = (int) syscall (SYS_keyctl, 0 /* KEYCTL_GET_KEYRING_ID */, -3, 0);
  CHILD_CHECK (out, DENIED (r), "keyctl: %d %m", r);
  r = (int) syscall (SYS_setns, 0, 0);
  CHILD_CHECK (out, DENIED (r), "setns: %d %m", r);
  r = (int) syscall (SYS_io_uring_setup, 1, NULL);
  CHILD_CHECK (out, DENIED (r), "io_uring_setup: %d %m", r);
  r = (int) syscall (SYS_clone3, NULL, 0);
  CHILD_CHECK (out, r == -1 && errno == ENOSYS, "clone3: %d %m (want ENOSYS)", r);
  r = (int) syscall (SYS_clone, CLONE_NEWUSER | SIGCHLD, 0, 0, 0, 0);
  if (r == 0)
    _exit (0); /* only if the filter let it through: fail in the parent */
  CHILD_CHECK (out, DENIED (r), "clone(CLONE_NEWUSER): %d %m", r);
  r = (int) syscall (SYS_clone, CLONE_NEWNET | SIGCHLD, 0, 0, 0, 0);
  if (r == 0)
    _exit (0);
  CHILD_CHECK (out, DENIED (r), "clone(CLONE_NEWNET): %d %m", r);
  r = socket (AF_VSOCK, SOCK_STREAM, 0);
  CHILD_CHECK (out, DENIED (r), "socket(AF_VSOCK): %d %m", r);
  r = personality (PER_BSD);
  CHILD_CHECK (out, DENIED (r), "personality(PER_BSD): %d %m", r);

  CHILD_CHECK (out, getpid () == (pid_t) syscall (SYS_getpid), "getpid");
  CHILD_CHECK (out, personality (0xffffffff) != -1, "personality(query): %m");
  fd = socket (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  CHILD_CHECK (out, fd >= 0, "socket(AF_UNIX): %m");
  close (fd);

  fd = open ("/proc/self/status", O_RDONLY | O_CLOEXEC);
  CHILD_CHECK (out, fd >= 0, "open status: %m");
  n = read (fd, status, sizeof status - 1);
  close (fd);
  CHILD_CHECK (out, n > 0, "read status: %m");
  status[n] = '\0';
  CHILD_CHECK (out, strstr (status, "\nSeccomp:\t2\n") != NULL,
               "/proc/self/status has no \"Seccomp: 2\"");

  /* fork (plain clone) and execve still work: an ordinary workload */
  pid = fork ();
  CHILD_CHECK (out, pid >= 0, "fork: %m");
  if (pid == 0)
    {
      execl ("/bin/true", "true", (char *) NULL);
      _exit (127);
    }
  CHILD_CHECK (out, waitpid (pid, &st, 0) == pid, "waitpid: %m");
  CHILD_CHECK (out, WIFEXITED (st) && WEXITSTATUS (st) == 0,
               "/bin/true under the filter: status 0x%x", st);
}

START_TEST (load_default_profile)
{
  sr_error_t err = { 0 };
  sr_seccomp_t s;
  json_t *j;
  sr_bpf_t b;

  if (!kernel_has_seccomp ())
    return;

  /* compiled before fork, as the runtime does */
  ck_assert_msg (sr_seccomp_profile_load (DEFAULT_PROFILE, &j, &s, &err) == 0,
                 "%s", err.msg);
  ck_assert_msg (sr_seccomp_compile (&s, &b, &err) == 0, "%s", err.msg);
  run_child (child_default_profile, &b);
  sr_bpf_release (&b);
  sr_seccomp_profile_release (&s);
  json_decref (j);
}
END_TEST

#define EXPECT_ERRNO(out, call, want)                                   \
  do                                                                    \
    {                                                                   \
      long _r = (call);                                                 \
      CHILD_CHECK (out, _r == -1 && errno == (want),                    \
                   "%s: got %ld errno %d, want errno %d", #call, _r,    \
                   errno, (want));                                      \
    }                                                                   \
  while (0)
#define EXPECT_OK(out, call)                                            \
  do                                                                    \
    {                                                                   \
      long _r = (call);                                                 \
      CHILD_CHECK (out, _r != -1, "%s: %ld %m", #call, _r);             \
    }                                                                   \
  while (0)

static void
child_operators (int out, void *data)
{
  const sr_bpf_t *b = data;
  int r;

  CHILD_CHECK (out, prctl (PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == 0, "nnp: %m");
  r = sr_seccomp_load (b, 0);
  CHILD_CHECK (out, r == 0, "sr_seccomp_load: %s", strerror (-r));
  /* The filter sees the registers whether or not the syscall reads them. */
  EXPECT_OK (out, syscall (SYS_getpid, 5));          /* NE 5 */
  EXPECT_ERRNO (out, syscall (SYS_getpid, 6), 100);
  EXPECT_ERRNO (out, syscall (SYS_getppid, 9), 101); /* LT 10 */
  EXPECT_OK (out, syscall (SYS_getppid, 10));
  EXPECT_ERRNO (out, syscall (SYS_getuid, 10), 102); /* LE 10 */
  EXPECT_OK (out, syscall (SYS_getuid, 11));
  EXPECT_ERRNO (out, syscall (SYS_geteuid, 7), 103); /* EQ 7 */
  EXPECT_OK (out, syscall (SYS_geteuid, 8));
  EXPECT_ERRNO (out, syscall (SYS_getgid, 10), 104); /* GE 10 */
  EXPECT_OK (out, syscall (SYS_getgid, 9));
  EXPECT_ERRNO (out, syscall (SYS_getegid, 11), 105); /* GT 10 */
  EXPECT_OK (out, syscall (SYS_getegid, 10));
  /* MASKED_EQ, value 0xf0 = mask, valueTwo 0x30 = datum */
  EXPECT_ERRNO (out, syscall (SYS_gettid, 0x35), 106);
  EXPECT_ERRNO (out, syscall (SYS_gettid, 0x130), 106);
  EXPECT_OK (out, syscall (SYS_gettid, 0x45));
  EXPECT_OK (out, syscall (SYS_gettid, 0xf0));
  /* repeated index: OR of the comparisons */
  EXPECT_ERRNO (out, syscall (SYS_getpgrp, 1), 107);
  EXPECT_ERRNO (out, syscall (SYS_getpgrp, 2), 107);
  EXPECT_OK (out, syscall (SYS_getpgrp, 3));
}

START_TEST (operators_behave_in_kernel)
{
  static const char *pgrp[] = { "getpgrp", NULL };
  sr_scmp_rule_t rules[8];
  sr_scmp_arg_t args[7];
  sr_scmp_arg_t or_args[] = {
    { .index = 0, .value = 1, .op = SR_SCMP_CMP_EQ },
    { .index = 0, .value = 2, .op = SR_SCMP_CMP_EQ },
  };
  sr_seccomp_t s = { .set = true, .default_action = SR_SCMP_ALLOW,
                     .syscalls = rules, .n_syscalls = 8 };
  sr_error_t err = { 0 };
  sr_bpf_t b;

  if (!kernel_has_seccomp ())
    return;

  op_rules (rules, args);
  rules[7] = (sr_scmp_rule_t) { .names = STRV (pgrp), .action = SR_SCMP_ERRNO,
                                .errno_ret = { true, 107 },
                                .args = or_args, .n_args = 2 };
  ck_assert_msg (sr_seccomp_compile (&s, &b, &err) == 0, "%s", err.msg);
  run_child (child_operators, &b);
  sr_bpf_release (&b);
}
END_TEST

struct flags_case
{
  const sr_bpf_t *b;
  unsigned int flags;
  int drop_caps;
  int want;
};

static void
child_load (int out, void *data)
{
  const struct flags_case *c = data;
  int r;

  if (c->drop_caps)
    {
      CHILD_CHECK (out, sr_caps_limit_bounding (0) == 0, "drop the bounding set");
      CHILD_CHECK (out, sr_caps_set (0, 0, 0) == 0, "capset");
    }
  else
    CHILD_CHECK (out, prctl (PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == 0, "nnp: %m");
  r = sr_seccomp_load (c->b, c->flags);
  CHILD_CHECK (out, r == c->want, "sr_seccomp_load: %d (%s), want %d", r,
               strerror (-r), c->want);
}

START_TEST (load_flags_and_errors)
{
  sr_error_t err = { 0 };
  sr_bpf_t b, empty = { NULL, 0 };
  struct flags_case c;

  if (!kernel_has_seccomp ())
    return;

  ck_assert_int_eq (sr_seccomp_load (&empty, 0), -EINVAL);
  ck_assert_int_eq (sr_seccomp_load (NULL, 0), -EINVAL);
  ck_assert_int_eq (compile_text ("{\"defaultAction\": \"SCMP_ACT_ALLOW\","
                                  " \"syscalls\": [{\"names\": [\"acct\"],"
                                  " \"action\": \"SCMP_ACT_ERRNO\"}]}", &b, &err), 0);
  /* WAIT_KILLABLE_RECV without a listener is dropped, not an EINVAL */
  c = (struct flags_case) { &b, SECCOMP_FILTER_FLAG_LOG | SECCOMP_FILTER_FLAG_SPEC_ALLOW
                                    | SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV, 0, 0 };
  run_child (child_load, &c);
  /* neither no_new_privs nor CAP_SYS_ADMIN: the kernel's -EACCES comes back */
  c = (struct flags_case) { &b, 0, 1, -EACCES };
  run_child (child_load, &c);
  /* a flag the kernel does not know */
  c = (struct flags_case) { &b, 1u << 30, 0, -EINVAL };
  run_child (child_load, &c);
  sr_bpf_release (&b);
  sr_bpf_release (&b); /* idempotent */
  sr_bpf_release (NULL);
}
END_TEST

/* The raw cache's scan finds linux.seccomp's bytes exactly, and gives up
 * (the caller then parses as usual) on anything it cannot be sure of. */
static bool
raw_span (const char *text, const char **span, size_t *n)
{
  size_t off;
  if (!sr_seccomp_find_raw (text, strlen (text), &off, n))
    return false;
  *span = text + off;
  return true;
}

START_TEST (raw_span_found_only_when_plain)
{
  const char *sp;
  size_t n;
  const char *prof = "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":"
                     "[\"a\\\"}]\"],\"action\":\"SCMP_ACT_ERRNO\"}]}";
  char buf[1024];

  snprintf (buf, sizeof buf, "{\"ociVersion\":\"1.0.0\",\"process\":{\"seccomp\":{}},"
            "\"linux\":{\"namespaces\":[{\"type\":\"pid\"}],\n \"seccomp\" :\n %s ,\"x\":[1,{}]},"
            "\"z\":null}", prof);
  ck_assert (raw_span (buf, &sp, &n));
  ck_assert_uint_eq (n, strlen (prof));
  ck_assert (memcmp (sp, prof, n) == 0);

  ck_assert (!raw_span ("{\"linux\":{\"namespaces\":[]}}", &sp, &n));
  ck_assert (!raw_span ("{\"linux\":{\"seccomp\":null}}", &sp, &n));
  ck_assert (!raw_span ("{\"process\":{\"seccomp\":{\"defaultAction\":\"X\"}},\"linux\":{}}", &sp, &n));
  /* repeated, escaped or unterminated: not ours to decide */
  ck_assert (!raw_span ("{\"linux\":{\"seccomp\":{\"a\":1},\"seccomp\":{\"a\":1}}}", &sp, &n));
  ck_assert (!raw_span ("{\"linux\":{\"seccomp\":{\"a\":1}},\"linux\":{\"seccomp\":{\"a\":1}}}", &sp, &n));
  ck_assert (!raw_span ("{\"linux\":{\"secc\\u006fmp\":{\"a\":1}}}", &sp, &n));
  ck_assert (!raw_span ("{\"li\\u006eux\":{\"seccomp\":{\"a\":1}}}", &sp, &n));
  ck_assert (!raw_span ("{\"linux\":{\"seccomp\":{\"a\":\"1}}}", &sp, &n));
  ck_assert (!raw_span ("{\"linux\":{\"seccomp\":{\"a\":1}", &sp, &n));
  ck_assert (!raw_span ("[{\"linux\":{\"seccomp\":{\"a\":1}}}]", &sp, &n));
  ck_assert (!raw_span ("", &sp, &n));
}
END_TEST

START_TEST (raw_cache_roundtrip)
{
  sr_error_t err = { 0 };
  sr_seccomp_t s;
  json_t *j;
  sr_bpf_t fresh, got = { 0 }, none = { 0 };
  unsigned int flags = 0;
  char dir[] = "/tmp/secrun-rawcache-test-XXXXXX", cache[64], path[512];
  const char raw[] = "{\"defaultAction\":\"SCMP_ACT_ALLOW\"}";
  char other[sizeof raw];

  ck_assert_ptr_nonnull (mkdtemp (dir));
  snprintf (cache, sizeof cache, "%s/c", dir);
  ck_assert_msg (sr_seccomp_profile_load (DEFAULT_PROFILE, &j, &s, &err) == 0, "%s", err.msg);
  ck_assert (sr_seccomp_compile (&s, &fresh, &err) == 0);

  /* nothing yet, and no directory is made by a lookup */
  ck_assert (!sr_seccomp_lookup_raw (cache, raw, strlen (raw), &none, &flags));
  ck_assert_int_eq (access (cache, F_OK), -1);
  sr_seccomp_store_raw (cache, raw, strlen (raw), &fresh, 5);
  ck_assert (sr_seccomp_lookup_raw (cache, raw, strlen (raw), &got, &flags));
  ck_assert (same_bpf (&fresh, &got));
  ck_assert_uint_eq (flags, 5);

  /* one byte of the profile changed: another key */
  memcpy (other, raw, sizeof raw);
  other[3] = 'E';
  ck_assert (!sr_seccomp_lookup_raw (cache, other, strlen (other), &none, &flags));
  ck_assert (!sr_seccomp_lookup_raw (cache, raw, strlen (raw) - 1, &none, &flags));

  /* an entry anyone could have written is not trusted */
  only_entry (cache, path, sizeof path);
  ck_assert_int_eq (chmod (path, 0666), 0);
  ck_assert (!sr_seccomp_lookup_raw (cache, raw, strlen (raw), &none, &flags));
  ck_assert_ptr_null (none.insns);

  sr_bpf_release (&fresh);
  sr_bpf_release (&got);
  sr_seccomp_profile_release (&s);
  json_decref (j);
  unlink (path);
  rmdir (cache);
  rmdir (dir);
}
END_TEST

static Suite *
seccomp_suite (void)
{
  Suite *s = suite_create ("seccomp");
  TCase *t;

  t = tcase_create ("profile");
  tcase_set_timeout (t, 30);
  tcase_add_test (t, default_profile_is_libseccomp_build);
  tcase_add_test (t, default_profile_shape);
  tcase_add_test (t, cache_returns_libseccomp_build);
  tcase_add_test (t, raw_span_found_only_when_plain);
  tcase_add_test (t, raw_cache_roundtrip);
  tcase_add_test (t, default_profile_names_known);
  tcase_add_test (t, samples_are_libseccomp_build);
  suite_add_tcase (s, t);

  t = tcase_create ("translate");
  tcase_add_test (t, unknown_syscall_skipped);
  tcase_add_test (t, every_operator_translated);
  tcase_add_test (t, repeated_index_split_like_runc);
  tcase_add_test (t, rule_with_default_action_skipped);
  tcase_add_test (t, every_action_translated);
  tcase_add_test (t, notify_refused);
  tcase_add_test (t, bad_arch_refused);
  tcase_add_test (t, struct_errors_name_path);
  tcase_add_test (t, flags_translated);
  suite_add_tcase (s, t);

  t = tcase_create ("parse");
  tcase_add_test (t, parse_fields);
  tcase_add_test (t, parse_errors_name_path);
  tcase_add_test (t, profile_load_errors);
  suite_add_tcase (s, t);

  t = tcase_create ("load");
  tcase_set_timeout (t, 30);
  tcase_add_test (t, load_default_profile);
  tcase_add_test (t, operators_behave_in_kernel);
  tcase_add_test (t, load_flags_and_errors);
  suite_add_tcase (s, t);
  return s;
}

int
main (void)
{
  SRunner *sr = srunner_create (seccomp_suite ());
  int failed;

  srunner_run_all (sr, CK_NORMAL);
  failed = srunner_ntests_failed (sr);
  srunner_free (sr);
  return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
