#!/bin/bash
# tests/clients/docker.sh [RUNTIME]: Docker 20.10 (dockerd + its own
# containerd 1.6) driving RUNTIME (default: the repo's ./secrun), registered
# in a private daemon.json as "runtimes": {"secrun": {"path": RUNTIME}} and
# used with `docker run --runtime secrun`.
# dockerd gets its own data-root, exec-root, pidfile, socket and containerd
# (own root, state, socket), iptables/ip-forward/ip-masq off, "bridge": "none",
# the cgroupfs driver and a cgroup parent of its own; the Debian docker CLI
# (/usr/bin/docker: /usr/local/bin/docker is another one) talks to it with a
# private DOCKER_CONFIG. A busybox-static image built offline is loaded.
# Cases: output + exit code, the hardened run (--read-only --tmpfs /tmp
# --cap-drop ALL --security-opt no-new-privileges --memory 256m --cpus 0.5
# --user 1000:1000: id, CapEff, NoNewPrivs, Seccomp, write to / fails,
# /tmp writable, memory limit and CPU quota as the kernel reports them in the
# container's v1 cgroups), exec (plain, -t), run -t, stop, rm; both daemons
# are stopped by pid and nothing may be left behind.
# Prints TAP; exits non-zero when a case fails.

source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
clients_init docker "$@"

need_pkgs docker.io containerd umoci skopeo busybox-static jq util-linux bsdutils ||
	skip_all "cannot install:$MISSING_PKGS"
static_busybox >/dev/null || skip_all "no static busybox"
DOCKER=/usr/bin/docker
[ -x "$DOCKER" ] || skip_all "$DOCKER (docker.io's CLI) is missing"

K=$T/dk
mkdir -p "$K"/{ctd,cli}
CGPARENT=/$TAG
RTNAME=secrun

# --- containerd for dockerd -------------------------------------------------
RUN_CTD_EXISTED=0
[ -e /run/containerd ] && RUN_CTD_EXISTED=1
RUN_CTD_S_EXISTED=0
[ -e /run/containerd/s ] && RUN_CTD_S_EXISTED=1
# dockerd makes /run/docker/plugins and /etc/docker/key.json whatever its
# config says: removed after, when they were not there before.
RUN_DOCKER_EXISTED=0
[ -e /run/docker ] && RUN_DOCKER_EXISTED=1
ETC_DOCKER_KEY_EXISTED=0
[ -e /etc/docker/key.json ] && ETC_DOCKER_KEY_EXISTED=1
cat >"$K/ctd/config.toml" <<EOF
version = 2
root = "$K/ctd/root"
state = "$K/ctd/state"
disabled_plugins = ["io.containerd.grpc.v1.cri"]
[grpc]
  address = "$K/ctd/c.sock"
[ttrpc]
  address = "$K/ctd/c.sock.ttrpc"
[plugins."io.containerd.internal.v1.opt"]
  path = "$K/ctd/opt"
EOF

# --- dockerd ------------------------------------------------------------------
jq -n --arg k "$K" --arg rt "$RUNTIME" --arg rtname "$RTNAME" --arg cg "$CGPARENT" '{
  "data-root": ($k + "/data"),
  "exec-root": ($k + "/exec"),
  "pidfile": ($k + "/docker.pid"),
  "hosts": ["unix://" + $k + "/docker.sock"],
  "containerd": ($k + "/ctd/c.sock"),
  "iptables": false,
  "ip6tables": false,
  "ip-forward": false,
  "ip-masq": false,
  "bridge": "none",
  "userland-proxy": false,
  "exec-opts": ["native.cgroupdriver=cgroupfs"],
  "cgroup-parent": $cg,
  "storage-driver": "overlay2",
  "log-driver": "json-file",
  "runtimes": {($rtname): {"path": $rt}}
}' >"$K/daemon.json"

export DOCKER_HOST=unix://$K/docker.sock
export DOCKER_CONFIG=$K/cli
unset DOCKER_CONTEXT DOCKER_TLS_VERIFY DOCKER_CERT_PATH
STATE_NS=$K/exec/runtime-$RTNAME/moby

dk() { timeout -k 5 "$CMD_TIMEOUT" "$DOCKER" "$@" </dev/null; }
dk_tty() { with_tty "$DOCKER" "$@"; }
RUNOPTS=(--runtime "$RTNAME")

dk_cleanup() {
	local id
	if [ -n "${DOCKERD_PID:-}" ] && kill -0 "$DOCKERD_PID" 2>/dev/null; then
		for id in $(dk ps -aq 2>/dev/null); do
			dk rm -f "$id" >/dev/null 2>&1
		done
		dk rmi -f "$IMAGE_NAME" >/dev/null 2>&1
		stop_daemon "$DOCKERD_PID" 30
	fi
	if [ -n "${CTD_PID:-}" ]; then stop_daemon "$CTD_PID"; fi
	# shims and container processes of ours that outlived the daemons
	kill_mentioning "$K"
	remove_cgroups "$TAG"
	umount_under "$K"
	if [ "$RUN_CTD_S_EXISTED" = 0 ]; then rmdir /run/containerd/s 2>/dev/null; fi
	if [ "$RUN_CTD_EXISTED" = 0 ]; then rmdir /run/containerd/fifo /run/containerd 2>/dev/null; fi
	if [ "$ETC_DOCKER_KEY_EXISTED" = 0 ]; then rm -f /etc/docker/key.json; fi
	if [ "$RUN_DOCKER_EXISTED" = 0 ]; then rmdir /run/docker/plugins /run/docker 2>/dev/null; fi
	return 0
}
on_cleanup dk_cleanup

# show_logs ID: the shim's log.json (the runtime's --log) and dockerd's errors.
show_logs() {
	local id f
	id=$(dk inspect -f '{{.Id}}' "$1" 2>/dev/null)
	[ -n "$id" ] && diag_file "$K/ctd/state/io.containerd.runtime.v2.task/moby/$id/log.json" 10
	grep -E 'level=error' "$K/dockerd.log" | tail -n 5 | sed 's/^/#   dockerd: /'
}

start_daemon "$K/containerd.log" containerd --config "$K/ctd/config.toml"
CTD_PID=$DAEMON_PID
if ! wait_for 30 ctr --address "$K/ctd/c.sock" version; then
	tap_fail "containerd (for dockerd) starts" "$(tail -n 20 "$K/containerd.log")"
	tap_finish
fi
start_daemon "$K/dockerd.log" dockerd --config-file "$K/daemon.json"
DOCKERD_PID=$DAEMON_PID
if ! wait_for 60 dk version; then
	tap_fail "dockerd starts" "$(tail -n 20 "$K/dockerd.log")"
	tap_finish
fi
out=$(dk info --format '{{.CgroupDriver}} {{.DockerRootDir}} {{range $k, $v := .Runtimes}}{{$k}}={{$v.Path}} {{end}}' 2>&1)
if grep -q "^cgroupfs $K/data .*$RTNAME=$RUNTIME" <<<"$out"; then
	tap_ok "dockerd starts (pid $DOCKERD_PID; cgroupfs, data-root under $K, runtime $RTNAME=$RUNTIME)"
else
	tap_fail "dockerd starts with the private daemon.json" "docker info: $out"
fi

if build_image && out=$(timeout 120 "$DOCKER" load -i "$IMAGE_TAR" 2>&1 </dev/null); then
	tap_ok "load the busybox image built offline (umoci + skopeo)"
else
	tap_fail "load the busybox image built offline (umoci + skopeo)" "${out:-image build failed}"
	tap_finish
fi
IMG=${IMAGE_NAME#docker.io/}

# 1. output and exit code
out=$(dk run --rm "${RUNOPTS[@]}" "$IMG" sh -c 'echo hello from $(id -un); exit 7' 2>&1)
rc=$?
if [ $rc = 7 ] && grep -qx 'hello from root' <<<"$out"; then
	tap_ok "docker run --rm: output arrives, exit code 7 is docker's"
else
	tap_fail "docker run --rm: output arrives, exit code 7 is docker's" "exit $rc, output:" "$out"
	show_logs ""
fi

# 2. the hardened run, detached so that its cgroups can be read from the host
H=h-$$
HARD='id; grep -E "^(CapEff|NoNewPrivs|Seccomp):" /proc/self/status
touch /x 2>/dev/null && echo root-writable || echo root-read-only
touch /tmp/y && echo tmp-writable
echo "memlimit $(cat /sys/fs/cgroup/memory/memory.limit_in_bytes 2>&1)"
echo "cgroupfs-entries $(ls -A /sys/fs/cgroup | wc -l)"
echo ready
trap "exit 3" TERM; while :; do sleep 0.2; done'
out=$(dk run -d "${RUNOPTS[@]}" --name "$H" --read-only --tmpfs /tmp --cap-drop ALL \
	--security-opt no-new-privileges --memory 256m --cpus 0.5 --user 1000:1000 \
	"$IMG" sh -c "$HARD" 2>&1)
rc=$?
ready() { dk logs "$H" 2>&1 | grep -qx ready; }
if [ $rc = 0 ] && wait_for 15 ready; then
	HOUT=$(dk logs "$H" 2>&1)
	HPID=$(dk inspect -f '{{.State.Pid}}' "$H" 2>/dev/null)
	tap_ok "docker run --read-only --tmpfs /tmp --cap-drop ALL --security-opt no-new-privileges --memory 256m --cpus 0.5 --user 1000:1000: runs (pid $HPID)"
	H_OK=1
	expect_match "hardened: id is uid=1000 gid=1000" '^uid=1000.* gid=1000' "$HOUT"
	expect_match "hardened: CapEff is 0" '^CapEff:[[:space:]]+0+$' "$HOUT"
	expect_match "hardened: NoNewPrivs is 1" '^NoNewPrivs:[[:space:]]+1$' "$HOUT"
	expect_match "hardened: Seccomp is 2 (filter)" '^Seccomp:[[:space:]]+2$' "$HOUT"
	expect_match "hardened: a write to / fails" '^root-read-only$' "$HOUT"
	expect_match "hardened: /tmp (--tmpfs) is writable" '^tmp-writable$' "$HOUT"
	# the kernel's view, from the host: the container's own v1 cgroups
	memcg=$(awk -F: '$2 == "memory" { print $3 }' "/proc/$HPID/cgroup" 2>/dev/null)
	lim=$(cat "/sys/fs/cgroup/memory$memcg/memory.limit_in_bytes" 2>&1)
	expect_eq "hardened: memory.limit_in_bytes of the container's memory cgroup ($memcg) is 256m" \
		268435456 "$lim" "$(grep -E 'memory|cpu' "/proc/$HPID/cgroup" 2>&1)"
	cpucg=$(awk -F: '$2 ~ /(^|,)cpu(,|$)/ { print $3 }' "/proc/$HPID/cgroup" 2>/dev/null)
	cpuh=$(awk '$5 == "/sys/fs/cgroup/cpu" || $5 == "/sys/fs/cgroup/cpu,cpuacct" { print $5; exit }' /proc/self/mountinfo)
	q=$(cat "$cpuh$cpucg/cpu.cfs_quota_us" 2>&1)/$(cat "$cpuh$cpucg/cpu.cfs_period_us" 2>&1)
	expect_eq "hardened: cpu.cfs_quota_us/cpu.cfs_period_us of the container's cpu cgroup is 50000/100000 (--cpus 0.5)" \
		50000/100000 "$q"
	# What the workload itself sees: runc mounts the container's own v1
	# cgroups at /sys/fs/cgroup. A runtime may instead hide the host's v1
	# hierarchies (an empty /sys/fs/cgroup): then there is nothing to read.
	if grep -qx 'cgroupfs-entries 0' <<<"$HOUT"; then
		tap_skip "hardened: the workload reads 256m in /sys/fs/cgroup/memory/memory.limit_in_bytes" \
			"$RUNTIME_NAME shows the container an empty /sys/fs/cgroup on this v1/hybrid host (no hierarchy to read)"
	else
		expect_match "hardened: the workload reads 256m in /sys/fs/cgroup/memory/memory.limit_in_bytes" \
			'^memlimit 268435456$' "$HOUT"
	fi
else
	tap_fail "docker run --read-only --tmpfs /tmp --cap-drop ALL --security-opt no-new-privileges --memory 256m --cpus 0.5 --user 1000:1000: runs" \
		"exit $rc, output:" "$out" "logs: $(dk logs "$H" 2>&1)"
	show_logs "$H"
	H_OK=0
	for c in "id is uid=1000 gid=1000" "CapEff is 0" "NoNewPrivs is 1" "Seccomp is 2 (filter)" \
		"a write to / fails" "/tmp (--tmpfs) is writable" "memory.limit_in_bytes is 256m" \
		"cpu quota is 50000/100000" "the workload reads 256m"; do
		tap_skip "hardened: $c" "the hardened run failed"
	done
fi
need_h() {
	[ "$H_OK" = 1 ] && return 0
	tap_skip "$1" "needs the hardened container, which did not start"
	return 1
}

# 3. exec into the hardened container: same user, no capabilities, exit code
if need_h "docker exec: runs as 1000:1000 in the container, exit code"; then
	out=$(dk exec "$H" sh -c 'id -u; id -g; grep ^CapEff: /proc/self/status; touch /tmp/y && echo sees-tmp; exit 5' 2>&1)
	rc=$?
	if [ $rc = 5 ] && [ "$(sed -n 1,2p <<<"$out" | tr '\n' ' ')" = "1000 1000 " ] &&
		grep -Eq '^CapEff:[[:space:]]+0+$' <<<"$out" && grep -qx sees-tmp <<<"$out"; then
		tap_ok "docker exec: runs as 1000:1000 in the container, exit code"
	else
		tap_fail "docker exec: runs as 1000:1000 in the container, exit code" "exit $rc (expected 5), output:" "$out"
		show_logs "$H"
	fi
fi

if need_h "docker exec -t: the process has a pty"; then
	out=$(dk_tty exec -t "$H" sh -c 'tty; echo exec-tty' 2>&1 | tr -d '\r\0')
	if grep -Eq '(^|[^a-z])/dev/pts/[0-9]+$' <<<"$out" && grep -Eq 'exec-tty$' <<<"$out"; then
		tap_ok "docker exec -t: the process has a pty"
	else
		tap_fail "docker exec -t: the process has a pty" "output:" "$out"
		show_logs "$H"
	fi
fi

# 4. run -t
out=$(dk_tty run --rm -t "${RUNOPTS[@]}" "$IMG" sh -c 'tty; echo hello-tty' 2>&1 | tr -d '\r\0')
if grep -Eq '(^|[^a-z])/dev/pts/[0-9]+$' <<<"$out" && grep -Eq 'hello-tty$' <<<"$out"; then
	tap_ok "docker run -t: the workload has a pty and its output arrives"
else
	tap_fail "docker run -t: the workload has a pty and its output arrives" "output:" "$out"
	show_logs ""
fi

# 5. stop: SIGTERM reaches the workload's trap (exit 3) well before the timeout
if need_h "docker stop: SIGTERM reaches the workload (exit code 3)"; then
	t0=$SECONDS
	out=$(dk stop -t 20 "$H" 2>&1)
	rc=$?
	secs=$((SECONDS - t0))
	st=$(dk inspect -f '{{.State.Status}} {{.State.ExitCode}}' "$H" 2>&1)
	if [ $rc = 0 ] && [ "$st" = "exited 3" ] && [ $secs -lt 15 ]; then
		tap_ok "docker stop: SIGTERM reaches the workload (exit code 3, ${secs}s)"
	else
		tap_fail "docker stop: SIGTERM reaches the workload (exit code 3)" \
			"exit $rc, status/exit code: $st, ${secs}s, output:" "$out"
		show_logs "$H"
	fi
fi

# 6. rm: runtime state, cgroups, processes gone
if need_h "docker rm: runtime state, cgroups, processes gone"; then
	HID=$(dk inspect -f '{{.Id}}' "$H" 2>/dev/null)
	out=$(dk rm "$H" 2>&1)
	rc=$?
	left=
	[ -n "$HID" ] && [ -e "$STATE_NS/$HID" ] && left="$left runtime-state:$STATE_NS/$HID"
	for cg in $(cgroups_named "$TAG"); do
		[ -n "$HID" ] && [ -e "$cg/$HID" ] && left="$left cgroup:$cg/$HID"
	done
	kill -0 "$HPID" 2>/dev/null && left="$left process:$HPID"
	if [ $rc = 0 ] && [ -z "$left" ]; then
		tap_ok "docker rm: runtime state, cgroups, processes gone"
	else
		tap_fail "docker rm: runtime state, cgroups, processes gone" "exit $rc: $out" "left:$left"
	fi
fi

# 7. stop the daemons by pid; nothing left behind
for id in $(dk ps -aq 2>/dev/null); do
	diag "container $id still there at the end: $(dk inspect -f '{{.Name}} {{.State.Status}}' "$id" 2>&1)"
	dk rm -f "$id" >/dev/null 2>&1
done
dk rmi -f "$IMG" >/dev/null 2>&1
stop_daemon "$DOCKERD_PID" 30
stop_daemon "$CTD_PID"
if kill -0 "$DOCKERD_PID" 2>/dev/null || kill -0 "$CTD_PID" 2>/dev/null; then
	tap_fail "dockerd and its containerd stop on SIGTERM"
else
	tap_ok "dockerd and its containerd stop on SIGTERM"
fi
sleep 0.5
# dockerd's cgroupfs driver leaves the (empty) parent: remove it when empty,
# and judge what remains. In the runtime root, only containers' state counts
# (a runtime may keep caches there, e.g. secrun's .seccomp-cache).
for cg in $(cgroups_named "$TAG"); do rmdir "$cg" 2>/dev/null; done
LEFTOVER_PATHS=()
for f in "$STATE_NS"/*; do [ -e "$f" ] && LEFTOVER_PATHS+=("$f"); done
if [ "$RUN_CTD_S_EXISTED" = 0 ] && [ -d /run/containerd/s ]; then
	for f in /run/containerd/s/*; do [ -e "$f" ] && LEFTOVER_PATHS+=("$f"); done
fi
check_nothing_left "nothing left behind (daemons, shims, processes, mounts, cgroups, runtime state)"

tap_finish
