#!/usr/bin/env bats
# The cgroup v1 backend on this (hybrid) host: limits as the kernel reports
# them in /sys/fs/cgroup/<controller>/<path>, update, ps, pause/resume,
# events, kill --all, bad input, and that delete leaves no directory of ours.
# The cgroup v2 side runs in a VM: tests/vm/run.sh.

load helpers

V1=/sys/fs/cgroup

setup_file() {
	common_setup_file
	[ "$(stat -fc %T /sys/fs/cgroup)" != cgroup2fs ] || skip "cgroup v2 host: see tests/vm/run.sh"
	[ -d $V1/memory ] || skip "no v1 memory hierarchy"
}

# Every test's container ends with delete -f; the shared leak check then
# proves that delete left no cgroup directory of ours in any hierarchy.
teardown() {
	if [ -e "$ROOT/$ID" ]; then
		sr delete -f "$ID" >/dev/null 2>&1 || echo "delete -f $ID failed" >&2
	fi
	common_teardown
}

# cg CONTROLLER FILE: the kernel's value for this test's container
cg() {
	cat "$V1/$1/secrun-test/$ID/$2"
}

# run_sleeper [RESOURCES-JQ]: a detached container running sleep, with
# linux.resources edited by the jq filter.
run_sleeper() {
	set_cmd 'sleep 1000 & exec sleep 1000'
	[ $# -eq 0 ] || cfg "$1"
	run_detached
}

@test "v1: limits as the kernel reports them" {
	run_sleeper '.linux.resources += {
	  memory: {limit: 67108864, swap: 134217728, reservation: 33554432, swappiness: 10},
	  cpu: {shares: 512, quota: 20000, period: 100000, cpus: "0", mems: "0"},
	  pids: {limit: 42}}'
	[ "$(cg memory memory.limit_in_bytes)" = 67108864 ]
	[ "$(cg memory memory.soft_limit_in_bytes)" = 33554432 ]
	[ "$(cg memory memory.swappiness)" = 10 ]
	if [ -e "$V1/memory/secrun-test/$ID/memory.memsw.limit_in_bytes" ]; then
		[ "$(cg memory memory.memsw.limit_in_bytes)" = 134217728 ]
	fi
	[ "$(cg cpu cpu.shares)" = 512 ]
	[ "$(cg cpu cpu.cfs_quota_us)" = 20000 ]
	[ "$(cg cpu cpu.cfs_period_us)" = 100000 ]
	[ "$(cg cpuset cpuset.cpus)" = 0 ]
	[ "$(cg pids pids.max)" = 42 ]
	# the init and its child are in every hierarchy
	local pid
	pid=$(pid_of "$ID")
	for h in memory cpu cpuset pids devices freezer; do
		grep -qx "$pid" "$V1/$h/secrun-test/$ID/cgroup.procs"
	done
}

@test "v1: devices.list holds the default rules, not 'a *:* rwm'" {
	run_sleeper
	run cg devices devices.list
	assert_output_lacks 'a *:* rwm'
	for r in 'c 1:3 rwm' 'c 1:5 rwm' 'c 1:7 rwm' 'c 1:8 rwm' 'c 1:9 rwm' 'c 5:0 rwm' 'c 5:2 rwm' 'c 136:* rwm'; do
		assert_output_has "$r"
	done
}

@test "v1: a device outside the allow-list is EPERM, a listed one works" {
	mknod "$BUNDLE/rootfs/mem" c 1 1
	mknod "$BUNDLE/rootfs/null2" c 1 3
	set_cmd 'head -c1 /mem >/dev/null; echo mem=$?; echo x > /null2 && echo null2=ok'
	run_ctr
	assert_status 0
	assert_output_has 'Operation not permitted'
	assert_output_has 'mem=1'
	assert_output_has 'null2=ok'
}

@test "v1: a 64 MiB hog is OOM-killed, oom_control counts it" {
	set_cmd 'head -c 300m /dev/zero | tail > /dev/null; echo status=$?; sleep 1000'
	cfg '.linux.resources.memory = {limit: 67108864, swap: 67108864}'
	run_detached
	wait_for file_has "$BATS_TEST_TMPDIR/$ID.out" status=
	run cat "$BATS_TEST_TMPDIR/$ID.out"
	assert_output_has 'status=137'
	[ "$(awk '/^oom_kill /{print $2}' "$V1/memory/secrun-test/$ID/memory.oom_control")" -ge 1 ]
}

@test "v1: update changes a running container's limits" {
	run_sleeper '.linux.resources += {memory: {limit: 67108864, swap: 67108864}, pids: {limit: 20}}'
	sr update --memory 128m --memory-swap 256m --pids-limit 30 --cpu-share 256 \
		--cpu-quota 30000 --cpu-period 50000 "$ID"
	[ "$(cg memory memory.limit_in_bytes)" = 134217728 ]
	if [ -e "$V1/memory/secrun-test/$ID/memory.memsw.limit_in_bytes" ]; then
		[ "$(cg memory memory.memsw.limit_in_bytes)" = 268435456 ]
	fi
	[ "$(cg pids pids.max)" = 30 ]
	[ "$(cg cpu cpu.shares)" = 256 ]
	[ "$(cg cpu cpu.cfs_quota_us)" = 30000 ]
	[ "$(cg cpu cpu.cfs_period_us)" = 50000 ]
	# lowering both: the limit must go first (memsw >= limit at every step)
	sr update --memory 32m --memory-swap 48m "$ID"
	[ "$(cg memory memory.limit_in_bytes)" = 33554432 ]
}

@test "v1: update --resources - with Docker's zeros changes nothing" {
	run_sleeper '.linux.resources += {memory: {limit: 67108864}, cpu: {shares: 512}, pids: {limit: 20}}'
	echo '{"memory": {"limit": 0, "swap": 0, "kernel": 0}, "cpu": {"shares": 0, "quota": 0},
	       "blockIO": {"weight": 0}, "pids": {"limit": 0}}' | sr update --resources - "$ID"
	[ "$(cg memory memory.limit_in_bytes)" = 67108864 ]
	[ "$(cg cpu cpu.shares)" = 512 ]
	[ "$(cg pids pids.max)" = 20 ]
	echo '{"memory": {"limit": 100663296}, "pids": {"limit": -1}}' | sr update --resources - "$ID"
	[ "$(cg memory memory.limit_in_bytes)" = 100663296 ]
	[ "$(cg pids pids.max)" = max ]
}

@test "v1: ps --format json prints only the pids" {
	run_sleeper
	run sr ps --format json "$ID"
	assert_status 0
	jq -e --argjson p "$(pid_of "$ID")" 'type == "array" and length == 2 and index($p) != null' <<<"$output"
	run sr ps "$ID"
	assert_status 0
	[ "$(grep -c 'sleep 1000' <<<"$output")" = 2 ]
	[[ ${lines[0]} == *PID* ]]
}

@test "v1: pause and resume go through the freezer" {
	run_sleeper
	sr pause "$ID"
	[ "$(cg freezer freezer.state)" = FROZEN ]
	status_is "$ID" paused
	run sr pause "$ID"
	assert_failed
	sr resume "$ID"
	[ "$(cg freezer freezer.state)" = THAWED ]
	status_is "$ID" running
	run sr resume "$ID"
	assert_failed
}

@test "v1: delete -f of a paused container thaws, kills and removes it" {
	run_sleeper
	sr pause "$ID"
	sr delete -f "$ID"
	for h in memory cpu freezer pids devices; do
		[ ! -e "$V1/$h/secrun-test/$ID" ]
	done
}

@test "v1: events --stats in runc's shape" {
	run_sleeper '.linux.resources += {memory: {limit: 67108864}, pids: {limit: 20}}'
	run sr events --stats "$ID"
	assert_status 0
	jq -e --arg id "$ID" '.type == "stats" and .id == $id
		and .data.memory.usage.limit == 67108864 and .data.memory.usage.usage > 0
		and .data.pids.current == 2 and .data.pids.limit == 20
		and .data.cpu.usage.total > 0 and (.data.memory.raw | has("rss"))' <<<"$output"
}

@test "v1: events streams stats at the interval and ends with the container" {
	run_sleeper
	sr events --interval 200ms "$ID" >"$BATS_TEST_TMPDIR/ev" 2>&1 &
	local ev=$!
	sleep 1.5
	sr kill "$ID" KILL
	wait_for status_is "$ID" stopped
	# secrun's stream ends by itself once the container is gone (runc's
	# keeps polling)
	local i
	for ((i = 0; i < 50; i++)); do kill -0 $ev 2>/dev/null || break; sleep 0.1; done
	if kill -0 $ev 2>/dev/null; then
		kill $ev
		is_secrun && fail "events kept running after the container stopped"
	fi
	[ "$(grep -c '"type":"stats"' "$BATS_TEST_TMPDIR/ev")" -ge 3 ]
}

@test "v1: kill --all signals every process of the cgroup" {
	run_sleeper
	sr kill --all "$ID" 9
	wait_for status_is "$ID" stopped
	[ -z "$(cg pids cgroup.procs)" ]
}

@test "v1: no cgroupsPath means /secrun/ID, removed on delete" {
	secrun_only "the default cgroup parent"
	for h in memory cpu cpuset pids devices freezer blkio; do
		[ ! -e "$V1/$h/secrun" ] || skip "$V1/$h/secrun exists already (left by something else)"
	done
	cfg 'del(.linux.cgroupsPath)'
	CGPATHS+=("secrun/$ID")
	run_sleeper
	[ -d "$V1/memory/secrun/$ID" ]
	[ -d "$V1/pids/secrun/$ID" ]
	sr delete -f "$ID"
	for h in memory cpu cpuset pids devices freezer blkio; do
		[ ! -e "$V1/$h/secrun" ]
	done
}

@test "v1: delete removes only the levels secrun created" {
	secrun_only "removes the parents it created"
	local parent=srt-parent-$ID
	cfg '.linux.cgroupsPath = $p' --arg p "/$parent/a/$ID"
	CGPATHS+=("$parent")
	run_sleeper
	[ -d "$V1/memory/$parent/a/$ID" ]
	sr delete -f "$ID"
	for h in memory cpu cpuset pids devices freezer; do
		[ ! -e "$V1/$h/$parent" ]
	done
	# a parent that existed before is left alone
	mkdir "$V1/memory/$parent"
	cfg '.linux.cgroupsPath = $p' --arg p "/$parent/$ID"
	run_sleeper
	sr delete -f "$ID"
	[ -d "$V1/memory/$parent" ]
	[ ! -e "$V1/memory/$parent/$ID" ]
	rmdir "$V1/memory/$parent"
}

@test "v1: containers started at once under a parent none of them found all join it" {
	# The first to mkdir the parent fills its cpuset.cpus a moment later:
	# the others must wait for that, not copy an empty set down (which
	# made joining fail with ENOSPC), and must walk again when a finished
	# container removed the parent they had just found. The parent stays
	# when its maker ends first (it is no longer only its own): the test
	# removes it after each round, so that every round starts without it.
	local parent=srt-par-$ID round i h pids bad=0
	for ((i = 0; i < 6; i++)); do
		track "$ID-$i"
		new_bundle "$BATS_TEST_TMPDIR/b$i" "$ID-$i"
		CFG_BUNDLE=$BATS_TEST_TMPDIR/b$i cfg '.linux.cgroupsPath = $p | .process.args = ["cat", "/proc/self/cgroup"]' \
			--arg p "/$parent/$ID-$i"
	done
	CGPATHS+=("$parent")
	for ((round = 0; round < 5; round++)); do
		pids=()
		# a barrier: all six wait on one lock, released at once
		exec 9>"$BATS_TEST_TMPDIR/gate"
		flock -x 9
		for ((i = 0; i < 6; i++)); do
			SRT_TAG=$ID timeout -k 5 "$SR_TIMEOUT" flock -s "$BATS_TEST_TMPDIR/gate" "$SECRUN" --root "$ROOT" run -b "$BATS_TEST_TMPDIR/b$i" "$ID-$i" \
				</dev/null >"$BATS_TEST_TMPDIR/o$i" 2>&1 9>&- &
			pids+=($!)
		done
		sleep 0.3
		exec 9>&-
		for i in "${!pids[@]}"; do
			wait "${pids[$i]}" || { bad=1; echo "round $round, container $i: $(cat "$BATS_TEST_TMPDIR/o$i")" >&2; }
			grep -q "cpuset:/$parent/$ID-$i\$" "$BATS_TEST_TMPDIR/o$i" ||
				{ bad=1; echo "round $round, container $i not in its cpuset: $(cat "$BATS_TEST_TMPDIR/o$i")" >&2; }
		done
		[ $bad = 0 ] || fail "concurrent starts failed (above)"
		for h in "$V1"/*/"$parent"; do
			[ -d "$h" ] || continue
			for ((i = 0; i < 6; i++)); do
				[ ! -e "$h/$ID-$i" ] || fail "$h/$ID-$i left behind"
			done
			rmdir "$h"
		done
	done
}

# bad_input FILTER TEXT: create must fail naming TEXT and leave nothing
bad_input() {
	secrun_only "secrun's error text"
	cfg "$1"
	run sr run -b "$BUNDLE" "$ID"
	assert_failed
	assert_output_has "$2"
	assert_no_leaks
}

@test "v1: cgroupsPath with .. is refused" {
	bad_input '.linux.cgroupsPath = "/secrun-test/../escape"' 'linux.cgroupsPath'
	[ ! -e $V1/memory/escape ]
}

@test "v1: a negative limit names the field" {
	bad_input '.linux.resources.memory = {limit: -2}' 'linux.resources.memory.limit'
}

@test "v1: an overflowing cpu period names the field" {
	bad_input '.linux.resources.cpu = {period: 1000000000000}' 'linux.resources.cpu.period'
}

@test "v1: unified needs cgroup v2" {
	bad_input '.linux.resources.unified = {"memory.high": "1000000"}' 'needs a cgroup v2 host'
}

@test "v1: a limit whose controller is not mounted is an error" {
	secrun_only "secrun's error text"
	[ ! -d $V1/net_cls ] && ! grep -qw net_cls /proc/self/mountinfo || skip "net_cls is mounted here"
	bad_input '.linux.resources.network = {classID: 1048577}' 'the net_cls controller is not available'
}

@test "v1: hugepage limits without a v1 hugetlb hierarchy are an error" {
	secrun_only "secrun's error text"
	[ ! -d $V1/hugetlb ] || skip "hugetlb is mounted here"
	bad_input '.linux.resources.hugepageLimits = [{pageSize: "2MB", limit: 4194304}]' \
		'hugetlb controller is not available'
}

@test "v1: a failure after mkdir removes what was made" {
	secrun_only "secrun's cleanup on error"
	# cpuset.cpus 9999 does not exist: the write fails after every mkdir
	bad_input '.linux.resources.cpu = {cpus: "9999"}' 'linux.resources.cpu.cpus'
}

# The vfork start needs a thread (its start helper) besides the init: with
# room for no new task at all, run falls back to the plain clone, whose
# failure is then a clean error, and nothing is left. The test's own pids
# cgroup, removed at the end.
@test "v1: run with no room for a thread or an init: a clean error, nothing left" {
	secrun_only "secrun's start helper"
	local cg=$V1/pids/secrun-test-nothread-$$
	mkdir "$cg"
	echo 1 >"$cg/pids.max"
	# Under the sanitizer stage, LeakSanitizer needs a task of its own at
	# exit, which this cgroup refuses: no leak check for this one process.
	run env ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" \
		sh -c 'echo $$ >"$1/cgroup.procs" && exec "$2" --root "$3" --debug run -b "$4" "$5"' \
		sh "$cg" "$SECRUN" "$ROOT" "$BUNDLE" "$ID"
	local events
	events=$(cat "$cg/pids.events")
	rmdir "$cg"
	assert_failed
	assert_output_has "vfork start unavailable (start helper: Resource temporarily unavailable): plain clone"
	assert_output_has "clone3 the container's init: Resource temporarily unavailable"
	[ "$events" != "max 0" ] || fail "pids.max was never hit: $events"
	assert_no_leaks
}

# runc's cgroup mount (the test bundle has none).
CGROUP_MOUNT='{"destination": "/sys/fs/cgroup", "type": "cgroup", "source": "cgroup",
  "options": ["nosuid", "noexec", "nodev", "relatime", "ro"]}'

# The init sets up its mounts before the runtime has moved it into its
# cgroups, and binds them at /sys/fs/cgroup only once it has (GO): what it
# shows must be the container's own cgroups, every one read-only.
@test "v1: the container sees its own cgroups, read-only, at /sys/fs/cgroup" {
	cfg '.linux.resources += {memory: {limit: 67108864}, pids: {limit: 42}}
	     | .mounts += [$cg]' --argjson cg "$CGROUP_MOUNT"
	set_cmd 'cat /sys/fs/cgroup/memory/memory.limit_in_bytes /sys/fs/cgroup/pids/pids.max
		echo rw=$(grep " /sys/fs/cgroup" /proc/self/mountinfo | grep -vc " ro,")
		echo n=$(grep -c " /sys/fs/cgroup/" /proc/self/mountinfo)
		touch /sys/fs/cgroup/x /sys/fs/cgroup/pids/x 2>&1 | grep -c "Read-only file system"'
	run_ctr
	assert_status 0
	[ "${lines[0]}" = 67108864 ]
	[ "${lines[1]}" = 42 ]
	[ "${lines[2]}" = rw=0 ]
	[ "${lines[3]}" != n=0 ]
	[ "${lines[4]}" = 2 ]
}

# A mount inside the cgroup mount needs that mount complete first, so the
# init waits for its cgroups before any mount: the order of mounts holds.
@test "v1: a mount inside /sys/fs/cgroup is made over the container's cgroups" {
	cfg '.linux.resources += {pids: {limit: 42}}
	     | .mounts += [$cg, {destination: "/sys/fs/cgroup/memory", type: "tmpfs", source: "tmpfs",
	                    options: ["nosuid", "nodev", "noexec", "size=16k"]}]' --argjson cg "$CGROUP_MOUNT"
	set_cmd 'cat /sys/fs/cgroup/pids/pids.max; ls /sys/fs/cgroup/memory | wc -l
		grep " /sys/fs/cgroup/memory " /proc/self/mountinfo | grep -c tmpfs'
	run_ctr
	assert_status 0
	[ "${lines[0]}" = 42 ]
	[ "${lines[1]}" = 0 ]
	[ "${lines[2]}" = 1 ]
}
