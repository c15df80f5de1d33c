#!/bin/bash
# tests/clients/cri.sh [RUNTIME]: containerd 1.6's CRI plugin driving RUNTIME
# (default: the repo's ./secrun) as a Kubernetes RuntimeClass handler, the
# way the kubelet does: over gRPC (runtime.v1), with cri_client.py and the
# CRI subset in cri/api.proto (compiled with protoc at test time).
#
# A private containerd (own config, root, state, sockets, CNI dirs and runc
# root under a temp dir; restrict_oom_score_adj; no image pull) has a runtime
# handler "secrun" whose BinaryName is a wrapper running
# `RUNTIME --policy POLICY`: profiles/policy/restricted.json, with this
# containerd's own CRI directories added to its host-paths allow-list. The
# sandbox image is a static pause program (cri/pause.c) and the app image a
# busybox-static one, both built offline (umoci + skopeo) and imported with
# ctr. Pods get their own network namespace from a tiny CNI plugin that puts
# an eth0 (a veth pair with both ends in the pod) in it: the host's network
# is never touched.
#
# Cases: the pod sandbox runs under RUNTIME (its state, the pause process
# under the shim, the policy's tightening); an app container joins the pod's
# ipc/uts/net namespaces and runs as asked (uid 1000, read-only root, no
# capability); ExecSync's stdout, stderr, exit code and timeout;
# UpdateContainerResources in the cgroup; ContainerStats; StopContainer's
# SIGTERM then SIGKILL after the grace period; the policy refuses a
# privileged container and a host-network pod with a "policy:" error while a
# privileged pod's sandbox runs; then everything is removed, containerd is
# stopped by its pid, and nothing may be left behind.
# Prints TAP; exits non-zero when a case fails.

source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
clients_init cri "$@"

need_pkgs containerd umoci skopeo busybox-static jq util-linux iproute2 gcc libc6-dev \
	protobuf-compiler python3 python3-grpcio python3-protobuf containernetworking-plugins ||
	skip_all "cannot install:$MISSING_PKGS"
static_busybox >/dev/null || skip_all "no static busybox"
# Debian's python3 (a python3 earlier in PATH may lack Debian's grpc module)
PY=/usr/bin/python3
"$PY" -c 'import grpc, google.protobuf' 2>/dev/null || skip_all "$PY cannot import grpc and protobuf"
[ -x /usr/lib/cni/loopback ] || skip_all "no CNI loopback plugin (/usr/lib/cni/loopback)"

C=$T/ctd
NS=k8s.io                 # the CRI plugin's containerd namespace
STATE_NS=$C/runc/$NS      # the runtime's --root, as the shim passes it
CRI_STATE=$C/state/io.containerd.grpc.v1.cri
PAUSE_IMAGE=docker.io/secrun-test/pause:latest
POD_NET=10.254.0.2/24     # eth0 of every pod (each in its own netns)
mkdir -p "$C"/{cni/bin,cni/net.d,logs,img}

# containerd 1.6 puts the shims' sockets in /run/containerd/s whatever its
# config says, and libcni caches results in /var/lib/cni: remove what this
# run creates there (the directories only when they were not there before).
RUN_CTD_EXISTED=0
[ -e /run/containerd ] && RUN_CTD_EXISTED=1
RUN_CTD_S_EXISTED=0
[ -e /run/containerd/s ] && RUN_CTD_S_EXISTED=1
VAR_LIB_CNI_EXISTED=0
[ -e /var/lib/cni ] && VAR_LIB_CNI_EXISTED=1

# ---- the CRI client ------------------------------------------------------------

DESC=$C/api.desc
if ! out=$(protoc -I "$CLIENTS_DIR/cri" --descriptor_set_out="$DESC" api.proto 2>&1); then
	tap_fail "protoc compiles cri/api.proto" "$out"
	tap_finish
fi

# cri METHOD [JSON]: one CRI call; the response (JSON) on stdout, the error on stderr.
cri() {
	timeout -k 5 "$CMD_TIMEOUT" "$PY" "$CLIENTS_DIR/cri_client.py" --socket "$C/c.sock" \
		--descriptors "$DESC" --timeout "$CMD_TIMEOUT" "$@" </dev/null
}

# ---- what the runtime handler runs ---------------------------------------------

POLICY=0
if "$RUNTIME" --help 2>&1 | grep -q -- '--policy'; then
	POLICY=1
	# restricted, with this containerd's CRI dirs where a node has
	# /var/lib/containerd/... and /run/containerd/...: the sandbox files
	# (hosts, resolv.conf, hostname, shm) every pod binds.
	jq --arg r "$C/root/io.containerd.grpc.v1.cri" --arg s "$CRI_STATE" \
		'.name = "restricted-cri-test" | .rules["host-paths"].allowed += [$r, $s]' \
		"$SRCDIR/profiles/policy/restricted.json" >"$C/policy.json" || {
		tap_fail "make the test's policy from profiles/policy/restricted.json"
		tap_finish
	}
	chmod 644 "$C/policy.json"
	POLICY_ARGS="--policy $C/policy.json"
else
	diag "$RUNTIME_NAME has no --policy: the policy cases are skipped"
	POLICY_ARGS=
fi
# The handler's BinaryName: logs each command line (for the diagnostics and
# the checks), then runs the runtime with the policy.
cat >"$C/handler" <<EOF
#!/bin/sh
# RuntimeClass handler "secrun" of tests/clients/cri.sh
echo "\$*" >>"$C/handler.log"
exec "$RUNTIME" $POLICY_ARGS "\$@"
EOF
chmod 755 "$C/handler"

# ---- CNI: loopback, and an eth0 that stays inside the pod ----------------------

ln -s /usr/lib/cni/loopback "$C/cni/bin/loopback"
cat >"$C/cni/bin/secrun-test-veth" <<'EOF'
#!/bin/sh
# CNI plugin of tests/clients/cri.sh: ADD gives the pod's netns an interface
# CNI_IFNAME with the config's "address", one end of a veth pair whose other
# end stays in the same netns; nothing is done on the host. DEL has nothing
# to undo: both ends go with the netns.
set -e
case $CNI_COMMAND in
ADD)
	addr=$(jq -r .address)
	nsenter --net="$CNI_NETNS" ip link add "$CNI_IFNAME" type veth peer name "${CNI_IFNAME}-peer"
	nsenter --net="$CNI_NETNS" ip addr add "$addr" dev "$CNI_IFNAME"
	nsenter --net="$CNI_NETNS" ip link set "${CNI_IFNAME}-peer" up
	nsenter --net="$CNI_NETNS" ip link set "$CNI_IFNAME" up
	printf '{"cniVersion":"0.4.0","interfaces":[{"name":"%s","sandbox":"%s"}],' "$CNI_IFNAME" "$CNI_NETNS"
	printf '"ips":[{"version":"4","address":"%s","interface":0}]}\n' "$addr"
	;;
DEL | CHECK) cat >/dev/null ;;
VERSION) echo '{"cniVersion":"0.4.0","supportedVersions":["0.3.0","0.3.1","0.4.0"]}' ;;
*)
	printf '{"cniVersion":"0.4.0","code":4,"msg":"unknown CNI_COMMAND %s"}\n' "$CNI_COMMAND"
	exit 1
	;;
esac
EOF
chmod 755 "$C/cni/bin/secrun-test-veth"
cat >"$C/cni/net.d/10-secrun-test.conflist" <<EOF
{
  "cniVersion": "0.4.0",
  "name": "secrun-test",
  "plugins": [ { "type": "secrun-test-veth", "address": "$POD_NET" } ]
}
EOF

# ---- containerd ------------------------------------------------------------------

# The streaming server (Exec's URLs) needs a port of its own: with "0" it
# would listen anywhere but hand out URLs with port 0.
STREAM_PORT=$("$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')

cat >"$C/config.toml" <<EOF
version = 2
root = "$C/root"
state = "$C/state"
[grpc]
  address = "$C/c.sock"
[ttrpc]
  address = "$C/c.sock.ttrpc"
[plugins."io.containerd.internal.v1.opt"]
  path = "$C/opt"
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "$PAUSE_IMAGE"
  restrict_oom_score_adj = true
  disable_apparmor = true
  netns_mounts_under_state_dir = true
  stream_server_address = "127.0.0.1"
  stream_server_port = "$STREAM_PORT"
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "$C/cni/bin"
    conf_dir = "$C/cni/net.d"
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "secrun"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.secrun]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.secrun.options]
        BinaryName = "$C/handler"
        Root = "$C/runc"
EOF

# cri_cleanup (at exit, also after a failure): removes the pods left, stops
# containerd, then whatever of ours outlived it, and the CNI results cached
# for our sandboxes (SANDBOXES).
cri_cleanup() {
	local id
	if [ -n "${CTD_PID:-}" ] && kill -0 "$CTD_PID" 2>/dev/null; then
		for id in $(cri ListPodSandbox '{}' 2>/dev/null | jq -r '.items[].id'); do
			cri StopPodSandbox "{\"pod_sandbox_id\":\"$id\"}" >/dev/null 2>&1
			cri RemovePodSandbox "{\"pod_sandbox_id\":\"$id\"}" >/dev/null 2>&1
		done
		stop_daemon "$CTD_PID"
	fi
	# shims and container processes of ours that outlived containerd
	kill_mentioning "$C"
	remove_cgroups "$TAG"
	umount_under "$C"
	for id in "${SANDBOXES[@]}"; do
		rm -f /var/lib/cni/results/*-"$id"-* 2>/dev/null
	done
	if [ "$VAR_LIB_CNI_EXISTED" = 0 ]; then
		rmdir /var/lib/cni/results /var/lib/cni 2>/dev/null
	fi
	if [ "$RUN_CTD_S_EXISTED" = 0 ]; then rmdir /run/containerd/s 2>/dev/null; fi
	if [ "$RUN_CTD_EXISTED" = 0 ]; then rmdir /run/containerd/fifo /run/containerd 2>/dev/null; fi
	return 0
}
SANDBOXES=()
CONTAINERS=()
on_cleanup cri_cleanup

# Logs worth showing when a case fails: containerd's errors, the handler's
# last command lines, and the shim's log.json (the runtime's --log) of ID.
show_logs() {
	diag_file "$C/state/io.containerd.runtime.v2.task/$NS/${1:-none}/log.json" 10
	grep -E 'level=(error|warning)' "$C/containerd.log" | tail -n 6 | cut -c1-400 | sed 's/^/#   containerd: /'
	tail -n 4 "$C/handler.log" 2>/dev/null | sed 's/^/#   handler: /'
	return 0
}

ctr_() { timeout -k 5 "$CMD_TIMEOUT" ctr --address "$C/c.sock" --namespace "$NS" "$@" </dev/null; }
start_daemon "$C/containerd.log" containerd --config "$C/config.toml"
CTD_PID=$DAEMON_PID
cri_ready() {
	cri Status '{}' | jq -e '[.status.conditions[] | select(.status)] | length == 2' >/dev/null
}
if wait_for 30 ctr_ version && wait_for 10 cri_ready; then
	v=$(cri Version '{"version":"v1"}' | jq -r '"\(.runtime_name) \(.runtime_version), CRI \(.runtime_api_version)"')
	tap_ok "containerd's CRI plugin answers over gRPC, RuntimeReady and NetworkReady ($v)"
else
	tap_fail "containerd's CRI plugin answers over gRPC, RuntimeReady and NetworkReady" \
		"$(cri Status '{}' 2>&1)" "$(tail -n 15 "$C/containerd.log")"
	tap_finish
fi

# ---- images, built offline -------------------------------------------------------

# build_pause_image: $T/img/pause.tar, a docker-archive of one static binary
# /pause (cri/pause.c) tagged $PAUSE_IMAGE, run as 65535 like Kubernetes'.
build_pause_image() {
	local d=$T/img/pause log=$T/img/pause.log rc
	PAUSE_TAR=$T/img/pause.tar
	mkdir -p "$d"
	{
		gcc -static -Os -s -o "$d/pause" "$CLIENTS_DIR/cri/pause.c" &&
			umoci init --layout "$d/oci" &&
			umoci new --image "$d/oci:pause" &&
			umoci unpack --image "$d/oci:pause" "$d/bundle" &&
			install -m 755 "$d/pause" "$d/bundle/rootfs/pause" &&
			umoci repack --image "$d/oci:pause" "$d/bundle" &&
			umoci config --image "$d/oci:pause" --config.entrypoint /pause \
				--config.user 65535:65535 &&
			private_var_lib skopeo --insecure-policy --tmpdir "$d" copy -q "oci:$d/oci:pause" \
				"docker-archive:$PAUSE_TAR:${PAUSE_IMAGE#docker.io/}"
	} >"$log" 2>&1
	rc=$?
	rm -rf "$d"
	[ $rc = 0 ] || { diag_file "$log"; return 1; }
}

out=
if build_image && build_pause_image && out=$(ctr_ image import "$IMAGE_TAR" 2>&1) &&
	out=$(ctr_ image import "$PAUSE_TAR" 2>&1) &&
	seen=$(cri ListImages '{}' | jq -r '.images[].repo_tags[]' | sort | paste -sd ' ') &&
	[ "$seen" = "$IMAGE_NAME $PAUSE_IMAGE" ]; then
	tap_ok "the busybox and pause images built offline are the CRI plugin's images ($seen)"
else
	tap_fail "the busybox and pause images built offline are the CRI plugin's images" \
		"${out:-image build failed}" "CRI ListImages: ${seen:-}"
	tap_finish
fi

# ---- helpers -------------------------------------------------------------------------

# pod_config NAME NETWORK(POD|NODE) PRIVILEGED(true|false): a PodSandboxConfig
# as the kubelet writes it: pid per container, ipc and (unless NODE) network
# per pod, cgroup parent /$TAG/NAME.
pod_config() {
	mkdir -p "$C/logs/$1"
	jq -cn --arg name "$1" --arg tag "$TAG" --arg logs "$C/logs/$1" --arg net "$2" \
		--argjson priv "$3" '{
		metadata: { name: $name, uid: ($tag + "-" + $name), namespace: "secrun-test", attempt: 0 },
		hostname: (if $net == "NODE" then "" else $name end),
		log_directory: $logs,
		labels: { "secrun-test": $tag },
		linux: {
			cgroup_parent: ("/" + $tag + "/" + $name),
			security_context: {
				namespace_options: { network: $net, pid: "CONTAINER", ipc: "POD" },
				privileged: $priv
			}
		}
	}'
}

# run_pod CONFIG: RunPodSandbox with handler secrun; sets POD_ID (or POD_ERR).
run_pod() {
	local out
	POD_ID=
	if out=$(cri RunPodSandbox "$(jq -cn --argjson c "$1" '{config: $c, runtime_handler: "secrun"}')" 2>&1); then
		POD_ID=$(jq -r .pod_sandbox_id <<<"$out")
		SANDBOXES+=("$POD_ID")
		POD_ERR=
	else
		POD_ERR=$out
		return 1
	fi
}

# ctr_config NAME SCRIPT [JQ-FILTER]: a ContainerConfig for `sh -c SCRIPT` in
# the busybox image that the restricted floor accepts as it is: uid/gid 1000,
# read-only root, every capability dropped, 128 MiB, half a CPU; its output
# goes to NAME.log in the pod's log directory. JQ-FILTER edits it.
ctr_config() {
	jq -cn --arg name "$1" --arg script "$2" --arg img "$IMAGE_NAME" '{
		metadata: { name: $name, attempt: 0 },
		image: { image: $img },
		command: [ "sh", "-c", $script ],
		log_path: ($name + ".log"),
		labels: { "secrun-test": $name },
		linux: {
			resources: { memory_limit_in_bytes: 134217728, cpu_period: 100000,
			             cpu_quota: 50000, cpu_shares: 512 },
			security_context: {
				namespace_options: { network: "POD", pid: "CONTAINER", ipc: "POD" },
				run_as_user: { value: 1000 }, run_as_group: { value: 1000 },
				readonly_rootfs: true,
				capabilities: { drop_capabilities: [ "ALL" ] }
			}
		}
	}' | jq -c "${3:-.}"
}

# create_ctr POD_ID POD_CONFIG CTR_CONFIG: CreateContainer; sets CTR_ID (or CTR_ERR).
create_ctr() {
	local out
	CTR_ID=
	if out=$(cri CreateContainer "$(jq -cn --arg p "$1" --argjson s "$2" --argjson c "$3" \
		'{pod_sandbox_id: $p, config: $c, sandbox_config: $s}')" 2>&1); then
		CTR_ID=$(jq -r .container_id <<<"$out")
		CONTAINERS+=("$CTR_ID")
		CTR_ERR=
	else
		CTR_ERR=$out
		return 1
	fi
}

start_ctr() {
	{ cri StartContainer "{\"container_id\":\"$1\"}" >/dev/null; } 2>&1
}

# ctr_status ID: ContainerStatus (verbose: .info.info holds the pid)
ctr_status() { cri ContainerStatus "{\"container_id\":\"$1\",\"verbose\":true}"; }
ctr_state() { ctr_status "$1" 2>/dev/null | jq -r .status.state; }
ctr_pid() { ctr_status "$1" 2>/dev/null | jq -r '.info.info // "{}" | fromjson | .pid // empty'; }
pod_pid() {
	cri PodSandboxStatus "{\"pod_sandbox_id\":\"$1\",\"verbose\":true}" 2>/dev/null |
		jq -r '.info.info // "{}" | fromjson | .pid // empty'
}

# exec_sync ID TIMEOUT CMD...: ExecSync; the response JSON on stdout.
exec_sync() {
	local id=$1 to=$2 cmd='[]' a
	shift 2
	# (one at a time: jq would take a "-c" after --args for its own option)
	for a in "$@"; do cmd=$(jq -cn --argjson c "$cmd" --arg a "$a" '$c + [$a]'); done
	cri ExecSync "$(jq -cn --arg id "$id" --argjson to "$to" --argjson cmd "$cmd" \
		'{container_id: $id, cmd: $cmd, timeout: $to}')"
}

# status_field PID FIELD: a field of /proc/PID/status (as the host sees it)
status_field() { awk -v f="$2:" '$1 == f { print $2 }' "/proc/$1/status" 2>/dev/null; }

# cgroup_dir PID CONTROLLER: the v1 cgroup directory of PID for CONTROLLER
cgroup_dir() {
	local p
	p=$(awk -F: -v c="$2" '{ n = split($2, a, ","); for (i = 1; i <= n; i++) if (a[i] == c) print $3 }' \
		"/proc/$1/cgroup" 2>/dev/null)
	[ -n "$p" ] && echo "/sys/fs/cgroup/$2$p"
}

ns_of() { readlink "/proc/$1/ns/$2" 2>/dev/null; }
now_ms() { echo $(($(date +%s%N) / 1000000)); }

need() {
	[ -n "$2" ] && return 0
	tap_skip "$1" "${3:-needs the pod and app container, which did not start}"
	return 1
}

# ---- 1. the pod sandbox under the handler ----------------------------------------------

POD1_CFG=$(pod_config pod1 POD false)
POD1=
PAUSE_PID=
if run_pod "$POD1_CFG"; then
	POD1=$POD_ID
	st=$(cri PodSandboxStatus "{\"pod_sandbox_id\":\"$POD1\",\"verbose\":true}" 2>&1)
	PAUSE_PID=$(pod_pid "$POD1")
	state=$(jq -r .status.state <<<"$st" 2>/dev/null)
	handler=$(jq -r .status.runtime_handler <<<"$st" 2>/dev/null)
	ip=$(jq -r .status.network.ip <<<"$st" 2>/dev/null)
	listed=$("$RUNTIME" --root "$STATE_NS" list 2>&1 | awk -v id="$POD1" '$1 == id { print $2, $3 }')
	shim=$(basename "$(readlink "/proc/$(status_field "${PAUSE_PID:-0}" PPid)/exe")" 2>/dev/null)
	if [ "$state" = SANDBOX_READY ] && [ "$handler" = secrun ] && [ "$ip" = "${POD_NET%/*}" ] &&
		[ -n "$PAUSE_PID" ] && [ "$(tr '\0' ' ' <"/proc/$PAUSE_PID/cmdline")" = "/pause " ] &&
		[ "$listed" = "$PAUSE_PID running" ] && [ "$shim" = containerd-shim-runc-v2 ] &&
		grep -q "create .*$POD1\$" "$C/handler.log"; then
		tap_ok "RunPodSandbox (handler secrun): READY, ip $ip; pause (pid $PAUSE_PID, child of $shim) is '$RUNTIME_NAME list' running in $STATE_NS"
	else
		tap_fail "RunPodSandbox (handler secrun): the pause container runs under $RUNTIME_NAME" \
			"state $state, handler $handler, ip $ip, pause pid $PAUSE_PID, parent $shim" \
			"$RUNTIME_NAME list: ${listed:-not listed}" "status: $st"
		show_logs "$POD1"
	fi
else
	tap_fail "RunPodSandbox (handler secrun): the pause container runs under $RUNTIME_NAME" "$POD_ERR"
	show_logs
fi

SB_CASE="the sandbox: own netns with the CNI eth0, uid 65535"
[ "$POLICY" = 1 ] && SB_CASE="$SB_CASE; the policy tightened it (seccomp, no capability, no_new_privs)"
if need "$SB_CASE" "$PAUSE_PID" "needs the pod sandbox, which did not start"; then
	p=$PAUSE_PID
	got="uid $(status_field "$p" Uid) netns-own $([ "$(ns_of "$p" net)" != "$(ns_of $$ net)" ] && echo yes || echo no)"
	got="$got eth0 $(nsenter --net="/proc/$p/ns/net" ip -o -4 addr show eth0 2>/dev/null | awk '{ print $4 }')"
	want="uid 65535 netns-own yes eth0 $POD_NET"
	if [ "$POLICY" = 1 ]; then
		got="$got seccomp $(status_field "$p" Seccomp) capeff $(status_field "$p" CapEff) nnp $(status_field "$p" NoNewPrivs)"
		want="$want seccomp 2 capeff 0000000000000000 nnp 1"
	fi
	expect_eq "$SB_CASE" "$want" "$got"
fi

# ---- 2. an app container in the pod ---------------------------------------------------

APP=
APP_PID=
if [ -n "$POD1" ]; then
	APP_CFG=$(ctr_config app 'echo app-started; trap "exit 0" TERM; while :; do sleep 1 & wait $!; done')
	if create_ctr "$POD1" "$POD1_CFG" "$APP_CFG" && APP=$CTR_ID && err=$(start_ctr "$APP") &&
		wait_for 10 eval '[ "$(ctr_state "$APP")" = CONTAINER_RUNNING ]'; then
		APP_PID=$(ctr_pid "$APP")
	fi
	if [ -n "$APP_PID" ] && kill -0 "$APP_PID" 2>/dev/null; then
		tap_ok "CreateContainer + StartContainer: the app runs (pid $APP_PID)"
	else
		tap_fail "CreateContainer + StartContainer: the app runs" "${CTR_ERR:-}${err:-}" \
			"status: $(ctr_status "$APP" 2>&1 | cut -c1-600)"
		show_logs "$APP"
		APP_PID=
	fi
else
	tap_skip "CreateContainer + StartContainer: the app runs" "needs the pod sandbox, which did not start"
fi

if need "the app shares the pod's ipc, uts and net namespaces (not the host's), has its own pid and mount ones" "$APP_PID"; then
	bad=
	for n in ipc uts net; do
		a=$(ns_of "$APP_PID" $n)
		[ -n "$a" ] && [ "$a" = "$(ns_of "$PAUSE_PID" $n)" ] || bad="$bad $n:app=$a,pause=$(ns_of "$PAUSE_PID" $n)"
		[ "$a" != "$(ns_of $$ $n)" ] || bad="$bad $n:host's"
	done
	for n in pid mnt; do
		[ "$(ns_of "$APP_PID" $n)" != "$(ns_of "$PAUSE_PID" $n)" ] || bad="$bad $n:shared-with-pause"
	done
	if [ -z "$bad" ]; then
		tap_ok "the app shares the pod's ipc, uts and net namespaces (not the host's), has its own pid and mount ones"
	else
		tap_fail "the app shares the pod's ipc, uts and net namespaces (not the host's), has its own pid and mount ones" "$bad"
	fi
fi

if need "the app runs as asked: uid/gid 1000, no capability (all five sets)" "$APP_PID"; then
	got="uid $(status_field "$APP_PID" Uid) gid $(status_field "$APP_PID" Gid)"
	for f in CapInh CapPrm CapEff CapBnd CapAmb; do got="$got $f $(status_field "$APP_PID" $f)"; done
	z=0000000000000000
	expect_eq "the app runs as asked: uid/gid 1000, no capability (all five sets)" \
		"uid 1000 gid 1000 CapInh $z CapPrm $z CapEff $z CapBnd $z CapAmb $z" "$got"
fi

if need "ExecSync in the app: id, hostname, eth0 and a read-only root as the workload sees them" "$APP_PID"; then
	r=$(exec_sync "$APP" 20 sh -c 'id; hostname; ip -o -4 addr show eth0 | awk "{ print \$4 }"; touch /x 2>&1; echo touch=$?' 2>&1)
	o=$(jq -r .stdout <<<"$r" 2>/dev/null)
	want=$(printf '%s\n' "uid=1000(user) gid=1000(user) groups=1000(user)" pod1 "$POD_NET" \
		"touch: /x: Read-only file system" "touch=1")
	expect_eq "ExecSync in the app: id, hostname, eth0 and a read-only root as the workload sees them" "$want" "$o" "response: $r"
fi

if [ "$POLICY" = 1 ]; then
	if need "the policy's floor on the app: no_new_privs and seccomp added, pids.max 4096" "$APP_PID"; then
		pd=$(cgroup_dir "$APP_PID" pids)
		got="nnp $(status_field "$APP_PID" NoNewPrivs) seccomp $(status_field "$APP_PID" Seccomp) pids.max $(cat "$pd/pids.max" 2>/dev/null)"
		expect_eq "the policy's floor on the app: no_new_privs and seccomp added, pids.max 4096" \
			"nnp 1 seccomp 2 pids.max 4096" "$got" "pids cgroup: $pd"
	fi
else
	tap_skip "the policy's floor on the app" "$RUNTIME_NAME has no --policy"
fi

# ---- 3. ExecSync -------------------------------------------------------------------------

if need "ExecSync: stdout, stderr and the exit code (3) come back apart" "$APP_PID"; then
	r=$(exec_sync "$APP" 20 sh -c 'echo to-stdout; echo to-stderr >&2; exit 3' 2>&1)
	got=$(jq -r '"\(.stdout)|\(.stderr)|\(.exit_code)"' <<<"$r" 2>/dev/null)
	expect_eq "ExecSync: stdout, stderr and the exit code (3) come back apart" \
		"to-stdout
|to-stderr
|3" "$got" "response: $r"
fi

if need "ExecSync with a 1 s timeout: an error, and the command is gone from the container" "$APP_PID"; then
	t0=$(now_ms)
	r=$(exec_sync "$APP" 1 sleep 31 2>&1)
	rc=$?
	t=$(($(now_ms) - t0))
	sleep 0.5
	left=
	for p in $(cat "$(cgroup_dir "$APP_PID" pids)/cgroup.procs" 2>/dev/null); do
		grep -q 'sleep.31' "/proc/$p/cmdline" 2>/dev/null && left="$left pid $p: sleep 31"
	done
	if [ $rc != 0 ] && grep -qi 'timeout' <<<"$r" && [ "$t" -lt 10000 ] && [ -z "$left" ]; then
		tap_ok "ExecSync with a 1 s timeout: an error after ${t} ms, and the command is gone from the container"
	else
		tap_fail "ExecSync with a 1 s timeout: an error, and the command is gone from the container" \
			"exit $rc after ${t} ms: $r" "left: $left"
	fi
fi

# ---- 4. UpdateContainerResources ----------------------------------------------------------

if need "UpdateContainerResources: memory and CPU limits change in the app's cgroup" "$APP_PID"; then
	md=$(cgroup_dir "$APP_PID" memory)
	cd_=$(cgroup_dir "$APP_PID" cpu)
	limits() {
		echo "mem $(cat "$md/memory.limit_in_bytes" 2>/dev/null) quota $(cat "$cd_/cpu.cfs_quota_us" 2>/dev/null)" \
			"period $(cat "$cd_/cpu.cfs_period_us" 2>/dev/null) shares $(cat "$cd_/cpu.shares" 2>/dev/null)"
	}
	before=$(limits)
	out=$(cri UpdateContainerResources "$(jq -cn --arg id "$APP" '{container_id: $id,
		linux: { memory_limit_in_bytes: 100663296, cpu_period: 100000, cpu_quota: 25000, cpu_shares: 256 }}')" 2>&1)
	rc=$?
	after=$(limits)
	if [ "$before" = "mem 134217728 quota 50000 period 100000 shares 512" ] &&
		[ $rc = 0 ] && [ "$after" = "mem 100663296 quota 25000 period 100000 shares 256" ]; then
		tap_ok "UpdateContainerResources: memory 128 -> 96 MiB, CPU quota 50000 -> 25000 us, shares 512 -> 256 in ${md#/sys/fs/cgroup/memory}"
	else
		tap_fail "UpdateContainerResources: memory and CPU limits change in the app's cgroup" \
			"cgroups: $md $cd_" "before: $before (want mem 134217728 quota 50000 period 100000 shares 512)" \
			"update exit $rc: $out" "after:  $after (want mem 100663296 quota 25000 period 100000 shares 256)"
		show_logs "$APP"
	fi
fi

# ---- 5. ContainerStats -----------------------------------------------------------------

if need "ContainerStats: the app's memory usage and CPU time are non-zero" "$APP_PID"; then
	r=$(cri ContainerStats "{\"container_id\":\"$APP\"}" 2>&1)
	ws=$(jq -r '.stats.memory.working_set_bytes.value // 0' <<<"$r" 2>/dev/null)
	us=$(jq -r '.stats.memory.usage_bytes.value // 0' <<<"$r" 2>/dev/null)
	cpu=$(jq -r '.stats.cpu.usage_core_nano_seconds.value // 0' <<<"$r" 2>/dev/null)
	id=$(jq -r '.stats.attributes.id' <<<"$r" 2>/dev/null)
	if [ "$id" = "$APP" ] && [ "${ws:-0}" -gt 0 ] 2>/dev/null && [ "${us:-0}" -gt 0 ] && [ "${cpu:-0}" -gt 0 ]; then
		tap_ok "ContainerStats: the app's memory usage ($us bytes, working set $ws) and CPU time (${cpu} ns) are non-zero"
	else
		tap_fail "ContainerStats: the app's memory usage and CPU time are non-zero" "response: $r"
		show_logs "$APP"
	fi
fi

# ---- 6. StopContainer: SIGTERM, then SIGKILL after the grace period --------------------

# stop_case NAME SCRIPT TIMEOUT: runs SCRIPT in pod1, waits for its "ready"
# line in the log, StopContainer with TIMEOUT; sets STOP_MS, STOP_RC, EXIT,
# REASON, LOG (the container's log file).
stop_case() {
	local cfg id
	STOP_MS='' EXIT='' REASON='' LOG='' STOP_ERR=
	cfg=$(ctr_config "$1" "$2")
	create_ctr "$POD1" "$POD1_CFG" "$cfg" || { STOP_ERR=$CTR_ERR; return 1; }
	id=$CTR_ID
	STOP_ID=$id
	STOP_ERR=$(start_ctr "$id") || return 1
	LOG=$C/logs/pod1/$1.log
	wait_for 10 grep -q ' ready$' "$LOG" || { STOP_ERR="no 'ready' in $LOG"; return 1; }
	local t0
	t0=$(now_ms)
	STOP_ERR=$(cri StopContainer "{\"container_id\":\"$id\",\"timeout\":$3}" 2>&1)
	STOP_RC=$?
	STOP_MS=$(($(now_ms) - t0))
	local s
	s=$(ctr_status "$id" 2>/dev/null)
	EXIT=$(jq -r '"\(.status.state) \(.status.exit_code)"' <<<"$s")
	REASON=$(jq -r .status.reason <<<"$s")
	cri RemoveContainer "{\"container_id\":\"$id\"}" >/dev/null 2>&1
}

if need "StopContainer (grace 10 s): the workload's SIGTERM trap runs and its exit code (42) is reported" "$POD1" \
	"needs the pod sandbox, which did not start"; then
	if stop_case term 'trap "echo got-SIGTERM; exit 42" TERM; echo ready; while :; do sleep 1 & wait $!; done' 10 &&
		[ "$STOP_RC" = 0 ] && [ "$EXIT" = "CONTAINER_EXITED 42" ] && [ "$STOP_MS" -lt 5000 ] &&
		grep -q ' stdout F got-SIGTERM$' "$LOG"; then
		tap_ok "StopContainer (grace 10 s): the workload's SIGTERM trap runs (its log says so) and exits 42 after ${STOP_MS} ms"
	else
		tap_fail "StopContainer (grace 10 s): the workload's SIGTERM trap runs and its exit code (42) is reported" \
			"stop exit ${STOP_RC:-} after ${STOP_MS:-?} ms: $STOP_ERR" "status: $EXIT ($REASON)" "log: $(cat "$LOG" 2>/dev/null)"
		show_logs "${STOP_ID:-}"
	fi
fi

if need "StopContainer (grace 2 s): a workload that ignores SIGTERM is SIGKILLed after the grace period (137)" "$POD1" \
	"needs the pod sandbox, which did not start"; then
	if stop_case ignore 'trap "" TERM; echo ready; while :; do sleep 1; done' 2 &&
		[ "$STOP_RC" = 0 ] && [ "$EXIT" = "CONTAINER_EXITED 137" ] &&
		[ "$STOP_MS" -ge 2000 ] && [ "$STOP_MS" -lt 8000 ]; then
		tap_ok "StopContainer (grace 2 s): a workload that ignores SIGTERM is SIGKILLed after ${STOP_MS} ms (exit 137, $REASON)"
	else
		tap_fail "StopContainer (grace 2 s): a workload that ignores SIGTERM is SIGKILLed after the grace period (137)" \
			"stop exit ${STOP_RC:-} after ${STOP_MS:-?} ms: $STOP_ERR" "status: $EXIT ($REASON)"
		show_logs "${STOP_ID:-}"
	fi
fi

# ---- 7. the security floor --------------------------------------------------------------

POD2=
if [ "$POLICY" = 1 ]; then
	# A pod that may hold privileged containers: its sandbox is not one
	# (CRI only leaves seccomp off), so the floor lets it run.
	POD2_CFG=$(pod_config pod2 POD true)
	if run_pod "$POD2_CFG" && POD2=$POD_ID && p2=$(pod_pid "$POD2") && [ -n "$p2" ] &&
		[ "$(cri PodSandboxStatus "{\"pod_sandbox_id\":\"$POD2\"}" | jq -r .status.state)" = SANDBOX_READY ]; then
		tap_ok "policy: the sandbox of a pod marked privileged runs (pause pid $p2, seccomp $(status_field "$p2" Seccomp))"
	else
		tap_fail "policy: the sandbox of a pod marked privileged runs" "${POD_ERR:-no pause pid}"
		show_logs "$POD2"
	fi

	if [ -n "$POD2" ]; then
		cfg=$(ctr_config priv 'echo should-not-run' '.linux.security_context.privileged = true')
		err=
		if create_ctr "$POD2" "$POD2_CFG" "$cfg"; then
			PRIV=$CTR_ID
			err=$(start_ctr "$PRIV") && err="StartContainer succeeded"
		else
			PRIV=
			err=$CTR_ERR
		fi
		st=$([ -n "$PRIV" ] && ctr_state "$PRIV")
		left=
		[ -n "$PRIV" ] && [ -e "$STATE_NS/$PRIV" ] && left="$left state:$STATE_NS/$PRIV"
		[ -n "$PRIV" ] && for cg in $(cgroups_named "$TAG"); do
			[ -e "$cg/pod2/$PRIV" ] && left="$left cgroup:$cg/pod2/$PRIV"
		done
		if grep -q 'policy: privileged' <<<"$err" && [ "$st" != CONTAINER_RUNNING ] && [ -z "$left" ]; then
			tap_ok "policy: a privileged container is refused: $(sed -n 's/.*\(policy: privileged.*\)/\1/p' <<<"$err" | head -1 | sed 's/: unknown$//')"
		else
			tap_fail "policy: a privileged container is refused with a 'policy:' error, nothing left" \
				"error: $err" "state: $st" "left:$left"
			show_logs "$PRIV"
		fi
		[ -n "$PRIV" ] && cri RemoveContainer "{\"container_id\":\"$PRIV\"}" >/dev/null 2>&1
	else
		tap_skip "policy: a privileged container is refused" "needs the privileged pod, which did not start"
	fi

	# hostNetwork: the sandbox itself shares the host's network namespace
	if run_pod "$(pod_config hostnet NODE false)"; then
		tap_fail "policy: a host-network pod is refused" "RunPodSandbox succeeded: $POD_ID"
	elif grep -q 'policy: host-namespaces' <<<"$POD_ERR" &&
		[ "$(cri ListPodSandbox '{}' | jq '[.items[] | select(.metadata.name == "hostnet")] | length')" = 0 ]; then
		tap_ok "policy: a host-network pod is refused, and not kept: $(sed -n 's/.*\(policy: host-namespaces.*\)/\1/p' <<<"$POD_ERR" | head -1 | sed 's/: unknown$//')"
	else
		tap_fail "policy: a host-network pod is refused with a 'policy:' error" "$POD_ERR"
	fi
else
	tap_skip "policy: the sandbox of a pod marked privileged runs" "$RUNTIME_NAME has no --policy"
	tap_skip "policy: a privileged container is refused" "$RUNTIME_NAME has no --policy"
	tap_skip "policy: a host-network pod is refused" "$RUNTIME_NAME has no --policy"
fi

# ---- streaming exec ------------------------------------------------------------------------

# Exec returns a URL of containerd's streaming server; cri_client.py --stream
# speaks its WebSocket protocol (v4.channel.k8s.io), as kubectl exec does.
if need "Exec (streaming): stdout and stderr on their channels, exit code 5 in the final status" "$APP_PID"; then
	r=$(cri --stream Exec "$(jq -cn --arg id "$APP" '{container_id: $id, stdout: true, stderr: true,
		cmd: ["sh", "-c", "echo exec-out; echo exec-err >&2; exit 5"]}')" 2>&1)
	got=$(jq -r '"\(.stdout)|\(.stderr)|\(.exit_code)"' <<<"$r" 2>/dev/null)
	expect_eq "Exec (streaming): stdout and stderr on their channels, exit code 5 in the final status" \
		"exec-out
|exec-err
|5" "$got" "response: $r" || show_logs "$APP"
fi

# (with a tty, the stdin stream must stay open: containerd takes its end for
# a detach and closes the output, as kubectl exec -it would)
if need "Exec (streaming) with a tty and stdin: a pty (/dev/pts/N), uid 1000, typed input read back" "$APP_PID"; then
	r=$(cri --stream --stdin $'typed-in\n' Exec "$(jq -cn --arg id "$APP" '{container_id: $id,
		stdin: true, stdout: true, tty: true,
		cmd: ["sh", "-c", "tty; id -u; read l; echo got-$l"]}')" 2>&1)
	o=$(jq -r .stdout <<<"$r" 2>/dev/null | tr -d '\r')
	if grep -Eqx '/dev/pts/[0-9]+' <<<"$o" && grep -qx 1000 <<<"$o" && grep -qx got-typed-in <<<"$o" &&
		[ "$(jq -r .exit_code <<<"$r")" = 0 ]; then
		tap_ok "Exec (streaming) with a tty and stdin: a pty ($(grep -m1 /dev/pts <<<"$o")), uid 1000, typed input read back"
	else
		tap_fail "Exec (streaming) with a tty and stdin: a pty (/dev/pts/N), uid 1000, typed input read back" "response: $r"
		show_logs "$APP"
	fi
fi

# ---- 8. remove everything ---------------------------------------------------------------

if need "RemoveContainer, StopPodSandbox, RemovePodSandbox: the app, the pods, their pause processes, runtime state and netns are gone" "$POD1" \
	"needs the pod sandbox, which did not start"; then
	errs=
	if [ -n "$APP" ]; then
		cri StopContainer "{\"container_id\":\"$APP\",\"timeout\":10}" >/dev/null 2>"$C/err" || errs="$errs StopContainer: $(cat "$C/err")"
		cri RemoveContainer "{\"container_id\":\"$APP\"}" >/dev/null 2>"$C/err" || errs="$errs RemoveContainer: $(cat "$C/err")"
	fi
	pauses=
	for id in $POD1 $POD2; do
		pauses="$pauses $(pod_pid "$id")"
		cri StopPodSandbox "{\"pod_sandbox_id\":\"$id\"}" >/dev/null 2>"$C/err" || errs="$errs StopPodSandbox: $(cat "$C/err")"
		cri RemovePodSandbox "{\"pod_sandbox_id\":\"$id\"}" >/dev/null 2>"$C/err" || errs="$errs RemovePodSandbox: $(cat "$C/err")"
	done
	sleep 0.3
	left=
	n=$(cri ListContainers '{}' | jq '.containers | length')
	[ "$n" = 0 ] || left="$left containers:$n"
	n=$(cri ListPodSandbox '{}' | jq '.items | length')
	[ "$n" = 0 ] || left="$left sandboxes:$n"
	for p in $pauses $APP_PID; do kill -0 "$p" 2>/dev/null && left="$left process:$p"; done
	for f in "$STATE_NS"/* "$CRI_STATE"/netns/*; do [ -e "$f" ] && left="$left path:$f"; done
	l=$("$RUNTIME" --root "$STATE_NS" list -q 2>&1)
	[ -z "$l" ] || left="$left $RUNTIME_NAME-list:$l"
	for p in $(pids_mentioning "$C/c.sock"); do
		[ "$p" = "$CTD_PID" ] || left="$left shim:$p"
	done
	if [ -z "$errs" ] && [ -z "$left" ]; then
		tap_ok "RemoveContainer, StopPodSandbox, RemovePodSandbox: the app, the pods, their pause processes, shims, runtime state and netns are gone"
	else
		tap_fail "RemoveContainer, StopPodSandbox, RemovePodSandbox: everything is gone" "errors:$errs" "left:$left"
		show_logs
	fi
fi

# stop containerd by pid, nothing left behind
stop_daemon "$CTD_PID"
if kill -0 "$CTD_PID" 2>/dev/null; then
	tap_fail "containerd stops on SIGTERM"
else
	tap_ok "containerd stops on SIGTERM"
fi
sleep 0.3
# The runtime removes a container's cgroup, not its parents (the pods' cgroup
# /$TAG/POD, which the kubelet would own): remove those when empty, and judge
# what remains.
for cg in $(cgroups_named "$TAG"); do
	for d in "$cg"/*/; do [ -d "$d" ] && rmdir "$d" 2>/dev/null; done
	rmdir "$cg" 2>/dev/null
done
LEFTOVER_PATHS=()
for f in "$STATE_NS"/* "$CRI_STATE"/netns/*; do [ -e "$f" ] && LEFTOVER_PATHS+=("$f"); done
for id in "${SANDBOXES[@]}"; do
	for f in /var/lib/cni/results/*"-$id-"*; do [ -e "$f" ] && LEFTOVER_PATHS+=("$f"); done
done
# our shims' sockets: /run/containerd/s/SHA256(ADDRESS/NAMESPACE/ID) (another
# containerd on this host may have its own there)
for id in "${SANDBOXES[@]}" "${CONTAINERS[@]}"; do
	f=/run/containerd/s/$(printf '%s' "$C/c.sock/$NS/$id" | sha256sum | cut -d' ' -f1)
	[ -e "$f" ] && LEFTOVER_PATHS+=("$f")
done
check_nothing_left "nothing left behind (processes, mounts, cgroups, runtime state, netns, CNI results)"

tap_finish
