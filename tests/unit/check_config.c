/* Unit tests of the config.json parser (runtime/config.c) and of the
 * default spec (runtime/spec.c). */
#ifndef _GNU_SOURCE
# define _GNU_SOURCE
#endif

#include <check.h>
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/personality.h>
#include <sys/resource.h>
#include <unistd.h>

/* Not "config.h": from this directory the include path finds autoconf's
 * config.h in the build root before runtime/. */
#include "../../runtime/config.h"
#include "../../runtime/spec.h"

#ifndef SAMPLEDIR
# error "SAMPLEDIR must name the directory of client samples"
#endif
#ifndef FIXTUREDIR
# error "FIXTUREDIR must name tests/unit/fixtures"
#endif

#define CAP_BIT(n) (UINT64_C (1) << (n))

/* ------------------------------------------------------------------ */
/* helpers */

static sr_config_t *
load_ok (const char *dir, const char *name)
{
  sr_error_t err = { 0, NULL };
  char path[PATH_MAX];
  sr_config_t *c;

  snprintf (path, sizeof path, "%s/%s", dir, name);
  c = sr_config_load (path, &err);
  ck_assert_msg (c != NULL, "%s: %s", name, err.msg);
  return c;
}

static sr_config_t *
parse_ok (const char *text)
{
  sr_error_t err = { 0, NULL };
  sr_config_t *c = sr_config_parse (text, strlen (text), &err);

  ck_assert_msg (c != NULL, "%s", err.msg);
  return c;
}

/* Parses TEXT, which must fail with exactly EXPECTED. */
static void
parse_fails (const char *text, size_t len, const char *expected)
{
  sr_error_t err = { 0, NULL };
  sr_config_t *c = sr_config_parse (text, len, &err);

  ck_assert_msg (c == NULL, "parsed, expected error: %s", expected);
  ck_assert_ptr_nonnull (err.msg);
  ck_assert_str_eq (err.msg, expected);
  sr_error_clear (&err);
}

static bool
strv_has (const sr_strv_t *s, const char *x)
{
  size_t i;

  for (i = 0; i < s->n; i++)
    if (strcmp (s->v[i], x) == 0)
      return true;
  return false;
}

static const char *
kv_get (const sr_kv_t *kv, size_t n, const char *key)
{
  size_t i;

  for (i = 0; i < n; i++)
    if (strcmp (kv[i].key, key) == 0)
      return kv[i].value;
  return NULL;
}

static bool
has_suffix (const char *s, const char *suffix)
{
  size_t n = strlen (s), m = strlen (suffix);
  return n >= m && strcmp (s + n - m, suffix) == 0;
}

static int
popcount (uint64_t v)
{
  return __builtin_popcountll (v);
}

/* The 14 capabilities containerd, Docker and Podman grant by default. */
static const uint64_t default_client_caps
    = CAP_BIT (0) /* CHOWN */ | CAP_BIT (1) /* DAC_OVERRIDE */
      | CAP_BIT (3) /* FOWNER */ | CAP_BIT (4) /* FSETID */ | CAP_BIT (5) /* KILL */
      | CAP_BIT (6) /* SETGID */ | CAP_BIT (7) /* SETUID */ | CAP_BIT (8) /* SETPCAP */
      | CAP_BIT (10) /* NET_BIND_SERVICE */ | CAP_BIT (13) /* NET_RAW */
      | CAP_BIT (18) /* SYS_CHROOT */ | CAP_BIT (27) /* MKNOD */
      | CAP_BIT (29) /* AUDIT_WRITE */ | CAP_BIT (31) /* SETFCAP */;

/* ------------------------------------------------------------------ */
/* every client sample parses */

START_TEST (test_samples_all_parse)
{
  DIR *d = opendir (SAMPLEDIR);
  struct dirent *de;
  int configs = 0, processes = 0, resources = 0;

  ck_assert_msg (d != NULL, "opendir %s", SAMPLEDIR);
  while ((de = readdir (d)) != NULL)
    {
      sr_error_t err = { 0, NULL };
      char path[PATH_MAX];

      if (!has_suffix (de->d_name, ".json"))
        continue;
      snprintf (path, sizeof path, "%s/%s", SAMPLEDIR, de->d_name);
      if (has_suffix (de->d_name, "-process.json"))
        {
          sr_process_t p;
          json_t *j = sr_json_load (path, de->d_name, &err);

          ck_assert_msg (j != NULL, "%s: %s", de->d_name, err.msg);
          ck_assert_msg (sr_process_parse (j, "process", &p, &err) == 0, "%s: %s",
                         de->d_name, err.msg);
          sr_process_release (&p);
          json_decref (j);
          processes++;
        }
      else if (has_suffix (de->d_name, "-resources.json"))
        {
          sr_resources_t r;
          json_t *j = sr_json_load (path, de->d_name, &err);

          ck_assert_msg (j != NULL, "%s: %s", de->d_name, err.msg);
          ck_assert_msg (sr_resources_parse (j, "", &r, &err) == 0, "%s: %s",
                         de->d_name, err.msg);
          sr_resources_release (&r);
          json_decref (j);
          resources++;
        }
      else
        {
          sr_config_t *c = sr_config_load (path, &err);

          ck_assert_msg (c != NULL, "%s: %s", de->d_name, err.msg);
          ck_assert (c->has_process && c->has_linux);
          sr_config_free (c);
          configs++;
        }
    }
  closedir (d);
  ck_assert_int_ge (configs, 9);
  ck_assert_int_ge (processes, 2);
  ck_assert_int_ge (resources, 1);
}
END_TEST

START_TEST (test_sample_ctr_run_d)
{
  sr_config_t *c = load_ok (SAMPLEDIR, "ctr-run-d-config.json");
  const sr_linux_t *l = &c->linux_;

  ck_assert_str_eq (c->oci_version, "1.0.2-dev");
  ck_assert_str_eq (c->root_path, "rootfs");
  ck_assert (!c->root_readonly);
  ck_assert_ptr_null (c->hostname);
  ck_assert_int_eq (c->process.args.n, 2);
  ck_assert_str_eq (c->process.args.v[0], "sleep");
  ck_assert_ptr_null (c->process.args.v[2]);
  ck_assert_int_eq (c->process.user.uid.v, 0);
  ck_assert_int_eq (c->process.user.n_additional_gids, 1);
  ck_assert (c->process.caps.set);
  ck_assert_uint_eq (c->process.caps.bounding, default_client_caps);
  ck_assert_uint_eq (c->process.caps.inheritable, 0);
  ck_assert_int_eq (c->process.n_rlimits, 1);
  ck_assert_int_eq (c->process.rlimits[0].resource, RLIMIT_NOFILE);
  ck_assert_uint_eq (c->process.rlimits[0].soft, 1024);
  ck_assert (c->process.no_new_privileges.set && c->process.no_new_privileges.v);
  ck_assert_int_eq (c->n_mounts, 7);
  ck_assert_str_eq (c->mounts[0].destination, "/proc");
  ck_assert_str_eq (l->cgroups_path, "/default/d1");
  ck_assert_int_eq (l->n_namespaces, 5);
  ck_assert_ptr_nonnull (sr_config_namespace (c, SR_NS_NET));
  ck_assert_ptr_null (sr_config_namespace (c, SR_NS_NET)->path);
  ck_assert_ptr_null (sr_config_namespace (c, SR_NS_USER));
  ck_assert (l->resources.set);
  ck_assert_int_eq (l->resources.n_devices, 10);
  ck_assert (!l->resources.devices[0].allow);
  ck_assert_int_eq (l->resources.devices[0].type, 'a');
  ck_assert_int_eq (l->resources.devices[0].major, -1);
  ck_assert_int_eq (l->resources.devices[0].minor, -1);
  ck_assert_str_eq (l->resources.devices[0].access, "rwm");
  ck_assert (l->resources.devices[1].allow);
  ck_assert_int_eq (l->resources.devices[1].type, 'c');
  ck_assert_int_eq (l->resources.devices[1].major, 1);
  ck_assert_int_eq (l->resources.devices[1].minor, 3);
  ck_assert (l->resources.cpu.set && l->resources.cpu.shares.set);
  ck_assert_uint_eq (l->resources.cpu.shares.v, 1024);
  ck_assert (!l->resources.memory.set);
  ck_assert (!l->seccomp.set);
  ck_assert_int_eq (l->masked_paths.n, 10);
  ck_assert_int_eq (l->readonly_paths.n, 5);
  sr_config_free (c);
}
END_TEST

START_TEST (test_sample_ctr_run_tty)
{
  sr_config_t *c = load_ok (SAMPLEDIR, "ctr-run-tty-config.json");

  ck_assert (c->process.terminal);
  ck_assert_str_eq (c->linux_.cgroups_path, "/default/c1");
  sr_config_free (c);
}
END_TEST

START_TEST (test_sample_ctr_seccomp)
{
  sr_config_t *c = load_ok (SAMPLEDIR, "ctr-run-readonly-seccomp-config.json");
  const sr_seccomp_t *s = &c->linux_.seccomp;

  ck_assert (c->root_readonly);
  ck_assert (s->set);
  ck_assert_int_eq (s->default_action, SR_SCMP_ERRNO);
  ck_assert (!s->default_errno_ret.set);
  ck_assert_int_eq (s->architectures.n, 3);
  ck_assert_str_eq (s->architectures.v[0], "SCMP_ARCH_X86_64");
  ck_assert_int_eq (s->n_syscalls, 11);
  ck_assert_int_eq (s->syscalls[0].action, SR_SCMP_ALLOW);
  ck_assert (strv_has (&s->syscalls[0].names, "openat"));
  ck_assert (c->linux_.resources.memory.set);
  ck_assert_int_eq (c->linux_.resources.memory.limit.v, 268435456);
  ck_assert_uint_eq (popcount (c->process.caps.bounding), 13);
  sr_config_free (c);
}
END_TEST

START_TEST (test_sample_cri_sandbox)
{
  sr_config_t *c = load_ok (SAMPLEDIR, "cri-sandbox-config.json");
  const sr_namespace_t *net = sr_config_namespace (c, SR_NS_NET);

  ck_assert_str_eq (c->hostname, "p1");
  ck_assert_str_eq (c->process.args.v[0], "/pause");
  ck_assert_int_eq (c->process.user.uid.v, 65535);
  ck_assert_uint_eq (c->process.user.additional_gids[0], 65535);
  ck_assert_ptr_nonnull (net);
  ck_assert_str_eq (net->path,
                    "/var/run/netns/cni-11d53e5f-73f8-281c-2ddd-3c5524fabc5c");
  ck_assert_str_eq (kv_get (c->annotations, c->n_annotations,
                            "io.kubernetes.cri.sandbox-name"), "p1");
  ck_assert_uint_eq (c->linux_.resources.cpu.shares.v, 2);
  ck_assert (c->process.oom_score_adj.set);
  ck_assert_int_eq (c->process.oom_score_adj.v, 0);
  sr_config_free (c);
}
END_TEST

START_TEST (test_sample_cri_hostnetwork)
{
  sr_config_t *c = load_ok (SAMPLEDIR, "cri-sandbox-hostnetwork-config.json");

  ck_assert_int_eq (c->linux_.n_namespaces, 3);
  ck_assert_ptr_null (sr_config_namespace (c, SR_NS_NET));
  ck_assert_ptr_null (sr_config_namespace (c, SR_NS_UTS));
  ck_assert_ptr_null (c->hostname);
  sr_config_free (c);
}
END_TEST

START_TEST (test_sample_cri_container)
{
  sr_config_t *c = load_ok (SAMPLEDIR, "cri-container-hardened-config.json");
  const sr_linux_t *l = &c->linux_;
  const sr_seccomp_t *s = &l->seccomp;

  /* capabilities: {} when everything is dropped */
  ck_assert (c->process.caps.set);
  ck_assert_uint_eq (c->process.caps.bounding | c->process.caps.effective
                         | c->process.caps.permitted,
                     0);
  ck_assert_int_eq (c->process.user.uid.v, 1000);
  ck_assert_str_eq (sr_config_namespace (c, SR_NS_PID)->path, "/proc/13722/ns/pid");
  ck_assert_ptr_null (sr_config_namespace (c, SR_NS_MOUNT)->path);
  ck_assert_int_eq (c->n_mounts, 10);
  ck_assert_str_eq (c->mounts[2].type, "devpts");
  ck_assert (strv_has (&c->mounts[2].options, "gid=5"));
  ck_assert_int_eq (l->resources.memory.swap.v, 268435456);
  ck_assert_int_eq (l->resources.cpu.quota.v, 50000);
  ck_assert_uint_eq (l->resources.cpu.period.v, 100000);
  ck_assert_int_eq (s->n_syscalls, 10);
  ck_assert_int_eq (s->syscalls[1].n_args, 1);
  ck_assert_int_eq (s->syscalls[1].args[0].op, SR_SCMP_CMP_EQ);
  ck_assert_uint_eq (s->syscalls[5].args[0].value, 4294967295u);
  ck_assert_int_eq (s->syscalls[8].args[0].op, SR_SCMP_CMP_MASKED_EQ);
  ck_assert_uint_eq (s->syscalls[8].args[0].value, 2114060288u);
  ck_assert_uint_eq (s->syscalls[8].args[0].value_two, 0);
  ck_assert_int_eq (s->syscalls[9].action, SR_SCMP_ERRNO);
  ck_assert (s->syscalls[9].errno_ret.set);
  ck_assert_uint_eq (s->syscalls[9].errno_ret.v, 38);
  ck_assert_int_eq (c->n_annotations, 7);
  sr_config_free (c);
}
END_TEST

START_TEST (test_sample_docker_hardened)
{
  sr_config_t *c = load_ok (SAMPLEDIR, "docker-hardened-config.json");
  const sr_linux_t *l = &c->linux_;

  ck_assert_str_eq (c->hostname, "80e24fe2e782");
  ck_assert_int_eq (c->root_path[0], '/');
  ck_assert_str_eq (c->process.args.v[0], "id");
  ck_assert_uint_eq (c->process.caps.bounding, 0);
  ck_assert_int_eq (c->hooks.prestart.n, 0);
  ck_assert_str_eq (kv_get (l->sysctl, l->n_sysctl, "net.ipv4.ping_group_range"),
                    "0 2147483647");
  ck_assert (l->resources.memory.disable_oom_killer.set);
  ck_assert (!l->resources.memory.disable_oom_killer.v);
  /* Docker sends zeros meaning "unset": the parser keeps them as written. */
  ck_assert (l->resources.cpu.shares.set);
  ck_assert_uint_eq (l->resources.cpu.shares.v, 0);
  ck_assert (l->resources.block_io.set && l->resources.block_io.weight.set);
  ck_assert_uint_eq (l->resources.block_io.weight.v, 0);
  ck_assert_int_eq (l->namespaces[0].type, SR_NS_MOUNT);
  sr_config_free (c);
}
END_TEST

START_TEST (test_sample_docker_init_device)
{
  sr_config_t *c = load_ok (SAMPLEDIR, "docker-init-ulimit-device-bind-config.json");
  const sr_linux_t *l = &c->linux_;

  ck_assert_str_eq (c->process.args.v[0], "/sbin/docker-init");
  ck_assert (!c->process.no_new_privileges.set);
  ck_assert_uint_eq (c->process.rlimits[0].soft, 1000);
  ck_assert_uint_eq (c->process.rlimits[0].hard, 2000);
  ck_assert_str_eq (c->process.rlimits[0].name, "RLIMIT_NOFILE");
  ck_assert_int_eq (l->n_devices, 1);
  ck_assert_str_eq (l->devices[0].path, "/dev/mynull");
  ck_assert_int_eq (l->devices[0].type, 'c');
  ck_assert_int_eq (l->devices[0].major, 1);
  ck_assert_int_eq (l->devices[0].minor, 3);
  ck_assert_uint_eq (l->devices[0].file_mode.v, 0666);
  ck_assert_int_eq (l->devices[0].uid.v, 1000);
  ck_assert_int_eq (l->devices[0].gid.v, 1000);
  ck_assert (l->resources.pids.set);
  ck_assert_int_eq (l->resources.pids.limit.v, 50);
  ck_assert_int_eq (l->resources.n_devices, 9);
  ck_assert_int_eq (l->resources.devices[7].minor, 229);
  ck_assert (!l->resources.devices[7].allow);
  ck_assert_int_eq (c->n_mounts, 12);
  sr_config_free (c);
}
END_TEST

START_TEST (test_sample_podman_hardened)
{
  sr_config_t *c = load_ok (SAMPLEDIR, "podman-hardened-config.json");
  const sr_linux_t *l = &c->linux_;

  ck_assert (c->process.user.umask.set);
  ck_assert_uint_eq (c->process.user.umask.v, 022);
  ck_assert_str_eq (c->mounts[0].destination, "/run");
  ck_assert (strv_has (&c->mounts[0].options, "tmpcopyup"));
  ck_assert_int_eq (c->process.n_rlimits, 2);
  ck_assert_int_eq (c->process.rlimits[1].resource, RLIMIT_NPROC);
  ck_assert (l->seccomp.default_errno_ret.set);
  ck_assert_uint_eq (l->seccomp.default_errno_ret.v, 38);
  ck_assert_int_eq (l->seccomp.syscalls[0].errno_ret.v, 1);
  ck_assert_int_eq (l->resources.pids.limit.v, 2048);
  ck_assert_int_eq (l->masked_paths.n, 11);
  ck_assert_str_eq (kv_get (c->annotations, c->n_annotations,
                            "io.container.manager"), "libpod");
  sr_config_free (c);
}
END_TEST

/* A seccomp rule with SCMP_CMP_NE, as the brief of the samples promises. */
START_TEST (test_sample_podman_seccomp_ne)
{
  sr_config_t *c = load_ok (SAMPLEDIR, "podman-hardened-config.json");
  const sr_seccomp_t *s = &c->linux_.seccomp;
  bool found = false;
  size_t i, j;

  for (i = 0; i < s->n_syscalls; i++)
    for (j = 0; j < s->syscalls[i].n_args; j++)
      found |= s->syscalls[i].args[j].op == SR_SCMP_CMP_NE;
  ck_assert (found);
  sr_config_free (c);
}
END_TEST

static json_t *
load_json (const char *dir, const char *name)
{
  sr_error_t err = { 0, NULL };
  char path[PATH_MAX];
  json_t *j;

  snprintf (path, sizeof path, "%s/%s", dir, name);
  j = sr_json_load (path, name, &err);
  ck_assert_msg (j != NULL, "%s", err.msg);
  return j;
}

START_TEST (test_sample_exec_processes)
{
  sr_error_t err = { 0, NULL };
  json_t *j = load_json (SAMPLEDIR, "ctr-exec-process.json");
  sr_process_t p;

  ck_assert_int_eq (sr_process_parse (j, "process", &p, &err), 0);
  ck_assert (p.terminal);
  ck_assert_str_eq (p.args.v[2], "tty; echo exec-tty");
  ck_assert_uint_eq (p.caps.bounding, default_client_caps);
  ck_assert_uint_eq (p.caps.ambient, 0);
  ck_assert_uint_eq (p.rlimits[0].hard, 1024);
  sr_process_release (&p);
  json_decref (j);

  j = load_json (SAMPLEDIR, "podman-exec-process.json");
  ck_assert_int_eq (sr_process_parse (j, "process", &p, &err), 0);
  ck_assert (!p.terminal);
  ck_assert (!p.no_new_privileges.set);
  ck_assert_int_eq (p.env.n, 4);
  ck_assert_str_eq (p.env.v[3], "HOME=/root");
  ck_assert_int_eq (p.n_rlimits, 2);
  ck_assert_uint_eq (p.rlimits[1].soft, 32768);
  ck_assert_ptr_null (p.user.additional_gids);
  sr_process_release (&p);
  json_decref (j);
}
END_TEST

START_TEST (test_sample_update_resources)
{
  sr_error_t err = { 0, NULL };
  json_t *j = load_json (SAMPLEDIR, "cri-update-resources.json");
  sr_resources_t r;

  ck_assert_int_eq (sr_resources_parse (j, "", &r, &err), 0);
  ck_assert (r.set);
  ck_assert_int_eq (r.n_devices, 1);
  ck_assert_int_eq (r.devices[0].type, 'a');
  ck_assert_int_eq (r.memory.limit.v, 134217728);
  ck_assert_int_eq (r.memory.swap.v, 134217728);
  ck_assert (!r.memory.reservation.set);
  ck_assert_uint_eq (r.cpu.shares.v, 512);
  ck_assert_int_eq (r.cpu.quota.v, 25000);
  ck_assert (!r.pids.set);
  sr_resources_release (&r);
  json_decref (j);
}
END_TEST

/* ------------------------------------------------------------------ */
/* fixtures */

START_TEST (test_fixture_minimal)
{
  sr_config_t *c = load_ok (FIXTUREDIR, "minimal-config.json");

  ck_assert (c->has_process);
  ck_assert (!c->has_linux);
  ck_assert (!c->process.caps.set);
  ck_assert_ptr_null (c->process.env.v);
  ck_assert_int_eq (c->n_mounts, 0);
  ck_assert_ptr_null (c->mounts);
  ck_assert_ptr_null (sr_config_namespace (c, SR_NS_PID));
  sr_config_free (c);
}
END_TEST

START_TEST (test_fixture_uint64_max)
{
  sr_config_t *c = load_ok (FIXTUREDIR, "uint64-max-config.json");
  const sr_scmp_arg_t *a = &c->linux_.seccomp.syscalls[0].args[0];

  ck_assert_uint_eq (c->process.rlimits[0].hard, UINT64_MAX);
  ck_assert_uint_eq (c->process.rlimits[0].soft, RLIM_INFINITY);
  ck_assert_uint_eq (c->process.rlimits[1].hard, UINT64_C (9223372036854775808));
  ck_assert_uint_eq (c->process.rlimits[1].soft, INT64_MAX);
  ck_assert_uint_eq (a->value, UINT64_MAX);
  ck_assert_uint_eq (a->value_two, UINT64_C (12345678901234567890));
  ck_assert_str_eq (kv_get (c->annotations, c->n_annotations, "note"),
                    "18446744073709551615 in a string stays a string");
  sr_config_free (c);
}
END_TEST

START_TEST (test_fixture_full)
{
  sr_config_t *c = load_ok (FIXTUREDIR, "full-1.2-config.json");
  const sr_process_t *p = &c->process;
  const sr_linux_t *l = &c->linux_;
  const sr_resources_t *r = &l->resources;
  const sr_seccomp_t *s = &l->seccomp;

  ck_assert_str_eq (c->domainname, "example.org");
  ck_assert_uint_eq (p->console_height.v, 24);
  ck_assert_uint_eq (p->console_width.v, 80);
  ck_assert_uint_eq (p->user.additional_gids[1], UINT32_MAX);
  ck_assert_str_eq (p->user.username, "ignored");
  ck_assert_uint_eq (p->caps.bounding, CAP_BIT (21));
  ck_assert_uint_eq (p->caps.ambient, CAP_BIT (5));
  ck_assert_uint_eq (p->caps.effective, 0);
  ck_assert (p->no_new_privileges.set && !p->no_new_privileges.v);
  ck_assert_str_eq (p->apparmor_profile, "aa");
  ck_assert_int_eq (p->oom_score_adj.v, -1000);
  ck_assert (p->scheduler.set);
  ck_assert_int_eq (p->scheduler.policy, 6 /* SCHED_DEADLINE */);
  ck_assert_int_eq (p->scheduler.nice.v, -5);
  ck_assert_uint_eq (p->scheduler.flags, 0x3);
  ck_assert_int_eq (p->scheduler.period.v, 30);
  ck_assert (p->io_priority.set);
  ck_assert_int_eq (p->io_priority.klass, 3);
  ck_assert_int_eq (p->io_priority.priority, 7);

  ck_assert_ptr_null (c->mounts[0].type);
  ck_assert_str_eq (c->mounts[0].source, "/srv");
  ck_assert_ptr_null (c->mounts[1].source);
  ck_assert_int_eq (c->hooks.prestart.n, 1);
  ck_assert_int_eq (c->hooks.prestart.v[0].timeout.v, 5);
  ck_assert_str_eq (c->hooks.prestart.v[0].args.v[1], "x");
  ck_assert_str_eq (c->hooks.create_runtime.v[0].path, "/bin/cr");
  ck_assert_str_eq (c->hooks.create_container.v[0].path, "/bin/cc");
  ck_assert_str_eq (c->hooks.start_container.v[0].path, "/bin/sc");
  ck_assert_str_eq (c->hooks.poststart.v[0].path, "/bin/ps");
  ck_assert_int_eq (c->hooks.poststop.n, 2);

  ck_assert_uint_eq (l->uid_mappings[0].host_id, 100000);
  ck_assert_uint_eq (l->gid_mappings[0].size, 65536);
  ck_assert_int_eq (r->devices[1].major, 10);
  ck_assert_int_eq (r->devices[1].minor, -1);
  ck_assert_str_eq (r->devices[1].access, "rw");
  ck_assert_ptr_null (r->devices[0].access);
  ck_assert_int_eq (r->memory.limit.v, -1);
  ck_assert_uint_eq (r->memory.swappiness.v, 60);
  ck_assert (r->memory.check_before_update.v);
  ck_assert_int_eq (r->cpu.quota.v, -1);
  ck_assert_str_eq (r->cpu.cpus, "0-3");
  ck_assert_int_eq (r->cpu.idle.v, 1);
  ck_assert_uint_eq (r->block_io.leaf_weight.v, 300);
  ck_assert_uint_eq (r->block_io.weight_device[0].weight.v, 100);
  ck_assert (!r->block_io.weight_device[0].leaf_weight.set);
  ck_assert_uint_eq (r->block_io.throttle_write_iops[0].rate, 4000);
  ck_assert_int_eq (r->block_io.throttle_write_bps[0].minor, 1);
  ck_assert_str_eq (r->hugepage_limits[0].page_size, "2MB");
  ck_assert_uint_eq (r->network.class_id.v, 1048577);
  ck_assert_str_eq (kv_get (r->unified, r->n_unified, "memory.high"), "1G");

  ck_assert_int_eq (l->n_namespaces, 8);
  ck_assert_ptr_null (sr_config_namespace (c, SR_NS_IPC)->path);
  ck_assert_str_eq (sr_config_namespace (c, SR_NS_NET)->path, "/var/run/netns/x");
  ck_assert_ptr_nonnull (sr_config_namespace (c, SR_NS_TIME));
  ck_assert (l->time_monotonic.set);
  ck_assert_int_eq (l->time_monotonic.secs, -10);
  ck_assert_uint_eq (l->time_monotonic.nanosecs, 999999999);
  ck_assert_int_eq (l->time_boottime.secs, 3600);
  ck_assert_int_eq (l->devices[1].type, 'p');
  ck_assert (!l->devices[1].file_mode.set);
  ck_assert_int_eq (l->devices[0].minor, 229);

  ck_assert_int_eq (s->default_action, SR_SCMP_KILL_PROCESS);
  ck_assert_str_eq (s->flags.v[0], "SECCOMP_FILTER_FLAG_LOG");
  ck_assert_str_eq (s->listener_path, "/run/seccomp.sock");
  ck_assert_str_eq (s->listener_metadata, "meta");
  ck_assert_int_eq (s->syscalls[0].action, SR_SCMP_NOTIFY);
  ck_assert_uint_eq (s->syscalls[1].errno_ret.v, 13);
  ck_assert_uint_eq (s->syscalls[1].args[0].index, 5);
  ck_assert_int_eq (s->syscalls[1].args[0].op, SR_SCMP_CMP_GE);
  ck_assert_uint_eq (s->syscalls[1].args[0].value_two, 2);

  ck_assert_str_eq (l->rootfs_propagation, "rslave");
  ck_assert_str_eq (l->readonly_paths.v[1], "/proc/bus");
  ck_assert_str_eq (l->mount_label, "system_u:object_r:container_file_t:s0");
  ck_assert (l->personality.set);
  ck_assert_int_eq (l->personality.domain, PER_LINUX32);
  ck_assert (l->intel_rdt_set);
  sr_config_free (c);
}
END_TEST

/* ------------------------------------------------------------------ */
/* the default spec */

static sr_config_t *
parse_spec (bool rootless)
{
  json_t *j = sr_spec_default (rootless);
  char *text;
  sr_config_t *c;

  ck_assert_ptr_nonnull (j);
  text = json_dumps (j, JSON_INDENT (2));
  json_decref (j);
  ck_assert_ptr_nonnull (text);
  c = parse_ok (text);
  free (text);
  return c;
}

static const sr_mount_t *
find_mount (const sr_config_t *c, const char *dest)
{
  size_t i;

  for (i = 0; i < c->n_mounts; i++)
    if (strcmp (c->mounts[i].destination, dest) == 0)
      return &c->mounts[i];
  return NULL;
}

START_TEST (test_spec_default)
{
  sr_config_t *c = parse_spec (false);
  const sr_mount_t *m;

  ck_assert_str_eq (c->oci_version, "1.2.0");
  ck_assert_str_eq (c->hostname, "secrun");
  ck_assert_str_eq (c->root_path, "rootfs");
  ck_assert (c->root_readonly);
  ck_assert (c->process.terminal);
  ck_assert_str_eq (c->process.args.v[0], "sh");
  ck_assert_str_eq (c->process.env.v[1], "TERM=xterm");
  ck_assert_uint_eq (c->process.caps.bounding, CAP_BIT (29) | CAP_BIT (5) | CAP_BIT (10));
  ck_assert_uint_eq (c->process.caps.permitted, c->process.caps.bounding);
  ck_assert_uint_eq (c->process.caps.effective, c->process.caps.bounding);
  ck_assert_uint_eq (c->process.caps.ambient, 0);
  ck_assert_int_eq (c->process.rlimits[0].resource, RLIMIT_NOFILE);
  ck_assert (c->process.no_new_privileges.v);
  ck_assert_int_eq (c->n_mounts, 7);
  m = find_mount (c, "/dev/pts");
  ck_assert (m && strv_has (&m->options, "gid=5"));
  m = find_mount (c, "/sys");
  ck_assert_str_eq (m->type, "sysfs");
  ck_assert_ptr_nonnull (sr_config_namespace (c, SR_NS_NET));
  ck_assert_ptr_null (sr_config_namespace (c, SR_NS_USER));
  ck_assert_int_eq (c->linux_.n_uid_mappings, 0);
  ck_assert (c->linux_.resources.set);
  ck_assert_int_eq (c->linux_.resources.n_devices, 1);
  ck_assert (!c->linux_.resources.devices[0].allow);
  ck_assert (strv_has (&c->linux_.masked_paths, "/proc/kcore"));
  ck_assert (strv_has (&c->linux_.readonly_paths, "/proc/sysrq-trigger"));
  sr_config_free (c);
}
END_TEST

START_TEST (test_spec_rootless)
{
  sr_config_t *c = parse_spec (true);
  const sr_mount_t *m;

  ck_assert_ptr_nonnull (sr_config_namespace (c, SR_NS_USER));
  ck_assert_ptr_null (sr_config_namespace (c, SR_NS_NET));
  ck_assert_int_eq (c->linux_.n_uid_mappings, 1);
  ck_assert_uint_eq (c->linux_.uid_mappings[0].container_id, 0);
  ck_assert_uint_eq (c->linux_.uid_mappings[0].host_id, geteuid ());
  ck_assert_uint_eq (c->linux_.uid_mappings[0].size, 1);
  ck_assert_uint_eq (c->linux_.gid_mappings[0].host_id, getegid ());
  ck_assert (!c->linux_.resources.set);
  m = find_mount (c, "/dev/pts");
  ck_assert (m && !strv_has (&m->options, "gid=5"));
  ck_assert (strv_has (&m->options, "mode=0620"));
  m = find_mount (c, "/sys");
  ck_assert_str_eq (m->type, "none");
  ck_assert_str_eq (m->source, "/sys");
  ck_assert (strv_has (&m->options, "rbind"));
  sr_config_free (c);
}
END_TEST

/* ------------------------------------------------------------------ */
/* things that parse and mean something particular */

#define HEAD "{\"ociVersion\":\"1.2.0\",\"root\":{\"path\":\"r\"},"
#define PROC "\"process\":{\"user\":{\"uid\":0,\"gid\":0},\"args\":[\"sh\"],\"cwd\":\"/\"}"

START_TEST (test_null_is_absent)
{
  sr_config_t *c = parse_ok (HEAD PROC ",\"hostname\":null,\"mounts\":null,"
                             "\"linux\":{\"seccomp\":null,\"resources\":{\"memory\":null},"
                             "\"namespaces\":[{\"type\":\"pid\",\"path\":null}]}}");

  ck_assert_ptr_null (c->hostname);
  ck_assert_ptr_null (c->mounts);
  ck_assert (!c->linux_.seccomp.set);
  ck_assert (c->linux_.resources.set);
  ck_assert (!c->linux_.resources.memory.set);
  ck_assert_ptr_null (c->linux_.namespaces[0].path);
  sr_config_free (c);
}
END_TEST

START_TEST (test_unknown_fields_ignored)
{
  sr_config_t *c = parse_ok (HEAD PROC ",\"solaris\":{\"x\":1},\"windows\":[],"
                             "\"vm\":{},\"linux\":{\"futureThing\":true,"
                             "\"resources\":{\"rdma\":{}}}}");

  ck_assert (c->has_linux);
  sr_config_free (c);
}
END_TEST

START_TEST (test_no_process)
{
  sr_config_t *c = parse_ok (HEAD "\"hostname\":\"x\"}");

  ck_assert (!c->has_process);
  ck_assert_ptr_null (c->process.args.v);
  sr_config_free (c);
}
END_TEST

START_TEST (test_process_parse_errors)
{
  sr_error_t err = { 0, NULL };
  json_t *j = json_loads ("{\"user\":{\"uid\":0,\"gid\":0},\"cwd\":\"/\"}", 0, NULL);
  sr_process_t p;

  ck_assert_int_eq (sr_process_parse (j, "process", &p, &err), -1);
  ck_assert_str_eq (err.msg, "process.args: required");
  ck_assert_ptr_null (p.args.v);
  sr_error_clear (&err);
  ck_assert_int_eq (sr_process_parse (j, "", &p, &err), -1);
  ck_assert_str_eq (err.msg, "args: required");
  sr_error_clear (&err);
  json_decref (j);

  j = json_loads ("[]", 0, NULL);
  ck_assert_int_eq (sr_process_parse (j, "", &p, &err), -1);
  ck_assert_str_eq (err.msg, "process: expected object, got array");
  sr_error_clear (&err);
  json_decref (j);
}
END_TEST

START_TEST (test_resources_parse_errors)
{
  sr_error_t err = { 0, NULL };
  json_t *j = json_loads ("{\"memory\":{\"limit\":1},\"cpu\":{\"shares\":\"x\"}}", 0, NULL);
  sr_resources_t r;

  ck_assert_int_eq (sr_resources_parse (j, "", &r, &err), -1);
  ck_assert_str_eq (err.msg, "cpu.shares: expected integer, got string");
  ck_assert (!r.set);
  sr_error_clear (&err);
  ck_assert_int_eq (sr_resources_parse (j, "resources", &r, &err), -1);
  ck_assert_str_eq (err.msg, "resources.cpu.shares: expected integer, got string");
  sr_error_clear (&err);
  json_decref (j);
}
END_TEST

START_TEST (test_ns_names)
{
  ck_assert_str_eq (sr_ns_type_name (SR_NS_PID), "pid");
  ck_assert_str_eq (sr_ns_type_name (SR_NS_NET), "network");
  ck_assert_str_eq (sr_ns_type_name (SR_NS_MOUNT), "mount");
  ck_assert_str_eq (sr_ns_type_name (SR_NS_IPC), "ipc");
  ck_assert_str_eq (sr_ns_type_name (SR_NS_UTS), "uts");
  ck_assert_str_eq (sr_ns_type_name (SR_NS_USER), "user");
  ck_assert_str_eq (sr_ns_type_name (SR_NS_CGROUP), "cgroup");
  ck_assert_str_eq (sr_ns_type_name (SR_NS_TIME), "time");
}
END_TEST

/* ------------------------------------------------------------------ */
/* loading files */

START_TEST (test_load_errors)
{
  sr_error_t err = { 0, NULL };
  char dir[] = "/tmp/check_config.XXXXXX";
  char path[PATH_MAX];
  int fd;

  ck_assert_ptr_null (sr_config_load ("/nonexistent/config.json", &err));
  ck_assert_str_eq (err.msg, "open /nonexistent/config.json: No such file or directory");
  sr_error_clear (&err);

  ck_assert_ptr_nonnull (mkdtemp (dir));
  ck_assert_ptr_null (sr_config_load (dir, &err));
  snprintf (path, sizeof path, "%s: not a regular file", dir);
  ck_assert_str_eq (err.msg, path);
  sr_error_clear (&err);

  /* A sparse file just over the limit: refused before reading it. */
  snprintf (path, sizeof path, "%s/config.json", dir);
  fd = open (path, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
  ck_assert_int_ge (fd, 0);
  ck_assert_int_eq (ftruncate (fd, 16 * 1024 * 1024 + 1), 0);
  close (fd);
  ck_assert_ptr_null (sr_config_load (path, &err));
  ck_assert_msg (strstr (err.msg, "file too large") != NULL, "%s", err.msg);
  sr_error_clear (&err);

  /* Exactly at the limit is read, then rejected as JSON (all NUL bytes). */
  fd = open (path, O_WRONLY | O_CLOEXEC);
  ck_assert_int_eq (ftruncate (fd, 16 * 1024 * 1024), 0);
  close (fd);
  ck_assert_ptr_null (sr_config_load (path, &err));
  ck_assert_msg (strncmp (err.msg, "config.json: invalid JSON", 25) == 0, "%s", err.msg);
  sr_error_clear (&err);

  unlink (path);
  rmdir (dir);
}
END_TEST

/* ------------------------------------------------------------------ */
/* invalid configs and their exact errors */

typedef struct
{
  const char *text;
  const char *error;
} bad_case_t;

#define M(dest) "{\"destination\":\"" dest "\"}"

static const bad_case_t bad_cases[] = {
  /* types at several depths */
  { "[]", "config.json: expected object, got array" },
  { HEAD PROC ",\"hostname\":5}", "hostname: expected string, got integer" },
  { HEAD "\"process\":[]}", "process: expected object, got array" },
  { "{\"ociVersion\":\"1.2.0\",\"root\":\"r\"}", "root: expected object, got string" },
  { HEAD PROC ",\"linux\":{\"resources\":{\"memory\":{\"limit\":\"1\"}}}}",
    "linux.resources.memory.limit: expected integer, got string" },
  { HEAD PROC ",\"linux\":{\"resources\":{\"memory\":{\"disableOOMKiller\":1}}}}",
    "linux.resources.memory.disableOOMKiller: expected boolean, got integer" },
  { HEAD "\"process\":{\"user\":{\"uid\":0,\"gid\":1.5},\"args\":[\"sh\"],\"cwd\":\"/\"}}",
    "process.user.gid: expected integer, got number" },
  { HEAD "\"process\":{\"user\":{\"uid\":0,\"gid\":0},\"args\":[\"sh\"],\"cwd\":\"/\","
         "\"capabilities\":{\"bounding\":[\"CAP_KILL\",true]}}}",
    "process.capabilities.bounding[1]: expected string, got boolean" },
  { HEAD PROC ",\"mounts\":[" M ("/a") ",\"x\"]}", "mounts[1]: expected object, got string" },
  { HEAD PROC ",\"mounts\":[{\"destination\":\"/a\",\"options\":[\"ro\",null]}]}",
    "mounts[0].options[1]: expected string, got null" },
  { HEAD PROC ",\"linux\":{\"sysctl\":{\"net.ipv4.ip_forward\":1}}}",
    "linux.sysctl.net.ipv4.ip_forward: expected string, got integer" },
  { HEAD PROC ",\"annotations\":[]}", "annotations: expected object, got array" },
  { HEAD PROC ",\"linux\":{\"seccomp\":{\"defaultAction\":\"SCMP_ACT_ALLOW\","
              "\"syscalls\":[{\"names\":[\"read\"],\"action\":\"SCMP_ACT_ALLOW\","
              "\"args\":[{\"index\":0,\"value\":\"1\",\"op\":\"SCMP_CMP_EQ\"}]}]}}}",
    "linux.seccomp.syscalls[0].args[0].value: expected integer, got string" },
  { HEAD PROC ",\"hooks\":{\"poststop\":{}}}", "hooks.poststop: expected array, got object" },
  /* a uint64 beyond INT64_MAX keeps its type in messages */
  { HEAD PROC ",\"hostname\":18446744073709551615}",
    "hostname: expected string, got integer" },

  /* integer ranges */
  { HEAD "\"process\":{\"user\":{\"uid\":4294967296,\"gid\":0},\"args\":[\"sh\"],\"cwd\":\"/\"}}",
    "process.user.uid: 4294967296 is out of range [0, 4294967295]" },
  { HEAD "\"process\":{\"user\":{\"uid\":-1,\"gid\":0},\"args\":[\"sh\"],\"cwd\":\"/\"}}",
    "process.user.uid: -1 is out of range [0, 4294967295]" },
  { HEAD "\"process\":{\"user\":{\"uid\":0,\"gid\":0,\"additionalGids\":[1,-2]},"
         "\"args\":[\"sh\"],\"cwd\":\"/\"}}",
    "process.user.additionalGids[1]: -2 is out of range [0, 4294967295]" },
  { HEAD PROC ",\"linux\":{\"resources\":{\"cpu\":{\"shares\":-1}}}}",
    "linux.resources.cpu.shares: -1 is out of range [0, 18446744073709551615]" },
  { HEAD PROC ",\"linux\":{\"resources\":{\"memory\":{\"limit\":18446744073709551615}}}}",
    "linux.resources.memory.limit: 18446744073709551615 is out of range "
    "[-1, 9223372036854775807]" },
  { HEAD PROC ",\"linux\":{\"resources\":{\"memory\":{\"swap\":-2}}}}",
    "linux.resources.memory.swap: -2 is out of range [-1, 9223372036854775807]" },
  { HEAD PROC ",\"linux\":{\"uidMappings\":[{\"containerID\":0,\"hostID\":4294967296,\"size\":1}]}}",
    "linux.uidMappings[0].hostID: 4294967296 is out of range [0, 4294967295]" },
  { HEAD PROC ",\"linux\":{\"seccomp\":{\"defaultAction\":\"SCMP_ACT_ERRNO\","
              "\"defaultErrnoRet\":65536}}}",
    "linux.seccomp.defaultErrnoRet: 65536 is out of range [0, 65535]" },
  { HEAD PROC ",\"linux\":{\"seccomp\":{\"defaultAction\":\"SCMP_ACT_ALLOW\","
              "\"syscalls\":[{\"names\":[\"read\"],\"action\":\"SCMP_ACT_ALLOW\","
              "\"args\":[{\"index\":6,\"value\":1,\"op\":\"SCMP_CMP_EQ\"}]}]}}}",
    "linux.seccomp.syscalls[0].args[0].index: 6 is out of range [0, 5]" },
  { HEAD "\"process\":{\"user\":{\"uid\":0,\"gid\":0},\"args\":[\"sh\"],\"cwd\":\"/\","
         "\"oomScoreAdj\":1001}}",
    "process.oomScoreAdj: 1001 is out of range [-1000, 1000]" },
  { HEAD "\"process\":{\"user\":{\"uid\":0,\"gid\":0},\"args\":[\"sh\"],\"cwd\":\"/\","
         "\"ioPriority\":{\"class\":\"IOPRIO_CLASS_BE\",\"priority\":8}}}",
    "process.ioPriority.priority: 8 is out of range [0, 7]" },
  { HEAD PROC ",\"linux\":{\"timeOffsets\":{\"boottime\":{\"secs\":1,\"nanosecs\":1000000000}}}}",
    "linux.timeOffsets.boottime.nanosecs: 1000000000 is out of range [0, 999999999]" },

  /* namespaces */
  { HEAD PROC ",\"linux\":{\"namespaces\":[{\"type\":\"pid\"},{\"type\":\"mount\"},"
              "{\"type\":\"foo\"}]}}",
    "linux.namespaces[2].type: unknown namespace type \"foo\"" },
  { HEAD PROC ",\"linux\":{\"namespaces\":[{\"type\":\"pid\"},{\"type\":\"ipc\"},"
              "{\"type\":\"pid\",\"path\":\"/proc/1/ns/pid\"}]}}",
    "linux.namespaces: duplicate namespace \"pid\"" },
  { HEAD PROC ",\"linux\":{\"namespaces\":[{\"path\":\"/proc/1/ns/pid\"}]}}",
    "linux.namespaces[0].type: required" },
  { HEAD PROC ",\"linux\":{\"namespaces\":[{\"type\":\"net\"}]}}",
    "linux.namespaces[0].type: unknown namespace type \"net\"" },
  { HEAD PROC ",\"linux\":{\"namespaces\":[{\"type\":\"network\",\"path\":\"ns/net\"}]}}",
    "linux.namespaces[0].path: must be an absolute path" },

  /* required things and paths */
  { HEAD PROC ",\"mounts\":[" M ("/a") "," M ("/b") "," M ("/c") "," M ("d") "]}",
    "mounts[3].destination: must be an absolute path" },
  { HEAD PROC ",\"mounts\":[{\"type\":\"tmpfs\"}]}", "mounts[0].destination: required" },
  { HEAD "\"process\":{\"user\":{\"uid\":0,\"gid\":0},\"args\":[],\"cwd\":\"/\"}}",
    "process.args: must not be empty" },
  { HEAD "\"process\":{\"user\":{\"uid\":0,\"gid\":0},\"cwd\":\"/\"}}",
    "process.args: required" },
  { HEAD "\"process\":{\"user\":{\"uid\":0,\"gid\":0},\"args\":[\"sh\"],\"cwd\":\"tmp\"}}",
    "process.cwd: must be an absolute path" },
  { HEAD "\"process\":{\"user\":{\"uid\":0,\"gid\":0},\"args\":[\"sh\"]}}",
    "process.cwd: required" },
  { HEAD "\"process\":{\"user\":{\"gid\":0},\"args\":[\"sh\"],\"cwd\":\"/\"}}",
    "process.user.uid: required" },
  { HEAD "\"process\":{\"user\":{\"uid\":0},\"args\":[\"sh\"],\"cwd\":\"/\"}}",
    "process.user.gid: required" },
  { HEAD "\"process\":{\"args\":[\"sh\"],\"cwd\":\"/\"}}", "process.user: required" },
  { "{\"ociVersion\":\"1.2.0\"," PROC "}", "root: required" },
  { "{\"ociVersion\":\"1.2.0\",\"root\":{\"readonly\":true}}", "root.path: required" },
  { "{\"ociVersion\":\"1.2.0\",\"root\":{\"path\":\"\"}}", "root.path: must not be empty" },
  { "{\"root\":{\"path\":\"r\"}}", "ociVersion: required" },
  { "{\"ociVersion\":\"2.0.0\",\"root\":{\"path\":\"r\"}}",
    "ociVersion: unsupported version \"2.0.0\"" },
  { HEAD PROC ",\"hooks\":{\"prestart\":[{\"path\":\"hook\"}]}}",
    "hooks.prestart[0].path: must be an absolute path" },
  { HEAD PROC ",\"hooks\":{\"poststop\":[{\"path\":\"/h\",\"timeout\":0}]}}",
    "hooks.poststop[0].timeout: must be greater than zero" },
  { HEAD PROC ",\"linux\":{\"devices\":[{\"path\":\"dev/null\",\"type\":\"c\","
              "\"major\":1,\"minor\":3}]}}",
    "linux.devices[0].path: must be an absolute path" },
  { HEAD PROC ",\"linux\":{\"devices\":[{\"path\":\"/dev/x\",\"type\":\"cb\","
              "\"major\":1,\"minor\":3}]}}",
    "linux.devices[0].type: unknown device type \"cb\"" },
  { HEAD PROC ",\"linux\":{\"devices\":[{\"path\":\"/dev/x\",\"type\":\"b\",\"major\":1}]}}",
    "linux.devices[0].minor: required" },
  { HEAD PROC ",\"linux\":{\"resources\":{\"devices\":[{\"allow\":true,\"type\":\"p\"}]}}}",
    "linux.resources.devices[0].type: unknown device type \"p\"" },
  { HEAD PROC ",\"linux\":{\"resources\":{\"devices\":[{\"access\":\"rwm\"}]}}}",
    "linux.resources.devices[0].allow: required" },
  { HEAD PROC ",\"linux\":{\"resources\":{\"devices\":[{\"allow\":true,\"access\":\"rx\"}]}}}",
    "linux.resources.devices[0].access: must be a combination of r, w and m" },
  { HEAD PROC ",\"linux\":{\"rootfsPropagation\":\"sideways\"}}",
    "linux.rootfsPropagation: unknown propagation \"sideways\"" },

  /* names mapped to constants */
  { HEAD "\"process\":{\"user\":{\"uid\":0,\"gid\":0},\"args\":[\"sh\"],\"cwd\":\"/\","
         "\"capabilities\":{\"bounding\":[\"CAP_CHOWN\",\"CAP_TEST\"]}}}",
    "process.capabilities.bounding[1]: unknown capability \"CAP_TEST\"" },
  { HEAD "\"process\":{\"user\":{\"uid\":0,\"gid\":0},\"args\":[\"sh\"],\"cwd\":\"/\","
         "\"capabilities\":{\"effective\":[\"cap_chown\"]}}}",
    "process.capabilities.effective[0]: unknown capability \"cap_chown\"" },
  { HEAD "\"process\":{\"user\":{\"uid\":0,\"gid\":0},\"args\":[\"sh\"],\"cwd\":\"/\","
         "\"rlimits\":[{\"type\":\"RLIMIT_NOFILE\",\"soft\":1,\"hard\":1},"
         "{\"type\":\"RLIMIT_FOO\",\"soft\":1,\"hard\":1}]}}",
    "process.rlimits[1].type: unknown rlimit \"RLIMIT_FOO\"" },
  { HEAD "\"process\":{\"user\":{\"uid\":0,\"gid\":0},\"args\":[\"sh\"],\"cwd\":\"/\","
         "\"rlimits\":[{\"type\":\"RLIMIT_NOFILE\",\"soft\":1,\"hard\":1},"
         "{\"type\":\"RLIMIT_NOFILE\",\"soft\":2,\"hard\":2}]}}",
    "process.rlimits[1].type: duplicate rlimit \"RLIMIT_NOFILE\"" },
  { HEAD "\"process\":{\"user\":{\"uid\":0,\"gid\":0},\"args\":[\"sh\"],\"cwd\":\"/\","
         "\"rlimits\":[{\"type\":\"RLIMIT_NOFILE\",\"soft\":1}]}}",
    "process.rlimits[0].hard: required" },
  { HEAD PROC ",\"linux\":{\"seccomp\":{\"defaultAction\":\"SCMP_ACT_ALLOW\","
              "\"syscalls\":[{\"names\":[\"read\"],\"action\":\"SCMP_ACT_FOO\"}]}}}",
    "linux.seccomp.syscalls[0].action: unknown seccomp action \"SCMP_ACT_FOO\"" },
  { HEAD PROC ",\"linux\":{\"seccomp\":{\"defaultAction\":\"ALLOW\"}}}",
    "linux.seccomp.defaultAction: unknown seccomp action \"ALLOW\"" },
  { HEAD PROC ",\"linux\":{\"seccomp\":{\"syscalls\":[]}}}",
    "linux.seccomp.defaultAction: required" },
  { HEAD PROC ",\"linux\":{\"seccomp\":{\"defaultAction\":\"SCMP_ACT_ALLOW\","
              "\"syscalls\":[{\"names\":[\"read\"],\"action\":\"SCMP_ACT_ALLOW\","
              "\"args\":[{\"index\":0,\"value\":1,\"op\":\"SCMP_CMP_FOO\"}]}]}}}",
    "linux.seccomp.syscalls[0].args[0].op: unknown seccomp operator \"SCMP_CMP_FOO\"" },
  { HEAD PROC ",\"linux\":{\"seccomp\":{\"defaultAction\":\"SCMP_ACT_ALLOW\","
              "\"syscalls\":[{\"names\":[],\"action\":\"SCMP_ACT_ALLOW\"}]}}}",
    "linux.seccomp.syscalls[0].names: must not be empty" },
  { HEAD "\"process\":{\"user\":{\"uid\":0,\"gid\":0},\"args\":[\"sh\"],\"cwd\":\"/\","
         "\"scheduler\":{\"policy\":\"SCHED_WHATEVER\"}}}",
    "process.scheduler.policy: unknown scheduler policy \"SCHED_WHATEVER\"" },
  { HEAD "\"process\":{\"user\":{\"uid\":0,\"gid\":0},\"args\":[\"sh\"],\"cwd\":\"/\","
         "\"scheduler\":{\"policy\":\"SCHED_RR\",\"flags\":[\"SCHED_FLAG_X\"]}}}",
    "process.scheduler.flags[0]: unknown scheduler flag \"SCHED_FLAG_X\"" },
  { HEAD "\"process\":{\"user\":{\"uid\":0,\"gid\":0},\"args\":[\"sh\"],\"cwd\":\"/\","
         "\"ioPriority\":{\"class\":\"IOPRIO_CLASS_NONE\",\"priority\":0}}}",
    "process.ioPriority.class: unknown ioPriority class \"IOPRIO_CLASS_NONE\"" },
  { HEAD PROC ",\"linux\":{\"personality\":{\"domain\":\"LINUX64\"}}}",
    "linux.personality.domain: unknown personality domain \"LINUX64\"" },
  { HEAD PROC ",\"linux\":{\"personality\":{\"domain\":\"LINUX\",\"flags\":[\"X\"]}}}",
    "linux.personality.flags[0]: unknown personality flag \"X\"" },

  /* malformed JSON */
  { "{\"ociVersion\": }",
    "config.json: invalid JSON at line 1 column 16: unexpected token near '}'" },
  { "{\"ociVersion\":\"1.2.0\",\n\"root\":{\"path\":\"r\"},\n\"hostname\":\"a\"",
    "config.json: invalid JSON at line 3 column 14: '}' expected near end of file" },
  { "", "config.json: invalid JSON at line 1 column 0: '[' or '{' expected near end of file" },
  { HEAD PROC "} trailing",
    "config.json: invalid JSON at line 1 column 112: end of file expected near 'trailing'" },
  { HEAD PROC ",\"hostname\":\"a\",\"hostname\":\"b\"}",
    "config.json: invalid JSON at line 1 column 128: duplicate object key near '\"hostname\"'" },
  { HEAD PROC ",\"linux\":{\"resources\":{\"memory\":{\"limit\":18446744073709551616}}}}",
    "config.json: invalid JSON at line 1 column 163: too big integer near "
    "'18446744073709551616'" },
  { HEAD PROC ",\"hostname\":\"a\\u0000b\"}",
    "config.json: invalid JSON at line 1 column 124: \\u0000 is not allowed without "
    "JSON_ALLOW_NUL near '\"a\\u0000b\"'" },
};

START_TEST (test_bad_config)
{
  const bad_case_t *b = &bad_cases[_i];

  parse_fails (b->text, strlen (b->text), b->error);
}
END_TEST

/* A raw NUL byte in the text, outside and inside a string. */
START_TEST (test_raw_nul)
{
  static const char text[] = HEAD PROC ",\"hostname\":\"a\0b\"}";
  static const char text2[] = HEAD PROC "\0";
  sr_error_t err = { 0, NULL };

  ck_assert_ptr_null (sr_config_parse (text, sizeof text - 1, &err));
  ck_assert_msg (strncmp (err.msg, "config.json: invalid JSON at line 1", 35) == 0,
                 "%s", err.msg);
  sr_error_clear (&err);
  ck_assert_ptr_null (sr_config_parse (text2, sizeof text2 - 1, &err));
  ck_assert_msg (strncmp (err.msg, "config.json: invalid JSON at line 1", 35) == 0,
                 "%s", err.msg);
  sr_error_clear (&err);
}
END_TEST

/* Paths built from the user's keys are cut at a bound, visibly. */
START_TEST (test_long_path_truncated)
{
  static char text[4096];
  sr_error_t err = { 0, NULL };
  size_t n;

  n = snprintf (text, sizeof text, HEAD PROC ",\"annotations\":{\"%01000d\":1}}", 7);
  ck_assert_ptr_null (sr_config_parse (text, n, &err));
  ck_assert_int_eq (strncmp (err.msg, "annotations.0000", 16), 0);
  ck_assert_ptr_nonnull (strstr (err.msg, "...: expected string, got integer"));
  ck_assert_int_lt (strlen (err.msg), 600);
  sr_error_clear (&err);
}
END_TEST

/* Deep nesting stops at jansson's depth limit, not at our stack. */
START_TEST (test_deep_nesting)
{
  size_t depth = 100000, i;
  char *text = malloc (2 * depth + 1);
  sr_error_t err = { 0, NULL };

  ck_assert_ptr_nonnull (text);
  for (i = 0; i < depth; i++)
    {
      text[i] = '[';
      text[depth + i] = ']';
    }
  text[2 * depth] = '\0';
  ck_assert_ptr_null (sr_config_parse (text, 2 * depth, &err));
  ck_assert_msg (strstr (err.msg, "maximum parsing depth") != NULL, "%s", err.msg);
  sr_error_clear (&err);
  free (text);
}
END_TEST

/* ------------------------------------------------------------------ */

static Suite *
config_suite (void)
{
  Suite *s = suite_create ("config");
  TCase *tc;

  tc = tcase_create ("samples");
  tcase_add_test (tc, test_samples_all_parse);
  tcase_add_test (tc, test_sample_ctr_run_d);
  tcase_add_test (tc, test_sample_ctr_run_tty);
  tcase_add_test (tc, test_sample_ctr_seccomp);
  tcase_add_test (tc, test_sample_cri_sandbox);
  tcase_add_test (tc, test_sample_cri_hostnetwork);
  tcase_add_test (tc, test_sample_cri_container);
  tcase_add_test (tc, test_sample_docker_hardened);
  tcase_add_test (tc, test_sample_docker_init_device);
  tcase_add_test (tc, test_sample_podman_hardened);
  tcase_add_test (tc, test_sample_podman_seccomp_ne);
  tcase_add_test (tc, test_sample_exec_processes);
  tcase_add_test (tc, test_sample_update_resources);
  suite_add_tcase (s, tc);

  tc = tcase_create ("fixtures");
  tcase_add_test (tc, test_fixture_minimal);
  tcase_add_test (tc, test_fixture_uint64_max);
  tcase_add_test (tc, test_fixture_full);
  tcase_add_test (tc, test_null_is_absent);
  tcase_add_test (tc, test_unknown_fields_ignored);
  tcase_add_test (tc, test_no_process);
  tcase_add_test (tc, test_process_parse_errors);
  tcase_add_test (tc, test_resources_parse_errors);
  tcase_add_test (tc, test_ns_names);
  tcase_add_test (tc, test_load_errors);
  suite_add_tcase (s, tc);

  tc = tcase_create ("spec");
  tcase_add_test (tc, test_spec_default);
  tcase_add_test (tc, test_spec_rootless);
  suite_add_tcase (s, tc);

  tc = tcase_create ("invalid");
  tcase_add_loop_test (tc, test_bad_config, 0,
                       sizeof bad_cases / sizeof bad_cases[0]);
  tcase_add_test (tc, test_raw_nul);
  tcase_add_test (tc, test_deep_nesting);
  tcase_add_test (tc, test_long_path_truncated);
  suite_add_tcase (s, tc);

  return s;
}

int
main (void)
{
  SRunner *sr = srunner_create (config_suite ());
  int failed;

  srunner_run_all (sr, CK_NORMAL);
  failed = srunner_ntests_failed (sr);
  srunner_free (sr);
  return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
