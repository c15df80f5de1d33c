#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include "seccomp_bpf.h"

#include <seccomp.h>

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <linux/seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "cleanup.h"

#ifndef SECCOMP_FILTER_FLAG_LOG
#define SECCOMP_FILTER_FLAG_LOG (1UL << 1)
#endif
#ifndef SECCOMP_FILTER_FLAG_SPEC_ALLOW
#define SECCOMP_FILTER_FLAG_SPEC_ALLOW (1UL << 2)
#endif
#ifndef SECCOMP_FILTER_FLAG_NEW_LISTENER
#define SECCOMP_FILTER_FLAG_NEW_LISTENER (1UL << 3)
#endif
#ifndef SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV
#define SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV (1UL << 5)
#endif

#define NOTIFY_UNSUPPORTED "SCMP_ACT_NOTIFY / listenerPath is not supported yet"
#define ARCH_PREFIX "SCMP_ARCH_"

/* JSON paths in messages are built in fixed buffers: a truncated path in an
 * error message is better than an allocation failure path of its own. */
#define JPATH_MAX 256

/* vsnprintf, not snprintf: GCC's -Wformat-truncation would flag every
 * path built from a caller's path, and truncation is fine here. */
static const char *jpath (char *buf, const char *fmt, ...)
    __attribute__ ((format (printf, 2, 3)));

static const char *
jpath (char *buf, const char *fmt, ...)
{
  va_list ap;

  va_start (ap, fmt);
  vsnprintf (buf, JPATH_MAX, fmt, ap);
  va_end (ap);
  return buf;
}

static const struct
{
  const char *name;
  sr_scmp_action_t action;
} action_names[] = {
  { "SCMP_ACT_KILL", SR_SCMP_KILL },
  { "SCMP_ACT_KILL_PROCESS", SR_SCMP_KILL_PROCESS },
  { "SCMP_ACT_KILL_THREAD", SR_SCMP_KILL_THREAD },
  { "SCMP_ACT_TRAP", SR_SCMP_TRAP },
  { "SCMP_ACT_ERRNO", SR_SCMP_ERRNO },
  { "SCMP_ACT_TRACE", SR_SCMP_TRACE },
  { "SCMP_ACT_ALLOW", SR_SCMP_ALLOW },
  { "SCMP_ACT_LOG", SR_SCMP_LOG },
  { "SCMP_ACT_NOTIFY", SR_SCMP_NOTIFY },
};

static const struct
{
  const char *name;
  sr_scmp_op_t op;
  enum scmp_compare cmp;
} op_names[] = {
  { "SCMP_CMP_NE", SR_SCMP_CMP_NE, SCMP_CMP_NE },
  { "SCMP_CMP_LT", SR_SCMP_CMP_LT, SCMP_CMP_LT },
  { "SCMP_CMP_LE", SR_SCMP_CMP_LE, SCMP_CMP_LE },
  { "SCMP_CMP_EQ", SR_SCMP_CMP_EQ, SCMP_CMP_EQ },
  { "SCMP_CMP_GE", SR_SCMP_CMP_GE, SCMP_CMP_GE },
  { "SCMP_CMP_GT", SR_SCMP_CMP_GT, SCMP_CMP_GT },
  { "SCMP_CMP_MASKED_EQ", SR_SCMP_CMP_MASKED_EQ, SCMP_CMP_MASKED_EQ },
};

#define N_ELEMS(a) (sizeof (a) / sizeof ((a)[0]))

/* ---- compile ---------------------------------------------------------- */

static void
seccomp_releasep (scmp_filter_ctx *ctx)
{
  if (*ctx)
    seccomp_release (*ctx);
}

#define _cleanup_seccomp_ __attribute__ ((cleanup (seccomp_releasep)))

/* The libseccomp action for a spec action. errnoRet defaults to EPERM, as
 * the runtime-spec says, for rules and for the default action alike. */
static int
action_value (sr_scmp_action_t a, const sr_opt_u64 *errno_ret,
              const char *path, uint32_t *out, sr_error_t *err)
{
  uint64_t e = errno_ret->set ? errno_ret->v : EPERM;

  if ((a == SR_SCMP_ERRNO || a == SR_SCMP_TRACE) && e > 0xffff)
    return sr_error (err, 0, "%s: errnoRet %" PRIu64 " does not fit in 16 bits",
                     path, e);
  switch (a)
    {
    case SR_SCMP_KILL:
    case SR_SCMP_KILL_THREAD:
      *out = SCMP_ACT_KILL_THREAD;
      return 0;
    case SR_SCMP_KILL_PROCESS:
      *out = SCMP_ACT_KILL_PROCESS;
      return 0;
    case SR_SCMP_TRAP:
      *out = SCMP_ACT_TRAP;
      return 0;
    case SR_SCMP_ERRNO:
      *out = SCMP_ACT_ERRNO ((uint32_t) e);
      return 0;
    case SR_SCMP_TRACE:
      *out = SCMP_ACT_TRACE ((uint32_t) e);
      return 0;
    case SR_SCMP_ALLOW:
      *out = SCMP_ACT_ALLOW;
      return 0;
    case SR_SCMP_LOG:
      *out = SCMP_ACT_LOG;
      return 0;
    case SR_SCMP_NOTIFY:
      return sr_error (err, 0, "%s: " NOTIFY_UNSUPPORTED, path);
    }
  return sr_error (err, 0, "%s: invalid action %d", path, (int) a);
}

/* "SCMP_ARCH_X86_64" -> SCMP_ARCH_X86_64's token via libseccomp's own name
 * table ("x86_64"); 0 when unknown. */
static uint32_t
arch_token (const char *name)
{
  char lc[32];
  size_t i;

  if (name == NULL || strncmp (name, ARCH_PREFIX, strlen (ARCH_PREFIX)) != 0)
    return 0;
  name += strlen (ARCH_PREFIX);
  for (i = 0; name[i] && i < sizeof lc - 1; i++)
    lc[i] = (char) tolower ((unsigned char) name[i]);
  if (name[i])
    return 0;
  lc[i] = '\0';
  return seccomp_arch_resolve_name (lc);
}

static int
add_arches (scmp_filter_ctx ctx, const sr_strv_t *arches, sr_error_t *err)
{
  size_t i;

  for (i = 0; i < arches->n; i++)
    {
      uint32_t tok = arch_token (arches->v[i]);
      int ret;

      if (tok == 0)
        return sr_error (err, 0,
                         "linux.seccomp.architectures[%zu]: unknown architecture \"%s\"",
                         i, arches->v[i]);
      ret = seccomp_arch_add (ctx, tok);
      /* The native arch is in every new context already. */
      if (ret < 0 && ret != -EEXIST)
        return sr_error (err, -ret,
                         "linux.seccomp.architectures[%zu]: cannot add \"%s\"",
                         i, arches->v[i]);
    }
  return 0;
}

static bool
has_repeated_index (const sr_scmp_rule_t *r)
{
  unsigned int count[6] = { 0 };
  size_t i;

  for (i = 0; i < r->n_args; i++)
    if (r->args[i].index < 6 && ++count[r->args[i].index] > 1)
      return true;
  return false;
}

static int
translate_args (const sr_scmp_rule_t *r, size_t rule_i,
                struct scmp_arg_cmp *cmps, sr_error_t *err)
{
  size_t i;

  for (i = 0; i < r->n_args; i++)
    {
      const sr_scmp_arg_t *a = &r->args[i];

      if (a->index >= 6)
        return sr_error (err, 0,
                         "linux.seccomp.syscalls[%zu].args[%zu].index: %" PRIu32
                         " is out of range 0..5", rule_i, i, a->index);
      if ((unsigned) a->op >= N_ELEMS (op_names))
        return sr_error (err, 0, "linux.seccomp.syscalls[%zu].args[%zu].op: "
                         "invalid operator %d", rule_i, i, (int) a->op);
      /* For SCMP_CMP_MASKED_EQ the spec's value is the mask and valueTwo the
       * datum, which is libseccomp's datum_a/datum_b order; the other
       * operators ignore datum_b. */
      cmps[i] = SCMP_CMP64 (a->index, op_names[a->op].cmp, a->value,
                            a->value_two);
    }
  return 0;
}

static int
add_rule (scmp_filter_ctx ctx, uint32_t def, const sr_scmp_rule_t *r,
          size_t rule_i, sr_error_t *err)
{
  char path[JPATH_MAX];
  _cleanup_free_ struct scmp_arg_cmp *cmps = NULL;
  uint32_t act;
  bool split;
  size_t i, k;

  jpath (path, "linux.seccomp.syscalls[%zu].action", rule_i);
  if (action_value (r->action, &r->errno_ret, path, &act, err) < 0)
    return -1;
  /* libseccomp refuses a rule that repeats the default action; crun and
   * runc skip it, and so do we: it changes nothing. */
  if (act == def)
    return 0;

  if (r->n_args > 0)
    {
      cmps = calloc (r->n_args, sizeof *cmps);
      if (cmps == NULL)
        return sr_error (err, ENOMEM, "linux.seccomp.syscalls[%zu]", rule_i);
      if (translate_args (r, rule_i, cmps, err) < 0)
        return -1;
    }
  /* libseccomp cannot compare one argument twice in a rule. runc (and crun)
   * then add every comparison as a rule of its own, which ORs them; a
   * profile written for them means exactly that. */
  split = has_repeated_index (r);

  for (i = 0; i < r->names.n; i++)
    {
      const char *name = r->names.v[i];
      int nr = seccomp_syscall_resolve_name (name);
      int ret = 0;

      /* Unknown to this libseccomp: the kernel may not have it either, and
       * the default action answers it. Same as crun and runc. */
      if (nr == __NR_SCMP_ERROR)
        continue;
      if (!split)
        ret = seccomp_rule_add_array (ctx, act, nr, (unsigned) r->n_args, cmps);
      else
        for (k = 0; k < r->n_args && ret == 0; k++)
          ret = seccomp_rule_add_array (ctx, act, nr, 1, &cmps[k]);
      if (ret < 0)
        return sr_error (err, -ret,
                         "linux.seccomp.syscalls[%zu].names[%zu]: cannot add rule for \"%s\"",
                         rule_i, i, name);
    }
  return 0;
}

/* libseccomp 2.5 only exports to a file descriptor: a memfd keeps the BPF
 * off any filesystem. */
static int
export_bpf (scmp_filter_ctx ctx, sr_bpf_t *out, sr_error_t *err)
{
  _cleanup_close_ int fd = -1;
  _cleanup_free_ struct sock_filter *insns = NULL;
  size_t size, done = 0;
  off_t end;
  int ret;

  fd = memfd_create ("secrun-seccomp", MFD_CLOEXEC);
  if (fd < 0)
    return sr_error_errno (err, "linux.seccomp: memfd_create");
  ret = seccomp_export_bpf (ctx, fd);
  if (ret < 0)
    return sr_error (err, -ret, "linux.seccomp: seccomp_export_bpf");
  end = lseek (fd, 0, SEEK_END);
  if (end < 0)
    return sr_error_errno (err, "linux.seccomp: lseek");
  size = (size_t) end;
  if (size == 0 || size % sizeof (struct sock_filter) != 0)
    return sr_error (err, 0, "linux.seccomp: libseccomp exported %zu bytes, "
                     "not whole BPF instructions", size);
  if (size / sizeof (struct sock_filter) > BPF_MAXINSNS)
    return sr_error (err, 0, "linux.seccomp: filter has %zu instructions, "
                     "the kernel accepts at most %d",
                     size / sizeof (struct sock_filter), BPF_MAXINSNS);
  insns = malloc (size);
  if (insns == NULL)
    return sr_error (err, ENOMEM, "linux.seccomp");
  while (done < size)
    {
      ssize_t n = pread (fd, (char *) insns + done, size - done, (off_t) done);
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        return sr_error_errno (err, "linux.seccomp: reading the exported BPF");
      if (n == 0)
        return sr_error (err, 0, "linux.seccomp: exported BPF is short");
      done += (size_t) n;
    }
  out->len = (unsigned short) (size / sizeof (struct sock_filter));
  out->insns = sr_steal_ptr (insns);
  return 0;
}

int
sr_seccomp_compile (const sr_seccomp_t *s, sr_bpf_t *out, sr_error_t *err)
{
  _cleanup_seccomp_ scmp_filter_ctx ctx = NULL;
  uint32_t def;
  size_t i;
  int ret;

  out->insns = NULL;
  out->len = 0;
  if (!s->set)
    return sr_error (err, 0, "linux.seccomp: not present");
  if (s->listener_path)
    return sr_error (err, 0, "linux.seccomp.listenerPath: " NOTIFY_UNSUPPORTED);
  if (action_value (s->default_action, &s->default_errno_ret,
                    "linux.seccomp.defaultAction", &def, err) < 0)
    return -1;
  /* Refuse NOTIFY before libseccomp sees anything, even in a rule that
   * would be skipped: the user asked for a supervisor we do not provide. */
  for (i = 0; i < s->n_syscalls; i++)
    if (s->syscalls[i].action == SR_SCMP_NOTIFY)
      return sr_error (err, 0, "linux.seccomp.syscalls[%zu].action: "
                       NOTIFY_UNSUPPORTED, i);

  ctx = seccomp_init (def);
  if (ctx == NULL)
    return sr_error (err, 0, "linux.seccomp.defaultAction: libseccomp refused "
                     "the action (kernel too old for it?)");
  /* We set no_new_privs ourselves, at the right moment in init. */
  ret = seccomp_attr_set (ctx, SCMP_FLTATR_CTL_NNP, 0);
  if (ret < 0)
    return sr_error (err, -ret, "linux.seccomp: seccomp_attr_set NNP");
  /* SCMP_FLTATR_API_TSKIP stays off: it only lets rules name syscall -1,
   * and unknown names are skipped before they reach libseccomp (runc does
   * not set it either). */

  if (add_arches (ctx, &s->architectures, err) < 0)
    return -1;
  for (i = 0; i < s->n_syscalls; i++)
    if (add_rule (ctx, def, &s->syscalls[i], i, err) < 0)
      return -1;
  return export_bpf (ctx, out, err);
}

/* ---- flags and load --------------------------------------------------- */

static const struct
{
  const char *name;
  unsigned int bit;
} flag_names[] = {
  /* Init is single-threaded when it loads the filter: there is nothing to
   * synchronise, and runc ignores this flag too. */
  { "SECCOMP_FILTER_FLAG_TSYNC", 0 },
  { "SECCOMP_FILTER_FLAG_LOG", SECCOMP_FILTER_FLAG_LOG },
  { "SECCOMP_FILTER_FLAG_SPEC_ALLOW", SECCOMP_FILTER_FLAG_SPEC_ALLOW },
  { "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV",
    SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV },
};

int
sr_seccomp_flags (const sr_seccomp_t *s, unsigned int *flags, sr_error_t *err)
{
  size_t i, k;

  *flags = 0;
  for (i = 0; i < s->flags.n; i++)
    {
      for (k = 0; k < N_ELEMS (flag_names); k++)
        if (strcmp (s->flags.v[i], flag_names[k].name) == 0)
          break;
      if (k == N_ELEMS (flag_names))
        return sr_error (err, 0, "linux.seccomp.flags[%zu]: unknown flag \"%s\"",
                         i, s->flags.v[i]);
      *flags |= flag_names[k].bit;
    }
  return 0;
}

int
sr_seccomp_load (const sr_bpf_t *bpf, unsigned int flags)
{
  struct sock_fprog prog;
  long ret;

  if (bpf == NULL || bpf->insns == NULL || bpf->len == 0)
    return -EINVAL;
  /* The kernel refuses WAIT_KILLABLE_RECV without NEW_LISTENER. We never
   * create a listener (NOTIFY is refused at compile time), so the flag has
   * nothing to act on: drop it rather than fail in init. */
  if (!(flags & SECCOMP_FILTER_FLAG_NEW_LISTENER))
    flags &= ~(unsigned int) SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV;
  prog.len = bpf->len;
  prog.filter = bpf->insns;
  ret = syscall (__NR_seccomp, SECCOMP_SET_MODE_FILTER, flags, &prog);
  if (ret < 0)
    return -errno;
  /* With TSYNC a positive return is the thread that could not be synced. */
  if (ret > 0)
    return -ESRCH;
  return 0;
}

void
sr_bpf_release (sr_bpf_t *b)
{
  if (b == NULL)
    return;
  free (b->insns);
  b->insns = NULL;
  b->len = 0;
}

/* ---- parsing a linux.seccomp object ----------------------------------- */

static const char *
json_type_name (const json_t *v)
{
  switch (json_typeof (v))
    {
    case JSON_OBJECT: return "object";
    case JSON_ARRAY: return "array";
    case JSON_STRING: return "string";
    case JSON_INTEGER: return "integer";
    case JSON_REAL: return "number";
    case JSON_TRUE:
    case JSON_FALSE: return "boolean";
    case JSON_NULL: return "null";
    }
  return "value";
}

static int
check_keys (json_t *obj, const char *path, const char *const *allowed,
            sr_error_t *err)
{
  const char *key;
  json_t *v;

  json_object_foreach (obj, key, v)
    {
      const char *const *a;

      for (a = allowed; *a; a++)
        if (strcmp (key, *a) == 0)
          break;
      if (*a == NULL)
        return sr_error (err, 0, "%s.%s: unknown field", path, key);
    }
  return 0;
}

static int
parse_string (json_t *v, const char *path, const char **out, sr_error_t *err)
{
  if (!json_is_string (v))
    return sr_error (err, 0, "%s: expected string, got %s", path,
                     json_type_name (v));
  *out = json_string_value (v);
  return 0;
}

static int
parse_u64 (json_t *v, const char *path, uint64_t *out, sr_error_t *err)
{
  if (!json_is_integer (v))
    return sr_error (err, 0, "%s: expected integer, got %s", path,
                     json_type_name (v));
  if (json_integer_value (v) < 0)
    return sr_error (err, 0, "%s: expected a non-negative integer, got %"
                     JSON_INTEGER_FORMAT, path, json_integer_value (v));
  *out = (uint64_t) json_integer_value (v);
  return 0;
}

static int
parse_strv (json_t *v, const char *path, sr_strv_t *out, sr_error_t *err)
{
  char p[JPATH_MAX];
  size_t i;
  json_t *e;

  if (!json_is_array (v))
    return sr_error (err, 0, "%s: expected array, got %s", path,
                     json_type_name (v));
  out->n = json_array_size (v);
  out->v = calloc (out->n + 1, sizeof *out->v);
  if (out->v == NULL)
    return sr_error (err, ENOMEM, "%s", path);
  json_array_foreach (v, i, e)
    {
      jpath (p, "%s[%zu]", path, i);
      if (parse_string (e, p, &out->v[i], err) < 0)
        return -1;
    }
  return 0;
}

static int
parse_action (json_t *v, const char *path, sr_scmp_action_t *out,
              sr_error_t *err)
{
  const char *s = NULL;
  size_t i;

  if (parse_string (v, path, &s, err) < 0)
    return -1;
  for (i = 0; i < N_ELEMS (action_names); i++)
    if (strcmp (s, action_names[i].name) == 0)
      {
        *out = action_names[i].action;
        return 0;
      }
  return sr_error (err, 0, "%s: unknown action \"%s\"", path, s);
}

static int
parse_arg (json_t *v, const char *path, sr_scmp_arg_t *out, sr_error_t *err)
{
  static const char *const keys[] = { "index", "value", "valueTwo", "op", NULL };
  char p[JPATH_MAX];
  json_t *f;
  uint64_t index = 0;
  const char *op = NULL;
  size_t i;

  if (!json_is_object (v))
    return sr_error (err, 0, "%s: expected object, got %s", path,
                     json_type_name (v));
  if (check_keys (v, path, keys, err) < 0)
    return -1;

  jpath (p, "%s.index", path);
  if ((f = json_object_get (v, "index")) == NULL)
    return sr_error (err, 0, "%s: required", p);
  if (parse_u64 (f, p, &index, err) < 0)
    return -1;
  if (index > 5)
    return sr_error (err, 0, "%s: %" PRIu64 " is out of range 0..5", p, index);
  out->index = (uint32_t) index;

  jpath (p, "%s.value", path);
  if ((f = json_object_get (v, "value")) == NULL)
    return sr_error (err, 0, "%s: required", p);
  if (parse_u64 (f, p, &out->value, err) < 0)
    return -1;

  out->value_two = 0;
  jpath (p, "%s.valueTwo", path);
  if ((f = json_object_get (v, "valueTwo")) != NULL
      && parse_u64 (f, p, &out->value_two, err) < 0)
    return -1;

  jpath (p, "%s.op", path);
  if ((f = json_object_get (v, "op")) == NULL)
    return sr_error (err, 0, "%s: required", p);
  if (parse_string (f, p, &op, err) < 0)
    return -1;
  for (i = 0; i < N_ELEMS (op_names); i++)
    if (strcmp (op, op_names[i].name) == 0)
      break;
  if (i == N_ELEMS (op_names))
    return sr_error (err, 0, "%s: unknown operator \"%s\"", p, op);
  out->op = op_names[i].op;
  return 0;
}

static int
parse_rule (json_t *v, const char *path, sr_scmp_rule_t *out, sr_error_t *err)
{
  static const char *const keys[] = { "names", "action", "errnoRet", "args",
                                      NULL };
  char p[JPATH_MAX];
  json_t *f, *e;
  size_t i;

  if (!json_is_object (v))
    return sr_error (err, 0, "%s: expected object, got %s", path,
                     json_type_name (v));
  if (check_keys (v, path, keys, err) < 0)
    return -1;

  jpath (p, "%s.names", path);
  if ((f = json_object_get (v, "names")) == NULL)
    return sr_error (err, 0, "%s: required", p);
  if (parse_strv (f, p, &out->names, err) < 0)
    return -1;

  jpath (p, "%s.action", path);
  if ((f = json_object_get (v, "action")) == NULL)
    return sr_error (err, 0, "%s: required", p);
  if (parse_action (f, p, &out->action, err) < 0)
    return -1;

  jpath (p, "%s.errnoRet", path);
  if ((f = json_object_get (v, "errnoRet")) != NULL)
    {
      if (parse_u64 (f, p, &out->errno_ret.v, err) < 0)
        return -1;
      out->errno_ret.set = true;
    }

  if ((f = json_object_get (v, "args")) == NULL || json_is_null (f))
    return 0;
  jpath (p, "%s.args", path);
  if (!json_is_array (f))
    return sr_error (err, 0, "%s: expected array, got %s", p,
                     json_type_name (f));
  out->n_args = json_array_size (f);
  out->args = calloc (out->n_args ? out->n_args : 1, sizeof *out->args);
  if (out->args == NULL)
    return sr_error (err, ENOMEM, "%s", p);
  json_array_foreach (f, i, e)
    {
      jpath (p, "%s.args[%zu]", path, i);
      if (parse_arg (e, p, &out->args[i], err) < 0)
        return -1;
    }
  return 0;
}

static int
parse_seccomp (json_t *obj, const char *base, sr_seccomp_t *out,
               sr_error_t *err)
{
  static const char *const keys[] = { "defaultAction", "defaultErrnoRet",
                                      "architectures", "flags", "listenerPath",
                                      "listenerMetadata", "syscalls", NULL };
  char p[JPATH_MAX];
  json_t *f, *e;
  size_t i;

  if (!json_is_object (obj))
    return sr_error (err, 0, "%s: expected object, got %s", base,
                     json_type_name (obj));
  if (check_keys (obj, base, keys, err) < 0)
    return -1;
  out->set = true;

  jpath (p, "%s.defaultAction", base);
  if ((f = json_object_get (obj, "defaultAction")) == NULL)
    return sr_error (err, 0, "%s: required", p);
  if (parse_action (f, p, &out->default_action, err) < 0)
    return -1;

  jpath (p, "%s.defaultErrnoRet", base);
  if ((f = json_object_get (obj, "defaultErrnoRet")) != NULL)
    {
      if (parse_u64 (f, p, &out->default_errno_ret.v, err) < 0)
        return -1;
      out->default_errno_ret.set = true;
    }

  jpath (p, "%s.architectures", base);
  if ((f = json_object_get (obj, "architectures")) != NULL
      && parse_strv (f, p, &out->architectures, err) < 0)
    return -1;

  jpath (p, "%s.flags", base);
  if ((f = json_object_get (obj, "flags")) != NULL
      && parse_strv (f, p, &out->flags, err) < 0)
    return -1;

  jpath (p, "%s.listenerPath", base);
  if ((f = json_object_get (obj, "listenerPath")) != NULL
      && parse_string (f, p, &out->listener_path, err) < 0)
    return -1;

  jpath (p, "%s.listenerMetadata", base);
  if ((f = json_object_get (obj, "listenerMetadata")) != NULL
      && parse_string (f, p, &out->listener_metadata, err) < 0)
    return -1;

  if ((f = json_object_get (obj, "syscalls")) == NULL)
    return 0;
  jpath (p, "%s.syscalls", base);
  if (!json_is_array (f))
    return sr_error (err, 0, "%s: expected array, got %s", p,
                     json_type_name (f));
  out->n_syscalls = json_array_size (f);
  out->syscalls = calloc (out->n_syscalls ? out->n_syscalls : 1,
                          sizeof *out->syscalls);
  if (out->syscalls == NULL)
    return sr_error (err, ENOMEM, "%s", p);
  json_array_foreach (f, i, e)
    {
      jpath (p, "%s.syscalls[%zu]", base, i);
      if (parse_rule (e, p, &out->syscalls[i], err) < 0)
        return -1;
    }
  return 0;
}

int
sr_seccomp_parse (json_t *obj, const char *jpath, sr_seccomp_t *out,
                  sr_error_t *err)
{
  memset (out, 0, sizeof *out);
  if (parse_seccomp (obj, jpath, out, err) < 0)
    {
      sr_seccomp_profile_release (out);
      return -1;
    }
  return 0;
}

void
sr_seccomp_profile_release (sr_seccomp_t *s)
{
  size_t i;

  if (s == NULL)
    return;
  for (i = 0; s->syscalls && i < s->n_syscalls; i++)
    {
      free (s->syscalls[i].names.v);
      free (s->syscalls[i].args);
    }
  free (s->syscalls);
  free (s->architectures.v);
  free (s->flags.v);
  memset (s, 0, sizeof *s);
}

/* ---- profiles --------------------------------------------------------- */

/* The syscall ABIs a kernel of this machine type can report. A filter
 * section for any other arch is dead code: it only costs compile time and
 * filter size. NULL: unknown machine, keep whatever the profile lists. */
static const uint32_t *
kernel_arches (void)
{
  static const uint32_t x86_64[] = { SCMP_ARCH_X86_64, SCMP_ARCH_X86,
                                     SCMP_ARCH_X32, 0 };
  static const uint32_t x86[] = { SCMP_ARCH_X86, 0 };
  static const uint32_t aarch64[] = { SCMP_ARCH_AARCH64, SCMP_ARCH_ARM, 0 };
  static const uint32_t arm[] = { SCMP_ARCH_ARM, 0 };
  struct utsname u;

  if (uname (&u) < 0)
    return NULL;
  if (strcmp (u.machine, "x86_64") == 0)
    return x86_64;
  if (u.machine[0] == 'i' && strcmp (u.machine + 2, "86") == 0)
    return x86;
  if (strcmp (u.machine, "aarch64") == 0)
    return aarch64;
  if (strncmp (u.machine, "arm", 3) == 0)
    return arm;
  return NULL;
}

static void
keep_kernel_arches (sr_strv_t *arches)
{
  const uint32_t *keep = kernel_arches ();
  size_t i, n = 0;

  if (keep == NULL || arches->v == NULL)
    return;
  for (i = 0; i < arches->n; i++)
    {
      uint32_t tok = arch_token (arches->v[i]);
      const uint32_t *k;

      for (k = keep; *k && *k != tok; k++)
        ;
      /* Unknown names stay, so that compiling reports them. */
      if (tok == 0 || *k)
        arches->v[n++] = arches->v[i];
    }
  arches->v[n] = NULL;
  arches->n = n;
}

int
sr_seccomp_profile_load (const char *path, json_t **json, sr_seccomp_t *out,
                         sr_error_t *err)
{
  json_error_t jerr;
  json_t *root;

  *json = NULL;
  memset (out, 0, sizeof *out);
  root = json_load_file (path, JSON_REJECT_DUPLICATES, &jerr);
  if (root == NULL)
    return sr_error (err, 0, "%s:%d:%d: %s", path, jerr.line, jerr.column,
                     jerr.text);
  if (sr_seccomp_parse (root, "linux.seccomp", out, err) < 0)
    {
      json_decref (root);
      return sr_error_prefix (err, "%s", path);
    }
  keep_kernel_arches (&out->architectures);
  *json = root;
  return 0;
}
