#!/usr/bin/env bats
# Bad input and failures: each must give a clear error and leave nothing
# behind (state dir, mounts, processes, cgroups): assert_no_leaks after each,
# and the teardown checks again.

load helpers

@test "--log with --log-format json: only JSON lines with level, msg, time" {
	cfg '.root.path = "no-such-rootfs"'
	set_args true
	run sr --log "$BATS_TEST_TMPDIR/log.json" --log-format json run -b "$BUNDLE" "$ID"
	assert_failed
	local log=$BATS_TEST_TMPDIR/log.json
	[ -s "$log" ] || fail "nothing was logged"
	local n=0 line
	while IFS= read -r line; do
		n=$((n + 1))
		jq -e '(.level | type == "string") and (.msg | type == "string")
			and (.time | type == "string" and test("^[0-9]{4}-[0-9]{2}-[0-9]{2}T"))' <<<"$line" >/dev/null ||
			fail "log line $n is not a JSON object with level/msg/time: $line"
	done <"$log"
	# the last error names the problem
	jq -rs 'map(select(.level == "error")) | last | .msg' "$log" | grep -q no-such-rootfs ||
		fail "the error does not name the rootfs: $(cat "$log")"
	assert_no_leaks
}

@test "--log text: the error is written to the file and to stderr" {
	run sr --log "$BATS_TEST_TMPDIR/log.txt" state "no-such-$ID"
	assert_failed
	assert_output_has "does not exist"
	grep -q "does not exist" "$BATS_TEST_TMPDIR/log.txt" || fail "log: $(cat "$BATS_TEST_TMPDIR/log.txt")"
}

@test "malformed config.json: an error that says where" {
	printf '{\n  "ociVersion": "1.0.2",\n  "process": {,\n}\n' >"$BUNDLE/config.json"
	run_ctr
	assert_failed
	if is_secrun; then
		assert_output_has "config.json"
		grep -qiE '(line|column|position|offset)[ :]*[0-9]+' <<<"$output" || fail "no position: $output"
	fi
	assert_no_leaks
}

@test "empty config.json is refused" {
	: >"$BUNDLE/config.json"
	run_ctr
	assert_failed
	assert_no_leaks
}

@test "missing config.json is refused, naming it" {
	rm "$BUNDLE/config.json"
	run_ctr
	assert_failed
	assert_output_has config.json
	assert_no_leaks
}

@test "wrong type: process.args as a string names the JSON path" {
	cfg '.process.args = "sh"'
	run_ctr
	assert_failed
	assert_output_has "process.args"
	if is_secrun; then
		assert_output_has "process.args: expected array"
	fi
	assert_no_leaks
}

@test "wrong type: a namespace type as a number names the JSON path" {
	cfg '.linux.namespaces[0].type = 5'
	run_ctr
	assert_failed
	assert_output_has "namespaces"
	assert_no_leaks
}

@test "wrong type: root.readonly as a string" {
	cfg '.root.readonly = "yes"'
	run_ctr
	assert_failed
	assert_output_has "readonly"
	assert_no_leaks
}

@test "empty process.args is refused" {
	cfg '.process.args = []'
	run_ctr
	assert_failed
	assert_output_has "args"
	assert_no_leaks
}

@test "missing rootfs: refused, naming the path" {
	cfg '.root.path = "no-such-rootfs"'
	run_ctr
	assert_failed
	assert_output_has "no-such-rootfs"
	assert_no_leaks
}

# secrun may be linked against musl (README "Performance"), whose strerror
# words many errors its own way ("Symbolic link loop"): the messages stay
# glibc's, as runc's and crun's users know them.
@test "a rootfs that is a symlink loop: the error in glibc's words" {
	secrun_only "secrun's error text"
	ln -s loop "$BUNDLE/loop"
	cfg '.root.path = "loop"'
	run_ctr
	assert_failed
	assert_output_has "root.path: $BUNDLE/loop: Too many levels of symbolic links"
	assert_no_leaks
}

@test "a missing bundle directory is refused" {
	run sr run -b "$BATS_TEST_TMPDIR/no-such-bundle" "$ID"
	assert_failed
	assert_output_has "no-such-bundle"
	assert_no_leaks
}

@test "an unknown namespace type is refused" {
	cfg '.linux.namespaces += [{"type": "bogusns"}]'
	run_ctr
	assert_failed
	assert_output_has bogusns
	assert_no_leaks
}

# bad_id ID: create and run refuse it, and nothing is created anywhere
bad_id() {
	local bad=$1
	mkdir -p "$ROOT"
	run sr create -b "$BUNDLE" "$bad"
	assert_failed
	run sr run -b "$BUNDLE" "$bad"
	assert_failed
	[ -z "$(ls -A "$ROOT")" ] || fail "created under the root: $(ls -A "$ROOT")"
	[ ! -e "$BATS_TEST_TMPDIR/x" ] || fail "created outside the root: $BATS_TEST_TMPDIR/x"
	assert_no_leaks
}

@test "id '../x' is refused, nothing created" {
	bad_id ../x
}

@test "id '.' is refused" {
	bad_id .
}

@test "id '..' is refused" {
	bad_id ..
}

@test "id 'a/b' is refused" {
	bad_id a/b
}

@test "an empty id is refused" {
	bad_id ""
}

@test "ids of state, kill, delete are validated too" {
	mkdir -p "$BATS_TEST_TMPDIR/x"
	local c
	for c in state kill start; do
		run sr "$c" ../x
		assert_failed
	done
	run sr delete ../x
	assert_failed
	[ -d "$BATS_TEST_TMPDIR/x" ] || fail "delete ../x removed a directory outside the root"
}

# A mount destination that is a symlink leading out of the rootfs must be
# resolved inside the rootfs (or refused): never mounted on the host path.
symlink_dest() {
	local link=$1
	local src=$BATS_TEST_TMPDIR/src mark=srt-marker-$ID
	mkdir "$src"
	echo inside >"$src/$mark"
	ln -s "$link" "$BUNDLE/rootfs/evil"
	cfg '.mounts += [{"destination": "/evil", "type": "bind", "source": $s, "options": ["bind", "ro"]}]' --arg s "$src"
	set_cmd 'cat /evil/'"$mark"'; cat /etc/'"$mark"'; true'
	run_ctr
	[ ! -e "/etc/$mark" ] || fail "the mount landed on the host's /etc"
	! grep -qE ' /etc ' /proc/self/mountinfo || fail "a mount on the host's /etc"
	if [ "$status" -eq 0 ]; then
		# it landed inside the rootfs, where the link points within it
		[ "${lines[0]}" = inside ] || fail "not visible through /evil: $output"
		[ "${lines[1]}" = inside ] || fail "not at the rootfs's /etc: $output"
	fi
	[ -e "$BUNDLE/rootfs/etc/passwd" ] || fail "the rootfs's /etc was damaged"
	assert_no_leaks
}

@test "mount destination: a symlink to /etc stays in the rootfs" {
	symlink_dest /etc
}

@test "mount destination: a relative symlink climbing out stays in the rootfs" {
	symlink_dest ../../../../../../../../etc
}

@test "mount destination: a symlink in a parent directory" {
	local mark=srt-marker-$ID
	[ ! -e /tmp/sub ] || skip "the host has a /tmp/sub already"
	ln -s /tmp "$BUNDLE/rootfs/evildir"
	cfg '.mounts += [{"destination": "/evildir/sub", "type": "tmpfs", "source": "tmpfs", "options": ["size=1m"]}]'
	set_cmd 'touch /evildir/sub/'"$mark"' && ls /tmp/sub'
	run_ctr
	local host_sub=no
	[ -e /tmp/sub ] && host_sub=yes && rm -rf /tmp/sub
	[ "$host_sub" = no ] || fail "the runtime created or mounted the host's /tmp/sub"
	if [ "$status" -eq 0 ]; then
		# (/evildir/sub resolved in the rootfs: inside the container's /tmp)
		[ "$output" = "$mark" ] || fail "$output"
	fi
	assert_no_leaks
}

@test "cwd /proc/self/fd/7: never a host directory" {
	local mark=srt-host-marker-$ID
	touch "/$mark" # a file only the host's / has
	cfg '.process.cwd = "/proc/self/fd/7"'
	set_cmd 'pwd; for i in 1 2 3 4 5 6 7 8 9 10 11 12; do cd .. 2>/dev/null; done; ls -A . | tr "\n" " "; [ -e ./'"$mark"' ] && echo ESCAPED; true'
	run sr run -b "$BUNDLE" "$ID" 7</
	rm -f "/$mark"
	assert_output_lacks ESCAPED
	if [ "$status" -eq 0 ]; then
		assert_output_lacks "$mark"
	fi
	assert_no_leaks
}

@test "cwd: a relative cwd is refused" {
	cfg '.process.cwd = "relative/dir"'
	set_args true
	run_ctr
	assert_failed
	grep -qi cwd <<<"$output" || fail "the error does not name cwd: $output"
	assert_no_leaks
}

@test "a failing prestart hook fails create; nothing left, the workload never ran" {
	cfg '.hooks.prestart = [{"path": "/bin/sh", "args": ["sh", "-c", "echo hook-says-no >&2; exit 7"]}]'
	set_cmd 'touch /ran'
	run sr create -b "$BUNDLE" "$ID" </dev/null
	assert_failed
	assert_no_leaks
	[ ! -e "$BUNDLE/rootfs/ran" ]
	run sr state "$ID"
	assert_failed
}

@test "a failing createRuntime hook fails create; nothing left" {
	cfg '.hooks.createRuntime = [{"path": "/bin/false"}]'
	set_cmd 'touch /ran'
	run sr create -b "$BUNDLE" "$ID" </dev/null
	assert_failed
	assert_no_leaks
	[ ! -e "$BUNDLE/rootfs/ran" ]
}

@test "a failing createContainer hook fails create; nothing left" {
	cfg '.hooks.createContainer = [{"path": "/bin/sh", "args": ["sh", "-c", "exit 1"]}]'
	set_cmd 'touch /ran'
	run sr create -b "$BUNDLE" "$ID" </dev/null
	assert_failed
	assert_no_leaks
	[ ! -e "$BUNDLE/rootfs/ran" ]
}

@test "a hook whose path does not exist fails create, naming it" {
	cfg '.hooks.prestart = [{"path": "/no/such/hook"}]'
	set_args true
	run sr create -b "$BUNDLE" "$ID" </dev/null
	assert_failed
	assert_output_has /no/such/hook
	assert_no_leaks
}

@test "a mount of an unknown filesystem type fails, nothing left" {
	cfg '.mounts += [{"destination": "/x", "type": "nosuchfs", "source": "none"}]'
	set_args true
	run_ctr
	assert_failed
	assert_no_leaks
}

@test "a mount option the filesystem refuses fails, naming the mount and the option" {
	cfg '.mounts += [{"destination": "/data", "type": "tmpfs", "source": "tmpfs", "options": ["nosuid", "size=banana"]}]'
	set_args true
	run_ctr
	assert_failed
	assert_output_has 'tmpfs on /data'
	assert_output_has 'option "size"'
	assert_no_leaks
}

@test "a bind mount with an empty source is refused, not a bind of the bundle" {
	cfg '.mounts += [{"destination": "/data", "type": "bind", "source": "", "options": ["rbind"]}]'
	set_cmd 'ls /data'
	run_ctr
	assert_failed
	assert_output_has 'mounts['
	assert_output_has 'needs a source'
	assert_output_lacks config.json
	assert_no_leaks
}

@test "a bind mount of a missing source fails, naming it" {
	cfg '.mounts += [{"destination": "/x", "type": "bind", "source": "/no/such/source", "options": ["bind"]}]'
	set_args true
	run_ctr
	assert_failed
	assert_output_has /no/such/source
	assert_no_leaks
}

@test "a uid mapping the kernel refuses fails, nothing left" {
	cfg '.linux.namespaces += [{"type": "user"}]
		| .linux.uidMappings = [{"containerID": 0, "hostID": 4294967295, "size": 10}]
		| .linux.gidMappings = [{"containerID": 0, "hostID": 100000, "size": 10}]'
	set_args true
	run_ctr
	assert_failed
	assert_no_leaks
}
