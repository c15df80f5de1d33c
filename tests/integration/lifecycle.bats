#!/usr/bin/env bats
# Lifecycle: create / start / state / kill / delete / run / list.

load helpers

# A workload that reports and then waits for the host to touch /tmp/go inside it.
wait_go_cmd='echo started; while [ ! -e /tmp/go ]; do sleep 0.05; done; echo finishing'

@test "create: state is created, with the init pid; pid file is bare digits" {
	set_cmd "$wait_go_cmd"
	create_ctr "$ID" "$BUNDLE" --pid-file "$BATS_TEST_TMPDIR/pid"
	run sr state "$ID"
	assert_status 0
	[ "$(jq -r .status <<<"$output")" = created ]
	local pid
	pid=$(jq -r .pid <<<"$output")
	[[ $pid =~ ^[0-9]+$ ]] && [ "$pid" -gt 0 ] || fail "pid '$pid'"
	[ -d "/proc/$pid" ] || fail "no process $pid"
	# pid file: the same pid, digits only, no trailing newline
	[ "$(cat "$BATS_TEST_TMPDIR/pid")" = "$pid" ]
	run od -An -c "$BATS_TEST_TMPDIR/pid"
	assert_output_lacks '\n'
	grep -qxE '[0-9]+' "$BATS_TEST_TMPDIR/pid"
	# the workload has not run yet
	[ ! -s "$BATS_TEST_TMPDIR/$ID.out" ] || fail "workload ran before start: $(cat "$BATS_TEST_TMPDIR/$ID.out")"
	sr delete -f "$ID"
}

@test "create, start (running), exit (stopped), delete" {
	set_cmd "$wait_go_cmd"
	create_ctr
	[ "$(state_of "$ID")" = created ]
	local pid
	pid=$(pid_of "$ID")
	run sr start "$ID"
	assert_status 0
	wait_for file_has "$BATS_TEST_TMPDIR/$ID.out" started
	[ "$(state_of "$ID")" = running ]
	# the running workload is the process whose pid state reported
	[ "$(pid_of "$ID")" = "$pid" ]
	touch "/proc/$pid/root/tmp/go"
	wait_for status_is "$ID" stopped
	grep -q finishing "$BATS_TEST_TMPDIR/$ID.out"
	run sr delete "$ID"
	assert_status 0
	[ ! -e "$ROOT/$ID" ] || fail "state dir remains after delete"
	run sr state "$ID"
	assert_failed
	assert_output_has "does not exist"
}

@test "start: a second start fails and the container is untouched" {
	set_args sleep 100
	create_ctr
	sr start "$ID"
	run sr start "$ID"
	assert_failed
	[ "$(state_of "$ID")" = running ]
	sr delete -f "$ID"
}

@test "create: a duplicate id is refused, the first container is untouched" {
	set_args sleep 100
	create_ctr
	local pid
	pid=$(pid_of "$ID")
	run sr create -b "$BUNDLE" "$ID"
	assert_failed
	assert_output_has "exists"
	[ "$(state_of "$ID")" = created ]
	[ "$(pid_of "$ID")" = "$pid" ]
	sr delete -f "$ID"
}

@test "run: output and exit code 0" {
	set_cmd 'echo hello-from-workload'
	run_ctr
	assert_status 0
	assert_output_has hello-from-workload
	[ ! -e "$ROOT/$ID" ] || fail "run left its state dir"
}

@test "run: parks its emptied state dir, which the next create takes and delete removes" {
	set_cmd 'true'
	run_ctr
	assert_status 0
	[ ! -e "$ROOT/$ID" ] || fail "run left its state dir"
	# one empty 0700 dir, under a name no id can have, that list ignores
	[ "$(ls -A "$ROOT" | grep -v '^\.seccomp-cache$')" = "@pool-0" ] || fail "root: $(ls -A "$ROOT")"
	[ -z "$(ls -A "$ROOT/@pool-0")" ]
	[ "$(stat -c %a:%u "$ROOT/@pool-0")" = "700:0" ]
	run sr list -q
	assert_status 0
	[ -z "$output" ] || fail "list shows: $output"
	run sr state @pool-0
	assert_failed
	local ino
	ino=$(stat -c %i "$ROOT/@pool-0")
	track "$ID-2"
	set_args sleep 100
	create_ctr "$ID-2"
	[ ! -e "$ROOT/@pool-0" ] || fail "create did not take the parked dir"
	[ "$(stat -c %i "$ROOT/$ID-2")" = "$ino" ]
	[ "$(state_of "$ID-2")" = created ]
	run sr delete "$ID-2"
	assert_status 0
	[ -z "$(ls -A "$ROOT" | grep -v '^\.seccomp-cache$')" ] || fail "delete left: $(ls -A "$ROOT")"
}

@test "run: a delete --force meanwhile, and a new container with the id, are left alone" {
	set_cmd 'echo started; sleep 100'
	sr run -b "$BUNDLE" "$ID" </dev/null >"$BATS_TEST_TMPDIR/run.out" 2>&1 &
	local runpid=$!
	wait_for file_has "$BATS_TEST_TMPDIR/run.out" started
	# the run (under timeout) is held still until the new container exists
	local srpid
	srpid=$(pgrep -f -x -- "$SECRUN --root $ROOT run -b $BUNDLE $ID")
	[ -n "$srpid" ] || fail "no runtime process found"
	kill -STOP "$srpid"
	# (were delete to park the dir, the create below would take it, and the
	# first run would find it still named $ID)
	run sr delete --force "$ID"
	assert_status 0
	set_args sleep 100
	create_ctr "$ID"
	[ "$(state_of "$ID")" = created ]
	# the first run sees its init gone and must not destroy the new one
	kill -CONT "$srpid"
	wait "$runpid" || true
	[ "$(state_of "$ID")" = created ] || fail "the new container was touched: $(sr state "$ID" 2>&1)"
	run sr delete --force "$ID"
	assert_status 0
}

@test "run: the exit code is passed through" {
	set_cmd 'exit 42'
	run_ctr
	assert_status 42
	set_args sh -c 'exit 3'
	run_ctr
	assert_status 3
}

@test "run: a workload killed by SIGKILL gives 137" {
	set_cmd 'echo started; exec sleep 100'
	sr run -b "$BUNDLE" "$ID" </dev/null >"$BATS_TEST_TMPDIR/out" 2>&1 &
	local bg=$!
	wait_for file_has "$BATS_TEST_TMPDIR/out" started
	wait_for status_is "$ID" running
	kill -9 "$(pid_of "$ID")"
	local rc=0
	wait "$bg" || rc=$?
	[ "$rc" -eq 137 ] || fail "exit $rc, expected 137: $(cat "$BATS_TEST_TMPDIR/out")"
}

@test "run: a workload killed by SIGTERM gives 143" {
	# Without a pid namespace the workload is not a namespace init, so SIGTERM
	# with no handler kills it.
	cfg '.linux.namespaces |= map(select(.type != "pid"))'
	set_args sleep 100
	sr run -b "$BUNDLE" "$ID" </dev/null >"$BATS_TEST_TMPDIR/out" 2>&1 &
	local bg=$!
	wait_for status_is "$ID" running
	sr kill "$ID" TERM
	local rc=0
	wait "$bg" || rc=$?
	[ "$rc" -eq 143 ] || fail "exit $rc, expected 143: $(cat "$BATS_TEST_TMPDIR/out")"
}

@test "run --detach: returns at once, the container runs on" {
	set_args sleep 100
	local t0=$SECONDS rc=0
	# (stdout to a file: the container keeps its stdio open)
	sr run --detach -b "$BUNDLE" "$ID" </dev/null >"$BATS_TEST_TMPDIR/out" 2>&1 || rc=$?
	[ "$rc" -eq 0 ] || fail "run --detach exit $rc: $(cat "$BATS_TEST_TMPDIR/out")"
	[ $((SECONDS - t0)) -lt 10 ]
	[ "$(state_of "$ID")" = running ]
	local pid
	pid=$(pid_of "$ID")
	[ "$(tr '\0' ' ' <"/proc/$pid/cmdline")" = "sleep 100 " ]
	run sr delete "$ID"
	assert_failed # running: delete without --force refuses
	[ "$(state_of "$ID")" = running ]
	sr kill "$ID" KILL
	wait_for status_is "$ID" stopped
	sr delete "$ID"
}

@test "run -d --pid-file writes the pid" {
	set_args sleep 100
	sr run -d --pid-file "$BATS_TEST_TMPDIR/pid" -b "$BUNDLE" "$ID" </dev/null >/dev/null 2>&1
	[ "$(cat "$BATS_TEST_TMPDIR/pid")" = "$(pid_of "$ID")" ]
	grep -qxE '[0-9]+' "$BATS_TEST_TMPDIR/pid"
	[ "$(stat -c %s "$BATS_TEST_TMPDIR/pid")" = "$(head -c 100 "$BATS_TEST_TMPDIR/pid" | wc -c)" ]
	sr delete -f "$ID"
}

@test "kill: signal names TERM, SIGTERM, 15 and the default all deliver SIGTERM" {
	set_cmd 'trap "echo got-term" TERM; echo ready; while :; do sleep 0.05; done'
	run_detached
	local out=$BATS_TEST_TMPDIR/$ID.out
	wait_for file_has "$out" ready
	local n=0 sig
	for sig in TERM SIGTERM 15 ""; do
		# shellcheck disable=SC2086
		sr kill "$ID" $sig
		n=$((n + 1))
		wait_for eval '[ "$(grep -c got-term "$out")" -ge '"$n"' ]' ||
			fail "kill $ID ${sig:-(default)} was not delivered as SIGTERM"
	done
	[ "$(state_of "$ID")" = running ]
	sr kill "$ID" KILL
	wait_for status_is "$ID" stopped
	sr delete "$ID"
}

@test "kill: other signals by name and number (HUP, SIGUSR1, 12)" {
	set_cmd 'trap "echo got-hup" HUP; trap "echo got-usr1" USR1; trap "echo got-usr2" USR2; echo ready; while :; do sleep 0.05; done'
	run_detached
	local out=$BATS_TEST_TMPDIR/$ID.out
	wait_for file_has "$out" ready
	sr kill "$ID" HUP
	wait_for file_has "$out" got-hup
	sr kill "$ID" SIGUSR1
	wait_for file_has "$out" got-usr1
	sr kill "$ID" 12
	wait_for file_has "$out" got-usr2
	sr kill "$ID" 9
	wait_for status_is "$ID" stopped
	sr delete "$ID"
}

@test "kill: an unknown signal is refused" {
	set_args sleep 100
	run_detached
	run sr kill "$ID" SIGNOTASIGNAL
	assert_failed
	run sr kill "$ID" 999
	assert_failed
	[ "$(state_of "$ID")" = running ]
	sr delete -f "$ID"
}

@test "kill: a stopped container gives an error 'container not running'" {
	set_args true
	run_detached
	wait_for status_is "$ID" stopped
	run sr kill "$ID" TERM
	assert_failed
	assert_output_has "container not running"
	sr delete "$ID"
}

@test "kill --all: on a stopped container exits 0" {
	set_args true
	run_detached
	wait_for status_is "$ID" stopped
	run sr kill --all "$ID" 9
	assert_status 0
	run sr kill -a "$ID" KILL
	assert_status 0
	sr delete "$ID"
}

@test "kill --all: kills every process of the container" {
	set_cmd 'sleep 100 & sleep 101 & echo ready; wait'
	run_detached
	wait_for file_has "$BATS_TEST_TMPDIR/$ID.out" ready
	run sr kill --all "$ID" KILL
	assert_status 0
	wait_for status_is "$ID" stopped
	sr delete "$ID"
}

@test "kill: a missing container is an error" {
	run sr kill "$ID" TERM
	assert_failed
	assert_output_has "does not exist"
}

@test "delete --force: a running container is killed and removed" {
	set_args sleep 100
	run_detached
	local pid
	pid=$(pid_of "$ID")
	run sr delete --force "$ID"
	assert_status 0
	[ ! -e "$ROOT/$ID" ]
	wait_for proc_gone "$pid"
}

@test "delete -f: a created (never started) container is removed" {
	set_args sleep 100
	create_ctr
	local pid
	pid=$(pid_of "$ID")
	run sr delete -f "$ID"
	assert_status 0
	[ ! -e "$ROOT/$ID" ]
	wait_for proc_gone "$pid"
}

@test "delete: a created container is removed without --force" {
	set_args sleep 100
	create_ctr
	run sr delete "$ID"
	assert_status 0
	[ ! -e "$ROOT/$ID" ]
}

@test "delete --force: a missing id exits 0" {
	run sr delete --force "no-such-container-$$"
	assert_status 0
	run sr delete -f "no-such-container-$$"
	assert_status 0
	run sr delete "no-such-container-$$"
	assert_failed
	assert_output_has "does not exist"
}

@test "state: the JSON has ociVersion, id, status, pid, bundle" {
	set_args sleep 100
	run_detached
	run sr state "$ID"
	assert_status 0
	jq -e --arg id "$ID" --arg b "$BUNDLE" '
		(.ociVersion | type == "string" and length > 0)
		and .id == $id and .status == "running"
		and (.pid | type == "number" and . > 0)
		and .bundle == $b' <<<"$output" || fail "bad state: $output"
	sr delete -f "$ID"
}

@test "state: a config of 10 MiB of annotations still gives a readable state" {
	# state.json holds the annotations and the config that carries them:
	# twice the config, over the 16 MiB cap of a config read.
	head -c $((10 << 20)) /dev/zero | tr '\0' a >"$BATS_TEST_TMPDIR/big"
	cfg '.annotations = {"big": $big}' --rawfile big "$BATS_TEST_TMPDIR/big"
	set_args sleep 100
	run_detached
	run sr state "$ID"
	assert_status 0
	jq -e '.status == "running" and (.annotations.big | length) == 10485760' <<<"$output" >/dev/null ||
		fail "bad state: ${output:0:300}"
	sr delete -f "$ID"
}

@test "state: a relative --bundle is reported as an absolute path" {
	set_args sleep 100
	(cd "$BATS_TEST_TMPDIR" && sr run -d -b bundle "$ID" </dev/null >/dev/null 2>&1)
	[ "$(sr state "$ID" | jq -r .bundle)" = "$BUNDLE" ]
	sr delete -f "$ID"
}

@test "list: table, json and quiet" {
	set_args sleep 100
	run_detached
	local id2=${ID}-b
	track "$id2"
	new_bundle "$BATS_TEST_TMPDIR/b2" "$id2"
	CFG_BUNDLE=$BATS_TEST_TMPDIR/b2 cfg '.process.args = ["true"]'
	create_ctr "$id2" "$BATS_TEST_TMPDIR/b2"

	run sr list
	assert_status 0
	[[ ${lines[0]} =~ ^ID[[:space:]]+PID[[:space:]]+STATUS[[:space:]]+BUNDLE ]] || fail "header: ${lines[0]}"
	grep -qE "^${ID}[[:space:]]+[0-9]+[[:space:]]+running[[:space:]]+$BUNDLE" <<<"$output" || fail "no row for $ID: $output"
	grep -qE "^${id2}[[:space:]]+[0-9]+[[:space:]]+created[[:space:]]" <<<"$output" || fail "no row for $id2: $output"

	run sr list --format json
	assert_status 0
	jq -e --arg a "$ID" --arg b "$id2" '
		type == "array" and length == 2
		and (map(select(.id == $a))[0] | .status == "running" and .pid > 0)
		and (map(select(.id == $b))[0] | .status == "created")' <<<"$output" || fail "json: $output"
	run sr list -f json
	assert_status 0
	jq -e 'length == 2' <<<"$output"

	run sr list -q
	assert_status 0
	[ "$(sort <<<"$output")" = "$(printf '%s\n' "$ID" "$id2" | sort)" ]
	run sr list --quiet
	[ "$(wc -l <<<"$output")" = 2 ]

	sr delete -f "$ID"
	sr delete -f "$id2"
	run sr list -q
	assert_status 0
	[ -z "$output" ]
}

@test "list: an empty root lists nothing" {
	run sr list --format json
	assert_status 0
	jq -e 'length == 0' <<<"${output:-[]}" || fail "json: $output"
	run sr list -q
	assert_status 0
	[ -z "$output" ]
}

@test "run: process.terminal without a console socket proxies a pty (raw mode restored)" {
	cfg '.process.terminal = true'
	set_cmd 'tty; [ -t 0 ] && echo stdin-tty; exit 4'
	# script(1) gives run a terminal; run is in its foreground process group
	local q
	q=$(printf '%q ' env SRT_TAG=$ID timeout -k 5 "$SR_TIMEOUT" "$SECRUN" --root "$ROOT" run -b "$BUNDLE" "$ID")
	run env SHELL=/bin/bash script -qec "$q; rc=\$?; stty -a; exit \$rc" /dev/null </dev/null
	assert_status 4
	assert_output_has /dev/pts/
	assert_output_has stdin-tty
	# the proxy put the caller's terminal in raw mode and restored it
	grep -qE '(^| )icanon ' <<<"$output" || fail "raw mode left on the caller's terminal: $output"
}

@test "run: a terminal held by another process group is left alone, output still flows" {
	cfg '.process.terminal = true'
	set_cmd 'echo out-from-bg; exit 5'
	# timeout(1) puts run in a process group of its own, in the background of
	# the pty: tcsetattr or a read there would stop it with SIGTTOU/SIGTTIN.
	run env -u SHELL script -qec "SRT_TAG=$ID timeout -k 5 $SR_TIMEOUT $SECRUN --root $ROOT run -b $BUNDLE $ID" /dev/null </dev/null
	assert_status 5
	assert_output_has out-from-bg
}
