#!/usr/bin/env bats
# Under load and when killed: many cycles and parallel containers leave the
# host as it was, commands on one id are serialised by its lock, and a
# runtime killed at any step of create leaves nothing that delete --force
# cannot remove. SR_STRESS_CYCLES sets the cycle count (default 1000).

load helpers

# snapshot: what a container could leave on the host, as one text
snapshot() {
	echo "mounts $(wc -l </proc/self/mountinfo)"
	echo "keys $(wc -l </proc/keys)"
	echo "state $(ls -A "$ROOT" 2>/dev/null | grep -v -e '^\.seccomp-cache$' -e '^@pool-[0-9]$' | wc -l)"
	echo "cgroups $(find /sys/fs/cgroup/*/secrun-test -mindepth 1 -maxdepth 1 -type d 2>/dev/null | wc -l)"
	echo "procs $(grep -lsxzF -e "SRT_TAG=$ID" /proc/[0-9]*/environ 2>/dev/null | wc -l)"
}

# same_or_less BEFORE NOW: every count in NOW equals BEFORE's, but keys may
# be fewer (an earlier test's keyring the kernel collected meanwhile)
same_or_less() {
	local kb kn
	kb=$(awk '$1 == "keys" { print $2 }' <<<"$1")
	kn=$(awk '$1 == "keys" { print $2 }' <<<"$2")
	[ "$(grep -v '^keys ' <<<"$1")" = "$(grep -v '^keys ' <<<"$2")" ] && [ "$kn" -le "$kb" ]
}

# settled SNAPSHOT: polls up to 10 s for the host to look like SNAPSHOT
# (keyrings are garbage-collected by the kernel a moment later)
settled() {
	local i
	for ((i = 0; i < 50; i++)); do
		same_or_less "$1" "$(snapshot)" && return 0
		sleep 0.2
	done
	diff <(echo "$1") <(snapshot) >&2
	return 1
}

@test "create/start/delete cycles leave no state dir, mount, cgroup, process or keyring behind" {
	local n=${SR_STRESS_CYCLES:-1000} i before
	set_cmd 'exit 0'
	before=$(snapshot)
	for ((i = 0; i < n; i++)); do
		sr create -b "$BUNDLE" "$ID-$i" </dev/null >/dev/null 2>"$BATS_TEST_TMPDIR/err" ||
			fail "cycle $i: create: $(cat "$BATS_TEST_TMPDIR/err")"
		sr start "$ID-$i" 2>"$BATS_TEST_TMPDIR/err" || fail "cycle $i: start: $(cat "$BATS_TEST_TMPDIR/err")"
		sr delete -f "$ID-$i" 2>"$BATS_TEST_TMPDIR/err" || fail "cycle $i: delete: $(cat "$BATS_TEST_TMPDIR/err")"
	done
	settled "$before" || fail "after $n cycles the host differs (above)"
}

@test "50 containers created, started and deleted in parallel: no error, no corrupt state" {
	local i before pids=() bad=0
	before=$(snapshot)
	for ((i = 0; i < 50; i++)); do
		track "$ID-p$i"
		# a bundle each: each container has its own cgroupsPath
		new_bundle "$BATS_TEST_TMPDIR/b$i" "$ID-p$i"
		CFG_BUNDLE=$BATS_TEST_TMPDIR/b$i set_cmd 'sleep 20'
	done
	for ((i = 0; i < 50; i++)); do
		(sr create -b "$BATS_TEST_TMPDIR/b$i" "$ID-p$i" </dev/null >/dev/null && sr start "$ID-p$i" &&
			[ "$(state_of "$ID-p$i")" = running ] && sr delete -f "$ID-p$i") \
			>"$BATS_TEST_TMPDIR/p$i.log" 2>&1 &
		pids+=($!)
	done
	for i in "${!pids[@]}"; do
		wait "${pids[$i]}" || { bad=1; echo "container p$i: $(cat "$BATS_TEST_TMPDIR/p$i.log")" >&2; }
	done
	[ $bad = 0 ] || fail "some parallel containers failed (above)"
	run sr list -q
	assert_status 0
	[ -z "$output" ] || fail "containers still listed: $output"
	settled "$before" || fail "the host differs after the parallel run (above)"
}

@test "concurrent state, kill and delete on one id are serialised by its lock" {
	local i pids=() out
	set_cmd 'trap "" TERM; sleep 30'
	sr run -d -b "$BUNDLE" "$ID" </dev/null >/dev/null 2>&1
	for ((i = 0; i < 30; i++)); do
		case $((i % 3)) in
		0) (sr state "$ID" | jq -e '.id' >/dev/null) >"$BATS_TEST_TMPDIR/c$i.log" 2>&1 & ;;
		1) sr kill "$ID" KILL >"$BATS_TEST_TMPDIR/c$i.log" 2>&1 & ;;
		2) sr delete -f "$ID" >"$BATS_TEST_TMPDIR/c$i.log" 2>&1 & ;;
		esac
		pids+=($!)
	done
	for i in "${!pids[@]}"; do
		wait "${pids[$i]}" && continue
		out=$(cat "$BATS_TEST_TMPDIR/c$i.log")
		# losing the race is fine; anything else (a corrupt or half-read state) is not
		grep -qE 'does not exist|not running|container "[^"]*" is stopped' <<<"$out" ||
			fail "command $i failed in an unexpected way: $out"
	done
	[ ! -e "$ROOT/$ID" ] || fail "the state dir survived every delete"
}

# crash_at SYSCALL N: create killed by SIGKILL on its Nth SYSCALL (strace
# fault injection, which follows the init too), then delete --force.
crash_at() {
	local sc=$1 n=$2
	local st
	timeout -k 5 20 strace -I1 -f -qq -o /dev/null -e trace="$sc" -e inject="$sc":signal=SIGKILL:when="$n" \
		"$SECRUN" --root "$ROOT" create -b "$BUNDLE" "$ID" </dev/null >/dev/null 2>&1
	# list and state stay sane: no state dir, or a stopped (or fully
	# created) container
	timeout 20 "$SECRUN" --root "$ROOT" list >/dev/null || { echo "list failed"; return 1; }
	if [ -e "$ROOT/$ID" ]; then
		st=$(timeout 20 "$SECRUN" --root "$ROOT" state "$ID" | jq -r .status) &&
			[[ $st == stopped || $st == created ]] || { echo "state: '$st'"; return 1; }
	fi
	timeout -k 5 20 "$SECRUN" --root "$ROOT" delete -f "$ID" 2>&1
}

@test "create killed at any step (SIGKILL at the Nth syscall): list/state stay sane, delete --force leaves nothing" {
	command -v strace >/dev/null || skip "strace is not installed"
	is_secrun || skip "the step list is secrun's own"
	[ -z "${SECRUN_SANITIZER:-}" ] || skip "under $SECRUN_SANITIZER, strace's fault injection runs each point to its timeout; the plain suite checks them"
	set_cmd 'sleep 30'
	local calls=mkdir,symlinkat,openat,openat2,clone3,sendto,recvfrom,renameat,write,mount,fsmount,move_mount
	local sc n out steps=0 count
	# How often create (and its init, until it waits for start) makes each
	# call. strace -f follows the waiting init, so it is stopped after 3 s
	# (-I1: a signal may interrupt it).
	timeout -s TERM 3 strace -I1 -f -qq -o "$BATS_TEST_TMPDIR/calls" -e trace=$calls \
		"$SECRUN" --root "$ROOT" create -b "$BUNDLE" "$ID" </dev/null >/dev/null 2>&1 || true
	sr delete -f "$ID"
	sed -E 's/^[0-9]+ +//; s/\(.*//' "$BATS_TEST_TMPDIR/calls" | grep -E '^[a-z0-9_]+$' | sort | uniq -c \
		>"$BATS_TEST_TMPDIR/counts"
	for sc in ${calls//,/ }; do
		count=$(awk -v s="$sc" '$2 == s { print $1 }' "$BATS_TEST_TMPDIR/counts")
		count=${count:-0}
		for n in 1 2 3 5 8 13 21 34 55 89; do
			[ "$n" -le "$count" ] || break
			out=$(crash_at "$sc" "$n") || fail "$sc#$n: $out"
			find_leaks
			[ ${#LEAKS[@]} = 0 ] || fail "$sc#$n: left behind: ${LEAKS[*]}"
			steps=$((steps + 1))
		done
	done
	[ "$steps" -ge 20 ] || fail "only $steps crash points: $(cat "$BATS_TEST_TMPDIR/counts")"
	echo "# $steps crash points checked" >&3
}
