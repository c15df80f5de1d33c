#!/usr/bin/env bats
# seccomp, as the workload sees it.

load helpers

# seccomp JSON: allow everything but the given rules
allow_all_but() {
	cfg '.linux.seccomp = {"defaultAction": "SCMP_ACT_ALLOW",
		"architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"],
		"syscalls": $r}' --argjson r "$1"
}

@test "the project's default profile: Seccomp 2, the workload runs" {
	local profile=$SRCDIR/profiles/seccomp/default.json
	[ -f "$profile" ] || fail "$profile is missing"
	cfg '.linux.seccomp = $p[0]' --slurpfile p "$profile"
	set_cmd 'grep -E "^Seccomp(_filters)?:" /proc/self/status; id -u; ls / >/dev/null && echo ls-ok'
	run_ctr
	assert_status 0
	grep -qx $'Seccomp:\t2' <<<"$output" || fail "$output"
	grep -qE $'^Seccomp_filters:\t[1-9]' <<<"$output" || fail "$output"
	assert_output_has ls-ok
}

@test "the project's default profile: unshare and mount are not allowed (ENOSYS)" {
	cfg '.linux.seccomp = $p[0]' --slurpfile p "$SRCDIR/profiles/seccomp/default.json"
	set_cmd 'unshare -m true 2>&1; mkdir -p /tmp/m; mount -t tmpfs none /tmp/m 2>&1; true'
	run_ctr
	assert_status 0
	[ "$(grep -c "Function not implemented" <<<"$output")" = 2 ] || fail "$output"
}

@test "the default profile keeps a hardened bundle working (make-bundle --hardened --seccomp)" {
	local b=$BATS_TEST_TMPDIR/hb
	"$MAKE_BUNDLE" "$b" --hardened --seccomp --rootfs-from "$BUNDLE/rootfs" \
		--cgroups-path "/secrun-test/$ID" \
		--args 'id; grep -E "^(CapEff|NoNewPrivs|Seccomp):" /proc/self/status; touch /x 2>&1; true'
	CFG_BUNDLE=$b cfg '.process.env += ["SRT_TAG=" + $id]' --arg id "$ID"
	run sr run -b "$b" "$ID"
	assert_status 0
	assert_output_has "uid=65534(nobody) gid=65534(nogroup)"
	assert_output_has $'CapEff:\t0000000000000000'
	assert_output_has $'NoNewPrivs:\t1'
	assert_output_has $'Seccomp:\t2'
	assert_output_has "Read-only file system"
}

@test "no linux.seccomp: Seccomp 0" {
	set_args grep "^Seccomp:" /proc/self/status
	run_ctr
	assert_status 0
	[ "$output" = $'Seccomp:\t0' ] || fail "$output"
}

@test "SCMP_ACT_ERRNO with errnoRet 1: mkdir fails with EPERM, the rest works" {
	allow_all_but '[{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1}]'
	set_cmd 'grep "^Seccomp:" /proc/self/status; mkdir /tmp/x 2>&1; echo "rc=$?"; touch /tmp/y && echo touch-ok; [ -d /tmp/x ] || echo no-dir'
	run_ctr
	assert_status 0
	assert_output_has $'Seccomp:\t2'
	assert_output_has "Operation not permitted"
	assert_output_has "rc=1"
	assert_output_has touch-ok
	assert_output_has no-dir
}

@test "seccomp cache: the same profile bytes come from the raw cache, unparsed, and are enforced; a byte changed is a new entry; an untrusted entry is ignored" {
	secrun_only "secrun's seccomp cache"
	local r=$BATS_TEST_TMPDIR/root c json raw
	c=$r/.seccomp-cache
	mkdir -p "$r"
	allow_all_but '[{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1}]'
	set_cmd 'mkdir /tmp/x 2>&1; echo "rc=$?"'
	rrun() {
		run env SRT_TAG="$ID" timeout -k 5 "$SR_TIMEOUT" "$SECRUN" --root "$r" run -b "$BUNDLE" "$ID"
		assert_status 0
		assert_output_has "$1"
	}
	rrun "Operation not permitted"
	# one entry keyed by the canonical JSON, one by the bytes as written
	json=$(grep -la "json $(uname -m) " "$c"/*.bpf)
	raw=$(grep -la "raw $(uname -m) " "$c"/*.bpf)
	[ -n "$json" ] && [ -n "$raw" ] && [ "$(ls "$c" | wc -l)" = 2 ] || fail "$(ls -la "$c")"
	# A hit on the raw entry never reaches the canonical one (which a parse
	# would find untrusted, and rewrite 0600): it stays as we left it.
	chmod 0666 "$json"
	rrun "Operation not permitted"
	[ "$(stat -c %a "$json")" = 666 ] || fail "the profile was parsed and compiled again"
	# an entry anyone could write is not used: the full path runs and
	# writes both afresh
	chmod 0666 "$raw"
	rrun "Operation not permitted"
	[ "$(stat -c %a "$raw" "$json" | sort -u)" = 600 ] || fail "$(ls -la "$c")"
	# one byte of the profile changed: another key, and the change holds
	sed -i 's/"errnoRet": 1/"errnoRet": 2/' "$BUNDLE/config.json"
	rrun "No such file or directory"
	rrun "No such file or directory"
	[ "$(ls "$c" | wc -l)" = 4 ] || fail "$(ls -la "$c")"
}

@test "SCMP_ACT_ERRNO with errnoRet 38: ENOSYS" {
	allow_all_but '[{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 38}]'
	set_cmd 'mkdir /tmp/x 2>&1; true'
	run_ctr
	assert_status 0
	assert_output_has "Function not implemented"
}

@test "SCMP_ACT_ERRNO without errnoRet: EPERM" {
	allow_all_but '[{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO"}]'
	set_cmd 'mkdir /tmp/x 2>&1; true'
	run_ctr
	assert_status 0
	assert_output_has "Operation not permitted"
}

@test "argument conditions: kill(pid, SIGUSR1) denied, other signals allowed" {
	allow_all_but '[{"names": ["kill"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1,
		"args": [{"index": 1, "value": 10, "op": "SCMP_CMP_EQ"}]}]'
	set_cmd 'trap "" USR1 USR2; kill -USR1 $$ 2>&1; echo "usr1=$?"; kill -USR2 $$; echo "usr2=$?"'
	run_ctr
	assert_status 0
	assert_output_has "usr1=1"
	assert_output_has "Operation not permitted"
	assert_output_has "usr2=0"
}

@test "SCMP_ACT_KILL: the workload dies of SIGSYS (exit 159)" {
	allow_all_but '[{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_KILL"}]'
	set_args mkdir /tmp/x
	run_ctr
	assert_status 159
}

@test "seccomp with a non-root user and noNewPrivileges false" {
	# the filter must be installed while the runtime still has CAP_SYS_ADMIN
	cfg '.process.user = {"uid": 1000, "gid": 1000} | .process.noNewPrivileges = false'
	allow_all_but '[{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1}]'
	set_cmd 'grep -E "^(Seccomp|NoNewPrivs):" /proc/self/status; mkdir /tmp/x 2>&1; true'
	run_ctr
	assert_status 0
	assert_output_has $'Seccomp:\t2'
	assert_output_has $'NoNewPrivs:\t0'
	assert_output_has "Operation not permitted"
}

@test "SCMP_ACT_NOTIFY: refused with a clear error, nothing left behind" {
	allow_all_but '[{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_NOTIFY"}]'
	set_args true
	run_ctr
	assert_failed
	if is_secrun; then
		assert_output_has "not supported"
	else
		assert_output_has "listenerPath"
	fi
	assert_no_leaks
}

@test "an unknown action is refused, nothing left behind" {
	allow_all_but '[{"names": ["mkdir"], "action": "SCMP_ACT_BOGUS"}]'
	set_args true
	run_ctr
	assert_failed
	assert_output_has SCMP_ACT_BOGUS
	assert_no_leaks
}
