#!/bin/bash
# tests/clients/samples.sh [RUNTIME]: every full config.json the real clients
# generated (../shared/clients/samples/*-config.json: ctr, CRI, Docker,
# Podman; not the exec process or update files) run under RUNTIME (default:
# the repo's ./secrun) as nearly as-is as this machine allows:
#   RUNTIME --root STATE --log B/log.json --log-format json run --bundle B ID
# Each sample gets its own bundle B with a busybox-static rootfs. What is
# changed, for every sample:
#   - root.path: a relative path ("rootfs") is kept and the rootfs is built
#     there; an absolute one (Docker's and Podman's overlay "merged" dirs)
#     is replaced by B/rootfs.
#   - process.args: replaced by a probe that prints what the workload sees
#     (uid, gid, CapEff, NoNewPrivs, Seccomp, whether / is writable, nofile,
#     umask) plus a sample-specific check, and exits.
#   - linux.cgroupsPath: prefixed with /TAG (unique per run) so that the
#     run's cgroups can be found and removed; the rest of the path is kept.
#   - bind mounts whose host source does not exist here (the clients'
#     per-container hostname/hosts/resolv.conf files, shm dirs, bind dirs)
#     get a source of the same kind under B/host/ (files for /etc/*).
#   - process.rlimits above this host's hard limits are lowered to them
#     (CAP_SYS_RESOURCE is missing from the bounding set here); a diag line
#     says when that happens.
# The per-sample changes beyond these are in the comment above each case.
# Assertions: exit 0, then the sample's own user, readonly root,
# capabilities (CapBnd = the sample's bounding set; CapEff = what execve
# leaves of the sample's sets: bounding|inheritable for uid 0, ambient for any
# other uid), noNewPrivileges, seccomp, nofile and umask as the workload sees
# them, then one sample-specific property.
# Prints TAP; exits non-zero when a case fails.

source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
clients_init samples "$@"

need_pkgs busybox-static jq util-linux bsdutils || skip_all "cannot install:$MISSING_PKGS"
static_busybox >/dev/null || skip_all "no static busybox"
[ -d "$SAMPLES_DIR" ] || skip_all "no samples dir at $SAMPLES_DIR"

STATE=$T/state
TEMPLATE=$T/rootfs.tmpl
build_rootfs "$TEMPLATE" || skip_all "cannot build the busybox rootfs"
HN=$(ulimit -Hn)
HU=$(ulimit -Hu)
[ "$HN" = unlimited ] && HN=-1
[ "$HU" = unlimited ] && HU=-1

samples_cleanup() {
	local id
	local f
	for f in "$STATE"/*; do
		[ -d "$f" ] && timeout 20 "$RUNTIME" --root "$STATE" delete --force "${f##*/}" >/dev/null 2>&1
	done
	[ -n "${PAUSE_PID:-}" ] && kill -KILL "$PAUSE_PID" 2>/dev/null
	kill_mentioning "$T"
	remove_cgroups "$TAG"
	umount_under "$T"
	return 0
}
on_cleanup samples_cleanup

# A "pause container" for the CRI samples that join namespaces by path: a
# process in new pid, ipc, uts and net namespaces (the sample's /proc/PID).
unshare --pid --ipc --uts --net --fork --kill-child sleep 600 </dev/null >/dev/null 2>&1 &
PAUSE_UNSHARE=$!
disown "$PAUSE_UNSHARE"
PAUSE_PID=
for _ in $(seq 50); do
	PAUSE_PID=$(cat "/proc/$PAUSE_UNSHARE/task/$PAUSE_UNSHARE/children" 2>/dev/null | awk '{ print $1 }')
	[ -n "$PAUSE_PID" ] && break
	sleep 0.1
done
on_cleanup 'kill -KILL $PAUSE_UNSHARE 2>/dev/null'

PROBE='echo "uid $(id -u)"; echo "gid $(id -g)"
grep -E "^(CapBnd|CapEff|NoNewPrivs|Seccomp):" /proc/self/status | tr -d "\t" | tr ":" " "
if touch /.probe 2>/dev/null; then echo "root rw"; rm -f /.probe; else echo "root ro"; fi
echo "nofile $(ulimit -n)"; echo "umask $(umask)"
'

# cap_mask NAMES...: the hex mask /proc/PID/status shows for these caps.
CAP_NAMES=(CHOWN DAC_OVERRIDE DAC_READ_SEARCH FOWNER FSETID KILL SETGID SETUID SETPCAP
	LINUX_IMMUTABLE NET_BIND_SERVICE NET_BROADCAST NET_ADMIN NET_RAW IPC_LOCK IPC_OWNER
	SYS_MODULE SYS_RAWIO SYS_CHROOT SYS_PTRACE SYS_PACCT SYS_ADMIN SYS_BOOT SYS_NICE
	SYS_RESOURCE SYS_TIME SYS_TTY_CONFIG MKNOD LEASE AUDIT_WRITE AUDIT_CONTROL SETFCAP
	MAC_OVERRIDE MAC_ADMIN SYSLOG WAKE_ALARM BLOCK_SUSPEND AUDIT_READ PERFMON BPF
	CHECKPOINT_RESTORE)
declare -A CAP_BIT
for i in "${!CAP_NAMES[@]}"; do CAP_BIT[CAP_${CAP_NAMES[$i]}]=$i; done
cap_mask() {
	local m=0 c
	for c in "$@"; do
		[ -n "${CAP_BIT[$c]:-}" ] && m=$((m | (1 << CAP_BIT[$c])))
	done
	printf '%016x\n' "$m"
}

# prep SAMPLE ID ARGS_JSON [JQ_FILTER]: builds $B for SAMPLE (the generic
# changes in the header, then JQ_FILTER, which sees $B and $pause).
prep() {
	local sample=$1 id=$2 args=$3 filter=${4:-.}
	B=$T/b/$id
	mkdir -p "$B/host"
	local src=$SAMPLES_DIR/$sample-config.json
	local rootrel
	rootrel=$(jq -r '.root.path' "$src")
	if [[ $rootrel == /* ]]; then
		cp -a "$TEMPLATE" "$B/rootfs"
	else
		mkdir -p "$(dirname "$B/$rootrel")"
		cp -a "$TEMPLATE" "$B/$rootrel"
	fi
	# host sources that do not exist here: a file or dir of the same kind
	local m dst srcp n=0
	while IFS=$'\t' read -r dst srcp; do
		n=$((n + 1))
		[ -e "$srcp" ] && continue
		if [[ $dst == /etc/* ]]; then
			mkdir -p "$B/host/$n"
			case $dst in
			/etc/hostname) echo "$id" >"$B/host/$n/$(basename "$srcp")" ;;
			/etc/hosts) echo "127.0.0.1 localhost" >"$B/host/$n/$(basename "$srcp")" ;;
			*) : >"$B/host/$n/$(basename "$srcp")" ;;
			esac
		else
			mkdir -p "$B/host/$n/$(basename "$srcp")"
		fi
		echo "$srcp	$B/host/$n/$(basename "$srcp")"
	done < <(jq -r '.mounts[] | select((.type == "bind") or ((.options // []) | index("bind") or index("rbind"))) | [.destination, .source] | @tsv' "$src") >"$B/host/map.tsv"
	jq --arg B "$B" --arg tag "$TAG" --argjson args "$args" --argjson hn "$HN" --argjson hu "$HU" \
		--arg pause "${PAUSE_PID:-0}" --rawfile map "$B/host/map.tsv" '
		($map | split("\n") | map(select(length > 0) | split("\t") | {key: .[0], value: .[1]}) | from_entries) as $m
		| if (.root.path | startswith("/")) then .root.path = ($B + "/rootfs") else . end
		| .process.args = $args
		| if .linux.cgroupsPath then .linux.cgroupsPath = ("/" + $tag + .linux.cgroupsPath) else . end
		| .mounts |= map(if $m[.source] then .source = $m[.source] else . end)
		| if .process.rlimits then .process.rlimits |= map(
		      if .type == "RLIMIT_NOFILE" and $hn >= 0 and .hard > $hn then .hard = $hn | .soft = ([.soft, $hn] | min)
		      elif .type == "RLIMIT_NPROC" and $hu >= 0 and .hard > $hu then .hard = $hu | .soft = ([.soft, $hu] | min)
		      else . end) else . end
		| '"$filter" "$src" >"$B/config.json" || return 1
	if [ -s "$B/host/map.tsv" ]; then
		diag "$sample: bind sources replaced: $(cut -f1 "$B/host/map.tsv" | xargs -n1 basename | tr '\n' ' ')"
	fi
	if ! cmp -s <(jq -c '.process.rlimits' "$src") <(jq -c '.process.rlimits' "$B/config.json"); then
		diag "$sample: rlimits lowered to the hard limits: $(jq -c '.process.rlimits' "$B/config.json")"
	fi
}

# run_bundle ID [tty]: runs $B, sets OUT and RC.
run_bundle() {
	local id=$1 cmd
	cmd=(timeout -k 5 "$CMD_TIMEOUT" "$RUNTIME" --root "$STATE" --log "$B/log.json" --log-format json
		run --bundle "$B" "$id")
	if [ "${2:-}" = tty ]; then
		# (with_tty: script(1) -e passes on the exit code)
		(cd "$B" && with_tty "${cmd[@]:4}") >"$B/out" 2>&1
	else
		(cd "$B" && "${cmd[@]}") </dev/null >"$B/out" 2>&1
	fi
	RC=$?
	# (script(1) echoes the EOF of its /dev/null stdin as a leading ^@)
	OUT=$(tr -d '\r\0' <"$B/out" | sed 's/^\^@//')
	LEAF_CGS+=("$(jq -r '.linux.cgroupsPath // empty' "$B/config.json")")
}
LEAF_CGS=()

# judge SAMPLE ID: the generic assertions against the sample's own values.
judge() {
	local sample=$1 id=$2 cfg=$B/config.json
	if [ "$RC" != 0 ]; then
		tap_fail "$sample: runs and exits 0" "exit $RC, output:" "$OUT"
		diag_file "$B/log.json" 5
		tap_skip "$sample: user, readonly root, caps, NoNewPrivs, Seccomp as the sample says" "it did not run"
		return 1
	fi
	tap_ok "$sample: runs and exits 0"
	local uid gid ro eff bnd nnp sec nofile umask exp got
	# One jq for all of it: uid gid ro nnp seccomp nofile umask, then the
	# capability names of bounding, effective-after-exec.
	{
		read -r uid gid ro nnp sec nofile umask
		read -r -a bndn
		read -r -a effn
	} < <(jq -r '
		([.process.user.uid, .process.user.gid, (if .root.readonly then "ro" else "rw" end),
		 (if .process.noNewPrivileges then 1 else 0 end), (if .linux.seccomp then 2 else 0 end),
		 ((.process.rlimits // []) | map(select(.type == "RLIMIT_NOFILE") | .soft) | .[0] // "-"),
		 (.process.user.umask // "-")] | map(tostring) | join(" ")),
		((.process.capabilities.bounding // []) | join(" ")),
		# execve: uid 0 gets bounding | inheritable in CapEff (no file caps
		# on busybox), any other uid only the ambient set
		(.process.capabilities as $c
		 | if .process.user.uid == 0 then (($c.bounding // []) + ($c.inheritable // []))
		   else ($c.ambient // []) end | join(" "))' "$cfg")
	bnd=$(cap_mask "${bndn[@]}")
	eff=$(cap_mask "${effn[@]}")
	exp="uid $uid|gid $gid|root $ro|CapBnd $bnd|CapEff $eff|NoNewPrivs $nnp|Seccomp $sec"
	[ "$nofile" != - ] && exp="$exp|nofile $nofile"
	[ "$umask" != - ] && exp="$exp|umask $(printf '%04o' "$umask")"
	got=$(IFS='|'
		for l in $exp; do
			grep -m1 "^${l%% *} " <<<"$OUT" || echo "${l%% *} (missing)"
		done | tr '\n' '|')
	expect_eq "$sample: user, readonly root, CapBnd, CapEff, NoNewPrivs, Seccomp$([ "$nofile" != - ] && echo ", nofile")$([ "$umask" != - ] && echo ", umask") as the sample says" \
		"$exp" "${got%|}"
}

has_sample() {
	[ -f "$SAMPLES_DIR/$1-config.json" ] && return 0
	tap_skip "$1" "no $1-config.json in $SAMPLES_DIR"
	return 1
}

n=0
# newid: sets id (no subshell: the counter must move)
newid() {
	n=$((n + 1))
	id=s$n-$$
}
# (absolute: the CRI sandbox configs carry no PATH)
sh_args() { jq -cn --arg c "$PROBE$1" '["/bin/sh", "-c", $c]'; }

# ---- ctr-run-d: `ctr run -d`; root, 14 default caps, nofile 1024.
# Changes: the generic ones only.
S=ctr-run-d
if has_sample $S; then
	newid
	prep $S "$id" "$(sh_args 'echo "hostname $(hostname)"')"
	run_bundle "$id"
	judge $S "$id"
fi

# ---- ctr-run-readonly-seccomp: `ctr run --read-only --seccomp`.
# Changes: the generic ones only.
S=ctr-run-readonly-seccomp
if has_sample $S; then
	newid
	prep $S "$id" "$(sh_args 'touch /x 2>&1 | sed "s/^/touch: /"')"
	run_bundle "$id"
	if judge $S "$id"; then
		expect_match "$S: touch /x fails with EROFS" 'touch: .*Read-only file system' "$OUT"
	fi
fi

# ---- ctr-run-tty: `ctr run -t`: process.terminal true.
# Changes: the generic ones; run under script(1) so that `run` has a terminal
# to proxy (the client would pass --console-socket instead).
S=ctr-run-tty
if has_sample $S; then
	newid
	prep $S "$id" "$(sh_args 'echo "tty $(tty)"')"
	run_bundle "$id" tty
	if judge $S "$id"; then
		expect_match "$S: the workload's stdin is a pty" '^tty /dev/pts/[0-9]+$' "$OUT"
	fi
fi

# ---- cri-sandbox: the pod sandbox (pause) container; network namespace given
# by path (/var/run/netns/cni-*, a bind-mounted nsfs file).
# Changes: the generic ones; the netns path is replaced by B/host/netns, a
# network namespace this test creates the same way (unshare --net=FILE).
S=cri-sandbox
if has_sample $S; then
	newid
	B=$T/b/$id
	mkdir -p "$B/host"
	: >"$B/host/netns"
	if unshare --net="$B/host/netns" true 2>/dev/null; then
		NETINO=$(stat -L -c %i "$B/host/netns")
		prep $S "$id" "$(sh_args 'echo "netns $(readlink /proc/self/ns/net)"')" \
			'.linux.namespaces |= map(if .type == "network" then .path = ($B + "/host/netns") else . end)'
		run_bundle "$id"
		if judge $S "$id"; then
			expect_match "$S: the workload is in the given network namespace" "^netns net:\\[$NETINO\\]$" "$OUT"
		fi
	else
		tap_skip "$S" "cannot create a network namespace bound to a file here"
	fi
fi

# ---- cri-sandbox-hostnetwork: a hostNetwork pod's sandbox: no network or uts
# namespace. Changes: the generic ones only.
S=cri-sandbox-hostnetwork
if has_sample $S; then
	newid
	prep $S "$id" "$(sh_args 'echo "netns $(readlink /proc/self/ns/net)"')"
	run_bundle "$id"
	if judge $S "$id"; then
		expect_match "$S: the workload is in the host's network namespace" \
			"^netns $(readlink /proc/self/ns/net | sed 's/[][]/\\&/g')$" "$OUT"
	fi
fi

# ---- cri-container-hardened: a hardened container of the pod: joins the
# sandbox's pid, ipc, uts and net namespaces by /proc/PID/ns/*, capabilities
# {}, uid 1000, read-only root, seccomp.
# Changes: the generic ones; /proc/13722 (the sample's pause process) is
# replaced by /proc/PAUSE of a `sleep` this test runs in new pid, ipc, uts
# and net namespaces (unshare).
S=cri-container-hardened
if has_sample $S; then
	if [ -n "$PAUSE_PID" ]; then
		newid
		prep $S "$id" "$(sh_args 'echo "pid1 $(cat /proc/1/comm)"; echo "netns $(readlink /proc/self/ns/net)"')" \
			'.linux.namespaces |= map(if .path then .path |= sub("^/proc/[0-9]+/"; "/proc/" + $pause + "/") else . end)'
		run_bundle "$id"
		if judge $S "$id"; then
			expect_match "$S: joined the sandbox's pid namespace (pid 1 is its sleep)" '^pid1 sleep$' "$OUT"
		fi
	else
		tap_skip "$S" "could not start the sandbox process to join (unshare)"
	fi
fi

# ---- docker-hardened: `docker run --read-only --tmpfs /tmp --cap-drop ALL
# --security-opt no-new-privileges --memory 256m --cpus 0.5 --user 1000:1000`
# with linux.sysctl. Changes: the generic ones only (root.path: B/rootfs;
# resolv.conf, hostname, hosts: files under B/host).
S=docker-hardened
if has_sample $S; then
	newid
	prep $S "$id" "$(sh_args 'echo "ping_group_range $(cat /proc/sys/net/ipv4/ping_group_range | tr "\t" " ")"')"
	run_bundle "$id"
	if judge $S "$id"; then
		expect_match "$S: linux.sysctl applied (net.ipv4.ping_group_range = 0 2147483647)" \
			'^ping_group_range 0 2147483647$' "$OUT"
	fi
fi

# ---- docker-init-ulimit-device-bind: `docker run --init --ulimit nofile=1000:2000
# --device /dev/null:/dev/mynull -v /tmp/dk-bind:/data:ro`.
# Changes: the generic ones; the bind source /tmp/dk-bind is B/host/N/dk-bind
# with a file f; process.args keeps docker-init as pid 1 (/sbin/docker-init,
# bind-mounted from the host's /usr/bin/docker-init as in the sample).
S=docker-init-ulimit-device-bind
if has_sample $S; then
	if [ -x /usr/bin/docker-init ] || need_pkgs docker.io; then
		newid
		args=$(jq -cn --arg c "$PROBE"'echo "data $(cat /data/f)"; echo "mynull $(stat -c "%F %u:%g %t,%T %a" /dev/mynull)"; echo "pid1 $(cat /proc/1/comm)"' \
			'["/sbin/docker-init", "--", "sh", "-c", $c]')
		prep $S "$id" "$args"
		bindsrc=$(jq -r '.mounts[] | select(.destination == "/data") | .source' "$B/config.json")
		echo from-the-host >"$bindsrc/f"
		run_bundle "$id"
		if judge $S "$id"; then
			exp="data from-the-host|mynull character special file 1000:1000 1,3 666|pid1 docker-init"
			got=$(grep -E '^(data|mynull|pid1) ' <<<"$OUT" | tr '\n' '|')
			expect_eq "$S: the bind mount, the device (owner, numbers, mode) and docker-init as pid 1" "$exp" "${got%|}"
		fi
	else
		tap_skip "$S" "the sample bind-mounts /usr/bin/docker-init (docker.io), which is not installed"
	fi
fi

# ---- podman-hardened: `podman run --read-only --cap-drop ALL --security-opt
# no-new-privileges --user 1000:1000`: umask, tmpcopyup /tmp, seccomp with
# defaultErrnoRet 38. Changes: the generic ones; the rootfs gets a file
# /tmp/copyup-marker so that tmpcopyup has something to copy.
S=podman-hardened
if has_sample $S; then
	newid
	prep $S "$id" "$(sh_args 'echo "marker $(cat /tmp/copyup-marker 2>&1)"; touch /tmp/y && echo tmp-writable')"
	echo copied-up >"$B/rootfs/tmp/copyup-marker"
	run_bundle "$id"
	if judge $S "$id"; then
		expect_match "$S: tmpcopyup: /tmp is a writable tmpfs holding the image's /tmp" '^marker copied-up$' \
			"$(grep -x tmp-writable <<<"$OUT" >/dev/null && echo "$OUT")"
	fi
fi

# ---- nothing left behind
kill -KILL "$PAUSE_UNSHARE" 2>/dev/null
wait_for 5 eval '! kill -0 $PAUSE_UNSHARE && ! kill -0 $PAUSE_PID'
# (secrun's `run` keeps up to four emptied state dirs, @pool-N, for the next
# create: secrun(8), FILES; they must be empty)
is_pool() { [[ ${1##*/} == @pool-[0-3] && -d $1 && -z $(ls -A "$1") ]]; }
for f in "$STATE"/*; do
	[ -e "$f" ] && ! is_pool "$f" && diag "container ${f##*/} still in the runtime's state at the end"
done
# each container's own cgroup must be gone (the runtime removes it)
for cg in "${LEAF_CGS[@]}"; do
	[ -n "$cg" ] || continue
	for h in /sys/fs/cgroup/*/ /sys/fs/cgroup/; do
		[ -d "${h%/}$cg" ] && LEFTOVER_PATHS+=("${h%/}$cg")
	done
done
# intermediate cgroup dirs (/TAG/podp1, /TAG/default, ...) are the caller's
# to remove, as the clients do: remove the empty ones, judge what remains
for d in $(cgroups_named "$TAG"); do
	find "$d" -depth -mindepth 1 -type d -exec rmdir {} \; 2>/dev/null
	rmdir "$d" 2>/dev/null
done
umount_under "$T/b"
for f in "$STATE"/*; do [ -e "$f" ] && ! is_pool "$f" && LEFTOVER_PATHS+=("$f"); done
check_nothing_left "nothing left behind (processes, mounts, cgroups, runtime state)"

tap_finish
