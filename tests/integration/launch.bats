#!/usr/bin/env bats
# secrun launch: real containers from a rootfs dir, a bundle, an OCI layout
# and a docker-archive, checked by what the workload sees.
#
# Fixtures are built once per file in $BATS_FILE_TMPDIR, offline:
#   oci/          umoci layout from the busybox rootfs, two layers, the second
#                 with whiteouts (/gone and /app/old removed); tags "app"
#                 (USER user, Env, WorkingDir /app, Cmd, StopSignal SIGUSR1)
#                 and "rootimg" (USER root)
#   app.tar       the "app" image as a docker-archive, written by skopeo
#   zst/          a layout written here: a gzip layer, then a zstd layer with
#                 an opaque directory and a whiteout
#   hostile-*/    layouts whose layer tries to write outside the root

load helpers

bats_require_minimum_version 1.5.0

setup_file() {
	common_setup_file
	command -v umoci >/dev/null || skip "umoci is required (apt-get install umoci)"
	command -v skopeo >/dev/null || skip "skopeo is required (apt-get install skopeo)"
	command -v python3 >/dev/null || skip "python3 is required"
	export FX=$BATS_FILE_TMPDIR/fx
	mkdir -p "$FX"
	build_fixtures >&2
}

setup() {
	common_setup
	# launch refuses to write outside the state root; OUTSIDE is where the
	# hostile archives aim.
	OUTSIDE=$BATS_TEST_TMPDIR/outside
	mkdir -p "$OUTSIDE"
	echo original >"$OUTSIDE/victim"
}

teardown() {
	local report= d
	if [ -d "$ROOT/.launch" ] && [ -n "$(ls -A "$ROOT/.launch")" ]; then
		report="launch bundles left: $(ls -A "$ROOT/.launch")"
		for d in "$ROOT"/.launch/*; do
			umount -l "$d/rootfs" 2>/dev/null
		done
	fi
	if compgen -G "$ROOT/.images/.tmp-*" >/dev/null; then
		report+=" unpack temp dirs left: $(ls -A "$ROOT/.images")"
	fi
	common_teardown || report+=" (leak check failed)"
	[ -z "$report" ] || fail "$report"
}

# ---- fixtures -----------------------------------------------------------------

# mkimg.py LAYOUT TAG CONFIG_JSON LAYER...: an OCI layout holding one image
# made of these layer files (plain, gzip or zstd tars).
write_mkimg() {
	cat >"$FX/mkimg.py" <<'EOF'
import hashlib, json, os, sys
out, tag, config, layers = sys.argv[1], sys.argv[2], json.loads(sys.argv[3]), sys.argv[4:]
os.makedirs(out + "/blobs/sha256", exist_ok=True)
def blob(data):
    d = hashlib.sha256(data).hexdigest()
    with open(f"{out}/blobs/sha256/{d}", "wb") as f:
        f.write(data)
    return "sha256:" + d, len(data)
descs = []
for path in layers:
    data = open(path, "rb").read()
    d, n = blob(data)
    kind = "+gzip" if data[:2] == b"\x1f\x8b" else "+zstd" if data[:4] == b"\x28\xb5\x2f\xfd" else ""
    descs.append({"mediaType": "application/vnd.oci.image.layer.v1.tar" + kind, "digest": d, "size": n})
cfg = {"architecture": "amd64", "os": "linux", "config": config,
       "rootfs": {"type": "layers", "diff_ids": [x["digest"] for x in descs]}}
cd, cn = blob(json.dumps(cfg).encode())
man = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
       "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": cd, "size": cn},
       "layers": descs}
md, mn = blob(json.dumps(man).encode())
json.dump({"imageLayoutVersion": "1.0.0"}, open(out + "/oci-layout", "w"))
json.dump({"schemaVersion": 2, "manifests": [{"mediaType": "application/vnd.oci.image.manifest.v1+json",
           "digest": md, "size": mn, "annotations": {"org.opencontainers.image.ref.name": tag}}]},
          open(out + "/index.json", "w"))
EOF
}

# hostile.py KIND OUT.tar TARGET: a layer with one hostile entry aimed at
# TARGET (a host directory), after a harmless file.
write_hostile() {
	cat >"$FX/hostile.py" <<'EOF'
import io, sys, tarfile
kind, out, target = sys.argv[1:4]
t = tarfile.open(out, "w")
def reg(name, data=b"pwned\n"):
    i = tarfile.TarInfo(name); i.size = len(data); t.addfile(i, io.BytesIO(data))
def sym(name, to):
    i = tarfile.TarInfo(name); i.type = tarfile.SYMTYPE; i.linkname = to; t.addfile(i)
def hard(name, to):
    i = tarfile.TarInfo(name); i.type = tarfile.LNKTYPE; i.linkname = to; t.addfile(i)
up = "../" * 12
reg("harmless")
if kind == "dotdot":
    reg(up + target.lstrip("/") + "/x")
elif kind == "absolute":
    reg(target + "/x")
elif kind == "symlink":        # an absolute symlink, then a file through it
    sym("evil", target); reg("evil/x")
elif kind == "symlink-dotdot":
    sym("evil", up + target.lstrip("/")); reg("evil/x")
elif kind == "hardlink":       # a hard link out of the root
    hard("hl", up + target.lstrip("/") + "/victim")
elif kind == "hardlink-abs":
    hard("hl", target + "/victim")
elif kind == "hardlink-symlink":
    sym("d", target); hard("hl", "d/victim")
elif kind == "whiteout-symlink":
    sym("d", target); reg("d/.wh.victim", b"")
t.close()
EOF
}

# mkdarchive.py LAYOUT OUT.tar: the layout as `docker save` has written it
# since Docker 25: an OCI layout plus manifest.json naming blobs/sha256/...
write_mkdarchive() {
	cat >"$FX/mkdarchive.py" <<'EOF'
import json, sys, tarfile
layout, out = sys.argv[1:3]
index = json.load(open(layout + "/index.json"))
man = json.load(open(layout + "/blobs/sha256/" + index["manifests"][0]["digest"][7:]))
blob = lambda d: "blobs/sha256/" + d["digest"][7:]
entry = {"Config": blob(man["config"]), "RepoTags": ["test/zst:latest"],
         "Layers": [blob(l) for l in man["layers"]]}
json.dump([entry], open(layout + "/manifest.json", "w"))
with tarfile.open(out, "w") as t:
    for name in ["oci-layout", "index.json", "manifest.json", "blobs"]:
        t.add(layout + "/" + name, arcname=name)
EOF
}

build_fixtures() {
	set -e
	local rootfs=$TEMPLATE/rootfs
	write_mkimg
	write_hostile
	write_mkdarchive
	cd "$FX"

	# umoci: two layers, the second removing /gone and /app/old (whiteouts)
	umoci init --layout oci
	umoci new --image oci:base
	umoci unpack --image oci:base b1 >/dev/null
	cp -a "$rootfs/." b1/rootfs/
	mkdir -p b1/rootfs/gone b1/rootfs/app
	echo secret >b1/rootfs/gone/file
	echo old >b1/rootfs/app/old
	umoci repack --image oci:base b1
	umoci unpack --image oci:base b2 >/dev/null
	rm -rf b2/rootfs/gone b2/rootfs/app/old
	echo new >b2/rootfs/app/new
	umoci repack --image oci:base b2
	rm -rf b1 b2
	umoci config --image oci:base --tag app --config.user user \
		--config.env GREETING=hello --config.workingdir /app \
		--config.cmd sh --config.cmd -c \
		--config.cmd 'echo cmd-ran; id -u; pwd; echo "greeting=$GREETING"' \
		--config.stopsignal SIGUSR1
	umoci config --image oci:base --tag rootimg --config.user root --config.cmd id
	umoci gc --layout oci

	# the same image as `docker save` would write it (layer tars, <hex>.json)
	skopeo --insecure-policy copy -q oci:oci:app docker-archive:"$FX/app.tar":test/app:v1

	# gzip + zstd, an opaque directory and a whiteout
	mkdir -p z1/d/sub z2/d
	cp -a "$rootfs/." z1/
	echo a >z1/d/a
	echo s >z1/d/sub/s
	echo keep >z1/keep
	tar -C z1 -czf z1.tar.gz .
	: >z2/d/.wh..wh..opq
	: >z2/.wh.keep
	echo c >z2/d/c
	tar -C z2 -cf - . | zstd -q -o z2.tar.zst
	python3 mkimg.py zst latest '{"Cmd": ["sh"]}' z1.tar.gz z2.tar.zst
	cp -a zst zst-copy
	python3 mkdarchive.py zst-copy zst.tar
	rm -rf zst-copy
	rm -rf z1 z2

	# a config that names no command at all
	python3 mkimg.py nocmd latest '{}' z1.tar.gz
}

# hostile_image KIND: the layout path (built per test, aimed at $OUTSIDE)
hostile_image() {
	local dir=$BATS_TEST_TMPDIR/hostile-$1
	python3 "$FX/hostile.py" "$1" "$BATS_TEST_TMPDIR/$1.tar" "$OUTSIDE"
	python3 "$FX/mkimg.py" "$dir" latest '{"Cmd": ["sh"]}' "$BATS_TEST_TMPDIR/$1.tar"
	echo "$dir"
}

# ---- running launch ---------------------------------------------------------------

# L [OPTIONS] SOURCE [CMD...]: launch in the foreground under this test's id
# and cgroup parent (so the leak checks see everything), removed at exit.
L() {
	sr launch --cgroup-parent /secrun-test --name "$ID" --rm "$@"
}

# run_L ...: run L, stdout in $output, stderr in $stderr.
run_L() {
	run --separate-stderr L "$@"
}

# Ld [OPTIONS] SOURCE [CMD...]: detached, kept; output in files.
Ld() {
	sr launch --cgroup-parent /secrun-test --name "$ID" -d "$@" \
		</dev/null >"$BATS_TEST_TMPDIR/d.out" 2>"$BATS_TEST_TMPDIR/d.err"
}

# launch_bg ARGS...: launch in the background, secrun itself as $! (so that
# a signal sent to $! reaches it); output in $BATS_TEST_TMPDIR/o.
launch_bg() {
	SRT_TAG=$ID "$SECRUN" --root "$ROOT" launch --cgroup-parent /secrun-test --name "$ID" --rm "$@" \
		</dev/null >"$BATS_TEST_TMPDIR/o" 2>&1 &
}

# ready_in_ctr: the workload has created /tmp/ready
ready_in_ctr() {
	local p
	p=$(sr state "$ID" 2>/dev/null | jq -r .pid) && [ -e "/proc/$p/root/tmp/ready" ]
}

# cg CONTROLLER V1FILE V2FILE: the container's cgroup file as the host sees it
cg() {
	if [ -d /sys/fs/cgroup/"$1" ]; then
		cat "/sys/fs/cgroup/$1/secrun-test/$ID/$2"
	else
		cat "/sys/fs/cgroup/secrun-test/$ID/$3"
	fi
}

status_line() {
	grep -m1 "^$1:" <<<"$output" | awk '{print $2}'
}

assert_one_warning() {
	local n
	n=$(grep -c "weakened defaults" <<<"$stderr" || true)
	[ "$n" -eq 1 ] || fail "expected one warning line, got $n: $stderr"
	local item
	for item in "$@"; do
		grep "weakened defaults" <<<"$stderr" | grep -qF -- "$item" || fail "warning lacks '$item': $stderr"
	done
}

PROBE='id -u; id -g; grep -E "^(CapEff|CapBnd|CapAmb|NoNewPrivs|Seccomp):" /proc/self/status'

# ---- the defaults ------------------------------------------------------------------

@test "rootfs dir: hardened defaults as the workload sees them" {
	run_L "$TEMPLATE/rootfs" sh -c "$PROBE"'
		if touch /x 2>/dev/null; then echo root-writable; else echo root-readonly; fi
		echo hi >/tmp/t && cat /tmp/t
		cp /bin/busybox /tmp/true && { /tmp/true 2>/dev/null && echo tmp-exec || echo tmp-noexec; }
		touch /run/r && echo run-writable
		hostname
		ls /sys/class/net
		(echo 1 >/proc/sys/kernel/domainname) 2>/dev/null || echo proc-sys-ro
		echo "pid1=$$"'
	assert_status 0
	[ "${lines[0]}" = 65534 ] || fail "uid: $output"
	[ "${lines[1]}" = 65534 ] || fail "gid: $output"
	[ "$(status_line CapEff)" = 0000000000000000 ] || fail "$output"
	[ "$(status_line CapBnd)" = 0000000000000000 ] || fail "$output"
	[ "$(status_line NoNewPrivs)" = 1 ] || fail "$output"
	[ "$(status_line Seccomp)" = 2 ] || fail "$output"
	assert_output_has root-readonly
	assert_output_has hi
	assert_output_has tmp-noexec
	assert_output_has run-writable
	assert_output_has secrun
	# network none: only the loopback device
	[ "$(grep -c '^lo$' <<<"$output")" = 1 ] && ! grep -q '^eth' <<<"$output" || fail "$output"
	assert_output_has proc-sys-ro
	assert_output_has "pid1=1"
	[ -z "$stderr" ] || fail "unexpected stderr: $stderr"
	# nothing left: no state, no bundle
	[ ! -e "$ROOT/$ID" ]
	[ -z "$(ls -A "$ROOT/.launch")" ]
}

@test "exit status is the workload's, signals as 128+N" {
	run_L "$TEMPLATE/rootfs" sh -c 'exit 42'
	assert_status 42
	run_L "$TEMPLATE/rootfs" sh -c 'sh -c "kill -KILL \$\$"; exit $?'
	assert_status 137
	run_L "$TEMPLATE/rootfs" /does/not/exist
	assert_failed
}

@test "namespaces: pid ipc uts mnt net cgroup all new" {
	run_L "$TEMPLATE/rootfs" sh -c 'for n in pid ipc uts mnt net cgroup; do echo "$n $(readlink /proc/self/ns/$n)"; done'
	assert_status 0
	local n inside
	for n in pid ipc uts mnt net cgroup; do
		inside=$(awk -v n="$n" '$1 == n {print $2}' <<<"$output")
		[ -n "$inside" ] || fail "no $n: $output"
		[ "$inside" != "$(readlink "/proc/self/ns/$n")" ] || fail "$n is the host's"
	done
}

@test "masked and read-only /proc and /sys paths as runc's defaults" {
	run_L "$TEMPLATE/rootfs" sh -c 'echo "keys $(wc -c </proc/keys)"; echo "timer_list $(wc -c </proc/timer_list)"
		echo "firmware $(ls -A /sys/firmware | wc -l)"
		for p in /proc/sys /proc/sysrq-trigger /proc/irq /proc/bus; do
			grep -q " $p .*ro," /proc/self/mountinfo && echo "$p ro"; done'
	assert_status 0
	assert_output_has "keys 0"
	assert_output_has "timer_list 0"
	assert_output_has "firmware 0"
	assert_output_has "/proc/sys ro"
	# the others only where this kernel has them
	local p
	for p in /proc/sysrq-trigger /proc/irq /proc/bus; do
		[ ! -e "$p" ] || assert_output_has "$p ro"
	done
}

@test "defaults: pids.max 1024, and the memory and cpu limits when asked, as the host kernel reports them" {
	Ld -m 64m --memory-swap 96m --cpus 1.5 --cpu-shares 512 "$TEMPLATE/rootfs" sleep 100
	[ "$(cat "$BATS_TEST_TMPDIR/d.out")" = "$ID" ] || fail "detach printed: $(cat "$BATS_TEST_TMPDIR/d.out")"
	[ "$(cg pids pids.max pids.max)" = 1024 ]
	[ "$(cg memory memory.limit_in_bytes memory.max)" = 67108864 ]
	if [ -d /sys/fs/cgroup/memory ]; then
		[ "$(cg memory memory.memsw.limit_in_bytes x)" = 100663296 ]
		[ "$(cg cpu cpu.cfs_quota_us x)" = 150000 ]
		[ "$(cg cpu cpu.cfs_period_us x)" = 100000 ]
		[ "$(cg cpu cpu.shares x)" = 512 ]
	else
		[ "$(cg cpu x cpu.max)" = "150000 100000" ]
	fi
	sr delete -f "$ID"
}

@test "--pids-limit: the workload cannot fork past it; --memory: past it the kernel kills" {
	run_L --pids-limit 8 "$TEMPLATE/rootfs" sh -c 'for i in 1 2 3 4 5 6 7 8 9 10 11 12; do sleep 5 & done 2>&1 | grep -c "can.t fork"'
	assert_status 0
	[ "${output:-0}" -ge 1 ] || fail "forked past pids.max: $output"
	run_L -m 32m --memory-swap 32m "$TEMPLATE/rootfs" sh -c 'x=$(head -c 100000000 /dev/zero | tr "\0" a); echo survived ${#x}'
	assert_status 137
	assert_output_lacks survived
	run_L --pids-limit 0 -q "$TEMPLATE/rootfs" true
	assert_status 0
}

# ---- weakening flags ------------------------------------------------------------------

@test "weakening flags work and are listed in one warning line; --quiet silences it" {
	cp -a "$TEMPLATE/rootfs" "$BATS_TEST_TMPDIR/rw"
	run_L --cap-add NET_BIND_SERVICE --cap-add cap_chown --read-write \
		--security-opt seccomp=unconfined --security-opt no-new-privileges=false \
		--user 0 --network host "$BATS_TEST_TMPDIR/rw" sh -c "$PROBE"'
		touch /written && echo root-writable
		wc -l </proc/net/dev'
	assert_status 0
	[ "${lines[0]}" = 0 ] || fail "uid: $output"
	[ "$(status_line CapEff)" = 0000000000000401 ] || fail "$output"
	[ "$(status_line NoNewPrivs)" = 0 ] || fail "$output"
	[ "$(status_line Seccomp)" = 0 ] || fail "$output"
	assert_output_has root-writable
	[ -e "$BATS_TEST_TMPDIR/rw/written" ]
	[ "${lines[-1]}" = "$(wc -l </proc/net/dev)" ] || fail "not the host network: $output"
	assert_one_warning "--cap-add CAP_NET_BIND_SERVICE" "--cap-add CAP_CHOWN" "--read-write" \
		"--security-opt seccomp=unconfined" "--security-opt no-new-privileges=false" \
		"--user 0 (root)" "--network host"

	run_L -q --cap-add NET_BIND_SERVICE --user 0 "$TEMPLATE/rootfs" true
	assert_status 0
	[ -z "$stderr" ] || fail "--quiet printed: $stderr"
}

@test "--cap-add reaches a non-root workload (ambient); --cap-drop takes it back" {
	run_L --cap-add NET_BIND_SERVICE "$TEMPLATE/rootfs" sh -c "$PROBE"
	assert_status 0
	[ "${lines[0]}" = 65534 ]
	[ "$(status_line CapEff)" = 0000000000000400 ] || fail "$output"
	[ "$(status_line CapAmb)" = 0000000000000400 ] || fail "$output"
	run_L -q --cap-add ALL --cap-drop ALL --cap-add KILL "$TEMPLATE/rootfs" sh -c "$PROBE"
	[ "$(status_line CapEff)" = 0000000000000020 ] || fail "$output"
	run_L --cap-add NOPE "$TEMPLATE/rootfs" true
	assert_failed
}

@test "--security-opt seccomp=PATH and no-new-privileges stay on" {
	jq '.syscalls |= (map(.names -= ["getcwd"]) | map(select(.names | length > 0)))
		| .syscalls += [{"names": ["getcwd"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1}]' \
		"$SRCDIR/profiles/seccomp/default.json" >"$BATS_TEST_TMPDIR/scmp.json"
	run_L --security-opt seccomp="$BATS_TEST_TMPDIR/scmp.json" --security-opt no-new-privileges \
		"$TEMPLATE/rootfs" sh -c 'grep -E "^(NoNewPrivs|Seccomp):" /proc/self/status; /bin/pwd || echo pwd-denied'
	assert_status 0
	[ "$(status_line Seccomp)" = 2 ]
	[ "$(status_line NoNewPrivs)" = 1 ]
	assert_output_has pwd-denied
	[[ $stderr == *"Operation not permitted"* ]] || fail "$stderr"
	[[ $stderr != *"weakened"* ]] || fail "a custom profile is not a weakening: $stderr"
}

# ---- options ----------------------------------------------------------------------------

@test "-e, --env-file, -w, --hostname, --ulimit, --user NAME, --group-add" {
	printf 'A=1\n# a comment\n\nB=two words\nFROM_HOST\n' >"$BATS_TEST_TMPDIR/env"
	FROM_HOST=yes run_L --env-file "$BATS_TEST_TMPDIR/env" -e C=3 -e A=override -w /tmp \
		--hostname box --ulimit nofile=100:200 --user user --group-add nogroup --group-add 42 \
		"$TEMPLATE/rootfs" sh -c 'echo "A=$A B=$B C=$C H=$FROM_HOST HOME=$HOME"; pwd; hostname; ulimit -n; ulimit -Hn; id -u; id -G'
	assert_status 0
	assert_output_has "A=override B=two words C=3 H=yes HOME=/home/user"
	[ "${lines[1]}" = /tmp ]
	[ "${lines[2]}" = box ]
	[ "${lines[3]}" = 100 ]
	[ "${lines[4]}" = 200 ]
	[ "${lines[5]}" = 1000 ]
	[ "$(tr ' ' '\n' <<<"${lines[6]}" | sort -n | xargs)" = "42 1000 65534" ] || fail "groups: ${lines[6]}"
	run_L --user nosuchuser "$TEMPLATE/rootfs" true
	assert_failed
	[[ $stderr == *"nosuchuser"* ]] || fail "$stderr"
}

@test "--tmpfs, -v (ro and rw), --mount bind and tmpfs" {
	local vol=$BATS_TEST_TMPDIR/vol
	mkdir -p "$vol"
	chmod 777 "$vol"
	echo from-host >"$vol/f"
	run_L --tmpfs /scratch:size=4m,exec --tmpfs /tmp:size=2m -v "$vol:/ro:ro" -v "$vol:/rw" \
		--mount "type=bind,source=$vol,target=/m,readonly" --mount type=tmpfs,target=/mt,tmpfs-size=3m \
		"$TEMPLATE/rootfs" sh -c 'cat /ro/f; echo x >/ro/g 2>/dev/null || echo ro-refused
			echo y >/rw/g && echo rw-ok; echo z >/m/h 2>/dev/null || echo m-refused
			grep -E " /(scratch|tmp|mt) " /proc/self/mounts | sort
			cp /bin/busybox /scratch/true && /scratch/true && echo scratch-exec'
	assert_status 0
	assert_output_has from-host
	assert_output_has ro-refused
	assert_output_has rw-ok
	assert_output_has m-refused
	assert_output_has scratch-exec
	[ "$(cat "$vol/g")" = y ]
	grep -q "/scratch tmpfs .*size=4096k" <<<"$output" || fail "$output"
	grep -q "/tmp tmpfs .*noexec.*size=2048k" <<<"$output" || fail "$output"
	grep -q "/mt tmpfs .*size=3072k" <<<"$output" || fail "$output"
	run_L -v relative:/x "$TEMPLATE/rootfs" true
	assert_failed
}

@test "--device gives one node and is warned about" {
	run_L --device /dev/null:/dev/xnull:rw "$TEMPLATE/rootfs" sh -c 'echo hi >/dev/xnull && echo dev-ok; ls -l /dev/xnull'
	assert_status 0
	assert_output_has dev-ok
	assert_one_warning "--device /dev/null"
}

@test "-t gives a terminal, -i passes stdin, without -i stdin is empty" {
	run script -qec "SRT_TAG=$ID $SECRUN --root $ROOT launch --cgroup-parent /secrun-test --name $ID --rm -t $TEMPLATE/rootfs sh -c 'tty; [ -t 0 ] && echo stdin-tty; exit 3'" /dev/null
	assert_status 3
	assert_output_has /dev/pts/
	assert_output_has stdin-tty
	run bash -c "echo piped | SRT_TAG=$ID timeout 20 $SECRUN --root $ROOT launch --cgroup-parent /secrun-test --name $ID --rm -i $TEMPLATE/rootfs cat"
	assert_status 0
	[ "$output" = piped ]
	run bash -c "echo piped | SRT_TAG=$ID timeout 20 $SECRUN --root $ROOT launch --cgroup-parent /secrun-test --name $ID --rm $TEMPLATE/rootfs cat"
	assert_status 0
	[ -z "$output" ] || fail "stdin reached the workload without -i: $output"
}

@test "--init: pid 1 is secrun-init, it reaps orphans and forwards signals" {
	run_L --init "$TEMPLATE/rootfs" sh -c '(sleep 0.1 &); sleep 0.5; ps -o pid,stat,args; exit 5'
	assert_status 5
	grep -qE '^ *1 .*/sbin/secrun-init' <<<"$output" || fail "$output"
	! grep -qE ' Z ' <<<"$output" || fail "zombie left: $output"

	# SIGTERM to launch -> secrun-init -> the shell (not pid 1, so it dies)
	launch_bg --init "$TEMPLATE/rootfs" sh -c 'touch /tmp/ready; sleep 60'
	local lpid=$!
	wait_for ready_in_ctr
	kill -TERM "$lpid"
	local st=0
	wait "$lpid" || st=$?
	[ "$st" = 143 ] || fail "exit $st: $(cat "$BATS_TEST_TMPDIR/o")"
}

@test "--entrypoint and COMMAND override the image; the image's Cmd otherwise" {
	run_L "oci:$FX/oci:app"
	assert_status 0
	assert_output_has cmd-ran
	run_L --entrypoint /bin/echo "oci:$FX/oci:app" from-entrypoint
	assert_status 0
	[ "$output" = from-entrypoint ]
	run_L --entrypoint /bin/true "oci:$FX/oci:app"
	assert_status 0
	[ -z "$output" ] || fail "Cmd was not dropped: $output"
	run_L "oci:$FX/nocmd"
	assert_failed
	[[ $stderr == *"no command"* ]] || fail "$stderr"
}

# ---- images ------------------------------------------------------------------------------

@test "OCI layout (umoci): User, Env, WorkingDir, Cmd honoured, whiteouts applied" {
	run_L "oci:$FX/oci:app"
	assert_status 0
	[ "${lines[0]}" = cmd-ran ]
	[ "${lines[1]}" = 1000 ]
	[ "${lines[2]}" = /app ]
	[ "${lines[3]}" = greeting=hello ]
	run_L "oci:$FX/oci:app" sh -c 'ls /app; ls /gone 2>&1; touch /x 2>/dev/null || echo root-readonly; '"$PROBE"
	assert_status 0
	assert_output_has new
	assert_output_lacks old
	assert_output_has "No such file"
	assert_output_has root-readonly
	[ "$(status_line CapEff)" = 0000000000000000 ]
	[ "$(status_line Seccomp)" = 2 ]
	[ "$(status_line NoNewPrivs)" = 1 ]
}

@test "image USER root runs as 65534 unless --user 0, which is warned about" {
	run_L "oci:$FX/oci:rootimg"
	assert_status 0
	assert_output_has "uid=65534"
	[ -z "$stderr" ] || fail "$stderr"
	run_L --user 0 "oci:$FX/oci:rootimg"
	assert_status 0
	assert_output_has "uid=0(root)"
	assert_one_warning "--user 0 (root)"
}

@test "docker-archive (skopeo): same image, same result; --read-write gets a throwaway layer" {
	run_L "$FX/app.tar"
	assert_status 0
	[ "${lines[0]}" = cmd-ran ]
	[ "${lines[1]}" = 1000 ]
	[ "${lines[2]}" = /app ]
	[ "${lines[3]}" = greeting=hello ]
	run_L "docker-archive:$FX/app.tar:test/app:v1" sh -c 'ls /gone 2>/dev/null || echo gone-whited-out'
	assert_output_has gone-whited-out
	run_L -q --read-write --user 0 "$FX/app.tar" sh -c 'echo w >/written && cat /written'
	assert_status 0
	[ "$output" = w ]
	# the write went to the container's layer, not the cache
	[ -z "$(find "$ROOT/.images" -name written)" ]
	run_L "$FX/app.tar" sh -c 'cat /written 2>/dev/null || echo fresh'
	[ "$output" = fresh ]
}

@test "gzip and zstd layers, opaque directory and whiteout; docker save 25+ archives" {
	local src
	for src in "oci:$FX/zst" "$FX/zst.tar"; do
		run_L "$src" sh -c 'find /d | sort; ls /keep 2>/dev/null || echo keep-gone'
		assert_status 0
		[ "$output" = "/d
/d/c
keep-gone" ] || fail "$src: $output"
	done
	# same layers: one cache entry for both
	[ "$(ls -A "$ROOT/.images" | wc -l)" = 1 ]
}

@test "a second launch hits the layer cache and unpacks nothing" {
	run --separate-stderr sr --debug launch --cgroup-parent /secrun-test --name "$ID" --rm "oci:$FX/oci:app" true
	assert_status 0
	[[ $stderr == *"unpacking layer 1/2"* ]] || fail "first launch: $stderr"
	local dir
	dir=$(ls "$ROOT/.images")
	[ "$(wc -w <<<"$dir")" = 1 ] || fail "cache: $dir"
	local before
	before=$(stat -c '%i %Y' "$ROOT/.images/$dir" "$ROOT/.images/$dir/rootfs")
	sleep 1
	run --separate-stderr sr --debug launch --cgroup-parent /secrun-test --name "$ID" --rm "oci:$FX/oci:app" true
	assert_status 0
	[[ $stderr == *"image cache hit"* ]] || fail "second launch: $stderr"
	[[ $stderr != *"unpacking"* ]] || fail "second launch unpacked: $stderr"
	[ "$(stat -c '%i %Y' "$ROOT/.images/$dir" "$ROOT/.images/$dir/rootfs")" = "$before" ]
	[ "$(ls "$ROOT/.images")" = "$dir" ]
}

@test "concurrent first launches of one image share one cache entry" {
	local i pids=()
	for i in 1 2 3; do
		track "$ID-$i"
		SRT_TAG=$ID timeout 60 "$SECRUN" --root "$ROOT" launch --cgroup-parent /secrun-test \
			--name "$ID-$i" --rm "oci:$FX/zst" sh -c 'cat /d/c' >"$BATS_TEST_TMPDIR/c$i" 2>&1 &
		pids+=($!)
		CGPATHS+=("secrun-test/$ID-$i")
	done
	for i in 0 1 2; do
		wait "${pids[$i]}" || fail "launch $i: $(cat "$BATS_TEST_TMPDIR/c$((i + 1))")"
	done
	for i in 1 2 3; do
		[ "$(cat "$BATS_TEST_TMPDIR/c$i")" = c ] || fail "$(cat "$BATS_TEST_TMPDIR/c$i")"
	done
	[ "$(ls -A "$ROOT/.images" | wc -l)" = 1 ] || fail "$(ls -A "$ROOT/.images")"
}

@test "a corrupted blob is refused by its digest" {
	cp -a "$FX/zst" "$BATS_TEST_TMPDIR/bad"
	local big
	big=$(ls -S "$BATS_TEST_TMPDIR/bad/blobs/sha256" | head -1)
	python3 -c 'import sys; p=sys.argv[1]; d=bytearray(open(p,"rb").read()); d[100]^=1; open(p,"wb").write(d)' \
		"$BATS_TEST_TMPDIR/bad/blobs/sha256/$big"
	run_L "oci:$BATS_TEST_TMPDIR/bad" true
	assert_failed
	[[ $stderr == *"digest mismatch"* || $stderr == *"sha256:$big"* ]] || fail "$stderr"
	[ -z "$(ls -A "$ROOT/.images")" ] || fail "cache: $(ls -A "$ROOT/.images")"
}

@test "hostile archives are refused and nothing is written outside the cache" {
	local kind img
	for kind in dotdot absolute symlink symlink-dotdot hardlink hardlink-abs hardlink-symlink whiteout-symlink; do
		img=$(hostile_image "$kind")
		run_L "oci:$img" true
		assert_failed
		[[ $stderr == *refused* ]] || fail "$kind: $stderr"
		[ "$(ls -A "$OUTSIDE")" = victim ] || fail "$kind wrote outside: $(ls -lA "$OUTSIDE")"
		[ "$(cat "$OUTSIDE/victim")" = original ] || fail "$kind changed the victim"
		[ "$(stat -c %h "$OUTSIDE/victim")" = 1 ] || fail "$kind linked the victim"
		[ -z "$(ls -A "$ROOT/.images")" ] || fail "$kind left: $(ls -A "$ROOT/.images")"
	done
}

# ---- sources and lifecycle -----------------------------------------------------------------

@test "an OCI bundle directory: its process, hardened" {
	cfg '.process.args = ["sh", "-c", "echo from-bundle; id -u; grep NoNewPrivs /proc/self/status"]'
	run_L "$BUNDLE"
	assert_status 0
	[ "${lines[0]}" = from-bundle ]
	[ "${lines[1]}" = 65534 ]
	assert_output_has "NoNewPrivs:	1"
}

@test "--name keeps a stopped container; delete removes its bundle" {
	run sr launch --cgroup-parent /secrun-test --name "$ID" "oci:$FX/oci:app" true
	assert_status 0
	[ "$(state_of "$ID")" = stopped ]
	[ -d "$ROOT/.launch/$ID" ]
	run sr state "$ID"
	[ "$(jq -r '.annotations["org.opencontainers.image.stopSignal"]' <<<"$output")" = SIGUSR1 ]
	sr delete "$ID"
	[ ! -e "$ROOT/.launch/$ID" ] || fail "delete left the launch bundle"
	run sr launch --cgroup-parent /secrun-test --name "$ID" --rm "$TEMPLATE/rootfs" true
	assert_status 0
	[ ! -e "$ROOT/$ID" ]
}

@test "--detach: running, usable with exec/kill/delete, delete unmounts and removes" {
	Ld "oci:$FX/oci:app" sleep 100
	[ "$(cat "$BATS_TEST_TMPDIR/d.out")" = "$ID" ]
	[ "$(state_of "$ID")" = running ]
	grep -q " $ROOT/.launch/$ID/rootfs " /proc/self/mountinfo || fail "no overlay"
	run sr exec "$ID" /bin/id -u
	assert_status 0
	[ "$output" = 1000 ]
	sr kill "$ID" KILL
	wait_for status_is "$ID" stopped
	sr delete "$ID"
	! grep -q " $ROOT/.launch/$ID/rootfs " /proc/self/mountinfo || fail "overlay still mounted"
	[ ! -e "$ROOT/.launch/$ID" ]
}

@test "StopSignal: SIGTERM to launch reaches the workload as the image's stop signal" {
	launch_bg "oci:$FX/oci:app" sh -c 'trap "echo got-usr1; exit 0" USR1; touch /tmp/ready; while :; do sleep 0.1; done'
	local lpid=$!
	wait_for ready_in_ctr
	kill -TERM "$lpid"
	local st=0
	wait "$lpid" || st=$?
	[ "$st" = 0 ] || fail "exit $st: $(cat "$BATS_TEST_TMPDIR/o")"
	grep -q got-usr1 "$BATS_TEST_TMPDIR/o"
}

@test "--rm: a delete --force meanwhile, and a new launch under the name, are left alone" {
	launch_bg "$TEMPLATE/rootfs" sh -c 'touch /tmp/ready; sleep 100'
	local lpid=$!
	wait_for ready_in_ctr
	# the first launch is held still until the new container exists
	kill -STOP "$lpid"
	run sr delete --force "$ID"
	assert_status 0
	Ld "$TEMPLATE/rootfs" sleep 100 || fail "$(cat "$BATS_TEST_TMPDIR/d.err")"
	[ "$(state_of "$ID")" = running ]
	# the first launch sees its init gone: it must not touch the new one
	kill -CONT "$lpid"
	wait "$lpid" || true
	[ "$(state_of "$ID")" = running ] || fail "the new container was touched: $(sr state "$ID" 2>&1)"
	[ -d "$ROOT/.launch/$ID" ] || fail "the new container's launch bundle was removed"
	sr kill "$ID" KILL
	wait_for status_is "$ID" stopped
	sr delete "$ID"
}

@test "usage errors: no source, bad source, --rm with --detach, bad sizes" {
	run sr launch
	assert_failed
	run sr launch "$BATS_TEST_TMPDIR/nonexistent" true
	assert_failed
	run sr launch --rm -d "$TEMPLATE/rootfs" true
	assert_failed
	run sr launch -m lots "$TEMPLATE/rootfs" true
	assert_failed
	run sr launch --network bridge "$TEMPLATE/rootfs" true
	assert_failed
	run sr launch "oci:$FX/oci:nosuchtag" true
	assert_failed
	assert_output_has nosuchtag
	[ -z "$(ls -A "$ROOT/.launch" 2>/dev/null)" ]
}
