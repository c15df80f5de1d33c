#!/bin/bash
# make-bundle.sh DIR [--hardened] [--seccomp] [--args "CMD ..."] [--cgroups-path P]
#                    [--rootfs-from DIR]
#
# Builds an OCI bundle in DIR: DIR/rootfs from busybox-static (the binary plus
# one symlink per applet, /etc/passwd and /etc/group with root, a user 1000 and
# nobody 65534) and DIR/config.json, written here (not by `runc spec`, so the
# bundle does not depend on any runtime).
#
#   --hardened       read-only root, uid/gid 65534, no capabilities at all,
#                    noNewPrivileges, RLIMIT_NOFILE 1024, tmpfs /tmp mode=1777,
#                    runc's default maskedPaths and readonlyPaths
#   --seccomp        linux.seccomp = profiles/seccomp/default.json (must exist)
#   --args "CMD"     process.args = ["sh", "-c", CMD]; default: ["sh"]
#   --cgroups-path P linux.cgroupsPath = P
#   --rootfs-from D  copy an existing rootfs (cp -a, reflink when possible)
#                    instead of building one: fast for test suites
set -euo pipefail

usage() {
	sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//' >&2
	exit 2
}

die() {
	echo "make-bundle.sh: $*" >&2
	exit 1
}

[ $# -ge 1 ] || usage
DIR=$1
shift
case $DIR in -*) usage ;; esac

HARDENED=0
SECCOMP=0
ARGS=
HAVE_ARGS=0
CGPATH=
ROOTFS_FROM=
while [ $# -gt 0 ]; do
	case $1 in
	--hardened) HARDENED=1 ;;
	--seccomp) SECCOMP=1 ;;
	--args)
		[ $# -ge 2 ] || usage
		ARGS=$2
		HAVE_ARGS=1
		shift
		;;
	--cgroups-path)
		[ $# -ge 2 ] || usage
		CGPATH=$2
		shift
		;;
	--rootfs-from)
		[ $# -ge 2 ] || usage
		ROOTFS_FROM=$2
		shift
		;;
	-h | --help) usage ;;
	*) die "unknown option: $1" ;;
	esac
	shift
done

command -v jq >/dev/null || die "jq is required (apt-get install jq)"

SRCDIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PROFILE=$SRCDIR/profiles/seccomp/default.json
if [ "$SECCOMP" = 1 ]; then
	[ -f "$PROFILE" ] || die "--seccomp: $PROFILE is missing"
	jq -e 'type == "object"' "$PROFILE" >/dev/null || die "--seccomp: $PROFILE is not a JSON object"
fi

mkdir -p "$DIR"
ROOTFS=$DIR/rootfs
[ -e "$ROOTFS" ] && die "$ROOTFS already exists"

if [ -n "$ROOTFS_FROM" ]; then
	[ -x "$ROOTFS_FROM/bin/busybox" ] || die "--rootfs-from $ROOTFS_FROM: no bin/busybox in it"
	cp -a --reflink=auto "$ROOTFS_FROM" "$ROOTFS"
else
	BUSYBOX=
	for b in /bin/busybox /usr/bin/busybox; do
		if [ -x "$b" ] && "$b" --list >/dev/null 2>&1 && ! ldd "$b" >/dev/null 2>&1; then
			BUSYBOX=$b
			break
		fi
	done
	[ -n "$BUSYBOX" ] || die "a static busybox is required (apt-get install busybox-static)"

	mkdir -p "$ROOTFS"/{bin,sbin,usr/bin,usr/sbin,etc,proc,sys,dev,tmp,root,home/user,var/run,run}
	cp "$BUSYBOX" "$ROOTFS/bin/busybox"
	# One symlink per applet; perl (always there on Debian) makes them all in
	# one process, which matters where fork is slow.
	APPLETS=$("$BUSYBOX" --list | grep -vx busybox)
	if command -v perl >/dev/null; then
		# shellcheck disable=SC2086
		(cd "$ROOTFS/bin" && perl -e 'for (@ARGV) { symlink("busybox", $_) or die "$_: $!\n" }' $APPLETS)
	else
		for applet in $APPLETS; do ln -s busybox "$ROOTFS/bin/$applet"; done
	fi
	chmod 1777 "$ROOTFS/tmp"
	chown 1000:1000 "$ROOTFS/home/user"
	cat >"$ROOTFS/etc/passwd" <<'EOF'
root:x:0:0:root:/root:/bin/sh
user:x:1000:1000:user:/home/user:/bin/sh
nobody:x:65534:65534:nobody:/nonexistent:/bin/false
EOF
	cat >"$ROOTFS/etc/group" <<'EOF'
root:x:0:
user:x:1000:
nogroup:x:65534:
EOF
	echo secrun-test >"$ROOTFS/etc/hostname"
	: >"$ROOTFS/etc/resolv.conf"
	: >"$ROOTFS/etc/hosts"
fi

if [ "$HAVE_ARGS" = 1 ]; then
	ARGS_JSON=$(jq -cn --arg c "$ARGS" '["sh", "-c", $c]')
else
	ARGS_JSON='["sh"]'
fi

# The base config: runc's defaults without the cgroup mount, plus /tmp.
jq -n --argjson args "$ARGS_JSON" '{
  ociVersion: "1.0.2",
  process: {
    terminal: false,
    user: {uid: 0, gid: 0},
    args: $args,
    env: ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
          "TERM=xterm", "HOME=/root"],
    cwd: "/",
    capabilities: {
      bounding: ["CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"],
      effective: ["CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"],
      permitted: ["CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"],
      inheritable: [],
      ambient: []
    },
    rlimits: [{type: "RLIMIT_NOFILE", hard: 1024, soft: 1024}],
    noNewPrivileges: false
  },
  root: {path: "rootfs", readonly: false},
  hostname: "secrun",
  mounts: [
    {destination: "/proc", type: "proc", source: "proc"},
    {destination: "/dev", type: "tmpfs", source: "tmpfs",
     options: ["nosuid", "strictatime", "mode=755", "size=65536k"]},
    {destination: "/dev/pts", type: "devpts", source: "devpts",
     options: ["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"]},
    {destination: "/dev/shm", type: "tmpfs", source: "shm",
     options: ["nosuid", "noexec", "nodev", "mode=1777", "size=65536k"]},
    {destination: "/dev/mqueue", type: "mqueue", source: "mqueue",
     options: ["nosuid", "noexec", "nodev"]},
    {destination: "/sys", type: "sysfs", source: "sysfs",
     options: ["nosuid", "noexec", "nodev", "ro"]},
    {destination: "/tmp", type: "tmpfs", source: "tmpfs",
     options: ["nosuid", "nodev", "mode=1777"]}
  ],
  linux: {
    resources: {devices: [{allow: false, access: "rwm"}]},
    namespaces: [{type: "pid"}, {type: "network"}, {type: "ipc"},
                 {type: "uts"}, {type: "mount"}]
  }
}' >"$DIR/config.json.tmp"

if [ "$HARDENED" = 1 ]; then
	jq '
	  .root.readonly = true
	  | .process.user = {uid: 65534, gid: 65534}
	  | .process.env = (.process.env | map(if startswith("HOME=") then "HOME=/tmp" else . end))
	  | .process.capabilities = {bounding: [], effective: [], permitted: [],
	                             inheritable: [], ambient: []}
	  | .process.noNewPrivileges = true
	  | .process.rlimits = [{type: "RLIMIT_NOFILE", hard: 1024, soft: 1024}]
	  | .mounts |= map(if .destination == "/tmp"
	                   then .options = ["nosuid", "nodev", "noexec", "mode=1777"] else . end)
	  | .linux.maskedPaths = ["/proc/acpi", "/proc/asound", "/proc/kcore", "/proc/keys",
	                          "/proc/latency_stats", "/proc/timer_list", "/proc/timer_stats",
	                          "/proc/sched_debug", "/sys/firmware", "/proc/scsi"]
	  | .linux.readonlyPaths = ["/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys",
	                            "/proc/sysrq-trigger"]
	' "$DIR/config.json.tmp" >"$DIR/config.json.tmp2"
	mv "$DIR/config.json.tmp2" "$DIR/config.json.tmp"
fi

if [ "$SECCOMP" = 1 ]; then
	jq --slurpfile p "$PROFILE" '.linux.seccomp = $p[0]' "$DIR/config.json.tmp" >"$DIR/config.json.tmp2"
	mv "$DIR/config.json.tmp2" "$DIR/config.json.tmp"
fi

if [ -n "$CGPATH" ]; then
	jq --arg p "$CGPATH" '.linux.cgroupsPath = $p' "$DIR/config.json.tmp" >"$DIR/config.json.tmp2"
	mv "$DIR/config.json.tmp2" "$DIR/config.json.tmp"
fi

mv "$DIR/config.json.tmp" "$DIR/config.json"
