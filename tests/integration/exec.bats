#!/usr/bin/env bats
# exec: a new process inside a running container, never more than it.

load helpers

# a container that waits until the test is done with it
start_sleeper() {
	cfg '.hostname = "exec-ctr"'
	set_cmd 'echo ready; exec sleep 300'
	run_detached
	wait_for status_is "$ID" running
}

@test "exec: joins the container's namespaces; its init is pid 1; exit code passes through" {
	start_sleeper
	run sr exec "$ID" sh -c 'hostname; cat /proc/1/cmdline | tr "\0" " "; echo; exit 7'
	assert_status 7
	assert_output_has exec-ctr
	assert_output_has "sleep 300"
	local ipid
	ipid=$(pid_of "$ID")
	run sr exec "$ID" readlink /proc/self/ns/net
	assert_status 0
	[ "$output" = "$(readlink /proc/"$ipid"/ns/net)" ] || fail "net ns $output != init's"
	run sr exec "$ID" sh -c 'kill -USR1 $$'
	assert_status $((128 + 10))
	sr delete -f "$ID"
}

@test "exec: --user, --env, --cwd and --additional-gids are applied" {
	start_sleeper
	run sr exec --user 1000:1000 --additional-gids 27 --env FOO=bar --cwd /tmp "$ID" \
		sh -c 'id -u; id -g; id -G; echo "$FOO"; pwd'
	assert_status 0
	[ "$(sed -n 1p <<<"$output")" = 1000 ] || fail "uid: $output"
	[ "$(sed -n 2p <<<"$output")" = 1000 ] || fail "gid: $output"
	[ "$(sed -n 3p <<<"$output")" = "1000 27" ] || fail "groups: $output"
	[ "$(sed -n 4p <<<"$output")" = bar ] || fail "env: $output"
	[ "$(sed -n 5p <<<"$output")" = /tmp ] || fail "cwd: $output"
	sr delete -f "$ID"
}

@test "exec: --process FILE, --detach and --pid-file (bare digits); the process is in the container's cgroup" {
	start_sleeper
	jq -n '{terminal:false, user:{uid:0,gid:0}, args:["sleep","30"], cwd:"/", env:["PATH=/bin"]}' \
		>"$BATS_TEST_TMPDIR/p.json"
	# (a detached process keeps the stdio it is given, as with runc: not bats' pipe)
	sr exec --process "$BATS_TEST_TMPDIR/p.json" --detach --pid-file "$BATS_TEST_TMPDIR/e.pid" "$ID" \
		</dev/null >"$BATS_TEST_TMPDIR/e.out" 2>&1 || fail "exec: $(cat "$BATS_TEST_TMPDIR/e.out")"
	grep -qxE '[0-9]+' "$BATS_TEST_TMPDIR/e.pid" || fail "pid file: $(od -c "$BATS_TEST_TMPDIR/e.pid")"
	run od -An -c "$BATS_TEST_TMPDIR/e.pid"
	assert_output_lacks '\n'
	local epid ipid
	epid=$(cat "$BATS_TEST_TMPDIR/e.pid")
	ipid=$(pid_of "$ID")
	local cmdline
	cmdline=$(tr '\0' ' ' </proc/"$epid"/cmdline)
	[ "$cmdline" = "sleep 30 " ] || fail "pid $epid is not the exec'd sleep: '$cmdline'"
	[ "$(grep memory /proc/"$epid"/cgroup)" = "$(grep memory /proc/"$ipid"/cgroup)" ] ||
		fail "cgroup: $(grep memory /proc/"$epid"/cgroup) vs $(grep memory /proc/"$ipid"/cgroup)"
	sr delete -f "$ID"
	proc_gone "$epid" || fail "the exec'd process outlived delete"
}

@test "exec: never more capabilities than the container's bounding set; same seccomp filter" {
	secrun_only "exec capabilities are cut to the container's bounding set"
	cfg '.process.capabilities = {bounding:["CAP_KILL"], effective:["CAP_KILL"], permitted:["CAP_KILL"]}
		| .linux.seccomp = {defaultAction:"SCMP_ACT_ALLOW",
			syscalls:[{names:["mkdir","mkdirat"], action:"SCMP_ACT_ERRNO", errnoRet:1}]}'
	start_sleeper
	run sr exec --cap CAP_SYS_ADMIN --cap CAP_NET_ADMIN "$ID" grep -E '^(CapBnd|CapEff|Seccomp):' /proc/self/status
	assert_status 0
	# CAP_KILL is bit 5: 0x20, and nothing else
	assert_output_has "CapBnd:	0000000000000020"
	assert_output_has "CapEff:	0000000000000020"
	assert_output_has "Seccomp:	2"
	run sr exec "$ID" mkdir /tmp/nope
	assert_failed
	assert_output_has "Operation not permitted"
	sr delete -f "$ID"
}

@test "exec: a container whose config lists no capabilities gives none to --cap or --process" {
	secrun_only "exec capabilities are cut to the container's bounding set"
	cfg 'del(.process.capabilities)'
	start_sleeper
	run sr exec --cap CAP_SYS_ADMIN "$ID" grep -E '^Cap(Bnd|Eff|Prm):' /proc/self/status
	assert_status 0
	assert_output_has "CapBnd:	0000000000000000"
	assert_output_has "CapEff:	0000000000000000"
	jq '.process | .args = ["grep", "-E", "^Cap(Bnd|Eff):", "/proc/self/status"]
		| .capabilities = {bounding: ["CAP_SYS_ADMIN"], effective: ["CAP_SYS_ADMIN"], permitted: ["CAP_SYS_ADMIN"]}' \
		"$BUNDLE/config.json" >"$BATS_TEST_TMPDIR/p.json"
	run sr exec --process "$BATS_TEST_TMPDIR/p.json" "$ID"
	assert_status 0
	assert_output_has "CapBnd:	0000000000000000"
	assert_output_has "CapEff:	0000000000000000"
	sr delete -f "$ID"
}

@test "exec: a cwd reached through a /proc magic link is refused" {
	secrun_only "the cwd is opened without magic links"
	start_sleeper
	run sr exec --cwd /proc/self/root/tmp "$ID" pwd
	assert_failed
	assert_output_has "process.cwd"
	run sr exec --cwd /tmp "$ID" pwd
	assert_status 0
	[ "$output" = /tmp ] || fail "$output"
	sr delete -f "$ID"
}

@test "exec: the process gets the container's session keyring, not the caller's" {
	secrun_only "exec joins the container's session keyring"
	cfg '.linux.maskedPaths = ((.linux.maskedPaths // []) - ["/proc/keys"])'
	start_sleeper
	# The caller: a session keyring of its own holding a key only its
	# possessors may see (perm 0x3f000000), then exec.
	run python3 - "$SECRUN" "$ROOT" "$ID" <<-'PY'
		import ctypes, os, sys
		libc = ctypes.CDLL(None, use_errno=True)
		libc.syscall.restype = ctypes.c_long
		SYS_add_key, SYS_keyctl = 248, 250
		if libc.syscall(SYS_keyctl, 1, None) < 0:  # KEYCTL_JOIN_SESSION_KEYRING, anonymous
		    sys.exit("join: %s" % os.strerror(ctypes.get_errno()))
		k = libc.syscall(SYS_add_key, b"user", b"srt-caller-secret", b"x", 1, ctypes.c_long(-3))
		if k < 0 or libc.syscall(SYS_keyctl, 5, ctypes.c_long(k), ctypes.c_ulong(0x3f000000)) < 0:
		    sys.exit("key: %s" % os.strerror(ctypes.get_errno()))
		if b"srt-caller-secret" not in open("/proc/keys", "rb").read():
		    sys.exit("the caller does not see its own key")
		os.execv(sys.argv[1], [sys.argv[1], "--root", sys.argv[2], "exec", sys.argv[3], "cat", "/proc/keys"])
	PY
	assert_status 0
	assert_output_lacks srt-caller-secret
	assert_output_has "_ses.$ID"
	sr delete -f "$ID"
}

@test "exec: no fd of the caller or the runtime reaches the process" {
	start_sleeper
	run sr exec "$ID" sh -c 'ls /proc/self/fd' 5</etc/hostname 7</etc/hostname
	assert_status 0
	# 0 1 2, and 3: the directory ls itself opens
	[ "$(echo $output)" = "0 1 2 3" ] || fail "fds: $output"
	sr delete -f "$ID"
}

@test "exec and create: --preserve-fds must be a count" {
	start_sleeper
	track "$ID-c"
	for bad in -1 x 3x ""; do
		run sr exec --preserve-fds "$bad" "$ID" true
		assert_failed
		assert_output_has "--preserve-fds"
		run sr create --preserve-fds "$bad" -b "$BUNDLE" "$ID-c"
		assert_failed
		assert_output_has "--preserve-fds"
	done
	sr delete -f "$ID"
	assert_no_leaks
}

@test "exec: a stopped container refuses, and nothing is left" {
	set_cmd 'exit 0'
	create_ctr
	sr start "$ID"
	wait_for status_is "$ID" stopped
	run sr exec "$ID" true
	assert_failed
	assert_output_has "stopped"
	run sr exec "$ID" /does/not/exist
	assert_failed
	sr delete "$ID"
}
