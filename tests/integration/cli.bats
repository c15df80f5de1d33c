#!/usr/bin/env bats
# The command line: --version, --help, unknown commands, spec, global flags.

load helpers

@test "--version: runtime version, commit, spec and libseccomp lines" {
	run sr --version
	assert_status 0
	grep -qE '^[a-z]+ version [0-9]+\.[0-9]+' <<<"$output" || fail "no version line: $output"
	grep -qE '^commit: [^ ]+' <<<"$output" || fail "no commit line: $output"
	grep -qE '^spec: [0-9]+\.[0-9]+\.[0-9]+' <<<"$output" || fail "no spec line: $output"
	grep -qE '^libseccomp: [0-9]+\.[0-9]+\.[0-9]+$' <<<"$output" || fail "no libseccomp line: $output"
	if is_secrun; then
		grep -qE '^secrun version [0-9]+\.[0-9]+\.[0-9]+' <<<"$output" || fail "$output"
		grep -qx 'spec: 1.2.0' <<<"$output" || fail "spec is not 1.2.0: $output"
		grep -qE '^libc: (musl|glibc [0-9]+\.[0-9]+)$' <<<"$output" || fail "no libc line: $output"
	fi
}

# scripts/build.sh links secrun against musl once scripts/musl-deps.sh has
# built its libraries (README "Building by hand"): the binary says so.
@test "--version: a build configured with musl says libc: musl" {
	secrun_only "secrun's build"
	local status_file
	status_file=$(dirname "$SECRUN")/config.status
	[ -f "$status_file" ] || skip "no config.status beside $SECRUN: not a build tree"
	grep -qF 'S["MUSL_RUNTIME_TRUE"]=""' "$status_file" || skip "this build was configured without musl"
	run sr --version
	assert_status 0
	grep -qx 'libc: musl' <<<"$output" || fail "$output"
}

@test "--help: lists the commands" {
	run sr --help
	assert_status 0
	local c
	for c in create start run state kill delete list spec; do
		grep -qE "(^|[[:space:]])$c([[:space:],]|$)" <<<"$output" || fail "--help does not list '$c': $output"
	done
	assert_output_has "--root"
}

# help_of CMD FLAG...: `CMD --help` exits 0, names CMD and documents each FLAG.
help_of() {
	local cmd=$1 f
	shift
	run sr "$cmd" --help
	assert_status 0
	assert_output_has "$cmd"
	for f in "$@"; do
		assert_output_has "$f"
	done
	# and it did nothing: no state root entry appeared
	[ ! -e "$ROOT" ] || [ -z "$(ls -A "$ROOT")" ]
}

@test "create --help" {
	help_of create --bundle --pid-file --console-socket --no-pivot --no-new-keyring --preserve-fds
}

@test "start --help" {
	help_of start
}

@test "run --help" {
	help_of run --bundle --detach --pid-file --no-pivot --preserve-fds
}

@test "state --help" {
	help_of state
}

@test "kill --help" {
	help_of kill --all
}

@test "delete --help" {
	help_of delete --force
}

@test "list --help" {
	help_of list --format --quiet
}

@test "spec --help" {
	help_of spec --rootless --bundle
}

@test "an unknown command is an error naming it" {
	run sr frobnicate
	assert_failed
	assert_output_has frobnicate
	[ ! -e "$ROOT" ] || [ -z "$(ls -A "$ROOT")" ]
}

@test "an unknown global flag is an error" {
	run sr --no-such-flag list
	assert_failed
	assert_output_has "no-such-flag"
}

@test "a command without its container id is an error" {
	local c
	for c in start state kill delete; do
		run sr "$c"
		assert_failed
	done
	run sr create -b "$BUNDLE"
	assert_failed
	[ ! -e "$ROOT" ] || [ -z "$(ls -A "$ROOT")" ]
}

@test "spec: writes a valid config.json with the expected fields" {
	mkdir "$BATS_TEST_TMPDIR/spec"
	cd "$BATS_TEST_TMPDIR/spec"
	run sr spec
	assert_status 0
	jq -e '
		(.ociVersion | type == "string")
		and (.process.args | type == "array" and length > 0)
		and (.process.cwd == "/")
		and (.root.path == "rootfs")
		and ([.linux.namespaces[].type] | contains(["pid", "network", "ipc", "uts", "mount"]))
		and ([.mounts[].destination] | contains(["/proc", "/dev", "/sys"]))
		and (.linux.maskedPaths | type == "array" and length > 0)
		and (.linux.readonlyPaths | type == "array" and length > 0)
		and (.process.capabilities.bounding | type == "array")
		and (([.linux.namespaces[].type] | index("user")) == null)
	' config.json || fail "unexpected spec: $(cat config.json)"
}

@test "spec: refuses to overwrite an existing config.json" {
	mkdir "$BATS_TEST_TMPDIR/spec"
	cd "$BATS_TEST_TMPDIR/spec"
	echo '{"mine": true}' >config.json
	run sr spec
	assert_failed
	assert_output_has config.json
	[ "$(jq -c . config.json)" = '{"mine":true}' ]
}

@test "spec --rootless: a user namespace and mappings for the caller" {
	mkdir "$BATS_TEST_TMPDIR/spec"
	cd "$BATS_TEST_TMPDIR/spec"
	run sr spec --rootless
	assert_status 0
	jq -e --argjson uid "$(id -u)" --argjson gid "$(id -g)" '
		([.linux.namespaces[].type] | index("user")) != null
		and ([.linux.namespaces[].type] | index("network")) == null
		and (.linux.uidMappings | type == "array" and length >= 1)
		and (.linux.uidMappings[0] | .containerID == 0 and .hostID == $uid and .size >= 1)
		and (.linux.gidMappings[0] | .containerID == 0 and .hostID == $gid and .size >= 1)
		and (.process.args | type == "array")
	' config.json || fail "unexpected rootless spec: $(cat config.json)"
}

@test "spec --bundle DIR: writes DIR/config.json" {
	mkdir "$BATS_TEST_TMPDIR/specdir"
	run sr spec --bundle "$BATS_TEST_TMPDIR/specdir"
	assert_status 0
	jq -e '.root.path == "rootfs"' "$BATS_TEST_TMPDIR/specdir/config.json"
	[ ! -e "$PWD/config.json" ] || [ "$PWD" = "$BATS_TEST_TMPDIR/specdir" ]
}

@test "spec output runs: a spec'd bundle starts a container" {
	mkdir "$BATS_TEST_TMPDIR/specb"
	cp -a "$BUNDLE/rootfs" "$BATS_TEST_TMPDIR/specb/rootfs"
	sr spec -b "$BATS_TEST_TMPDIR/specb"
	CFG_BUNDLE=$BATS_TEST_TMPDIR/specb cfg '.process.args = ["echo", "spec-ok"]
		| .process.terminal = false
		| .linux.cgroupsPath = "/secrun-test/" + $id
		| .process.env += ["SRT_TAG=" + $id]' --arg id "$ID"
	run sr run -b "$BATS_TEST_TMPDIR/specb" "$ID"
	assert_status 0
	assert_output_has spec-ok
}

@test "global flags: --log, --log-format, --debug, --criu, --systemd-cgroup are accepted" {
	run sr --log "$BATS_TEST_TMPDIR/log" --log-format json --debug --criu /nonexistent/criu list -q
	assert_status 0
	run sr --log-format text list
	assert_status 0
	run sr --systemd-cgroup list -q
	assert_status 0
}

@test "--root: containers live under the given root" {
	set_args true
	create_ctr
	[ -d "$ROOT/$ID" ] || fail "no state dir $ROOT/$ID"
	[ "$(sr list -q)" = "$ID" ]
	run "$SECRUN" --root "$BATS_TEST_TMPDIR/other-root" list -q
	assert_status 0
	[ -z "$output" ]
	sr delete -f "$ID"
}
