# tests/clients/lib.sh: shared code of the client end-to-end tests (sourced).
#
# Gives: TAP output (tap_ok/tap_fail/tap_skip/tap_check, tap_finish), the
# runtime under test ($RUNTIME, absolute), a private temp dir ($T), package
# installation (need_pkgs), a busybox-static rootfs and image builder,
# daemon start/stop by pid, and the cleanup + "nothing left behind" checks.
#
# Every script: `source lib.sh; clients_init NAME "$@"`, then its cases, then
# `tap_finish` (which runs the cleanup and exits non-zero on any failure).

set -u
set -o pipefail

CLIENTS_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SRCDIR=$(cd "$CLIENTS_DIR/../.." && pwd)
SAMPLES_DIR=${SAMPLES_DIR:-$(cd "$SRCDIR/.." && pwd)/shared/clients/samples}
# How long one client command may take before it counts as hung.
CMD_TIMEOUT=${CMD_TIMEOUT:-60}

TAP_N=0
TAP_PASS=0
TAP_FAIL=0
TAP_SKIP=0
CLEANUP_FNS=()
DAEMON_PIDS=()

# with_tty CMD...: runs CMD with a pty as its stdio and controlling terminal
# (script(1)), as a person at a terminal would: the clients' -t needs one.
# timeout stays outside: inside, it would put CMD in a background process
# group of the pty, where the first tcsetattr stops it with SIGTTOU. SHELL is
# set because script(1) runs the command through $SHELL (dash when unset,
# which does not read bash's printf %q quoting).
with_tty() {
	timeout -k 5 "$CMD_TIMEOUT" env SHELL=/bin/bash \
		script -qec "$(printf '%q ' "$@")" /dev/null </dev/null
}

# ---- TAP ---------------------------------------------------------------------

diag() {
	local line
	while IFS= read -r line; do printf '# %s\n' "$line"; done <<<"$*"
}

# diag_file FILE [MAX_LINES]: the last lines of FILE as TAP comments.
diag_file() {
	[ -s "$1" ] || return 0
	printf '# --- %s:\n' "$1"
	# (awk: a last line without a newline must not glue the next TAP line)
	tail -n "${2:-25}" "$1" | tr -d '\r' | awk '{ print "#   " $0 }'
}

tap_ok() {
	TAP_N=$((TAP_N + 1))
	TAP_PASS=$((TAP_PASS + 1))
	echo "ok $TAP_N - $1"
}

# tap_fail NAME [DIAG...]: DIAG lines are printed as comments.
tap_fail() {
	TAP_N=$((TAP_N + 1))
	TAP_FAIL=$((TAP_FAIL + 1))
	echo "not ok $TAP_N - $1"
	shift
	local d
	for d in "$@"; do diag "$d"; done
}

tap_skip() {
	TAP_N=$((TAP_N + 1))
	TAP_SKIP=$((TAP_SKIP + 1))
	echo "ok $TAP_N - $1 # SKIP $2"
}

# tap_check NAME CMD...: ok when CMD succeeds; else not ok with its output.
tap_check() {
	local name=$1 out rc
	shift
	out=$("$@" 2>&1)
	rc=$?
	if [ $rc = 0 ]; then
		tap_ok "$name"
	else
		tap_fail "$name" "command: $*" "exit $rc, output:" "$out"
	fi
	return $rc
}

# expect_eq NAME EXPECTED ACTUAL [DIAG...]
expect_eq() {
	if [ "$2" = "$3" ]; then
		tap_ok "$1"
	else
		local n=$1 e=$2 a=$3
		shift 3
		tap_fail "$n" "expected: $e" "got:      $a" "$@"
		return 1
	fi
}

# expect_match NAME REGEX TEXT [DIAG...]: TEXT (multi-line) has a line matching REGEX.
expect_match() {
	if grep -Eq -- "$2" <<<"$3"; then
		tap_ok "$1"
	else
		local n=$1 r=$2 t=$3
		shift 3
		tap_fail "$n" "expected a line matching: $r" "got:" "$t" "$@"
		return 1
	fi
}

# skip_all REASON: for a script that cannot run any case here.
skip_all() {
	echo "1..0 # SKIP $1"
	run_cleanup
	exit 0
}

tap_finish() {
	run_cleanup
	echo "1..$TAP_N"
	echo "# $CLIENT_NAME: $TAP_PASS passed, $TAP_FAIL failed, $TAP_SKIP skipped (runtime $RUNTIME)"
	[ "$TAP_FAIL" = 0 ]
	exit $?
}

# ---- setup -------------------------------------------------------------------

# clients_init NAME [RUNTIME]
clients_init() {
	CLIENT_NAME=$1
	shift
	local rt=${1:-$SRCDIR/secrun}
	if [[ $rt != */* ]]; then
		rt=$(command -v "$rt" || echo "$rt")
	fi
	if [ "$(id -u)" != 0 ]; then
		echo "1..0 # SKIP the client tests run as root"
		exit 0
	fi
	if [ ! -x "$rt" ] || [ -d "$rt" ]; then
		echo "not ok 1 - runtime binary $rt is executable"
		echo "# build it (autoreconf -fi && ./configure && make) or pass a runtime: $0 /usr/sbin/runc"
		echo "1..1"
		exit 1
	fi
	RUNTIME=$(readlink -f "$rt")
	RUNTIME_NAME=$(basename "$RUNTIME")
	# Short: daemon sockets live under it and sun_path has 108 bytes.
	T=$(mktemp -d "/tmp/scl-$CLIENT_NAME.XXXXXX")
	chmod 711 "$T"
	# A unique tag for everything this run makes outside $T (cgroups, names).
	TAG=sclt-${CLIENT_NAME:0:3}-$$
	trap 'run_cleanup' EXIT
	trap 'echo "# interrupted"; exit 130' INT TERM
	diag "$CLIENT_NAME: runtime $RUNTIME, temp dir $T"
	"$RUNTIME" --version 2>&1 | head -1 | sed 's/^/# /'
}

on_cleanup() {
	CLEANUP_FNS+=("$*")
}

CLEANED=0
run_cleanup() {
	[ "$CLEANED" = 1 ] && return 0
	CLEANED=1
	local i
	for ((i = ${#CLEANUP_FNS[@]} - 1; i >= 0; i--)); do
		eval "${CLEANUP_FNS[$i]}" || true
	done
	if [ -n "${T:-}" ] && [ -d "$T" ]; then
		umount_under "$T"
		rm -rf "$T" 2>/dev/null || { sleep 1; umount_under "$T"; rm -rf "$T"; }
	fi
}

# need_pkgs PKG...: apt-get install whatever is missing (idempotent). Sets
# MISSING_PKGS to what could not be installed; returns non-zero then.
need_pkgs() {
	local p missing=()
	for p in "$@"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
			missing+=("$p")
	done
	MISSING_PKGS=
	[ ${#missing[@]} = 0 ] && return 0
	diag "installing ${missing[*]}"
	local log=$T/apt.log
	export DEBIAN_FRONTEND=noninteractive
	if ! apt-get install -y -q --no-install-recommends -o DPkg::Lock::Timeout=600 \
		"${missing[@]}" >"$log" 2>&1; then
		apt-get update -q -o DPkg::Lock::Timeout=600 >>"$log" 2>&1
		apt-get install -y -q --no-install-recommends -o DPkg::Lock::Timeout=600 \
			"${missing[@]}" >>"$log" 2>&1
	fi
	for p in "${missing[@]}"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
			MISSING_PKGS="$MISSING_PKGS $p"
	done
	if [ -n "$MISSING_PKGS" ]; then
		diag_file "$log" 10
		return 1
	fi
	return 0
}

# ---- rootfs and image ----------------------------------------------------------

static_busybox() {
	local b
	for b in /bin/busybox /usr/bin/busybox; do
		if [ -x "$b" ] && "$b" --list >/dev/null 2>&1 && ! ldd "$b" >/dev/null 2>&1; then
			echo "$b"
			return 0
		fi
	done
	return 1
}

# build_rootfs DIR: a busybox-static rootfs (one symlink per applet, users root,
# user 1000 and nobody 65534).
build_rootfs() {
	local d=$1 bb
	bb=$(static_busybox) || return 1
	mkdir -p "$d"/{bin,sbin,usr/bin,usr/sbin,etc,proc,sys,dev,tmp,root,home/user,var/run,run,data}
	cp "$bb" "$d/bin/busybox"
	# shellcheck disable=SC2046
	(cd "$d/bin" && perl -e 'for (@ARGV) { symlink("busybox", $_) or die "$_: $!\n" }' \
		$("$bb" --list | grep -vx busybox))
	# an sd_notify(3) sender, for the NOTIFY_SOCKET cases
	gcc -static -O2 -o "$d/bin/sdnotify" "$SRCDIR/tests/integration/tools/sdnotify.c" || return 1
	chmod 1777 "$d/tmp"
	chown 1000:1000 "$d/home/user"
	printf '%s\n' 'root:x:0:0:root:/root:/bin/sh' 'user:x:1000:1000:user:/home/user:/bin/sh' \
		'nobody:x:65534:65534:nobody:/nonexistent:/bin/false' >"$d/etc/passwd"
	printf '%s\n' 'root:x:0:' 'user:x:1000:' 'nogroup:x:65534:' >"$d/etc/group"
	echo secrun-test >"$d/etc/hostname"
	: >"$d/etc/resolv.conf"
	: >"$d/etc/hosts"
}

IMAGE_NAME=docker.io/secrun-test/busybox:latest

# private_var_lib CMD...: skopeo and `podman load` write a blob-info cache to
# the system's /var/lib/containers/cache whatever they are told; run them in
# a private mount namespace where that place is a throwaway tmpfs.
private_var_lib() {
	local over=/var/lib
	[ -d /var/lib/containers ] && over=/var/lib/containers
	unshare -m --propagation private sh -c 'mount -t tmpfs tmpfs "$1" && shift && exec "$@"' \
		_ "$over" "$@"
}

# build_image: $T/img/busybox.tar, a docker-archive of the busybox rootfs
# tagged $IMAGE_NAME, made offline with umoci (OCI layout) and skopeo. Reuses
# $SECRUN_CLIENTS_IMAGE when run-all.sh built it already.
build_image() {
	IMAGE_TAR=$T/img/busybox.tar
	mkdir -p "$T/img"
	if [ -n "${SECRUN_CLIENTS_IMAGE:-}" ] && [ -s "$SECRUN_CLIENTS_IMAGE" ]; then
		cp "$SECRUN_CLIENTS_IMAGE" "$IMAGE_TAR"
		return 0
	fi
	local log=$T/img/build.log
	{
		umoci init --layout "$T/img/oci" &&
			umoci new --image "$T/img/oci:busybox" &&
			umoci unpack --image "$T/img/oci:busybox" "$T/img/bundle" &&
			build_rootfs "$T/img/bundle/rootfs" &&
			umoci repack --image "$T/img/oci:busybox" "$T/img/bundle" &&
			umoci config --image "$T/img/oci:busybox" --config.cmd sh \
				--config.env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin &&
			private_var_lib skopeo --insecure-policy --tmpdir "$T/img" copy -q "oci:$T/img/oci:busybox" \
				"docker-archive:$IMAGE_TAR:${IMAGE_NAME#docker.io/}"
	} >"$log" 2>&1
	local rc=$?
	rm -rf "$T/img/bundle" "$T/img/oci"
	[ $rc = 0 ] || { diag_file "$log"; return 1; }
}

# ---- daemons -----------------------------------------------------------------

# start_daemon LOG CMD...: runs CMD in the background with fds above 2 closed,
# stdin /dev/null, output to LOG; sets DAEMON_PID. Stopped by stop_daemon.
start_daemon() {
	local log=$1
	shift
	(
		local fd
		for fd in /proc/$BASHPID/fd/*; do
			fd=${fd##*/}
			[ "$fd" -gt 2 ] 2>/dev/null && eval "exec $fd>&-"
		done
		exec "$@"
	) </dev/null >"$log" 2>&1 &
	DAEMON_PID=$!
	DAEMON_PIDS+=("$DAEMON_PID")
}

# stop_daemon PID [SECONDS]: SIGTERM, then SIGKILL after SECONDS (default 20).
stop_daemon() {
	local pid=$1 secs=${2:-20} i
	kill -0 "$pid" 2>/dev/null || return 0
	kill -TERM "$pid" 2>/dev/null
	for ((i = 0; i < secs * 10; i++)); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 "$pid" 2>/dev/null; then
		diag "pid $pid still alive after ${secs}s: SIGKILL"
		kill -KILL "$pid" 2>/dev/null
	fi
	wait "$pid" 2>/dev/null
	return 0
}

# wait_for SECONDS CMD...: polls CMD every 0.2s until it succeeds.
wait_for() {
	local secs=$1 i
	shift
	for ((i = 0; i < secs * 5; i++)); do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.2
	done
	"$@" >/dev/null 2>&1
}

# ---- leftovers -----------------------------------------------------------------

# pids of processes (other than this shell's own) whose command line or
# executable mentions STRING.
pids_mentioning() {
	local f p
	for f in $(grep -laF -- "$1" /proc/[0-9]*/cmdline 2>/dev/null); do
		p=${f#/proc/}
		p=${p%/cmdline}
		[ "$p" = $$ ] || [ "$p" = "$BASHPID" ] || echo "$p"
	done
}

# kill_mentioning STRING: SIGKILL every process mentioning STRING (all of them
# were started by this test: STRING is its unique temp dir or tag).
kill_mentioning() {
	local p
	for p in $(pids_mentioning "$1"); do
		[ "$p" = "$$" ] && continue
		diag "leftover process $p: $(tr '\0' ' ' 2>/dev/null <"/proc/$p/cmdline" | cut -c1-150)"
		kill -KILL "$p" 2>/dev/null
	done
}

# mounts (host mount namespace) under DIR, deepest first.
mounts_under() {
	awk -v d="$1" '$5 == d || index($5, d "/") == 1 { print $5 }' /proc/self/mountinfo | sort -r
}

umount_under() {
	local m
	for m in $(mounts_under "$1"); do
		umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null
	done
}

# cgroup dirs (every v1 hierarchy and the unified one) whose name is NAME at
# the top of a hierarchy.
cgroups_named() {
	local h
	for h in /sys/fs/cgroup/*/ /sys/fs/cgroup/; do
		[ -d "$h$1" ] && echo "${h%/}/$1"
	done
	return 0
}

# remove_cgroups NAME: kill what is still in /NAME (every hierarchy), then
# remove the tree depth-first.
remove_cgroups() {
	local d p
	for d in $(cgroups_named "$1"); do
		# shellcheck disable=SC2044
		for p in $(find "$d" -name cgroup.procs -exec cat {} + 2>/dev/null); do
			diag "process $p still in cgroup $d: SIGKILL"
			kill -KILL "$p" 2>/dev/null
		done
	done
	sleep 0.2
	for d in $(cgroups_named "$1"); do
		# thaw frozen leftovers so they can die
		find "$d" -name freezer.state -exec sh -c 'echo THAWED >"$1"' _ {} \; 2>/dev/null
		find "$d" -depth -type d -exec rmdir {} \; 2>/dev/null
		[ -d "$d" ] && { sleep 0.5; find "$d" -depth -type d -exec rmdir {} \; 2>/dev/null; }
	done
	return 0
}

# leftovers: what this run left on the host, one line each (empty: nothing).
# Uses $T, $TAG and the extra paths in LEFTOVER_PATHS (must not exist).
LEFTOVER_PATHS=()
leftovers() {
	local p
	for p in $(pids_mentioning "$T") $(pids_mentioning "$TAG"); do
		echo "process $p: $(tr '\0' ' ' 2>/dev/null <"/proc/$p/cmdline" | cut -c1-150)"
	done
	for p in $(mounts_under "$T"); do echo "mount $p"; done
	for p in $(cgroups_named "$TAG"); do
		find "$p" -type d | sed 's/^/cgroup /'
	done
	for p in "${LEFTOVER_PATHS[@]}"; do
		[ -e "$p" ] && echo "path $p"
	done
	return 0
}

# check_nothing_left NAME: a TAP case after the daemons are stopped.
check_nothing_left() {
	local l
	l=$(leftovers | sort -u)
	if [ -z "$l" ]; then
		tap_ok "$1"
	else
		tap_fail "$1" "$l"
	fi
}

# runtime_state_dir ROOT ID: where the runtime keeps the state of ID.
runtime_state_dir() {
	echo "$1/$2"
}

# the runtime's default --root (Podman passes none).
runtime_default_root() {
	case $RUNTIME_NAME in
	runc) echo /run/runc ;;
	crun) echo /run/crun ;;
	*) echo /run/secrun ;;
	esac
}
