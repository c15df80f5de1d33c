#!/usr/bin/env bats
# The security floor (--policy) and `secrun audit`, with real containers.
#
# For every rule: a config that breaks it is refused under "enforce" with the
# rule's name and JSON path, and leaves nothing behind; under "audit" it is
# logged and runs; a config that meets it runs. Rules that tighten are also
# run tightened, and the workload shows the tightening.

# The jq filters are single-quoted on purpose: $x in them are jq variables.
# shellcheck disable=SC2016

load helpers

PROFILE=$SRCDIR/profiles/seccomp/default.json
SHIPPED=$SRCDIR/profiles/policy

setup_file() {
	common_setup_file
	secrun_only "--policy and audit are secrun's"
}

# harden: edits $BUNDLE's config to meet every rule of the checklist (the
# hardened bundle, the default seccomp profile, memory/CPU/pids limits).
harden() {
	cfg '.root.readonly = true
	  | .process.user = {uid: 65534, gid: 65534}
	  | .process.env = (.process.env | map(if startswith("HOME=") then "HOME=/tmp" else . end))
	  | .process.capabilities = {bounding: [], effective: [], permitted: [], inheritable: [], ambient: []}
	  | .process.noNewPrivileges = true
	  | .linux.resources.memory = {limit: 268435456}
	  | .linux.resources.cpu = {quota: 50000, period: 100000}
	  | .linux.resources.pids = {limit: 256}
	  | .linux.maskedPaths = ["/proc/acpi", "/proc/asound", "/proc/kcore", "/proc/keys",
	                          "/proc/latency_stats", "/proc/timer_list", "/proc/timer_stats",
	                          "/proc/sched_debug", "/sys/firmware", "/proc/scsi"]
	  | .linux.readonlyPaths = ["/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"]
	  | .linux.seccomp = $p[0]' --slurpfile p "$PROFILE"
}

# policy FILE RULE SETTING: a policy with that one rule (SETTING is JSON: a
# mode string or the rule's object). The seccomp profile is named
# explicitly: the build may not be installed.
policy() {
	local f=$1 rule=$2 setting=$3
	jq -n --arg r "$rule" --argjson s "$setting" --arg prof "$PROFILE" '
	  {version: 1, name: "test", rules: {($r): $s}}
	  | if .rules.seccomp | type == "string" then .rules.seccomp = {mode: .rules.seccomp} else . end
	  | if .rules.seccomp then .rules.seccomp.profile = $prof else . end' >"$f"
	chmod 644 "$f"
}

# shipped NAME: a copy of profiles/policy/NAME.json with the seccomp profile
# named explicitly.
shipped() {
	local f=$BATS_TEST_TMPDIR/$1.json
	jq --arg prof "$PROFILE" '.rules.seccomp.profile = $prof' "$SHIPPED/$1.json" >"$f"
	chmod 644 "$f"
	echo "$f"
}

# check_rule RULE JSONPATH BREAK [ENFORCE_SETTING]: the full check of one
# rule. BREAK is a jq filter that makes the hardened config break RULE.
check_rule() {
	local rule=$1 path=$2 break=$3 enforce=${4:-'"enforce"'}
	local pe=$BATS_TEST_TMPDIR/enforce.json pa=$BATS_TEST_TMPDIR/audit.json
	policy "$pe" "$rule" "$enforce"
	policy "$pa" "$rule" '"audit"'
	harden
	set_cmd 'echo ran-ok'

	# meets it: runs
	run sr --policy "$pe" run -b "$BUNDLE" "$ID"
	assert_status 0
	assert_output_has ran-ok
	assert_output_lacks "policy: $rule:"

	# breaks it, enforce: refused, naming the rule and the JSON path,
	# and nothing is left behind
	cfg "$break"
	run sr --policy "$pe" run -b "$BUNDLE" "$ID"
	assert_failed
	assert_output_has "policy: $rule: "
	assert_output_has "($path)"
	assert_output_lacks ran-ok
	[ ! -e "$ROOT/$ID" ] || fail "state dir left: $ROOT/$ID"
	assert_no_leaks

	# breaks it, audit: logged (stderr and the log file) and runs
	run sr --log "$BATS_TEST_TMPDIR/log.json" --log-format json --policy "$pa" run -b "$BUNDLE" "$ID"
	assert_status 0
	assert_output_has ran-ok
	assert_output_has "policy: $rule: "
	assert_output_has "($path) [audit]"
	jq -e --arg r "policy: $rule: " 'select(.level == "warning" and (.msg | startswith($r)))' \
		"$BATS_TEST_TMPDIR/log.json" >/dev/null || fail "no warning in the log: $(cat "$BATS_TEST_TMPDIR/log.json")"
}

# ---- one test per rule ---------------------------------------------------------

@test "policy privileged: a read-write /sys" {
	check_rule privileged 'mounts[5].options' \
		'.mounts |= map(if .destination == "/sys" then .options = ["nosuid", "noexec", "nodev"] else . end)'
}

@test "policy privileged: every device allowed" {
	check_rule privileged 'linux.resources.devices[1]' \
		'.linux.resources.devices += [{allow: true, access: "rwm"}]'
}

@test "policy host-namespaces: the host's network namespace" {
	check_rule host-namespaces 'linux.namespaces' \
		'.linux.namespaces |= map(select(.type != "network"))'
}

@test "policy host-namespaces: joining the host's pid namespace by path" {
	check_rule host-namespaces 'linux.namespaces[0].path' \
		'.linux.namespaces[0] = {type: "pid", path: "/proc/self/ns/pid"}'
}

@test "policy host-namespaces: allowed per policy (hostNetwork pods)" {
	harden
	set_cmd 'echo ran-ok'
	cfg '.linux.namespaces |= map(select(.type != "network"))'
	policy "$BATS_TEST_TMPDIR/p.json" host-namespaces '{"mode": "enforce", "allowed": ["network"]}'
	run sr --policy "$BATS_TEST_TMPDIR/p.json" run -b "$BUNDLE" "$ID"
	assert_status 0
	assert_output_has ran-ok
}

@test "policy host-paths: a bind mount from outside the allow-list" {
	export HOSTDIR=$BATS_TEST_TMPDIR/hostdir
	mkdir -p "$HOSTDIR"
	check_rule host-paths 'mounts[7].source' \
		'.mounts += [{destination: "/data", type: "bind", source: env.HOSTDIR, options: ["rbind", "ro"]}]'
}

@test "policy host-paths: inside the allow-list runs" {
	mkdir -p "$BATS_TEST_TMPDIR/hostdir"
	echo hello >"$BATS_TEST_TMPDIR/hostdir/f"
	harden
	set_cmd 'cat /data/f'
	cfg '.mounts += [{destination: "/data", type: "bind", source: $d, options: ["rbind", "ro"]}]' \
		--arg d "$BATS_TEST_TMPDIR/hostdir"
	policy "$BATS_TEST_TMPDIR/p.json" host-paths "$(jq -n --arg d "$BATS_TEST_TMPDIR" '{mode: "enforce", allowed: [$d]}')"
	run sr --policy "$BATS_TEST_TMPDIR/p.json" run -b "$BUNDLE" "$ID"
	assert_status 0
	assert_output_has hello
	# a symlink in the allowed directory does not lead out of it
	ln -s /etc "$BATS_TEST_TMPDIR/hostdir/escape"
	cfg '.mounts[-1].source = $d' --arg d "$BATS_TEST_TMPDIR/hostdir/escape"
	run sr --policy "$BATS_TEST_TMPDIR/p.json" run -b "$BUNDLE" "$ID"
	assert_failed
	assert_output_has "policy: host-paths: bind-mounts the host path /etc"
	[ ! -e "$ROOT/$ID" ]
}

@test "policy sensitive-mounts: the host's /etc" {
	check_rule sensitive-mounts 'mounts[7].source' \
		'.mounts += [{destination: "/hostetc", type: "bind", source: "/etc", options: ["rbind", "ro"]}]'
}

@test "policy sensitive-mounts: /proc unmasked; tightened by default" {
	check_rule sensitive-mounts 'linux.maskedPaths' 'del(.linux.maskedPaths)' \
		'{"mode": "enforce", "tighten": false}'
	policy "$BATS_TEST_TMPDIR/p.json" sensitive-mounts '"enforce"'
	set_cmd 'grep -c " /proc/keys " /proc/self/mountinfo'
	run sr --policy "$BATS_TEST_TMPDIR/p.json" run -b "$BUNDLE" "$ID"
	assert_status 0
	assert_output_has "policy: sensitive-mounts: masked /proc/kcore"
	[ "${lines[-1]}" = 1 ] || fail "not masked: $output"
}

@test "policy devices: a host device node" {
	check_rule devices 'linux.devices[0]' \
		'.linux.devices = [{path: "/dev/kvm", type: "c", major: 10, minor: 232}]'
}

@test "policy non-root: uid 0" {
	check_rule non-root 'process.user.uid' '.process.user = {uid: 0, gid: 0}'
}

@test "policy read-only-rootfs: a writable root" {
	check_rule read-only-rootfs 'root.readonly' '.root.readonly = false'
}

@test "policy capabilities: CAP_SYS_ADMIN refused; dropped when tightening" {
	check_rule capabilities 'process.capabilities.bounding' \
		'.process.capabilities |= with_entries(.value = ["CAP_SYS_ADMIN"])' \
		'{"mode": "enforce", "tighten": false}'
	policy "$BATS_TEST_TMPDIR/p.json" capabilities '{"mode": "enforce", "allowed": []}'
	set_cmd 'grep -E "^Cap(Eff|Bnd):" /proc/self/status'
	run sr --policy "$BATS_TEST_TMPDIR/p.json" run -b "$BUNDLE" "$ID"
	assert_status 0
	assert_output_has "policy: capabilities: dropped CAP_SYS_ADMIN"
	[ "$(grep -c $'\t0000000000000000$' <<<"$output")" = 2 ] || fail "$output"
}

@test "policy no-new-privileges: refused, or set when tightening" {
	check_rule no-new-privileges 'process.noNewPrivileges' '.process.noNewPrivileges = false' \
		'{"mode": "enforce", "tighten": false}'
	policy "$BATS_TEST_TMPDIR/p.json" no-new-privileges '"enforce"'
	set_cmd 'grep NoNewPrivs /proc/self/status'
	run sr --policy "$BATS_TEST_TMPDIR/p.json" run -b "$BUNDLE" "$ID"
	assert_status 0
	assert_output_has $'NoNewPrivs:\t1'
}

@test "policy seccomp: none refused, or the default profile added" {
	check_rule seccomp 'linux.seccomp' 'del(.linux.seccomp)' '{"mode": "enforce", "tighten": false}'
	policy "$BATS_TEST_TMPDIR/p.json" seccomp '"enforce"'
	set_cmd 'grep "^Seccomp:" /proc/self/status'
	run sr --policy "$BATS_TEST_TMPDIR/p.json" run -b "$BUNDLE" "$ID"
	assert_status 0
	assert_output_has "policy: seccomp: no profile was given: added"
	assert_output_has $'Seccomp:\t2'
}

@test "policy seccomp: unconfined is refused even when tightening" {
	check_rule seccomp 'linux.seccomp.defaultAction' '.linux.seccomp = {defaultAction: "SCMP_ACT_ALLOW"}'
}

@test "policy memory-limit: none" {
	check_rule memory-limit 'linux.resources.memory.limit' 'del(.linux.resources.memory)'
}

@test "policy pids-limit: none refused, or the default set" {
	check_rule pids-limit 'linux.resources.pids.limit' 'del(.linux.resources.pids)' \
		'{"mode": "enforce", "tighten": false}'
	policy "$BATS_TEST_TMPDIR/p.json" pids-limit '{"mode": "enforce", "default": 321}'
	set_cmd 'echo ran-ok'
	# (create's stdio on files: the created init keeps them open)
	sr --policy "$BATS_TEST_TMPDIR/p.json" create -b "$BUNDLE" "$ID" </dev/null \
		>"$BATS_TEST_TMPDIR/create.out" 2>"$BATS_TEST_TMPDIR/create.err"
	grep -qF "policy: pids-limit: no limit was given: set to 321" "$BATS_TEST_TMPDIR/create.err" ||
		fail "no warning: $(cat "$BATS_TEST_TMPDIR/create.err")"
	# the saved config, which exec and delete read, is the tightened one
	[ "$(jq '.config.linux.resources.pids.limit' "$ROOT/$ID/state.json")" = 321 ] || fail "saved config not tightened"
	sr delete -f "$ID"
}

@test "policy cpu-limit: none" {
	check_rule cpu-limit 'linux.resources.cpu.quota' 'del(.linux.resources.cpu)'
}

@test "policy secrets-in-env: a password in the environment" {
	local n
	n=$(jq '.process.env | length' "$BUNDLE/config.json")
	check_rule secrets-in-env "process.env[$n]" '.process.env += ["DB_PASSWORD=hunter2"]'
	assert_output_lacks hunter2
}

# ---- the shipped policies ---------------------------------------------------------

@test "restricted: the hardened bundle runs; the default bundle is refused" {
	local p
	p=$(shipped restricted)
	harden
	set_cmd 'echo ran-ok'
	run sr --policy "$p" run -b "$BUNDLE" "$ID"
	assert_status 0
	assert_output_has ran-ok
	cfg '.process.user = {uid: 0, gid: 0}'
	run sr --policy "$p" run -b "$BUNDLE" "$ID"
	assert_failed
	assert_output_has "policy: non-root: runs as uid 0 (root) (process.user.uid)"
	[ ! -e "$ROOT/$ID" ]
}

@test "restricted: the pod's sandbox (pause) container starts" {
	local p
	p=$(shipped restricted)
	# What containerd's CRI gives the pause container: its default
	# capabilities, uid 65535, no seccomp, no limits, the sandbox annotation.
	cfg '.root.readonly = true
	  | .process.user = {uid: 65535, gid: 65535}
	  | .process.args = ["sleep", "100"]
	  | .process.noNewPrivileges = true
	  | .process.capabilities = ([
	      "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER", "CAP_MKNOD", "CAP_NET_RAW",
	      "CAP_SETGID", "CAP_SETUID", "CAP_SETFCAP", "CAP_SETPCAP", "CAP_NET_BIND_SERVICE",
	      "CAP_SYS_CHROOT", "CAP_KILL", "CAP_AUDIT_WRITE"] as $c
	      | {bounding: $c, effective: $c, permitted: $c})
	  | .annotations = {"io.kubernetes.cri.container-type": "sandbox",
	                    "io.kubernetes.cri.sandbox-id": "x"}'
	# (stdio on files, as run_detached does: a pipe stays open in the container)
	sr --policy "$p" run -d -b "$BUNDLE" "$ID" </dev/null >"$BATS_TEST_TMPDIR/out" 2>"$BATS_TEST_TMPDIR/err" ||
		fail "$(cat "$BATS_TEST_TMPDIR/err")"
	! grep -q "memory-limit" "$BATS_TEST_TMPDIR/err" || fail "$(cat "$BATS_TEST_TMPDIR/err")"
	[ "$(state_of "$ID")" = running ] || fail "$(sr state "$ID")"
	local pid
	pid=$(pid_of "$ID")
	grep -q $'^Seccomp:\t2' "/proc/$pid/status" || fail "no seccomp filter"
	grep -q $'^CapBnd:\t0000000000000400' "/proc/$pid/status" || fail "$(grep Cap "/proc/$pid/status")"
	sr delete -f "$ID"
}

@test "baseline: a default (root) bundle runs, tightened" {
	local p
	p=$(shipped baseline)
	set_cmd 'grep -E "^(Seccomp|CapBnd):" /proc/self/status'
	run sr --policy "$p" run -b "$BUNDLE" "$ID"
	assert_status 0
	assert_output_has $'Seccomp:\t2'
}

@test "policy file: a bad policy stops every create, and leaves nothing" {
	echo '{"version": 1, "rules": {"non_root": "enforce"}}' >"$BATS_TEST_TMPDIR/bad.json"
	run sr --policy "$BATS_TEST_TMPDIR/bad.json" run -b "$BUNDLE" "$ID"
	assert_failed
	assert_output_has 'unknown rule "non_root"'
	[ ! -e "$ROOT/$ID" ]
	policy "$BATS_TEST_TMPDIR/p.json" non-root '"off"'
	chmod 666 "$BATS_TEST_TMPDIR/p.json"
	run sr --policy "$BATS_TEST_TMPDIR/p.json" run -b "$BUNDLE" "$ID"
	assert_failed
	assert_output_has "writable by group or others"
	run sr --policy "$BATS_TEST_TMPDIR/missing.json" run -b "$BUNDLE" "$ID"
	assert_failed
	[ ! -e "$ROOT/$ID" ]
}

# ---- secrun audit -------------------------------------------------------------------

@test "audit: the default bundle has findings, one per line, exit 1" {
	run sr audit "$BUNDLE"
	assert_status 1
	assert_output_has "non-root"
	assert_output_has "process.user.uid: runs as uid 0 (root); fix: "
	assert_output_has "seccomp"
	grep -qE '^high +non-root +process\.user\.uid: ' <<<"$output" || fail "$output"
	# a config file works as well as a bundle
	run sr audit "$BUNDLE/config.json"
	assert_status 1
}

@test "audit: the hardened bundle is clean, exit 0" {
	harden
	run sr audit "$BUNDLE"
	assert_status 0
	assert_output_has "no findings"
}

@test "audit --format json" {
	run --separate-stderr sr audit --format json "$BUNDLE"
	assert_status 1
	jq -e '.findings | length > 0' <<<"$output" >/dev/null || fail "$output"
	jq -e '.findings[] | select(.rule == "non-root" and .severity == "high"
	         and .path == "process.user.uid" and (.fix | length > 0))' <<<"$output" >/dev/null || fail "$output"
	jq -e '.summary.high >= 1' <<<"$output" >/dev/null || fail "$output"
}

@test "audit: with --policy, only that policy's rules" {
	policy "$BATS_TEST_TMPDIR/p.json" read-only-rootfs '"enforce"'
	run sr --policy "$BATS_TEST_TMPDIR/p.json" audit "$BUNDLE"
	assert_status 1
	assert_output_has read-only-rootfs
	assert_output_lacks non-root
}

@test "audit IMAGE: graded by the config launch would run" {
	command -v umoci >/dev/null || skip "umoci is required (apt-get install umoci)"
	(
		cd "$BATS_TEST_TMPDIR" &&
			umoci init --layout oci &&
			umoci new --image oci:base &&
			umoci unpack --image oci:base ub >/dev/null &&
			cp -a "$BUNDLE/rootfs/." ub/rootfs/ &&
			umoci repack --image oci:base ub &&
			umoci config --image oci:base --tag app --config.user 1000 \
				--config.env "API_TOKEN=abc" --config.cmd id
	) >/dev/null || fail "could not build the image"
	run sr audit "oci:$BATS_TEST_TMPDIR/oci:app"
	assert_status 1
	assert_output_has "secrets-in-env    process.env["
	assert_output_has "API_TOKEN"
	assert_output_lacks "abc;"
	# launch's hardened defaults: non-root, no capability, seccomp, read-only
	assert_output_lacks "non-root"
	assert_output_lacks "capabilities"
	assert_output_lacks "seccomp"
	assert_output_lacks "read-only-rootfs"
}

@test "audit: errors exit 2" {
	run sr audit "$BATS_TEST_TMPDIR/nope"
	assert_status 2
	assert_output_has "No such file or directory"
	echo '{' >"$BATS_TEST_TMPDIR/broken.json"
	run sr audit "$BATS_TEST_TMPDIR/broken.json"
	assert_status 2
	run sr audit --format yaml "$BUNDLE"
	assert_status 2
}
