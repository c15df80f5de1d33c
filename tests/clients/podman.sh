#!/bin/bash
# tests/clients/podman.sh [RUNTIME]: Podman 4.3 (+ conmon) driving RUNTIME
# (default: the repo's ./secrun) as `podman --runtime RUNTIME`.
# Podman runs with private CONTAINERS_CONF / CONTAINERS_STORAGE_CONF /
# CONTAINERS_REGISTRIES_CONF (storage, run root, tmp dir, network config,
# events log and file locks under a temp dir), the cgroupfs manager, the file
# events backend, default_ulimits pinned within this host's hard limits, and a
# cgroup parent of its own. It loads a busybox-static image built offline.
# Cases: the hardened run (--read-only --cap-drop ALL --security-opt
# no-new-privileges --user 1000:1000: id, CapEff, NoNewPrivs, Seccomp, write
# to / fails), exit code, run -t, run -d + exec (plain and -t), stop, rm,
# --sdnotify=container (READY=1 through the runtime's NOTIFY_SOCKET proxy); and
# nothing left behind. Podman passes the runtime no --root: its default root
# is checked too. Prints TAP; exits non-zero when a case fails.

source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
clients_init podman "$@"

need_pkgs podman conmon golang-github-containers-common umoci skopeo busybox-static jq util-linux bsdutils ||
	skip_all "cannot install:$MISSING_PKGS"
static_busybox >/dev/null || skip_all "no static busybox"

P=$T/pm
mkdir -p "$P"/{storage,run,tmp,net,volumes}
CGPARENT=/$TAG

# CAP_SYS_RESOURCE is not in the bounding set: Podman's default nofile/nproc
# (1048576) would exceed the hard limits, so pin them at or below them.
HN=$(ulimit -Hn)
[ "$HN" = unlimited ] && HN=1048576
HU=$(ulimit -Hu)
[ "$HU" = unlimited ] || [ "$HU" -gt 32768 ] && HU=32768
cat >"$P/containers.conf" <<EOF
[containers]
default_ulimits = ["nofile=$HN:$HN", "nproc=$HU:$HU"]
netns = "none"
log_driver = "k8s-file"

[network]
network_config_dir = "$P/net"

[engine]
cgroup_manager = "cgroupfs"
events_logger = "file"
events_logfile_path = "$P/events.log"
tmp_dir = "$P/tmp"
static_dir = "$P/storage/libpod"
volume_path = "$P/volumes"
lock_type = "file"
EOF
cat >"$P/storage.conf" <<EOF
[storage]
driver = "overlay"
graphroot = "$P/storage"
runroot = "$P/run"
EOF
cat >"$P/registries.conf" <<EOF
unqualified-search-registries = []
short-name-mode = "permissive"
EOF
export CONTAINERS_CONF=$P/containers.conf
export CONTAINERS_STORAGE_CONF=$P/storage.conf
export CONTAINERS_REGISTRIES_CONF=$P/registries.conf
unset CONTAINER_HOST CONTAINER_CONNECTION

# Global flags repeat the config, so that a system-wide config cannot win.
PM=(podman --runtime "$RUNTIME" --cgroup-manager cgroupfs --events-backend file
	--root "$P/storage" --runroot "$P/run" --tmpdir "$P/tmp")
pm() { timeout -k 5 "$CMD_TIMEOUT" "${PM[@]}" "$@" </dev/null; }
pm_tty() { with_tty "${PM[@]}" "$@"; }
RUNOPTS=(--cgroup-parent "$CGPARENT" --network none)

# Podman's rootful paths outside its storage: created by podman, removed
# after if they were not there before.
SHM_LOCK_EXISTED=0
[ -e /dev/shm/libpod_lock ] && SHM_LOCK_EXISTED=1
RT_ROOT=$(runtime_default_root)

pm_cleanup() {
	local id
	for id in $(pm ps -aq 2>/dev/null); do
		pm rm -f -t 0 "$id" >/dev/null 2>&1
	done
	pm rmi -a -f >/dev/null 2>&1
	# conmon and the containers of ours that outlived podman
	kill_mentioning "$P"
	remove_cgroups "$TAG"
	umount_under "$P"
	[ "$SHM_LOCK_EXISTED" = 0 ] && rm -f /dev/shm/libpod_lock
	return 0
}
on_cleanup pm_cleanup

# show_logs ID: conmon's and the runtime's view of a failed container.
show_logs() {
	local id=$1 full d
	full=$(pm inspect -f '{{.Id}}' "$id" 2>/dev/null)
	[ -n "$full" ] || return 0
	for d in "$P/storage/overlay-containers/$full/userdata" "$P/run/overlay-containers/$full/userdata"; do
		diag_file "$d/ctr.log" 10
		diag_file "$d/oci-log" 10
	done
}

out=$(pm info --format '{{.Host.CgroupManager}} {{.Host.EventLogger}} {{.Store.GraphRoot}}' 2>&1)
if [ "$out" = "cgroupfs file $P/storage" ]; then
	tap_ok "podman uses the private config (cgroupfs, file events, storage under $P)"
else
	tap_fail "podman uses the private config (cgroupfs, file events, storage under $P)" "$out"
	tap_finish
fi

if build_image && out=$(private_var_lib timeout 120 "${PM[@]}" load -i "$IMAGE_TAR" 2>&1 </dev/null) && pm image exists "$IMAGE_NAME"; then
	tap_ok "load the busybox image built offline (umoci + skopeo)"
else
	tap_fail "load the busybox image built offline (umoci + skopeo)" "${out:-image build failed}"
	tap_finish
fi

# 1. the hardened run
HARD='id; grep -E "^(CapEff|NoNewPrivs|Seccomp):" /proc/self/status; touch /x 2>/dev/null && echo root-writable || echo root-read-only'
out=$(pm run --rm "${RUNOPTS[@]}" --name h-$$ --read-only --cap-drop ALL \
	--security-opt no-new-privileges --user 1000:1000 "$IMAGE_NAME" sh -c "$HARD" 2>&1)
rc=$?
if [ $rc = 0 ]; then
	tap_ok "podman run --rm --read-only --cap-drop ALL --security-opt no-new-privileges --user 1000:1000: exit 0"
	expect_match "hardened: id is uid=1000 gid=1000" '^uid=1000.* gid=1000' "$out"
	expect_match "hardened: CapEff is 0" '^CapEff:[[:space:]]+0+$' "$out"
	expect_match "hardened: NoNewPrivs is 1" '^NoNewPrivs:[[:space:]]+1$' "$out"
	expect_match "hardened: Seccomp is 2 (filter)" '^Seccomp:[[:space:]]+2$' "$out"
	expect_match "hardened: a write to / fails" '^root-read-only$' "$out"
else
	tap_fail "podman run --rm --read-only --cap-drop ALL --security-opt no-new-privileges --user 1000:1000: exit 0" \
		"exit $rc, output:" "$out"
	for c in "id is uid=1000 gid=1000" "CapEff is 0" "NoNewPrivs is 1" "Seccomp is 2 (filter)" "a write to / fails"; do
		tap_skip "hardened: $c" "the hardened run failed"
	done
fi

# 2. exit code
out=$(pm run --rm "${RUNOPTS[@]}" "$IMAGE_NAME" sh -c 'exit 7' 2>&1)
rc=$?
expect_eq "podman run: the workload's exit code (7) is podman's" 7 "$rc" "output: $out"

# 3. run -t
out=$(pm_tty run --rm -t "${RUNOPTS[@]}" "$IMAGE_NAME" sh -c 'tty; echo hello-tty' 2>&1 | tr -d '\r\0')
if grep -Eq '(^|[^a-z])/dev/pts/[0-9]+$' <<<"$out" && grep -Eq 'hello-tty$' <<<"$out"; then
	tap_ok "podman run -t: the workload has a pty and its output arrives"
else
	tap_fail "podman run -t: the workload has a pty and its output arrives" "output:" "$out"
fi

# 4. a detached container; exec into it
D=d-$$
WORKLOAD='trap "exit 3" TERM; i=0; while :; do i=$((i+1)); echo $i >/tmp/count; sleep 0.2; done'
out=$(pm run -d "${RUNOPTS[@]}" --name "$D" "$IMAGE_NAME" sh -c "$WORKLOAD" 2>&1)
rc=$?
DPID=$(pm inspect -f '{{.State.Pid}}' "$D" 2>/dev/null)
DID=$(pm inspect -f '{{.Id}}' "$D" 2>/dev/null)
if [ $rc = 0 ] && [ -n "$DPID" ] && [ "$DPID" != 0 ] && wait_for 10 test -s "/proc/$DPID/root/tmp/count"; then
	tap_ok "podman run -d: the container runs (init pid $DPID, counting)"
	D_OK=1
else
	tap_fail "podman run -d: the container runs" "exit $rc, output:" "$out"
	show_logs "$D"
	D_OK=0
fi
need_d() {
	[ "$D_OK" = 1 ] && return 0
	tap_skip "$1" "needs the detached container, which did not start"
	return 1
}

if need_d "podman exec: runs in the container, output and exit code"; then
	out=$(pm exec "$D" sh -c 'echo exec-out; test -e /tmp/count && echo sees-count; exit 5' 2>&1)
	rc=$?
	if [ $rc = 5 ] && grep -qx exec-out <<<"$out" && grep -qx sees-count <<<"$out"; then
		tap_ok "podman exec: runs in the container, output and exit code"
	else
		tap_fail "podman exec: runs in the container, output and exit code" "exit $rc (expected 5), output:" "$out"
		show_logs "$D"
	fi
fi

if need_d "podman exec -t: the process has a pty"; then
	out=$(pm_tty exec -t "$D" sh -c 'tty; echo exec-tty' 2>&1 | tr -d '\r\0')
	if grep -Eq '(^|[^a-z])/dev/pts/[0-9]+$' <<<"$out" && grep -Eq 'exec-tty$' <<<"$out"; then
		tap_ok "podman exec -t: the process has a pty"
	else
		tap_fail "podman exec -t: the process has a pty" "output:" "$out"
		show_logs "$D"
	fi
fi

# 5. stop: SIGTERM reaches the workload's trap (exit 3) well before the timeout
if need_d "podman stop: SIGTERM reaches the workload (exit code 3)"; then
	t0=$SECONDS
	out=$(pm stop -t 20 "$D" 2>&1)
	rc=$?
	secs=$((SECONDS - t0))
	ec=$(pm inspect -f '{{.State.ExitCode}}' "$D" 2>&1)
	st=$(pm inspect -f '{{.State.Status}}' "$D" 2>&1)
	if [ $rc = 0 ] && [ "$ec" = 3 ] && [ "$st" = exited ] && [ $secs -lt 15 ]; then
		tap_ok "podman stop: SIGTERM reaches the workload (exit code 3, ${secs}s)"
	else
		tap_fail "podman stop: SIGTERM reaches the workload (exit code 3)" \
			"exit $rc, container exit code $ec, status $st, ${secs}s, output:" "$out"
		show_logs "$D"
	fi
fi

# 6. rm: the container, its runtime state, cgroup and processes are gone
if need_d "podman rm: container, runtime state (default root), cgroup, processes gone"; then
	out=$(pm rm "$D" 2>&1)
	rc=$?
	left=
	pm container exists "$D" && left="$left container:$D"
	[ -n "$DID" ] && [ -e "$RT_ROOT/$DID" ] && left="$left runtime-state:$RT_ROOT/$DID"
	for cg in $(cgroups_named "$TAG"); do
		[ -n "$DID" ] && [ -n "$(find "$cg" -name "*$DID*" 2>/dev/null)" ] && left="$left cgroup:$(find "$cg" -name "*$DID*" | head -1)"
	done
	kill -0 "$DPID" 2>/dev/null && left="$left process:$DPID"
	if [ $rc = 0 ] && [ -z "$left" ]; then
		tap_ok "podman rm: container, runtime state (default root $RT_ROOT), cgroup, processes gone"
	else
		tap_fail "podman rm: container, runtime state (default root $RT_ROOT), cgroup, processes gone" \
			"exit $rc: $out" "left:$left"
	fi
fi

# 7. --sdnotify=container: podman hands its NOTIFY_SOCKET to the runtime,
# which gives the workload a socket of its own and passes READY=1 on.
N=n-$$
NSOCK=$P/notify.sock
NOUT=$P/notify.out
python3 "$SRCDIR/tests/integration/tools/notify_listen.py" "$NSOCK" "$NOUT" &
NLISTENER=$!
on_cleanup "kill $NLISTENER 2>/dev/null"
wait_for 10 grep -q listening "$NOUT"
out=$(NOTIFY_SOCKET=$NSOCK pm run -d --sdnotify=container "${RUNOPTS[@]}" --name "$N" "$IMAGE_NAME" \
	sh -c 'echo "$NOTIFY_SOCKET" >/tmp/ns; sleep 0.5; sdnotify READY=1; exec sleep 30' 2>&1)
rc=$?
NPID=$(pm inspect -f '{{.State.Pid}}' "$N" 2>/dev/null)
if [ $rc = 0 ] && wait_for 10 grep -q '^READY=1' "$NOUT" \
	&& [ "$(cat "/proc/$NPID/root/tmp/ns" 2>/dev/null)" = /run/notify/notify.sock ]; then
	tap_ok "podman run --sdnotify=container: the workload's READY=1 reaches podman's NOTIFY_SOCKET ($(grep -m1 '^READY' "$NOUT"))"
else
	tap_fail "podman run --sdnotify=container: the workload's READY=1 reaches podman's NOTIFY_SOCKET" \
		"exit $rc, output:" "$out" "the host socket got:" "$(cat "$NOUT" 2>&1)" \
		"the workload's NOTIFY_SOCKET: $(cat "/proc/$NPID/root/tmp/ns" 2>&1)"
	show_logs "$N"
fi
pm rm -f -t 0 "$N" >/dev/null 2>&1
kill $NLISTENER 2>/dev/null

# 8. nothing left behind
for id in $(pm ps -aq 2>/dev/null); do
	diag "container $id still there at the end: $(pm inspect -f '{{.Name}} {{.State.Status}}' "$id" 2>&1)"
	pm rm -f -t 0 "$id" >/dev/null 2>&1
done
pm rmi -a -f >/dev/null 2>&1
sleep 0.5
# Podman's cgroupfs manager leaves the parent and its conmon cgroup: remove
# them when empty, and judge what remains.
for cg in $(cgroups_named "$TAG"); do
	rmdir "$cg/conmon" "$cg" 2>/dev/null
done
for id in $DID; do LEFTOVER_PATHS+=("$RT_ROOT/$id"); done
check_nothing_left "nothing left behind (conmon, processes, mounts, cgroups, runtime state)"

tap_finish
