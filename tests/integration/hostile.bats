#!/usr/bin/env bats
# Hostile config.json and bundles: each is refused with an error that names
# the field or the problem, a non-zero exit, and nothing left behind (the
# teardown's leak check runs after every test).

load helpers

# refused TEXT: `run` of the bundle fails, naming TEXT, and leaves nothing
refused() {
	run sr run -b "$BUNDLE" "$ID"
	assert_failed
	assert_output_has "$1"
	[ ! -e "$ROOT/$ID" ] || fail "state dir left"
	assert_no_leaks
}

# raw_config TEXT: config.json is exactly TEXT
raw_config() {
	printf '%s' "$1" >"$BUNDLE/config.json"
}

@test "a config.json over 16 MiB is refused before it is parsed" {
	python3 - "$BUNDLE/config.json" <<'PY'
import json, sys
c = json.load(open(sys.argv[1]))
c["annotations"] = {"k%d" % i: "v" * 100 for i in range(200000)}
json.dump(c, open(sys.argv[1], "w"))
PY
	refused "larger than 16 MiB"
}

@test "JSON nested 100000 deep: refused by the parser's depth limit" {
	python3 -c "print('{\"process\":' + '[' * 100000 + ']' * 100000 + '}')" >"$BUNDLE/config.json"
	refused "maximum parsing depth"
}

@test "invalid UTF-8 in a string: refused" {
	raw_config $'{"ociVersion":"1.0.2","process":{"args":["\xff\xfe"],"cwd":"/"},"root":{"path":"rootfs"}}'
	refused "unable to decode byte 0xff"
}

@test "a NUL byte in a string: refused" {
	cfg '.process.args = ["sh\u0000-c"]'
	refused "\\u0000 is not allowed"
}

@test "numbers that overflow: uid 2^32, a negative gid, a 2^64 memory limit, a huge rlimit" {
	cfg '.process.user.uid = 4294967296'
	refused "process.user.uid: 4294967296 is out of range"
	new_bundle "$BUNDLE.2" "$ID"
	CFG_BUNDLE=$BUNDLE.2 cfg '.process.user.gid = -5'
	BUNDLE=$BUNDLE.2 refused "process.user.gid: -5 is out of range"
	raw_config "$(jq -c . "$BUNDLE.2/config.json" | sed 's/"linux":{/"linux":{"resources":{"memory":{"limit":18446744073709551616}},/')"
	refused "too big integer"
	new_bundle "$BUNDLE.3" "$ID"
	CFG_BUNDLE=$BUNDLE.3 cfg '.process.rlimits = [{"type":"RLIMIT_NOFILE","hard":-2,"soft":1}]'
	BUNDLE=$BUNDLE.3 refused "process.rlimits[0].hard"
}

@test "wrong types everywhere: each names its JSON path" {
	local f want
	while IFS='|' read -r f want; do
		printf '%s\n' "${TEMPLATE_CONFIG//@@ID@@/$ID}" >"$BUNDLE/config.json"
		cfg "$f"
		run sr run -b "$BUNDLE" "$ID"
		assert_failed
		assert_output_has "$want"
		[ ! -e "$ROOT/$ID" ] || fail "$f: state dir left"
	done <<'EOF_CASES'
.process.env = "PATH=/bin"|process.env
.process.cwd = 7|process.cwd
.process.terminal = "yes"|process.terminal
.process.user = []|process.user
.process.capabilities.bounding = [1]|process.capabilities.bounding[0]
.mounts = {}|mounts
.mounts[0].options = "ro"|mounts[0].options
.linux.namespaces = [{"type": "pid", "path": 5}]|linux.namespaces[0].path
.linux.resources.pids.limit = "many"|linux.resources.pids.limit
.linux.maskedPaths = [null]|linux.maskedPaths[0]
.hooks.prestart = [{"path": 1}]|hooks.prestart[0].path
.linux.seccomp = {"defaultAction": 3}|linux.seccomp.defaultAction
EOF_CASES
}

@test "thousands of mounts and of seccomp rules: handled, or refused cleanly" {
	cfg '.mounts += [range(0; 2000) | {destination: "/tmp/m\(.)", type: "tmpfs", source: "tmpfs", options: ["size=4k"]}]
		| .linux.seccomp = {defaultAction: "SCMP_ACT_ALLOW",
			syscalls: [range(0; 3000) | {names: ["getppid"], action: "SCMP_ACT_ERRNO",
				args: [{index: 0, value: ., op: "SCMP_CMP_EQ"}]}]}'
	set_cmd 'grep -c " /tmp/m" /proc/self/mountinfo'
	run sr run -b "$BUNDLE" "$ID"
	assert_status 0
	[ "$output" = 2000 ] || fail "expected 2000 mounts, got: $output"
}

@test "device nodes outside /dev are refused, even through .." {
	cfg '.linux.devices = [{"path": "/etc/evil", "type": "c", "major": 1, "minor": 3}]'
	refused "linux.devices[0].path: /etc/evil is not inside /dev"
	cfg '.linux.devices = [{"path": "/dev/../etc/evil", "type": "c", "major": 1, "minor": 3}]'
	refused "is not inside /dev"
}

@test "a rootfs that is a symlink to the host's / is refused, naming root.path" {
	mv "$BUNDLE/rootfs" "$BUNDLE/real"
	ln -s / "$BUNDLE/rootfs"
	refused "root.path: $BUNDLE/rootfs is the host's root directory"
	rm "$BUNDLE/rootfs"
	mv "$BUNDLE/real" "$BUNDLE/rootfs"
}

@test "a mount destination climbing with .. stays inside the rootfs" {
	cfg '.mounts += [{destination: ("/../../../../../hostile-" + $id), type: "tmpfs", source: "tmpfs"}]' --arg id "$ID"
	set_cmd 'd=$(ls -d /hostile-*) && touch "$d/ok" && echo "$d"'
	run sr run -b "$BUNDLE" "$ID"
	assert_status 0
	[ ! -e "/hostile-$ID" ] || fail "a directory was made on the host's /"
	[ -d "$BUNDLE/rootfs/hostile-$ID" ] || fail "the mountpoint is not in the rootfs"
}

@test "a hook whose path does not exist: refused naming it" {
	cfg '.hooks.prestart = [{"path": "/nonexistent/hook"}]'
	refused "/nonexistent/hook"
}
