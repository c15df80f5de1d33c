/* Fuzz target: container ids and the path checks that keep a name from
 * reaching outside its directory.
 *
 * The input, as a C string, is tried as
 *   - a container id (sr_id_validate: what names the state directory),
 *   - the id in the default cgroup path /secrun/ID,
 *   - a linux.cgroupsPath ("/a/b", "a/b", "slice:prefix:name"),
 *   - a systemd slice name (sr_cg_expand_slice),
 *   - a cgroup path read back from the state (sr_cg_check_abs_path),
 *   - a linux.resources.unified key, a hugepage size, a cpuset list.
 * Whatever is accepted must hold what the check promises: an id names one
 * directory entry, a resolved cgroup path is absolute, normalised, has no
 * "." or ".." component and no control character, and passes the check
 * every later command makes on it. */
#include "build-config.h"

#include <ctype.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cgroup_internal.h"
#include "state.h"

#include "fuzz.h"

/* An absolute, normalised path: "/a/b", never "/", "//a", "/a/", "/./a",
 * "/a/..". STRICT: also no control character and no component longer
 * than a file name, and the check every later command makes passes (what
 * sr_cg_resolve_path promises; sr_cg_expand_slice only builds a path that
 * resolution then checks). */
static void
check_cgroup_path (const char *what, const char *in, const char *p, bool strict)
{
  sr_error_t err = { 0 };
  const char *c = p;

  FUZZ_ASSERT (p[0] == '/' && p[1] != '\0', "%s(\"%s\") = \"%s\"", what, in, p);
  if (strict)
    FUZZ_ASSERT (strlen (p) < PATH_MAX, "%s(\"%s\"): %zu bytes", what, in,
                 strlen (p));
  while (*c)
    {
      const char *e;
      size_t n;

      FUZZ_ASSERT (*c == '/', "%s(\"%s\") = \"%s\"", what, in, p);
      c++;
      e = strchrnul (c, '/');
      n = (size_t) (e - c);
      FUZZ_ASSERT (n > 0, "%s(\"%s\") = \"%s\": empty component", what, in, p);
      FUZZ_ASSERT (!(n == 1 && c[0] == '.') && !(n == 2 && c[0] == '.' && c[1] == '.'),
                   "%s(\"%s\") = \"%s\": dot component", what, in, p);
      if (strict)
        {
          FUZZ_ASSERT (n <= NAME_MAX, "%s(\"%s\") = \"%s\": long component",
                       what, in, p);
          for (size_t i = 0; i < n; i++)
            FUZZ_ASSERT (!iscntrl ((unsigned char) c[i]),
                         "%s(\"%s\") = \"%s\": control character", what, in, p);
        }
      c = e;
    }
  if (strict)
    FUZZ_ASSERT (sr_cg_check_abs_path ("path", p, &err) == 0,
                 "%s(\"%s\") = \"%s\" fails the state check: %s", what, in, p,
                 err.msg);
}

static void
check_id (const char *s)
{
  sr_error_t err = { 0 };
  size_t n = strlen (s);
  char *path = NULL;
  int r, rp;

  r = sr_id_validate (s, &err);
  fuzz_check_err (r, &err, "sr_id_validate");
  if (r == 0)
    {
      FUZZ_ASSERT (n >= 1 && n <= SR_ID_MAX, "id of %zu bytes accepted", n);
      FUZZ_ASSERT (strcmp (s, ".") != 0 && strcmp (s, "..") != 0,
                   "id \"%s\" accepted", s);
      for (const char *p = s; *p; p++)
        FUZZ_ASSERT (isalnum ((unsigned char) *p) || strchr ("_+-.", *p),
                     "id \"%s\" accepted with %#x", s, (unsigned char) *p);
    }

  /* No cgroupsPath: /secrun/ID. */
  rp = sr_cg_resolve_path (s, NULL, &path, &err);
  fuzz_check_err (rp, &err, "sr_cg_resolve_path (id)");
  if (rp == 0)
    {
      check_cgroup_path ("default cgroup path", s, path, true);
      free (path);
    }
  /* A valid id short enough to be one cgroup name must get its cgroup. */
  if (r == 0 && n <= NAME_MAX)
    FUZZ_ASSERT (rp == 0, "valid id \"%s\" has no default cgroup path", s);
}

static void
check_cgroups_path (const char *s)
{
  sr_error_t err = { 0 };
  char *path = NULL, *again = NULL;
  int r;

  r = sr_cg_resolve_path ("fuzz", s, &path, &err);
  fuzz_check_err (r, &err, "sr_cg_resolve_path");
  if (r == 0)
    {
      check_cgroup_path ("cgroupsPath", s, path, true);
      free (path);
    }

  /* A path the state check accepts is one resolution leaves alone. */
  r = sr_cg_check_abs_path ("path", s, &err);
  fuzz_check_err (r, &err, "sr_cg_check_abs_path");
  if (r == 0)
    {
      r = sr_cg_resolve_path ("fuzz", s, &again, &err);
      FUZZ_ASSERT (r == 0 && strcmp (again, s) == 0,
                   "state path \"%s\" resolves to \"%s\" (%s)", s,
                   again ? again : "(null)", err.msg ? err.msg : "");
      free (again);
    }
}

static void
check_slice (const char *s)
{
  sr_error_t err = { 0 };
  char *out = NULL;
  int r;

  r = sr_cg_expand_slice (s, &out, &err);
  fuzz_check_err (r, &err, "sr_cg_expand_slice");
  if (r < 0)
    return;
  FUZZ_ASSERT (out != NULL, "expand_slice(\"%s\") = NULL", s);
  if (out[0] != '\0')
    {
      size_t n = strlen (out);
      check_cgroup_path ("expand_slice", s, out, false);
      FUZZ_ASSERT (n > 6 && strcmp (out + n - 6, ".slice") == 0,
                   "expand_slice(\"%s\") = \"%s\"", s, out);
    }
  free (out);
}

static void
check_cgroup_names (const char *s)
{
  sr_error_t err = { 0 };
  char *ctrl = NULL;
  int r;

  r = sr_cg_unified_key_valid (s, &ctrl, &err);
  fuzz_check_err (r, &err, "sr_cg_unified_key_valid");
  if (r == 0)
    {
      size_t n = strlen (ctrl);
      FUZZ_ASSERT (strchr (s, '/') == NULL && strstr (s, "..") == NULL,
                   "unified key \"%s\" accepted", s);
      FUZZ_ASSERT (n > 0 && strncmp (s, ctrl, n) == 0 && s[n] == '.',
                   "unified key \"%s\": controller \"%s\"", s, ctrl);
      free (ctrl);
    }
  if (sr_cg_hugepage_size_valid (s))
    FUZZ_ASSERT (strspn (s, "0123456789KMGB") == strlen (s),
                 "hugepage size \"%s\" accepted", s);
  if (sr_cg_cpuset_list_valid (s))
    FUZZ_ASSERT (s[0] != '\0' && strspn (s, "0123456789-,") == strlen (s),
                 "cpuset list \"%s\" accepted", s);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  char *s = fuzz_cstr (data, size);

  check_id (s);
  check_cgroups_path (s);
  check_slice (s);
  check_cgroup_names (s);
  free (s);
  return 0;
}
