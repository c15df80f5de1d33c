#!/usr/bin/env bats
# The process: env, cwd, user, umask, capabilities, no_new_privs, rlimits,
# oom_score_adj, keyring, inherited fds.

load helpers

@test "env: exactly the configured variables, nothing from the runtime's caller" {
	cfg '.process.env = ["PATH=/bin:/usr/bin", "FOO=bar baz", "EMPTY=", "SRT_TAG=" + $id]' --arg id "$ID"
	set_args env
	SRT_HOST_ONLY=leak run sr run -b "$BUNDLE" "$ID"
	assert_status 0
	assert_output_has "FOO=bar baz"
	grep -qx 'EMPTY=' <<<"$output" || fail "$output"
	grep -qx 'PATH=/bin:/usr/bin' <<<"$output" || fail "$output"
	assert_output_lacks SRT_HOST_ONLY
	# env is exec'd directly: its environment is the config's and nothing else
	# (HOME may be added by the runtime, as runc does)
	local extra
	extra=$(grep -vE '^(PATH|FOO|EMPTY|SRT_TAG|HOME)=' <<<"$output" || true)
	[ -z "$extra" ] || fail "unexpected variables: $extra"
}

@test "env: args[0] is looked up in the config's PATH" {
	mkdir -p "$BUNDLE/rootfs/opt/tools"
	printf '#!/bin/sh\necho custom-tool "$@"\n' >"$BUNDLE/rootfs/opt/tools/mytool"
	chmod 755 "$BUNDLE/rootfs/opt/tools/mytool"
	cfg '.process.env = ["PATH=/opt/tools:/bin", "SRT_TAG=" + $id]' --arg id "$ID"
	set_args mytool a1
	run_ctr
	assert_status 0
	[ "$output" = "custom-tool a1" ] || fail "$output"
}

@test "cwd: the workload starts in process.cwd" {
	cfg '.process.cwd = "/home/user"'
	set_args pwd
	run_ctr
	assert_status 0
	[ "$output" = /home/user ] || fail "$output"
}

@test "cwd: a missing cwd is created inside the rootfs" {
	cfg '.process.cwd = "/new/work/dir"'
	set_args pwd
	run_ctr
	assert_status 0
	[ "$output" = /new/work/dir ] || fail "$output"
	[ -d "$BUNDLE/rootfs/new/work/dir" ]
}

@test "user: uid, gid and additionalGids" {
	cfg '.process.user = {"uid": 1000, "gid": 1000, "additionalGids": [10, 65534]}'
	set_cmd 'id -u; id -g; grep -E "^(Uid|Gid|Groups):" /proc/self/status'
	run_ctr
	assert_status 0
	[ "${lines[0]}" = 1000 ] || fail "$output"
	[ "${lines[1]}" = 1000 ] || fail "$output"
	grep -qE '^Uid:\s+1000\s+1000\s+1000\s+1000$' <<<"$output" || fail "$output"
	grep -qE '^Gid:\s+1000\s+1000\s+1000\s+1000$' <<<"$output" || fail "$output"
	grep -qE '^Groups:\s+10 65534\s*$' <<<"$output" || fail "supplementary groups: $output"
}

@test "user: id shows the names from the rootfs's /etc/passwd" {
	cfg '.process.user = {"uid": 65534, "gid": 65534}'
	set_args id
	run_ctr
	assert_status 0
	[ "$output" = "uid=65534(nobody) gid=65534(nogroup)" ] || fail "$output"
}

@test "user: no additionalGids means no supplementary groups" {
	cfg '.process.user = {"uid": 0, "gid": 0}'
	set_cmd 'grep "^Groups:" /proc/self/status'
	run_ctr
	assert_status 0
	grep -qE '^Groups:\s*$' <<<"$output" || fail "inherited groups: $output"
}

@test "umask: process.user.umask is applied" {
	cfg '.process.user.umask = 23'
	set_cmd 'umask; touch /tmp/f; stat -c %a /tmp/f'
	run_ctr
	assert_status 0
	[ "${lines[0]}" = 0027 ] || fail "$output"
	[ "${lines[1]}" = 640 ] || fail "$output"
}

@test "umask: the default is 0022" {
	set_args sh -c umask
	run_ctr
	assert_status 0
	[ "$output" = 0022 ] || fail "$output"
}

# caps_of: the five capability lines of the workload's status
caps_script='grep -E "^Cap(Inh|Prm|Eff|Bnd|Amb):" /proc/self/status'

@test "capabilities: root gets exactly the configured sets" {
	cfg '.process.capabilities = {
		"bounding": ["CAP_CHOWN", "CAP_KILL", "CAP_NET_BIND_SERVICE"],
		"effective": ["CAP_CHOWN", "CAP_KILL", "CAP_NET_BIND_SERVICE"],
		"permitted": ["CAP_CHOWN", "CAP_KILL", "CAP_NET_BIND_SERVICE"],
		"inheritable": [], "ambient": []}'
	set_cmd "$caps_script"
	run_ctr
	assert_status 0
	grep -qx $'CapInh:\t0000000000000000' <<<"$output" || fail "$output"
	grep -qx $'CapPrm:\t0000000000000421' <<<"$output" || fail "$output"
	grep -qx $'CapEff:\t0000000000000421' <<<"$output" || fail "$output"
	grep -qx $'CapBnd:\t0000000000000421' <<<"$output" || fail "$output"
	grep -qx $'CapAmb:\t0000000000000000' <<<"$output" || fail "$output"
}

@test "capabilities: a non-root user keeps inheritable and ambient sets" {
	# after execve a non-root process keeps exactly its ambient set in its
	# permitted and effective sets
	cfg '.process.user = {"uid": 1000, "gid": 1000}
		| .process.capabilities = {
		"bounding": ["CAP_CHOWN", "CAP_KILL", "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT"],
		"effective": ["CAP_KILL", "CAP_NET_BIND_SERVICE"],
		"permitted": ["CAP_KILL", "CAP_NET_BIND_SERVICE"],
		"inheritable": ["CAP_KILL", "CAP_NET_BIND_SERVICE"],
		"ambient": ["CAP_KILL", "CAP_NET_BIND_SERVICE"]}'
	set_cmd "$caps_script"
	run_ctr
	assert_status 0
	grep -qx $'CapInh:\t0000000000000420' <<<"$output" || fail "$output"
	grep -qx $'CapPrm:\t0000000000000420' <<<"$output" || fail "$output"
	grep -qx $'CapEff:\t0000000000000420' <<<"$output" || fail "$output"
	grep -qx $'CapBnd:\t0000000000040421' <<<"$output" || fail "$output"
	grep -qx $'CapAmb:\t0000000000000420' <<<"$output" || fail "$output"
}

@test "capabilities: empty sets leave nothing" {
	cfg '.process.capabilities = {"bounding": [], "effective": [], "permitted": [], "inheritable": [], "ambient": []}'
	set_cmd "$caps_script"
	run_ctr
	assert_status 0
	[ "$(grep -c $'\t0000000000000000$' <<<"$output")" = 5 ] || fail "$output"
}

@test "capabilities: a dropped capability is really missing (chown), a kept one works" {
	cfg '.process.capabilities = {"bounding": ["CAP_KILL"], "effective": ["CAP_KILL"], "permitted": ["CAP_KILL"]}'
	set_cmd 'touch /tmp/f; chown 1000 /tmp/f 2>&1; echo "rc=$?"'
	run_ctr
	assert_status 0
	assert_output_has "Operation not permitted"
	assert_output_has "rc=1"
	cfg '.process.capabilities = {"bounding": ["CAP_CHOWN"], "effective": ["CAP_CHOWN"], "permitted": ["CAP_CHOWN"]}'
	set_cmd 'touch /tmp/f; chown 1000 /tmp/f && stat -c %u /tmp/f'
	run_ctr
	assert_status 0
	[ "$output" = 1000 ] || fail "$output"
}

@test "capabilities: an unknown capability name is named (refused or warned about)" {
	# runc warns and ignores it (a capability newer than its libcap); either
	# way the name must appear and no unknown bit may be granted
	cfg '.process.capabilities = {"bounding": ["CAP_KILL", "CAP_NOT_A_CAP"],
		"effective": ["CAP_KILL"], "permitted": ["CAP_KILL"]}'
	set_cmd "$caps_script"
	run_ctr
	assert_output_has CAP_NOT_A_CAP
	if [ "$status" -eq 0 ]; then
		grep -qx $'CapBnd:\t0000000000000020' <<<"$output" || fail "$output"
	fi
	assert_no_leaks
}

@test "noNewPrivileges: NoNewPrivs is 1 when set, 0 when not" {
	cfg '.process.noNewPrivileges = true'
	set_cmd 'grep "^NoNewPrivs:" /proc/self/status'
	run_ctr
	assert_status 0
	[ "$output" = $'NoNewPrivs:\t1' ] || fail "$output"
	cfg '.process.noNewPrivileges = false'
	run_ctr
	assert_status 0
	[ "$output" = $'NoNewPrivs:\t0' ] || fail "$output"
}

@test "rlimits: RLIMIT_NOFILE and RLIMIT_NPROC soft/hard" {
	cfg '.process.rlimits = [{"type": "RLIMIT_NOFILE", "soft": 512, "hard": 1000},
		{"type": "RLIMIT_NPROC", "soft": 300, "hard": 400}]'
	set_cmd 'ulimit -n; ulimit -Hn; grep -E "^Max (open files|processes)" /proc/self/limits'
	run_ctr
	assert_status 0
	[ "${lines[0]}" = 512 ] || fail "$output"
	[ "${lines[1]}" = 1000 ] || fail "$output"
	grep -qE '^Max open files +512 +1000 +files' <<<"$output" || fail "$output"
	grep -qE '^Max processes +300 +400 +processes' <<<"$output" || fail "$output"
}

@test "rlimits: a low RLIMIT_NOFILE still lets create and start work" {
	# (the init still opens fds after the rlimits: the exec socket's
	# connection, the hooks' pipes; the mounts' fds must be gone by then)
	cfg '.process.rlimits = [{"type": "RLIMIT_NOFILE", "soft": 6, "hard": 6}]'
	set_cmd 'ulimit -n'
	create_ctr || fail "$(cat "$BATS_TEST_TMPDIR/$ID.err")"
	run sr start "$ID"
	assert_status 0
	wait_for status_is "$ID" stopped
	run cat "$BATS_TEST_TMPDIR/$ID.out"
	[ "$output" = 6 ] || fail "out: $output; err: $(cat "$BATS_TEST_TMPDIR/$ID.err")"
	sr delete "$ID"
	assert_no_leaks
}

@test "oomScoreAdj over a /proc that is not procfs: refused, never written to a plain file" {
	secrun_only "the /proc/self writes check that they land in procfs"
	mkdir -p "$BUNDLE/fakeproc/self"
	echo 0 >"$BUNDLE/fakeproc/self/oom_score_adj"
	cfg '.process.oomScoreAdj = 100
		| .mounts = [.mounts[] | if .destination == "/proc" then
			{destination: "/proc", type: "bind", source: "fakeproc", options: ["rbind"]} else . end]'
	set_args true
	run_ctr
	assert_failed
	assert_output_has "oom_score_adj"
	assert_output_has "not a file of procfs"
	[ "$(cat "$BUNDLE/fakeproc/self/oom_score_adj")" = 0 ] || fail "written through"
	assert_no_leaks
}

@test "rlimits: an unknown rlimit type is refused" {
	cfg '.process.rlimits = [{"type": "RLIMIT_BOGUS", "soft": 1, "hard": 1}]'
	set_args true
	run_ctr
	assert_failed
	assert_output_has RLIMIT_BOGUS
	assert_no_leaks
}

@test "oomScoreAdj: written to /proc/self/oom_score_adj" {
	cfg '.process.oomScoreAdj = 123'
	set_args cat /proc/self/oom_score_adj
	run_ctr
	assert_status 0
	[ "$output" = 123 ] || fail "$output"
}

@test "session keyring: a new one per container, none with --no-new-keyring" {
	[ -e /proc/keys ] || skip "kernel without /proc/keys"
	set_args cat /proc/keys
	run_ctr
	assert_status 0
	local with=$output
	grep -qE "keyring +_ses[^:]*:" <<<"$with" || fail "no session keyring: $with"
	if is_secrun; then
		grep -qE "keyring +_ses\.$ID:" <<<"$with" || fail "the session keyring is not named _ses.$ID: $with"
	fi
	# Another id: the first container's keyring may still be listed until
	# the kernel's key garbage collector has run.
	local id2=$ID-nk
	track "$id2"
	run sr run --no-new-keyring -b "$BUNDLE" "$id2"
	assert_status 0
	assert_output_lacks "_ses.$id2"
}

@test "fds: an inherited fd (5) does not reach the container; only 0 1 2" {
	# ls has its directory open as fd 3 while listing
	set_cmd 'ls /proc/self/fd | tr "\n" " "'
	run sr run -b "$BUNDLE" "$ID" 5</etc/hostname 7>"$BATS_TEST_TMPDIR/fd7"
	assert_status 0
	[ "$output" = "0 1 2 3 " ] || fail "fds in the container: $output"
}

@test "fds: --preserve-fds 1 passes fd 3 on" {
	echo preserved-content >"$BATS_TEST_TMPDIR/f3"
	set_cmd 'ls /proc/self/fd | tr "\n" " "; echo; cat <&3'
	run sr run --preserve-fds 1 -b "$BUNDLE" "$ID" 3<"$BATS_TEST_TMPDIR/f3" 4</etc/hostname
	assert_status 0
	[ "${lines[0]}" = "0 1 2 3 4 " ] || fail "fds in the container: $output"
	[ "${lines[1]}" = preserved-content ] || fail "$output"
}

@test "stdio: stdin, stdout and stderr are the caller's" {
	set_cmd 'read line; echo "out:$line"; echo "err:$line" >&2'
	echo from-stdin >"$BATS_TEST_TMPDIR/in"
	sr run -b "$BUNDLE" "$ID" <"$BATS_TEST_TMPDIR/in" >"$BATS_TEST_TMPDIR/o" 2>"$BATS_TEST_TMPDIR/e"
	[ "$(cat "$BATS_TEST_TMPDIR/o")" = out:from-stdin ]
	grep -qx err:from-stdin "$BATS_TEST_TMPDIR/e"
}

@test "process: a missing executable fails and leaves nothing behind" {
	set_args /no/such/binary
	run_ctr
	assert_failed
	assert_output_has "/no/such/binary"
	assert_no_leaks
}
