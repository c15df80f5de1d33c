#!/usr/bin/env bats
# The escape classes of recent runc/crun advisories, as regression tests that
# do not escape. (Others live beside the feature they attack: /proc/PID/exe
# in security.bats, symlinked mount destinations and cwd /proc/self/fd/N in
# errors.bats, inherited fds in process.bats and exec.bats.)

load helpers

@test "capabilities: inheritable caps of the caller never reach the workload (no ambient, no inheritable)" {
	command -v setpriv >/dev/null || skip "setpriv (util-linux) is not installed"
	cfg '.process.capabilities = {bounding: ["CAP_NET_BIND_SERVICE", "CAP_NET_RAW"],
		effective: ["CAP_NET_BIND_SERVICE"], permitted: ["CAP_NET_BIND_SERVICE"]}
		| .process.user = {uid: 0, gid: 0}'
	set_cmd 'grep -E "^Cap(Inh|Amb|Eff|Prm|Bnd):" /proc/self/status'
	# the runtime itself runs with CAP_NET_RAW inheritable and ambient
	run setpriv --inh-caps +net_raw --ambient-caps +net_raw \
		env SRT_TAG=$ID timeout -k 5 "$SR_TIMEOUT" "$SECRUN" --root "$ROOT" run -b "$BUNDLE" "$ID"
	assert_status 0
	grep -qE '^CapInh:\s+0+$' <<<"$output" || fail "inheritable set not empty: $output"
	grep -qE '^CapAmb:\s+0+$' <<<"$output" || fail "ambient set not empty: $output"
	# (uid 0 gains its bounding set as permitted at execve, as with every
	# runtime: the bounding set is what limits root)
	grep -qE '^CapBnd:\s+0+2400$' <<<"$output" || fail "bounding is not the two asked for: $output"
}

@test "masked paths: a rootfs /dev/null that is a symlink cannot redirect the mask" {
	# no /dev tmpfs: the rootfs's own /dev is used, and its null is hostile
	cfg '.mounts |= map(select(.destination | startswith("/dev") | not))
		| .linux.maskedPaths = ["/proc/version"]'
	rm -rf "$BUNDLE/rootfs/dev"
	mkdir -p "$BUNDLE/rootfs/dev"
	ln -s ../etc/passwd "$BUNDLE/rootfs/dev/null"
	run sr run -b "$BUNDLE" "$ID"
	assert_failed
	assert_output_has "maskedPaths: /proc/version: /dev/null is not the null device"
	[ ! -e "$ROOT/$ID" ] || fail "state dir left"
	# and a regular file named null is refused the same way
	rm "$BUNDLE/rootfs/dev/null"
	echo hostile >"$BUNDLE/rootfs/dev/null"
	run sr run -b "$BUNDLE" "$ID"
	assert_failed
	assert_output_has "is not the null device"
}

@test "exec: a symlink the container planted (cwd, and in the path) resolves inside the container" {
	set_cmd 'touch /inside-marker; ln -s ../../../../../../.. /evil; ln -s /evil/etc /etc-evil; sleep 30'
	run_detached
	wait_for test -e "$BUNDLE/rootfs/evil"
	# a marker only the host's / has: a climb out would list it
	local host_marker=/secrun-escape-marker-$ID
	touch "$host_marker"
	run sr exec --cwd /evil "$ID" sh -c 'ls -a; ls /etc-evil/ >/dev/null && echo etc-ok'
	rm -f "$host_marker"
	assert_status 0
	assert_output_has inside-marker
	assert_output_has etc-ok
	assert_output_lacks "${host_marker#/}"
	sr delete -f "$ID"
}

@test "the workload cannot reach the runtime through /proc: no runtime process is visible, /proc/1/exe is the workload" {
	set_cmd 'ls /proc | grep -E "^[0-9]+$" | tr "\n" " "; echo; readlink /proc/1/exe'
	run_ctr
	assert_status 0
	# pid 1 and the ls/grep/tr/readlink children only; pid 1 is busybox
	grep -qE '^/bin/busybox$' <<<"$(tail -n1 <<<"$output")" || fail "/proc/1/exe: $output"
	[ "$(head -n1 <<<"$output" | wc -w)" -le 6 ] || fail "more processes than the workload's: $output"
}
