#!/bin/bash
# tests/vm/run.sh [RUNTIME]: the cgroup v2 checks of issue 4, in a real
# cgroup v2 VM (../shared/vm/vm-run), one boot for the whole batch.
#
# RUNTIME is the binary under test (default: the secrun built in the source
# tree; "runc" or "crun" to validate the checks themselves). Nothing is built
# here: build secrun on the host first. The bundles are written on the host
# into a scratch dir shared with the guest (--rwdir); the guest copies the
# rootfs into its own tmpfs (a rootfs on 9p would charge its page cache to the
# container's memory cgroup) and runs tests/vm/guest.sh, which prints TAP:
# "ok N - name", "not ok N - name", "ok N - name # SKIP why".
# Exit status: 0 when every check passed, 1 otherwise.
#
# env: VM_RUN      the vm-run script (default ../shared/vm/vm-run next to the tree)
#      VM_TIMEOUT  seconds for the whole VM (default 900)
#      KEEP=1      keep the scratch dir (its path is printed)
set -u
HERE=$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")" && pwd)
SRC=$(cd "$HERE/../.." && pwd)
RT=${1:-$SRC/secrun}
if [[ $RT != */* ]]; then
	RT=$(command -v "$RT" || echo "$RT")
fi
RT=$(readlink -f "$RT")
VMRUN=${VM_RUN:-$SRC/../shared/vm/vm-run}
[ -x "$RT" ] || { echo "runtime not found: $RT (build secrun first, or pass runc)" >&2; exit 2; }
[ -x "$VMRUN" ] || { echo "vm-run not found: $VMRUN (set VM_RUN)" >&2; exit 2; }
command -v jq >/dev/null || { echo "jq is required (apt-get install jq)" >&2; exit 2; }

W=$(mktemp -d /tmp/secrun-vmtest.XXXXXX)
chmod 755 "$W"
cleanup() {
	if [ "${KEEP:-0}" = 1 ]; then echo "# scratch dir kept: $W" >&2; else rm -rf "$W"; fi
}
trap cleanup EXIT

"$SRC/tests/make-bundle.sh" "$W/tmpl" >/dev/null || exit 2

# The base: make-bundle's config, root in the guest tmpfs, a cgroup
# namespace and a read-only cgroup mount (as runc's spec has them).
GROOT=/run/vmt/rootfs
jq --arg r "$GROOT" '
  .root = {path: $r, readonly: false}
  | .linux.namespaces += [{type: "cgroup"}]
  | .mounts += [{destination: "/sys/fs/cgroup", type: "cgroup", source: "cgroup",
                 options: ["nosuid", "noexec", "nodev", "relatime", "ro"]}]
  | .process.env += ["PATH=/bin:/sbin"]
' "$W/tmpl/config.json" >"$W/base.json" || exit 2

# mk NAME SCRIPT RESOURCES [JQ-FILTER]: bundle $W/b/NAME running sh -c SCRIPT
# with linux.resources = RESOURCES (merged over the deny-all device rule)
# and cgroupsPath /secrun-vmt/NAME.
mk() {
	local name=$1 script=$2 res=$3 extra=${4:-.}
	mkdir -p "$W/b/$name"
	jq --arg s "$script" --arg p "/secrun-vmt/$name" --argjson res "$res" "
	  .process.args = [\"sh\", \"-c\", \$s]
	  | .linux.cgroupsPath = \$p
	  | .linux.resources = (.linux.resources + \$res)
	  | $extra" "$W/base.json" >"$W/b/$name/config.json" || exit 2
}

MB=1048576
# limits, update, ps, pause, events, kill --all, delete: one long-lived container
mk limits 'sleep 1000 & sleep 1000 & exec sleep 1000' "{
  \"memory\": {\"limit\": $((64 * MB)), \"swap\": $((128 * MB)), \"reservation\": $((32 * MB))},
  \"cpu\": {\"shares\": 512, \"quota\": 50000, \"period\": 100000, \"burst\": 10000, \"cpus\": \"0\", \"mems\": \"0\"},
  \"pids\": {\"limit\": 50},
  \"blockIO\": {\"weight\": 500},
  \"hugepageLimits\": [{\"pageSize\": \"2MB\", \"limit\": $((4 * MB))}],
  \"unified\": {\"memory.high\": \"104857600\"}
}"
# appends only: a truncate-and-rewrite could be caught (or frozen) empty
mk pause 'i=0; while :; do i=$((i + 1)); echo $i; done > /count-pause' '{}'
mk oom 'head -c 200m /dev/zero | tail > /dev/null; echo status=$?' \
	"{\"memory\": {\"limit\": $((64 * MB)), \"swap\": $((64 * MB))}}"
mk cpu 'while :; do :; done' '{"cpu": {"quota": 20000, "period": 100000}}'
mk pids 'f() { f | f & }; f; sleep 1000' '{"pids": {"limit": 20}}'
mk enter 'cat /proc/self/cgroup' '{}' '.linux.namespaces |= map(select(.type != "cgroup"))'
mk nsview 'cat /sys/fs/cgroup/memory.max; cat /proc/self/cgroup; touch /sys/fs/cgroup/x 2>&1 || true' \
	"{\"memory\": {\"limit\": $((64 * MB))}}"
# devices: __MAJ__/__MIN__ are the guest's /dev/vda, filled in there
mk devdeny 'head -c1 /vda > /dev/null; echo vda=$?; echo x > /null2 && echo null2=ok; head -c1 /mem > /dev/null; echo mem=$?' '{}'
mk devallow 'head -c1 /vda > /dev/null && echo read=ok; echo x > /vda; echo write=$?' \
	'{"devices": [{"allow": false, "access": "rwm"}, {"allow": true, "type": "b", "major": "__MAJ__", "minor": "__MIN__", "access": "r"}]}'
mk io 'dd if=/dev/zero of=/vda bs=1M count=4 oflag=direct 2>&1; echo dd=$?' \
	'{"devices": [{"allow": false, "access": "rwm"}, {"allow": true, "type": "b", "major": "__MAJ__", "minor": "__MIN__", "access": "rw"}],
	  "blockIO": {"throttleWriteBpsDevice": [{"major": "__MAJ__", "minor": "__MIN__", "rate": 2097152}]}}'
# AppArmor (on in the guest's Debian kernel, with no policy loaded):
# "unconfined" always exists, a made-up profile never does
mk aa 'cat /proc/self/attr/apparmor/current' '{}' '.process.apparmorProfile = "unconfined"'
mk aabad 'true' '{}' '.process.apparmorProfile = "secrun-no-such-profile"'
# bad input: each must fail and leave nothing behind
mk badpath 'true' '{}' '.linux.cgroupsPath = "/secrun-vmt/../secrun-escape"'
mk badneg 'true' '{"memory": {"limit": -5}}'
mk badperiod 'true' '{"cpu": {"quota": 20000, "period": 1000000000000}}'
mk badkey 'true' '{"unified": {"memory/../../cgroup.procs": "1"}}'
mk badfile 'true' '{"unified": {"memory.no_such_file": "1"}}'
mk badctrl 'true' '{"unified": {"rdma.nonsense": "1"}}' \
	'.linux.cgroupsPath = "/secrun-vmt-nomem/x"'
mk nomem 'true' "{\"memory\": {\"limit\": $((64 * MB))}}" '.linux.cgroupsPath = "/secrun-vmt-nomem/x"'

"$VMRUN" --timeout "${VM_TIMEOUT:-900}" --mem 2G --smp 2 --disk 64M --rwdir "$W" \
	-- "$HERE/guest.sh" "$RT" "$W" | tee "$W/tap.log"
rc=${PIPESTATUS[0]}
fails=$(grep -c '^not ok' "$W/tap.log")
total=$(grep -cE '^(not )?ok ' "$W/tap.log")
echo "# $(basename "$RT"): $total checks, $fails failed, VM exit $rc"
[ "$rc" = 0 ] && [ "$fails" = 0 ] && [ "$total" -gt 0 ]
