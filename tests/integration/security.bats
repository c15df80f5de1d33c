#!/usr/bin/env bats
# What a hostile or hardened workload can and cannot do.

load helpers

@test "hardened bundle: nobody, no capabilities, no_new_privs, read-only root" {
	local b=$BATS_TEST_TMPDIR/hb
	"$MAKE_BUNDLE" "$b" --hardened --rootfs-from "$BUNDLE/rootfs" --cgroups-path "/secrun-test/$ID" \
		--args 'id; grep -E "^(Cap(Inh|Prm|Eff|Bnd|Amb)|NoNewPrivs):" /proc/self/status; touch /x 2>&1; touch /tmp/ok && echo tmp-ok; ulimit -n'
	CFG_BUNDLE=$b cfg '.process.env += ["SRT_TAG=" + $id]' --arg id "$ID"
	run sr run -b "$b" "$ID"
	assert_status 0
	[ "${lines[0]}" = "uid=65534(nobody) gid=65534(nogroup)" ] || fail "$output"
	[ "$(grep -c $'^Cap...:\t0000000000000000$' <<<"$output")" = 5 ] || fail "capabilities left: $output"
	assert_output_has $'NoNewPrivs:\t1'
	assert_output_has "touch: /x: Read-only file system"
	assert_output_has tmp-ok
	[ "${lines[-1]}" = 1024 ] || fail "$output"
}

@test "no CAP_SYS_ADMIN: mount is refused" {
	set_cmd 'mkdir -p /tmp/m; mount -t tmpfs none /tmp/m 2>&1; echo "rc=$?"'
	run_ctr
	assert_status 0
	assert_output_lacks "rc=0"
	grep -qiE "Operation not permitted|Permission denied" <<<"$output" || fail "$output"
}

@test "the host's processes are invisible" {
	sleep 100 &
	local hostpid=$!
	set_cmd 'ls /proc | grep -cE "^[0-9]+$"; [ -e /proc/'"$hostpid"' ] && echo SEES-HOST; true'
	run_ctr
	kill "$hostpid"
	assert_status 0
	assert_output_lacks SEES-HOST
	[ "${lines[0]}" -le 4 ] || fail "$output"
}

@test "/proc/sys, /sys and a ro root cannot be written even by root in the container" {
	local b=$BATS_TEST_TMPDIR/hb
	"$MAKE_BUNDLE" "$b" --hardened --rootfs-from "$BUNDLE/rootfs" --cgroups-path "/secrun-test/$ID" \
		--args 'echo 1 >/proc/sys/kernel/hostname 2>&1; touch /sys/kernel/x 2>&1; touch /bin/x 2>&1; true'
	CFG_BUNDLE=$b cfg '.process.env += ["SRT_TAG=" + $id] | .process.user = {"uid": 0, "gid": 0}' --arg id "$ID"
	run sr run -b "$b" "$ID"
	assert_status 0
	[ "$(grep -cE 'Read-only file system|Permission denied' <<<"$output")" = 3 ] || fail "$output"
}

# exe_attack CAPS_JSON: the CVE-2019-5736 scenario, container A holding CAPS.
exe_attack() {
	# Container A (root) watches its pid namespace for a
	# process that is not busybox: container B's init while B is created, as B
	# joins A's pid namespace. A keeps that process's exe open and, once the
	# runtime has gone, tries to write through it. The runtime under test is
	# a copy, so a successful attack damages only the copy.
	local rt=$BATS_TEST_TMPDIR/rt/$(basename "$SECRUN")
	mkdir -p "${rt%/*}"
	cp "$SECRUN" "$rt"
	local sum
	sum=$(sha256sum <"$rt")

	cfg '.process.capabilities = {"bounding": $c, "effective": $c, "permitted": $c}' --argjson c "$1"
	set_cmd 'echo ready
		found=
		while [ -z "$found" ] && [ ! -e /tmp/go ]; do
			for p in /proc/[0-9]*; do
				e=$(readlink $p/exe 2>/dev/null) || continue
				case "$e" in ""|*busybox*) continue ;; esac
				echo "sees $p $e"
				if cat $p/exe >/dev/null 2>&1; then
					exec 7<$p/exe
					echo "grabbed $p"
				else
					echo "cannot-open $p"
				fi
				found=1
				break
			done
			echo pass
			sleep 0.05
		done
		echo scanned
		while [ ! -e /tmp/go ]; do sleep 0.05; done
		if [ -n "$found" ] && [ -e /proc/self/fd/7 ]; then
			if echo PWNED >>/proc/self/fd/7; then echo write-ok; else echo write-refused; fi
		fi
		echo done; exec sleep 100'
	run_detached
	local out=$BATS_TEST_TMPDIR/$ID.out
	wait_for file_has "$out" ready
	local pida
	pida=$(pid_of "$ID")

	local id2=${ID}-b b2=$BATS_TEST_TMPDIR/b2
	track "$id2"
	new_bundle "$b2" "$id2"
	CFG_BUNDLE=$b2 cfg '.linux.namespaces |= map(if .type == "pid" then .path = "/proc/" + $p + "/ns/pid" else . end)
		| .process.args = ["sleep", "100"]' --arg p "$pida"
	SECRUN=$rt create_ctr "$id2" "$b2" || fail "create of the joining container failed: $(cat "$BATS_TEST_TMPDIR/$id2.err")"
	# give A two full scans of its /proc with B's init (the runtime, waiting
	# for start) in it
	local n0
	n0=$(grep -c '^pass' "$out")
	wait_for eval '[ "$(grep -c "^pass" "$out")" -ge $((n0 + 2)) ] || grep -q "grabbed\|cannot-open" "$out"'
	SECRUN=$rt sr start "$id2"
	wait_for status_is "$id2" running
	local pidb
	pidb=$(pid_of "$id2")
	wait_for eval '[[ $(readlink /proc/'"$pidb"'/exe) == *busybox* ]]'
	touch "/proc/$pida/root/tmp/go"
	wait_for file_has "$out" done
	echo "container A saw: $(grep -v '^pass' "$out")"
	[ "$(sha256sum <"$rt")" = "$sum" ] || fail "the runtime binary was modified from the container: $(grep -v '^pass' "$out")"
	! grep -q write-ok "$out" || fail "the container wrote to the runtime's exe: $(grep -v '^pass' "$out")"
	sr delete -f "$id2"
	sr delete -f "$ID"
}

@test "the runtime's binary cannot be overwritten through /proc/PID/exe (CVE-2019-5736)" {
	# a root container with the default capabilities
	exe_attack '["CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"]'
}

@test "the runtime's binary cannot be overwritten through /proc/PID/exe, even with CAP_SYS_PTRACE" {
	# with CAP_SYS_PTRACE even a non-dumpable process's /proc/PID/exe opens:
	# only a runtime whose processes never run its on-disk binary is safe
	exe_attack '["CAP_SYS_PTRACE", "CAP_DAC_OVERRIDE", "CAP_KILL"]'
}

@test "a created container's init cannot be opened for writing by an exec with CAP_SYS_PTRACE (CVE-2019-5736)" {
	# The init waits for `start` running the runtime's binary; an exec'd
	# process with CAP_SYS_PTRACE can open a non-dumpable process's
	# /proc/1/exe. The runtime under test is a copy.
	local rt=$BATS_TEST_TMPDIR/rt/$(basename "$SECRUN")
	mkdir -p "${rt%/*}"
	cp "$SECRUN" "$rt"
	local sum
	sum=$(sha256sum <"$rt")
	cfg '.process.capabilities = {"bounding": $c, "effective": $c, "permitted": $c}
		| .process.args = ["sleep", "100"]' --argjson c '["CAP_SYS_PTRACE", "CAP_DAC_OVERRIDE", "CAP_KILL"]'
	SECRUN=$rt create_ctr || fail "create: $(cat "$BATS_TEST_TMPDIR/$ID.err")"
	local pid
	pid=$(pid_of "$ID")
	SECRUN=$rt sr exec -d "$ID" sh -c 'if exec 7</proc/1/exe; then echo grabbed; else echo cannot-open; fi >/tmp/out 2>&1
		while [ ! -e /tmp/go ]; do sleep 0.05; done
		if echo PWNED >>/proc/self/fd/7; then echo write-ok; else echo write-refused; fi >>/tmp/out 2>&1
		echo done >>/tmp/out' </dev/null >/dev/null 2>&1 || fail "exec -d failed"
	wait_for file_has "/proc/$pid/root/tmp/out" "grabbed\|cannot-open"
	SECRUN=$rt sr start "$ID"
	wait_for status_is "$ID" running
	wait_for eval '[[ $(readlink /proc/'"$pid"'/exe) == *busybox* ]]'
	touch "/proc/$pid/root/tmp/go"
	wait_for file_has "/proc/$pid/root/tmp/out" done
	local saw
	saw=$(cat "/proc/$pid/root/tmp/out")
	sr delete -f "$ID"
	[ "$(sha256sum <"$rt")" = "$sum" ] || fail "the runtime binary was modified from the container: $saw"
	! grep -q write-ok <<<"$saw" || fail "the container wrote to the runtime's exe: $saw"
}

@test "no_new_privs: a setuid-root binary does not gain root" {
	# A setuid-root busybox: it drops the effective uid for most applets but
	# keeps the saved uid 0, unless no_new_privs stopped the setuid at exec.
	mkdir -p "$BUNDLE/rootfs/opt/suid"
	cp "$BUNDLE/rootfs/bin/busybox" "$BUNDLE/rootfs/opt/suid/busybox"
	chmod 4755 "$BUNDLE/rootfs/opt/suid/busybox"
	cfg '.process.user = {"uid": 1000, "gid": 1000} | .process.noNewPrivileges = true'
	set_args /opt/suid/busybox grep ^Uid: /proc/self/status
	run_ctr
	assert_status 0
	grep -qE '^Uid:\s+1000\s+1000\s+1000\s+1000$' <<<"$output" || fail "privileges raised: $output"
	# control: without no_new_privs the setuid bit works (saved uid 0)
	cfg '.process.noNewPrivileges = false'
	run_ctr
	assert_status 0
	grep -qE '^Uid:\s+1000\s+[0-9]+\s+0\s' <<<"$output" || fail "control: setuid had no effect: $output"
}
