#!/bin/bash
# tests/clients/containerd.sh [RUNTIME]: containerd 1.6 + ctr driving RUNTIME
# (default: the repo's ./secrun) through the runc v2 shim:
#   ctr run --runtime io.containerd.runc.v2 --runc-binary RUNTIME ...
# A private containerd (own config, root, state, sockets, opt dir, namespace
# and runc root under a temp dir) imports a busybox-static image built offline
# (umoci + skopeo). Cases: output, exit code, --tty, detached run, task exec
# (plain and tty), task ps, pause/resume, kill, delete; then containerd is
# stopped by its pid and the test checks that nothing is left behind.
# Prints TAP; exits non-zero when a case fails.

source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
clients_init containerd "$@"

need_pkgs containerd umoci skopeo busybox-static jq util-linux bsdutils ||
	skip_all "cannot install:$MISSING_PKGS"
static_busybox >/dev/null || skip_all "no static busybox"

C=$T/ctd
NS=$TAG
mkdir -p "$C"
# containerd 1.6 puts the shims' sockets in /run/containerd/s whatever its
# config says: remove what it creates there (only if it was not there before).
RUN_CTD_EXISTED=0
[ -e /run/containerd ] && RUN_CTD_EXISTED=1
RUN_CTD_S_EXISTED=0
[ -e /run/containerd/s ] && RUN_CTD_S_EXISTED=1

cat >"$C/config.toml" <<EOF
version = 2
root = "$C/root"
state = "$C/state"
disabled_plugins = ["io.containerd.grpc.v1.cri"]
[grpc]
  address = "$C/c.sock"
[ttrpc]
  address = "$C/c.sock.ttrpc"
[plugins."io.containerd.internal.v1.opt"]
  path = "$C/opt"
EOF

export CONTAINERD_ADDRESS=$C/c.sock
export CONTAINERD_NAMESPACE=$NS
RUNC_ROOT=$C/runc
RT=(--runtime io.containerd.runc.v2 --runc-binary "$RUNTIME" --runc-root "$RUNC_ROOT" --fifo-dir "$C/fifo")
STATE_NS=$RUNC_ROOT/$NS

ctd_cleanup() {
	local id
	if [ -n "${CTD_PID:-}" ] && kill -0 "$CTD_PID" 2>/dev/null; then
		for id in $(timeout 20 ctr task ls -q 2>/dev/null); do
			timeout 20 ctr task kill -a -s SIGKILL "$id" >/dev/null 2>&1
			sleep 0.3
			timeout 20 ctr task delete -f "$id" >/dev/null 2>&1
		done
		for id in $(timeout 20 ctr container ls -q 2>/dev/null); do
			timeout 20 ctr container delete "$id" >/dev/null 2>&1
		done
		timeout 20 ctr image rm "$IMAGE_NAME" >/dev/null 2>&1
		timeout 20 ctr namespace rm "$NS" >/dev/null 2>&1
		stop_daemon "$CTD_PID"
	fi
	# shims and container processes of ours that outlived containerd
	kill_mentioning "$C"
	remove_cgroups "$NS"
	umount_under "$C"
	if [ "$RUN_CTD_S_EXISTED" = 0 ]; then rmdir /run/containerd/s 2>/dev/null; fi
	if [ "$RUN_CTD_EXISTED" = 0 ]; then rmdir /run/containerd/fifo /run/containerd 2>/dev/null; fi
	return 0
}
on_cleanup ctd_cleanup

# Logs worth showing when a case fails: containerd's, and the shim's log.json
# (the runtime's --log) of a container.
show_logs() {
	local id=$1 f
	for f in "$C"/state/io.containerd.runtime.v2.task/"$NS"/"$id"/log.json "$C"/state/io.containerd.runtime.v2.task/"$NS"/"$id"/log; do
		diag_file "$f" 15
	done
	grep -E 'level=error' "$C/containerd.log" | tail -n 5 | sed 's/^/#   containerd: /'
}

# direct ARGS...: when a case fails, run the runtime by hand the way the shim
# did (same --root, --log json) and show its stdout, stderr and log.
direct() {
	local log=$C/direct-log.json out rc
	rm -f "$log"
	out=$(timeout -k 5 30 "$RUNTIME" --root "$STATE_NS" --log "$log" --log-format json "$@" 2>&1 </dev/null)
	rc=$?
	diag "by hand: $RUNTIME_NAME --root $STATE_NS --log LOG --log-format json $* -> exit $rc"
	[ -n "$out" ] && diag "  stdout+stderr: $out"
	[ -s "$log" ] && diag "  log.json: $(tail -n 3 "$log")"
	return 0
}

start_daemon "$C/containerd.log" containerd --config "$C/config.toml"
CTD_PID=$DAEMON_PID
if ! wait_for 30 ctr version; then
	tap_fail "containerd starts" "$(tail -n 20 "$C/containerd.log")"
	tap_finish
fi
tap_ok "containerd starts (pid $CTD_PID, own root/state/socket under $C)"

if build_image && out=$(timeout 120 ctr image import "$IMAGE_TAR" 2>&1); then
	tap_ok "import the busybox image built offline (umoci + skopeo)"
else
	tap_fail "import the busybox image built offline (umoci + skopeo)" "${out:-image build failed}"
	tap_finish
fi

# (timeout's SIGTERM is forwarded by ctr run to the task: -k follows with SIGKILL)
ctr_() { timeout -k 5 "$CMD_TIMEOUT" ctr "$@" </dev/null; }
ctr_tty() { with_tty ctr "$@"; }

# 1. run with output
out=$(ctr_ run --rm "${RT[@]}" "$IMAGE_NAME" c-out-$$ sh -c 'echo hello from $(id -un); cat /etc/hostname' 2>&1)
rc=$?
if [ $rc = 0 ] && grep -qx 'hello from root' <<<"$out"; then
	tap_ok "ctr run: the workload's stdout reaches ctr"
else
	tap_fail "ctr run: the workload's stdout reaches ctr" "exit $rc, output:" "$out"
	show_logs c-out-$$
fi

# 2. exit code
out=$(ctr_ run --rm "${RT[@]}" "$IMAGE_NAME" c-exit-$$ sh -c 'exit 7' 2>&1)
rc=$?
expect_eq "ctr run: the workload's exit code (7) is ctr's" 7 "$rc" "output: $out" || show_logs c-exit-$$

# 3. --tty
out=$(ctr_tty run --rm -t "${RT[@]}" "$IMAGE_NAME" c-tty-$$ sh -c 'tty; echo hello-tty' 2>&1 | tr -d '\r\0')
if grep -Eq '(^|[^a-z])/dev/pts/[0-9]+$' <<<"$out" && grep -Eq 'hello-tty$' <<<"$out"; then
	tap_ok "ctr run --tty: the workload has a pty (/dev/pts/N) and its output arrives"
else
	tap_fail "ctr run --tty: the workload has a pty (/dev/pts/N) and its output arrives" "output:" "$out"
	show_logs c-tty-$$
fi

# 4. detached container: a counter the host can read through /proc/PID/root
D=d-$$
WORKLOAD='trap "exit 3" TERM; i=0; while :; do i=$((i+1)); echo $i >/tmp/count; sleep 0.2; done'
out=$(ctr_ run -d "${RT[@]}" "$IMAGE_NAME" "$D" sh -c "$WORKLOAD" 2>&1)
rc=$?
DPID=$(ctr_ task ls 2>/dev/null | awk -v id="$D" '$1 == id { print $2 }')
# (the workload truncates then writes the file: retry an empty read)
count() {
	local c i
	for i in 1 2 3 4 5; do
		c=$(cat "/proc/$DPID/root/tmp/count" 2>/dev/null)
		[ -n "$c" ] && break
		sleep 0.05
	done
	echo "$c"
}
if [ $rc = 0 ] && [ -n "$DPID" ] && wait_for 10 test -s "/proc/$DPID/root/tmp/count"; then
	tap_ok "ctr run -d: the task runs (init pid $DPID, counting)"
	D_OK=1
else
	tap_fail "ctr run -d: the task runs" "exit $rc, output:" "$out" "$(ctr_ task ls 2>&1)"
	show_logs "$D"
	D_OK=0
fi

need_d() {
	[ "$D_OK" = 1 ] && return 0
	tap_skip "$1" "needs the detached task, which did not start"
	return 1
}

# 5. task exec (plain): same mount namespace (sees the counter), exit code
if need_d "ctr task exec: runs in the container, output and exit code"; then
	out=$(ctr_ task exec --fifo-dir "$C/fifo" --exec-id e1 "$D" sh -c 'echo exec-out; test -e /tmp/count && echo sees-count; exit 5' 2>&1)
	rc=$?
	if [ $rc = 5 ] && grep -qx exec-out <<<"$out" && grep -qx sees-count <<<"$out"; then
		tap_ok "ctr task exec: runs in the container, output and exit code"
	else
		tap_fail "ctr task exec: runs in the container, output and exit code" "exit $rc (expected 5), output:" "$out"
		show_logs "$D"
	fi
fi

# 6. task exec --tty
if need_d "ctr task exec --tty: the process has a pty"; then
	out=$(ctr_tty task exec --fifo-dir "$C/fifo" -t --exec-id e2 "$D" sh -c 'tty; echo exec-tty' 2>&1 | tr -d '\r\0')
	if grep -Eq '(^|[^a-z])/dev/pts/[0-9]+$' <<<"$out" && grep -Eq 'exec-tty$' <<<"$out"; then
		tap_ok "ctr task exec --tty: the process has a pty"
	else
		tap_fail "ctr task exec --tty: the process has a pty" "output:" "$out"
		show_logs "$D"
	fi
fi

# 7. task ps: the init pid and the sleep it runs (host pids)
if need_d "ctr task ps: lists the container's host pids"; then
	out=$(ctr_ task ps "$D" 2>&1)
	rc=$?
	if [ $rc = 0 ] && awk 'NR > 1 { print $1 }' <<<"$out" | grep -qx "$DPID"; then
		tap_ok "ctr task ps: lists the container's host pids"
	else
		tap_fail "ctr task ps: lists the container's host pids" "exit $rc, expected pid $DPID in:" "$out"
		show_logs "$D"
		direct ps --format json "$D"
	fi
fi

# 8. pause / resume: the counter stops while paused and moves after resume
if need_d "ctr task pause: the workload stops (counter frozen, status PAUSED)"; then
	out=$(ctr_ task pause "$D" 2>&1)
	rc=$?
	sleep 0.5
	a=$(count)
	sleep 1
	b=$(count)
	st=$(ctr_ task ls 2>/dev/null | awk -v id="$D" '$1 == id { print $3 }')
	if [ $rc = 0 ] && [ -n "$a" ] && [ "$a" = "$b" ] && [ "$st" = PAUSED ]; then
		tap_ok "ctr task pause: the workload stops (counter frozen at $a, status PAUSED)"
	else
		tap_fail "ctr task pause: the workload stops (counter frozen, status PAUSED)" \
			"exit $rc, counter $a then $b, status $st, output:" "$out"
		show_logs "$D"
		[ $rc = 0 ] || direct pause "$D"
	fi
	out=$(ctr_ task resume "$D" 2>&1)
	rc=$?
	a=$(count)
	sleep 1
	b=$(count)
	st=$(ctr_ task ls 2>/dev/null | awk -v id="$D" '$1 == id { print $3 }')
	if [ $rc = 0 ] && [ -n "$a" ] && [ "$b" -gt "$a" ] 2>/dev/null && [ "$st" = RUNNING ]; then
		tap_ok "ctr task resume: the workload goes on (counter $a -> $b, status RUNNING)"
	else
		tap_fail "ctr task resume: the workload goes on" "exit $rc, counter $a then $b, status $st, output:" "$out"
		show_logs "$D"
		[ $rc = 0 ] || direct resume "$D"
	fi
else
	tap_skip "ctr task resume: the workload goes on" "needs the detached task, which did not start"
fi

# 9. kill: SIGTERM reaches the workload's trap (exit 3)
if need_d "ctr task kill: SIGTERM reaches the workload (its trap exits 3)"; then
	out=$(ctr_ task kill -s SIGTERM "$D" 2>&1)
	rc=$?
	stopped() { [ "$(ctr_ task ls 2>/dev/null | awk -v id="$D" '$1 == id { print $3 }')" = STOPPED ]; }
	if [ $rc = 0 ] && wait_for 10 stopped; then
		tap_ok "ctr task kill: SIGTERM stops the task"
	else
		tap_fail "ctr task kill: SIGTERM stops the task" "exit $rc, output:" "$out" "$(ctr_ task ls 2>&1)"
		show_logs "$D"
	fi
fi

# 10. delete: exit status reported, runtime state, cgroup and process gone
if need_d "ctr task delete + container delete: exit status 3, state, cgroup, processes gone"; then
	out=$(ctr_ task delete "$D" 2>&1)
	rc=$?
	out2=$(ctr_ container delete "$D" 2>&1)
	rc2=$?
	left=
	[ -e "$STATE_NS/$D" ] && left="$left runtime-state:$STATE_NS/$D"
	for cg in $(cgroups_named "$NS"); do
		[ -e "$cg/$D" ] && left="$left cgroup:$cg/$D"
	done
	kill -0 "$DPID" 2>/dev/null && left="$left process:$DPID"
	if [ $rc = 0 ] && [ $rc2 = 0 ] && grep -q 'exit code 3' <<<"$out" && [ -z "$left" ]; then
		tap_ok "ctr task delete + container delete: exit status 3, state, cgroup, processes gone"
	else
		tap_fail "ctr task delete + container delete: exit status 3, state, cgroup, processes gone" \
			"task delete exit $rc: $out" "container delete exit $rc2: $out2" "left:$left"
		show_logs "$D"
	fi
fi

# 11. kill --all SIGKILL while `ctr run --rm` waits: it reports 137 and removes the container
K=k-$$
ctr_ run --rm "${RT[@]}" "$IMAGE_NAME" "$K" sh -c 'sleep 1000; echo not-reached' >"$C/k.out" 2>&1 &
KRUN=$!
task_status() { ctr_ task ls 2>/dev/null | awk -v id="$1" '$1 == id { print $3 }'; }
running() { [ "$(task_status "$K")" = RUNNING ]; }
if wait_for 15 running; then
	KPID=$(ctr_ task ls 2>/dev/null | awk -v id="$K" '$1 == id { print $2 }')
	out=$(ctr_ task kill -a -s SIGKILL "$K" 2>&1)
	rc=$?
	BY_HAND=0
	if ! wait_for 15 eval '! kill -0 $KRUN'; then
		diag "the task survived kill --all; what the runtime says:"
		direct state "$K"
		direct ps --format json "$K"
		direct kill --all "$K" 9
		sleep 0.5
		diag "after kill --all by hand: status $(task_status "$K")"
		# end it so that ctr run returns: the init, then its pid namespace is gone
		kill -KILL "$KPID" 2>/dev/null
		BY_HAND=1
	fi
	wait "$KRUN"
	krc=$?
	sleep 0.3
	if [ $rc = 0 ] && [ $BY_HAND = 0 ] && [ $krc = 137 ] && ! ctr_ container ls -q 2>/dev/null | grep -qx "$K"; then
		tap_ok "ctr task kill --all -s SIGKILL: ctr run --rm exits 137 and removes the container"
	else
		tap_fail "ctr task kill --all -s SIGKILL: ctr run --rm exits 137 and removes the container" \
			"kill exit $rc: $out" "ctr run exit $krc (expected 137): $(cat "$C/k.out")" \
			"$([ $BY_HAND = 1 ] && echo "the task survived kill --all: the test killed its init by hand")"
		show_logs "$K"
	fi
else
	kill "$KRUN" 2>/dev/null
	wait "$KRUN"
	tap_fail "ctr task kill --all -s SIGKILL: ctr run --rm exits 137 and removes the container" \
		"the task did not start: $(cat "$C/k.out")"
	show_logs "$K"
fi

# 12. stop containerd by pid, nothing left behind
ctr_ image rm "$IMAGE_NAME" >/dev/null 2>&1
for id in $(ctr_ task ls -q 2>/dev/null); do
	diag "task $id still there at the end"
done
stop_daemon "$CTD_PID"
if kill -0 "$CTD_PID" 2>/dev/null; then
	tap_fail "containerd stops on SIGTERM"
else
	tap_ok "containerd stops on SIGTERM"
fi
sleep 0.5
# The runtimes remove a container's own cgroup and state dir, not their
# parents (the namespace's /NS cgroup, the runtime root): remove the empty
# /NS cgroups, and judge what remains. In the root, only containers' state
# counts (a runtime may keep caches there, e.g. secrun's .seccomp-cache).
for cg in $(cgroups_named "$NS"); do rmdir "$cg" 2>/dev/null; done
LEFTOVER_PATHS=()
for f in "$STATE_NS"/*; do [ -e "$f" ] && LEFTOVER_PATHS+=("$f"); done
# shim sockets: only judged when this test created /run/containerd/s
if [ "$RUN_CTD_S_EXISTED" = 0 ] && [ -d /run/containerd/s ]; then
	for f in /run/containerd/s/*; do [ -e "$f" ] && LEFTOVER_PATHS+=("$f"); done
fi
check_nothing_left "nothing left behind (processes, mounts, cgroups, runtime state)"

tap_finish
