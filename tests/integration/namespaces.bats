#!/usr/bin/env bats
# Namespaces, as the workload sees them.

load helpers

@test "pid: the workload is pid 1 and sees only its own processes" {
	set_cmd 'echo "pid=$$"; ls -d /proc/[0-9]* | wc -l'
	run_ctr
	assert_status 0
	[ "${lines[0]}" = "pid=1" ] || fail "$output"
	# sh, ls (and the wc pipe): nothing from the host
	[ "${lines[1]}" -le 4 ] || fail "the container sees ${lines[1]} processes"
}

@test "every configured namespace differs from the host's" {
	set_cmd 'for n in pid net ipc uts mnt; do echo "$n $(readlink /proc/self/ns/$n)"; done'
	run_ctr
	assert_status 0
	local n inside
	for n in pid net ipc uts mnt; do
		inside=$(awk -v n="$n" '$1 == n {print $2}' <<<"$output")
		[ -n "$inside" ] || fail "no $n line: $output"
		[ "$inside" != "$(readlink "/proc/self/ns/$n")" ] || fail "$n namespace is the host's ($inside)"
	done
}

@test "a namespace left out of the config is the host's" {
	cfg '.linux.namespaces |= map(select(.type != "ipc" and .type != "network"))'
	set_cmd 'echo "net $(readlink /proc/self/ns/net)"; echo "ipc $(readlink /proc/self/ns/ipc)"'
	run_ctr
	assert_status 0
	assert_output_has "net $(readlink /proc/self/ns/net)"
	assert_output_has "ipc $(readlink /proc/self/ns/ipc)"
}

@test "uts: hostname from the config" {
	cfg '.hostname = "box-h1"'
	set_cmd 'hostname; cat /proc/sys/kernel/hostname'
	run_ctr
	assert_status 0
	[ "${lines[0]}" = box-h1 ] || fail "$output"
	[ "${lines[1]}" = box-h1 ] || fail "$output"
	[ "$(hostname)" != box-h1 ]
}

@test "uts: domainname from the config" {
	cfg '.hostname = "box-h1" | .domainname = "example.test"'
	set_cmd 'cat /proc/sys/kernel/domainname'
	run_ctr
	assert_status 0
	if ! is_secrun && [ "$output" = "(none)" ]; then
		skip "$(basename "$SECRUN") ignores domainname"
	fi
	[ "$output" = example.test ] || fail "domainname: $output"
	[ "$(cat /proc/sys/kernel/domainname)" != example.test ]
}

@test "uts: a hostname without a uts namespace is refused" {
	cfg '.linux.namespaces |= map(select(.type != "uts")) | .hostname = "nope"'
	set_args true
	local before
	before=$(hostname)
	run_ctr
	assert_failed
	[ "$(hostname)" = "$before" ]
	assert_no_leaks
}

@test "ipc: a host SysV message queue is invisible inside" {
	command -v ipcmk >/dev/null || skip "ipcmk (util-linux) not installed"
	local q
	q=$(ipcmk -Q | grep -oE '[0-9]+$')
	set_cmd 'tail -n +2 /proc/sysvipc/msg | wc -l'
	run_ctr
	local rc=$status out=$output
	# control: sharing the host's ipc namespace shows the queue
	cfg '.linux.namespaces |= map(select(.type != "ipc"))'
	run_ctr
	ipcrm -q "$q"
	[ "$rc" -eq 0 ] && [ "$out" = 0 ] || fail "the container sees host queues: $out"
	assert_status 0
	[ "$output" -ge 1 ] || fail "control without an ipc namespace saw no queue: $output"
}

@test "net: only the loopback interface" {
	set_cmd 'tail -n +3 /proc/net/dev | cut -d: -f1 | tr -d " "; ls /sys/class/net'
	run_ctr
	assert_status 0
	[ "$output" = "lo
lo" ] || fail "interfaces: $output"
}

@test "user: uidMappings and gidMappings show in uid_map/gid_map" {
	cfg '.linux.namespaces += [{"type": "user"}]
		| .linux.uidMappings = [{"containerID": 0, "hostID": 100000, "size": 65536}]
		| .linux.gidMappings = [{"containerID": 0, "hostID": 200000, "size": 65536}]'
	set_cmd 'cat /proc/self/uid_map; cat /proc/self/gid_map; id -u; readlink /proc/self/ns/user'
	run_ctr
	assert_status 0
	[ "$(echo ${lines[0]})" = "0 100000 65536" ] || fail "uid_map: $output"
	[ "$(echo ${lines[1]})" = "0 200000 65536" ] || fail "gid_map: $output"
	[ "${lines[2]}" = 0 ] || fail "$output"
	[ "${lines[3]}" != "$(readlink /proc/self/ns/user)" ]
}

@test "user: the workload runs as the mapped host uid" {
	cfg '.linux.namespaces += [{"type": "user"}]
		| .linux.uidMappings = [{"containerID": 0, "hostID": 100000, "size": 65536}]
		| .linux.gidMappings = [{"containerID": 0, "hostID": 100000, "size": 65536}]'
	set_cmd 'echo ready; exec sleep 100'
	run_detached
	wait_for file_has "$BATS_TEST_TMPDIR/$ID.out" ready
	local pid
	pid=$(pid_of "$ID")
	[ "$(awk '/^Uid:/ {print $2}' "/proc/$pid/status")" = 100000 ]
	[ "$(awk '/^Gid:/ {print $2}' "/proc/$pid/status")" = 100000 ]
	sr delete -f "$ID"
}

@test "cgroup: with a cgroup namespace the container's cgroups are roots" {
	cfg '.linux.namespaces += [{"type": "cgroup"}]'
	set_cmd 'cat /proc/self/cgroup; readlink /proc/self/ns/cgroup'
	run_ctr
	assert_status 0
	[ "${lines[-1]}" != "$(readlink /proc/self/ns/cgroup)" ] || fail "cgroup ns is the host's"
	local l n=0
	for l in "${lines[@]}"; do
		[[ $l == cgroup:* ]] && continue
		n=$((n + 1))
		[[ $l == *:/ ]] || fail "not a root in the cgroup ns: '$l' in:
$output"
	done
	[ "$n" -gt 0 ]
}

@test "cgroup: without a cgroup namespace the host path shows" {
	set_cmd 'cat /proc/self/cgroup'
	run_ctr
	assert_status 0
	assert_output_has "/secrun-test/$ID"
}

@test "time: linux.timeOffsets shifts boottime in /proc/uptime" {
	[ -e /proc/self/ns/time ] || skip "kernel without time namespaces"
	cfg '.linux.namespaces += [{"type": "time"}]
		| .linux.timeOffsets = {"boottime": {"secs": 864000, "nanosecs": 0},
		                        "monotonic": {"secs": 172800, "nanosecs": 0}}'
	set_cmd 'cut -d" " -f1 /proc/uptime; readlink /proc/self/ns/time'
	run_ctr
	if ! is_secrun && [ "$status" -ne 0 ]; then
		skip "$(basename "$SECRUN") has no time namespace: $output"
	fi
	assert_status 0
	local host up
	host=$(cut -d' ' -f1 /proc/uptime)
	up=${lines[0]%.*}
	[ "$up" -ge $((${host%.*} + 864000 - 5)) ] || fail "uptime $up, host ${host%.*}: offset not applied"
	[ "$up" -le $((${host%.*} + 864000 + 60)) ] || fail "uptime $up, host ${host%.*}"
	[ "${lines[1]}" != "$(readlink /proc/self/ns/time)" ]
}

@test "join by path: a second container shares the first's net and uts namespaces" {
	cfg '.hostname = "joined-host"'
	set_cmd 'echo ready; exec sleep 100'
	run_detached
	wait_for file_has "$BATS_TEST_TMPDIR/$ID.out" ready
	local pid
	pid=$(pid_of "$ID")

	local id2=${ID}-b b2=$BATS_TEST_TMPDIR/b2
	track "$id2"
	new_bundle "$b2" "$id2"
	CFG_BUNDLE=$b2 cfg 'del(.hostname)
		| .linux.namespaces |= map(
			if .type == "network" then .path = "/proc/" + $p + "/ns/net"
			elif .type == "uts" then .path = "/proc/" + $p + "/ns/uts"
			else . end)
		| .process.args = ["sh", "-c", "hostname; readlink /proc/self/ns/net; readlink /proc/self/ns/uts; readlink /proc/self/ns/pid"]' \
		--arg p "$pid"
	run sr run -b "$b2" "$id2"
	assert_status 0
	[ "${lines[0]}" = joined-host ] || fail "$output"
	[ "${lines[1]}" = "$(readlink "/proc/$pid/ns/net")" ] || fail "net ns not joined: $output"
	[ "${lines[2]}" = "$(readlink "/proc/$pid/ns/uts")" ] || fail "uts ns not joined: $output"
	[ "${lines[3]}" != "$(readlink "/proc/$pid/ns/pid")" ] || fail "pid ns should be new: $output"
	sr delete -f "$ID"
}

@test "join by path: a path that is not a namespace is refused" {
	cfg '.linux.namespaces |= map(if .type == "network" then .path = "/etc/hostname" else . end)'
	set_args true
	run_ctr
	assert_failed
	assert_no_leaks
}

@test "mount: the container's mounts do not show on the host" {
	set_cmd 'grep -c " /tmp " /proc/self/mountinfo'
	run_ctr
	assert_status 0
	[ "${lines[0]}" -ge 1 ]
	! grep -qF "$BUNDLE" /proc/self/mountinfo
}
