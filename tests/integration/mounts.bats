#!/usr/bin/env bats
# The root filesystem and mounts, as the workload sees them.

load helpers

# mountinfo_line DEST: the workload's mountinfo line for mount point DEST
# (prints it from inside; used in set_cmd scripts).
mi() {
	printf 'awk %s /proc/self/mountinfo' "'\$5 == \"$1\"'"
}

@test "readonly root: writing to / fails, /tmp stays writable" {
	cfg '.root.readonly = true'
	set_cmd 'touch /x 2>&1; echo "rc=$?"; touch /tmp/ok && echo tmp-ok; '"$(mi /)"
	run_ctr
	assert_status 0
	assert_output_has "Read-only file system"
	assert_output_has "rc=1"
	assert_output_has "tmp-ok"
	grep -E ' / ro[, ]' <<<"$output" || fail "/ not mounted ro: $output"
	[ ! -e "$BUNDLE/rootfs/x" ]
}

@test "writable root: a write lands in the bundle's rootfs" {
	set_cmd 'echo data >/written'
	run_ctr
	assert_status 0
	[ "$(cat "$BUNDLE/rootfs/written")" = data ]
}

@test "tmpfs: size= and mode= are applied" {
	cfg '.mounts += [{"destination": "/data", "type": "tmpfs", "source": "tmpfs",
		"options": ["size=2m", "mode=0710"]}]'
	set_cmd 'stat -c "%a %U" /data; df -k /data | tail -n 1; '"$(mi /data)"
	run_ctr
	assert_status 0
	[ "${lines[0]}" = "710 root" ] || fail "$output"
	[ "$(awk '{print $2}' <<<"${lines[1]}")" = 2048 ] || fail "size: $output"
	grep -q 'size=2048k' <<<"$output" || fail "$output"
	grep -q 'mode=710' <<<"$output" || fail "$output"
}

@test "bind ro: the host directory is readable, not writable; a missing destination is created" {
	local src=$BATS_TEST_TMPDIR/hostdir
	mkdir "$src"
	echo host-data >"$src/file"
	cfg '.mounts += [{"destination": "/mnt/new/data", "type": "bind", "source": $s,
		"options": ["bind", "ro"]}]' --arg s "$src"
	set_cmd 'cat /mnt/new/data/file; echo x >>/mnt/new/data/file 2>&1; echo "rc=$?"; '"$(mi /mnt/new/data)"
	run_ctr
	assert_status 0
	[ "${lines[0]}" = host-data ] || fail "$output"
	assert_output_has "Read-only file system"
	assert_output_has "rc=1"
	grep -qE ' /mnt/new/data ro[, ]' <<<"$output" || fail "not ro: $output"
	[ "$(cat "$src/file")" = host-data ]
	[ -d "$BUNDLE/rootfs/mnt/new/data" ]
}

@test "bind: a relative source is relative to the bundle, not to the runtime's cwd" {
	mkdir "$BUNDLE/reldir"
	echo bundle-data >"$BUNDLE/reldir/f"
	# (a new filesystem first: the init makes it from inside the rootfs)
	cfg '.mounts += [{"destination": "/data", "type": "tmpfs", "source": "tmpfs", "options": ["size=1m"]},
		{"destination": "/mnt/rel", "type": "bind", "source": "reldir", "options": ["bind", "ro"]}]'
	set_cmd 'cat /mnt/rel/f'
	cd /
	run_ctr
	cd - >/dev/null
	assert_status 0
	[ "$output" = bundle-data ] || fail "$output"
}

@test "overlay: relative lowerdirs are relative to the bundle, never to a directory of the rootfs" {
	mkdir -p "$BUNDLE/layers/l1" "$BUNDLE/layers/l2" "$BATS_TEST_TMPDIR/host/layers/l1" "$BATS_TEST_TMPDIR/host/layers/l2"
	echo bundle-layer >"$BUNDLE/layers/l1/from-bundle"
	echo host-secret >"$BATS_TEST_TMPDIR/host/layers/l1/host-secret"
	# The image plants /srv/layers -> a directory of the host: resolved
	# from the mount's target, the lowerdirs would be the host's.
	mkdir -p "$BUNDLE/rootfs/srv"
	ln -s "$BATS_TEST_TMPDIR/host/layers" "$BUNDLE/rootfs/srv/layers"
	cfg '.mounts += [{"destination": "/data", "type": "tmpfs", "source": "tmpfs", "options": ["size=1m"]},
		{"destination": "/srv", "type": "overlay", "source": "overlay", "options": ["lowerdir=layers/l1:layers/l2"]}]'
	set_cmd 'ls /srv'
	cd /
	run_ctr
	cd - >/dev/null
	assert_status 0
	[ "$output" = from-bundle ] || fail "$output"
}

@test "bind rw: a write from the container reaches the host directory" {
	local src=$BATS_TEST_TMPDIR/hostdir
	mkdir "$src"
	cfg '.mounts += [{"destination": "/shared", "type": "none", "source": $s,
		"options": ["rbind", "rw"]}]' --arg s "$src"
	set_cmd 'echo from-container >/shared/f'
	run_ctr
	assert_status 0
	[ "$(cat "$src/f")" = from-container ]
}

@test "bind of a single file" {
	echo file-content >"$BATS_TEST_TMPDIR/single"
	cfg '.mounts += [{"destination": "/etc/single.conf", "type": "bind", "source": $s,
		"options": ["bind", "ro"]}]' --arg s "$BATS_TEST_TMPDIR/single"
	set_cmd 'cat /etc/single.conf'
	run_ctr
	assert_status 0
	[ "$output" = file-content ]
}

@test "rbind carries submounts, bind does not" {
	local src=$BATS_TEST_TMPDIR/hostsrc
	mkdir -p "$src/sub"
	host_mount -t tmpfs srt-sub "$src/sub"
	echo in-submount >"$src/sub/marker"
	cfg '.mounts += [
		{"destination": "/r", "type": "bind", "source": $s, "options": ["rbind", "ro"]},
		{"destination": "/b", "type": "bind", "source": $s, "options": ["bind", "ro"]}]' --arg s "$src"
	set_cmd 'cat /r/sub/marker; ls -A /b/sub | wc -l'
	run_ctr
	assert_status 0
	[ "${lines[0]}" = in-submount ] || fail "rbind lost the submount: $output"
	[ "${lines[1]}" = 0 ] || fail "bind carried the submount: $output"
}

@test "mount options nosuid, nodev, noexec show in mountinfo and work" {
	cfg '.mounts += [{"destination": "/opts", "type": "tmpfs", "source": "tmpfs",
		"options": ["nosuid", "nodev", "noexec", "mode=755"]}]'
	set_cmd "$(mi /opts)"'; cp /bin/busybox /opts/bb; /opts/bb true 2>&1; echo "rc=$?"'
	run_ctr
	assert_status 0
	local l=${lines[0]}
	[[ $l == *nosuid* && $l == *nodev* && $l == *noexec* ]] || fail "mount flags: $l"
	assert_output_has "Permission denied"
	assert_output_has "rc=126"
}

@test "mount options: ro,nosuid on /sys; /proc and /dev/pts types" {
	set_cmd "$(mi /sys); $(mi /proc); $(mi /dev/pts); $(mi /dev/shm); $(mi /dev/mqueue); touch /sys/x 2>&1; true"
	run_ctr
	assert_status 0
	grep -qE ' /sys ro,nosuid,nodev,noexec.* - sysfs ' <<<"$output" || fail "/sys: $output"
	grep -qE ' /proc .* - proc ' <<<"$output" || fail "/proc: $output"
	grep -qE ' /dev/pts .* - devpts ' <<<"$output" || fail "/dev/pts: $output"
	grep -qE ' /dev/shm .* - tmpfs ' <<<"$output" || fail "/dev/shm: $output"
	grep -qE ' /dev/mqueue .* - mqueue ' <<<"$output" || fail "/dev/mqueue: $output"
	assert_output_has "Read-only file system"
}

@test "maskedPaths: files read empty, directories are empty" {
	# (files and directories the host has, so masking is what empties them)
	[ -n "$(head -c1 /proc/keys)" ] && [ -n "$(head -c1 /proc/timer_list)" ] && [ -n "$(ls -A /sys/firmware)" ] ||
		skip "this host lacks /proc/keys, /proc/timer_list or /sys/firmware content"
	cfg '.linux.maskedPaths = ["/proc/keys", "/proc/timer_list", "/sys/firmware", "/etc/hostname", "/proc/kcore", "/proc/no-such-thing"]'
	set_cmd 'wc -c </proc/keys; wc -c </proc/timer_list; wc -c </etc/hostname; ls -A /sys/firmware | wc -l; echo x >/etc/hostname 2>&1; true'
	run_ctr
	assert_status 0
	[ "${lines[0]}" = 0 ] || fail "/proc/keys readable: $output"
	[ "${lines[1]}" = 0 ] || fail "/proc/timer_list readable: $output"
	[ "${lines[2]}" = 0 ] || fail "/etc/hostname readable: $output"
	[ "${lines[3]}" = 0 ] || fail "/sys/firmware not empty: $output"
	[ "$(cat "$BUNDLE/rootfs/etc/hostname")" = secrun-test ] || fail "the masked file was written through"
}

@test "maskedPaths: a relative entry is relative to /, also after a masked directory" {
	mkdir "$BUNDLE/rootfs/secretdir"
	echo TOPSECRET >"$BUNDLE/rootfs/secretdir/f"
	echo TOPSECRET >"$BUNDLE/rootfs/secretfile"
	cfg '.linux.maskedPaths = ["/secretdir", "secretfile"] | .linux.readonlyPaths = ["tmp"]'
	set_cmd 'cat /secretdir/f 2>&1; wc -c </secretfile; echo x >/tmp/x 2>&1; true'
	run_ctr
	assert_status 0
	assert_output_lacks TOPSECRET
	[ "${lines[1]}" = 0 ] || fail "/secretfile readable: $output"
	assert_output_has "Read-only file system"
}

@test "the init holds no fd of a mount once exec may enter it (created)" {
	cfg '.linux.readonlyPaths += ["/proc/sys"] | .linux.maskedPaths += ["/proc/acpi", "/sys/firmware"]'
	set_args true
	create_ctr || fail "$(cat "$BATS_TEST_TMPDIR/$ID.err")"
	local pid fd dirs=
	pid=$(pid_of "$ID")
	for fd in /proc/"$pid"/fd/*; do
		[ -d "$fd" ] && dirs+="$fd -> $(readlink "$fd") "
	done
	sr delete --force "$ID"
	[ -z "$dirs" ] || fail "the created init holds directories: $dirs"
	assert_no_leaks
}

@test "readonlyPaths: read-only inside, readable" {
	cfg '.linux.readonlyPaths = ["/proc/sys", "/proc/sysrq-trigger", "/etc"]
		| .process.capabilities.bounding += ["CAP_SYS_ADMIN"]
		| .process.capabilities.effective += ["CAP_SYS_ADMIN"]
		| .process.capabilities.permitted += ["CAP_SYS_ADMIN"]'
	# kernel.hostname is per uts namespace: safe to try even if ro failed
	set_cmd 'echo changed >/proc/sys/kernel/hostname 2>&1; echo x >/etc/newfile 2>&1; cat /proc/sys/kernel/hostname; '"$(mi /proc/sys)"
	run_ctr
	assert_status 0
	[ "$(grep -c 'Read-only file system' <<<"$output")" = 2 ] || fail "$output"
	[ "${lines[2]}" = secrun ] || fail "hostname changed: $output"
	grep -qE ' /proc/sys ro[, ]' <<<"$output" || fail "$output"
	[ ! -e "$BUNDLE/rootfs/etc/newfile" ]
}

@test "default /dev: device nodes, symlinks and /dev/pts/ptmx" {
	set_cmd 'for d in null zero full random urandom tty; do echo "$d $(stat -c "%F %t:%T" /dev/$d)"; done
		for l in ptmx fd stdin stdout stderr; do echo "$l -> $(readlink /dev/$l)"; done
		[ -e /dev/pts/ptmx ] && echo pts-ptmx
		head -c 4 /dev/zero | wc -c; head -c 4 /dev/urandom | wc -c
		echo x >/dev/null && echo null-ok
		echo x 2>&1 >/dev/full; true'
	run_ctr
	assert_status 0
	assert_output_has "null character special file 1:3"
	assert_output_has "zero character special file 1:5"
	assert_output_has "full character special file 1:7"
	assert_output_has "random character special file 1:8"
	assert_output_has "urandom character special file 1:9"
	assert_output_has "tty character special file 5:0"
	assert_output_has "ptmx -> pts/ptmx"
	assert_output_has "fd -> /proc/self/fd"
	assert_output_has "stdin -> /proc/self/fd/0"
	assert_output_has "stdout -> /proc/self/fd/1"
	assert_output_has "stderr -> /proc/self/fd/2"
	assert_output_has pts-ptmx
	[ "$(grep -cx 4 <<<"$output")" = 2 ] || fail "reading zero/urandom: $output"
	assert_output_has null-ok
	assert_output_has "No space left on device"
}

@test "default /dev without a tmpfs: nodes the rootfs already has get mode 0666" {
	# No mount on /dev: the nodes land in the rootfs's own /dev, as with
	# runc. One it ships with mode 0600 must still be usable by the
	# unprivileged user, and be the right device.
	cfg 'del(.mounts[] | select(.destination == "/dev"))
		| .root.readonly = false | .process.user = {"uid": 1000, "gid": 1000}'
	mkdir -p "$BUNDLE/rootfs/dev"
	rm -f "$BUNDLE/rootfs/dev/null"
	mknod -m 0600 "$BUNDLE/rootfs/dev/null" c 1 3
	# A hostile rootfs: /dev/zero a symlink to a host file (the nodes are
	# made before pivot_root, in the host's root). It must not be followed:
	# it is left as it is, as runc leaves it.
	local victim=$BATS_TEST_TMPDIR/victim
	echo secret >"$victim"
	chmod 0600 "$victim"
	rm -f "$BUNDLE/rootfs/dev/zero"
	ln -s "$victim" "$BUNDLE/rootfs/dev/zero"
	set_cmd 'stat -c "%a %t:%T %F" /dev/null /dev/full; stat -c %F /dev/zero; echo x >/dev/null && echo null-ok'
	run_ctr
	assert_status 0
	[ "${lines[0]}" = "666 1:3 character special file" ] || fail "/dev/null: $output"
	[ "${lines[1]}" = "666 1:7 character special file" ] || fail "/dev/full: $output"
	[ "${lines[2]}" = "symbolic link" ] || fail "/dev/zero: $output"
	assert_output_has null-ok
	[ "$(stat -c %a "$victim")" = 600 ] || fail "the host file behind the symlink was chmod'ed: $(stat -c %a "$victim")"
	[ "$(cat "$victim")" = secret ] || fail "the host file behind the symlink changed"
}

@test "linux.devices: the node is created with its type, numbers, mode, uid and gid" {
	cfg '.linux.devices = [{"path": "/dev/mynull", "type": "c", "major": 1, "minor": 3,
			"fileMode": 416, "uid": 1000, "gid": 1001}]
		| .linux.resources.devices += [{"allow": true, "type": "c", "major": 1, "minor": 3, "access": "rwm"}]
		| .process.user = {"uid": 1000, "gid": 1000}'
	set_cmd 'stat -c "%F %t:%T %a %u %g" /dev/mynull; echo x >/dev/mynull && echo write-ok'
	run_ctr
	assert_status 0
	[ "${lines[0]}" = "character special file 1:3 640 1000 1001" ] || fail "$output"
	assert_output_has write-ok
}

@test "linux.sysctl: applied inside, the host's values unchanged" {
	local host_ipf host_shm
	host_ipf=$(cat /proc/sys/net/ipv4/ip_forward)
	host_shm=$(cat /proc/sys/kernel/shm_rmid_forced)
	local want_ipf=$((1 - host_ipf)) want_shm=$((1 - host_shm))
	cfg '.linux.sysctl = {"net.ipv4.ip_forward": $a, "kernel.shm_rmid_forced": $b}' \
		--arg a "$want_ipf" --arg b "$want_shm"
	set_cmd 'cat /proc/sys/net/ipv4/ip_forward /proc/sys/kernel/shm_rmid_forced'
	run_ctr
	assert_status 0
	[ "${lines[0]}" = "$want_ipf" ] || fail "ip_forward: $output"
	[ "${lines[1]}" = "$want_shm" ] || fail "shm_rmid_forced: $output"
	[ "$(cat /proc/sys/net/ipv4/ip_forward)" = "$host_ipf" ]
	[ "$(cat /proc/sys/kernel/shm_rmid_forced)" = "$host_shm" ]
}

@test "linux.sysctl: a host-wide (not namespaced) sysctl is refused" {
	cfg '.linux.sysctl = {"vm.overcommit_memory": "2"}'
	local before
	before=$(cat /proc/sys/vm/overcommit_memory)
	set_args true
	run_ctr
	[ "$(cat /proc/sys/vm/overcommit_memory)" = "$before" ] || {
		echo "$before" >/proc/sys/vm/overcommit_memory
		fail "the container changed the host's vm.overcommit_memory"
	}
	assert_failed
	assert_no_leaks
}

# rootfs_propagation MODE: the container sees (1) or not (0) a mount the host
# makes under the rootfs after the container started; the rootfs is made a
# shared mount on the host first.
rootfs_propagation() {
	cfg '.linux.rootfsPropagation = $p' --arg p "$1"
	mkdir -p "$BUNDLE/rootfs/mnt"
	host_mount --bind "$BUNDLE/rootfs" "$BUNDLE/rootfs"
	mount --make-shared "$BUNDLE/rootfs"
	set_cmd "$(mi /)"'; echo ready; while [ ! -e /tmp/go ]; do sleep 0.05; done; grep -c " /mnt " /proc/self/mountinfo; true'
	run_detached
	wait_for file_has "$BATS_TEST_TMPDIR/$ID.out" ready
	host_mount -t tmpfs srt-late "$BUNDLE/rootfs/mnt"
	touch "/proc/$(pid_of "$ID")/root/tmp/go"
	wait_for status_is "$ID" stopped
	sr delete "$ID"
	umount "$BUNDLE/rootfs/mnt"
	output=$(cat "$BATS_TEST_TMPDIR/$ID.out")
	seen=$(tail -n 1 <<<"$output")
}

@test "rootfsPropagation rslave: host mounts propagate into the container" {
	rootfs_propagation rslave
	[ "$seen" = 1 ] || fail "the host mount did not propagate: $output"
	assert_output_has "master:"
}

@test "rootfsPropagation rprivate: host mounts do not propagate" {
	rootfs_propagation rprivate
	[ "$seen" = 0 ] || fail "the host mount propagated: $output"
	assert_output_lacks "master:"
	assert_output_lacks "shared:"
}

@test "--no-pivot: the container runs in its rootfs" {
	set_cmd 'cat /etc/hostname; ls /'
	run_ctr --no-pivot
	assert_status 0
	[ "${lines[0]}" = secrun-test ] || fail "$output"
	# / is the rootfs: the same entries as the bundle's rootfs
	[ "$(tail -n +2 <<<"$output")" = "$(ls "$BUNDLE/rootfs")" ] || fail "/ is not the rootfs: $output"
}

@test "mounts are made in order: a later mount on top of an earlier one" {
	cfg '.mounts += [
		{"destination": "/stack", "type": "tmpfs", "source": "tmpfs", "options": ["mode=755"]},
		{"destination": "/stack/inner", "type": "tmpfs", "source": "tmpfs", "options": ["size=1m"]}]'
	set_cmd 'df -k /stack/inner | tail -n 1; '"$(mi /stack/inner)"
	run_ctr
	assert_status 0
	[ "$(awk '{print $2}' <<<"${lines[0]}")" = 1024 ] || fail "$output"
	[ ! -e "$BUNDLE/rootfs/stack/inner" ] || fail "the inner mount point was made in the rootfs, not in /stack's tmpfs"
}
