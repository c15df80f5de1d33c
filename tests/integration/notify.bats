#!/usr/bin/env bats
# NOTIFY_SOCKET pass-through (sd_notify): the workload gets its own socket at
# /run/notify/notify.sock; the runtime tells the host READY=1 (and MAINPID
# when detached) once the workload is ready, and nothing else it says.

load helpers

setup_file() {
	common_setup_file
	export SDNOTIFY=$BATS_FILE_TMPDIR/sdnotify
	gcc -static -O2 -o "$SDNOTIFY" "$BATS_TEST_DIRNAME/tools/sdnotify.c"
}

setup() {
	common_setup
	cp "$SDNOTIFY" "$BUNDLE/rootfs/bin/sdnotify"
	HOSTSOCK=$BATS_TEST_TMPDIR/host.sock
	HOSTOUT=$BATS_TEST_TMPDIR/host.out
	python3 "$BATS_TEST_DIRNAME/tools/notify_listen.py" "$HOSTSOCK" "$HOSTOUT" &
	LISTENER=$!
	wait_for file_has "$HOSTOUT" listening
}

teardown() {
	kill "$LISTENER" 2>/dev/null
	wait "$LISTENER" 2>/dev/null
	common_teardown
}

# nsr ARGS...: the runtime with NOTIFY_SOCKET set to the test's listener
nsr() {
	NOTIFY_SOCKET=$HOSTSOCK sr "$@"
}

@test "start waits for READY=1; the host gets READY=1, MAINPID=the init, a barrier, nothing else" {
	set_cmd 'echo "env=$NOTIFY_SOCKET" >/seen; touch /run/notify/x 2>>/seen || echo ro >>/seen
		sdnotify "STATUS=warming up"; sleep 1; sdnotify "MAINPID=1\nREADY=1"; exec sleep 30'
	nsr create -b "$BUNDLE" "$ID" </dev/null >/dev/null
	local t0=$SECONDS
	run nsr start "$ID"
	assert_status 0
	[ $((SECONDS - t0)) -ge 1 ] || fail "start returned before the workload was ready"
	local pid
	pid=$(pid_of "$ID")
	run cat "$HOSTOUT"
	[ "$output" = "listening
READY=1|MAINPID=$pid
BARRIER=1" ] || fail "the host got: $output"
	run cat "$BUNDLE/rootfs/seen"
	assert_output_has "env=/run/notify/notify.sock"
	assert_output_has ro
	sr delete -f "$ID"
}

@test "a workload that exits without READY: start returns, the host hears nothing" {
	set_cmd 'sleep 0.3; exit 0'
	nsr create -b "$BUNDLE" "$ID" </dev/null >/dev/null
	run nsr start "$ID"
	assert_status 0
	run cat "$HOSTOUT"
	[ "$output" = listening ] || fail "the host got: $output"
	sr delete -f "$ID"
}

@test "run -d returns once ready, with MAINPID; run in the foreground sends READY=1 only" {
	set_cmd 'sleep 0.5; sdnotify READY=1; exec sleep 30'
	NOTIFY_SOCKET=$HOSTSOCK run_detached
	pid=$(pid_of "$ID")
	run cat "$HOSTOUT"
	[ "$output" = "listening
READY=1|MAINPID=$pid
BARRIER=1" ] || fail "the host got: $output"
	sr delete -f "$ID"

	: >"$HOSTOUT"
	set_cmd 'sdnotify READY=1; sleep 0.5; exit 6'
	NOTIFY_SOCKET=$HOSTSOCK run_ctr
	assert_status 6
	run cat "$HOSTOUT"
	[ "$output" = "READY=1
BARRIER=1" ] || fail "the host got: $output"
}

@test "without NOTIFY_SOCKET the workload has no notify socket or variable" {
	set_cmd 'echo "env=[$NOTIFY_SOCKET]"; ls /run/notify 2>&1; exit 0'
	run_ctr
	assert_status 0
	assert_output_has "env=[]"
	assert_output_has "No such file"
}

@test "a NOTIFY_SOCKET that is not an absolute path is refused; nothing left behind" {
	NOTIFY_SOCKET=relative/sock run sr run -b "$BUNDLE" "$ID"
	assert_failed
	assert_output_has "NOTIFY_SOCKET=relative/sock"
	[ ! -e "$ROOT/$ID" ] || fail "state dir left"
}
