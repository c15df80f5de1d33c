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

@test "exec: no fd of the caller or the runtime reaches the process" {
	start_sleeper
	run sr exec "$ID" sh -c 'ls /proc/self/fd' 5</etc/hostname 7</etc/hostname
	assert_status 0
	# 0 1 2, and 3: the directory ls itself opens
	[ "$(echo $output)" = "0 1 2 3" ] || fail "fds: $output"
	sr delete -f "$ID"
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
