#!/bin/bash
# tests/vm/guest.sh RUNTIME DIR: runs INSIDE a vm-run guest (cgroup v2, every
# controller enabled at the root), started by tests/vm/run.sh. DIR holds the
# bundles run.sh wrote. Prints TAP lines; every check asserts what the kernel
# reports, read from the container's cgroup files.
set -u
RT=$1 W=$2
CG=/sys/fs/cgroup
P=secrun-vmt
T=/run/vmt
ROOT=$T/state
N=0 FAILS=0

ok() { N=$((N + 1)); echo "ok $N - $*"; }
nok() { N=$((N + 1)); FAILS=$((FAILS + 1)); echo "not ok $N - $*"; }
skip() { N=$((N + 1)); echo "ok $N - $1 # SKIP $2"; }
diag() { echo "# $*"; }
# check NAME CMD...: ok when CMD succeeds
check() {
	local name=$1
	shift
	if "$@"; then ok "$name"; else nok "$name"; fi
}
is_secrun() { [[ $(basename "$RT") == secrun* ]]; }
sr() { timeout -k 5 60 "$RT" --root "$ROOT" "$@"; }
status_of() { sr state "$1" 2>/dev/null | jq -r .status 2>/dev/null; }
wait_status() { # ID STATUS SECONDS
	local i
	for ((i = 0; i < $3 * 10; i++)); do
		[ "$(status_of "$1")" = "$2" ] && return 0
		sleep 0.1
	done
	return 1
}
# run_d NAME: run -d bundle NAME as container NAME, output in $T/NAME.out
run_d() {
	sr run -d -b "$W/b/$1" "$1" </dev/null >"$T/$1.out" 2>&1
}
rd() { cat "$CG/$P/$1/$2" 2>/dev/null; }
key() { awk -v k="$3" '$1 == k {print $2}' "$CG/$P/$1/$2" 2>/dev/null; }
eq() { # WHAT GOT WANT
	[ "$2" = "$3" ] && return 0
	diag "$1: got '$2', want '$3'"
	return 1
}
gone() { # ID: no cgroup, no state left
	local bad=0
	[ -e "$CG/$P/$1" ] && { diag "cgroup $CG/$P/$1 left"; bad=1; }
	# secrun removes every level it created; runc leaves the parents
	is_secrun && [ -e "$CG/$P" ] && { diag "cgroup $CG/$P left"; bad=1; }
	[ -e "$ROOT/$1" ] && { diag "state $ROOT/$1 left"; bad=1; }
	return $bad
}
now_ns() { date +%s%N; }

# ---- setup -------------------------------------------------------------------
mkdir -p $T
# our own tmpfs: /run is nodev, and the device checks need nodes in the rootfs
mount -t tmpfs -o mode=755 tmpfs $T || exit 1
mkdir -p "$ROOT"
cp -a "$W/tmpl/rootfs" $T/rootfs || exit 1
MAJ=0 MIN=0
if [ -r /sys/block/vda/dev ]; then
	IFS=: read -r MAJ MIN </sys/block/vda/dev
	mknod $T/rootfs/vda b "$MAJ" "$MIN"
fi
mknod $T/rootfs/mem c 1 1
mknod $T/rootfs/null2 c 1 3
for f in "$W"/b/*/config.json; do
	sed -i "s/\"__MAJ__\"/$MAJ/g; s/\"__MIN__\"/$MIN/g" "$f"
done
diag "runtime: $RT ($("$RT" --version 2>/dev/null | head -n1))"
diag "kernel $(uname -r), cgroup.controllers: $(cat $CG/cgroup.controllers)"

check "host is cgroup v2 with cpu memory pids io cpuset hugetlb" \
	sh -c "[ \"\$(stat -fc %T $CG)\" = cgroup2fs ] && for c in cpu memory pids io cpuset hugetlb; do grep -qw \$c $CG/cgroup.subtree_control || exit 1; done"

# ---- limits as the kernel reports them ------------------------------------------
if run_d limits; then
	ok "run -d with every resource"
	check "created level enables controllers (subtree_control)" \
		sh -c "for c in cpu memory pids io cpuset hugetlb; do grep -qw \$c $CG/$P/cgroup.subtree_control || exit 1; done"
	check "memory.max = limit" eq memory.max "$(rd limits memory.max)" 67108864
	check "memory.swap.max = swap - limit" eq memory.swap.max "$(rd limits memory.swap.max)" 67108864
	check "memory.low = reservation" eq memory.low "$(rd limits memory.low)" 33554432
	check "unified memory.high written as given" eq memory.high "$(rd limits memory.high)" 104857600
	check "cpu.weight = runc conversion of shares 512" eq cpu.weight "$(rd limits cpu.weight)" 20
	check "cpu.max = quota period" eq cpu.max "$(rd limits cpu.max)" "50000 100000"
	if ! is_secrun && [ "$(rd limits cpu.max.burst)" = 0 ]; then
		skip "cpu.max.burst = burst" "$(basename "$RT") does not implement cpu.burst (runc < 1.2)"
	else
		check "cpu.max.burst = burst" eq cpu.max.burst "$(rd limits cpu.max.burst)" 10000
	fi
	check "cpuset.cpus / cpuset.mems" eq cpuset "$(rd limits cpuset.cpus)/$(rd limits cpuset.mems)" "0/0"
	check "pids.max = limit" eq pids.max "$(rd limits pids.max)" 50
	check "hugetlb.2MB.max = limit" eq hugetlb.2MB.max "$(rd limits hugetlb.2MB.max)" 4194304
	if [ -e "$CG/$P/limits/io.bfq.weight" ]; then
		check "io.bfq.weight = blockIO.weight" eq io.bfq.weight "$(rd limits io.bfq.weight | awk '/default/{print $2}')" 500
	elif [ -e "$CG/$P/limits/io.weight" ]; then
		check "io.weight = converted blockIO.weight" eq io.weight "$(rd limits io.weight | awk '/default/{print $2}')" 4950
	else
		skip "io weight" "neither io.bfq.weight nor io.weight on this kernel"
	fi

	init=$(sr state limits | jq .pid)
	out=$(sr ps --format json limits 2>&1)
	check "ps --format json: only a JSON array of the 3 pids, init among them" \
		sh -c "echo \"\$1\" | jq -e --argjson p \"\$2\" 'type == \"array\" and length == 3 and (index(\$p) != null)' >/dev/null" _ "$out" "$init"
	out=$(sr ps limits 2>&1)
	check "ps (table): header and 3 sleep lines" sh -c "echo \"\$1\" | head -n1 | grep -q PID && [ \$(echo \"\$1\" | grep -c 'sleep 1000') = 3 ]" _ "$out"

	# update changes the running limits; zeros mean "unchanged"
	if sr update --memory 128m --memory-swap 256m --pids-limit 80 --cpu-quota 30000 limits; then
		check "update --memory 128m: memory.max" eq memory.max "$(rd limits memory.max)" 134217728
		check "update --memory-swap 256m: memory.swap.max" eq memory.swap.max "$(rd limits memory.swap.max)" 134217728
		check "update --pids-limit 80: pids.max" eq pids.max "$(rd limits pids.max)" 80
		check "update --cpu-quota 30000 keeps the period" eq cpu.max "$(rd limits cpu.max)" "30000 100000"
	else
		nok "update with flags"
	fi
	if echo '{"memory": {"limit": 0, "swap": 0, "kernel": 0}, "cpu": {"shares": 0, "quota": 0}, "blockIO": {"weight": 0}, "pids": {"limit": 0}}' |
		sr update --resources - limits; then
		check "update --resources - with zeros (Docker) changes nothing" \
			eq "after zeros" "$(rd limits memory.max) $(rd limits cpu.weight) $(rd limits pids.max) $(rd limits cpu.max)" \
			"134217728 20 80 30000 100000"
	else
		nok "update --resources - with zeros (Docker)"
	fi
	echo '{"memory": {"limit": 100663296, "swap": 100663296}, "cpu": {"shares": 1024}, "pids": {"limit": -1}}' |
		sr update --resources - limits
	check "update --resources -: swap = limit disables swap, pids -1 = max, shares -> weight 39" \
		eq "after json" "$(rd limits memory.max) $(rd limits memory.swap.max) $(rd limits pids.max) $(rd limits cpu.weight)" \
		"100663296 0 max 39"

	stats=$(sr events --stats limits 2>&1)
	check "events --stats: runc's shape with real numbers" sh -c "echo \"\$1\" | jq -e '
		.type == \"stats\" and .id == \"limits\"
		and .data.memory.usage.limit == 100663296 and .data.memory.usage.usage > 0
		and .data.pids.current == 3 and .data.cpu.usage.total > 0
		and (.data.memory.raw | has(\"anon\")) and (.data.hugetlb | has(\"2MB\"))' >/dev/null" _ "$stats" ||
		diag "stats: $stats"

	# kill --all: every process, the cgroup stays until delete
	sr kill --all limits 9
	wait_status limits stopped 10
	check "kill --all 9: every process gone (cgroup.procs empty)" eq procs "$(rd limits cgroup.procs | wc -l)" 0
	out=$(sr ps --format json limits 2>&1)
	check "ps --format json after kill --all: empty" sh -c "echo \"\$1\" | jq -e 'length == 0' >/dev/null" _ "$out"
	sr delete limits
	check "delete: every level secrun created is gone" gone limits
else
	nok "run -d with every resource: $(cat $T/limits.out)"
fi

# ---- pause / resume --------------------------------------------------------------------
if run_d pause; then
	sleep 1
	if sr pause pause; then
		check "pause: status paused, cgroup.freeze 1, cgroup.events frozen 1" \
			eq paused "$(status_of pause) $(rd pause cgroup.freeze) $(key pause cgroup.events frozen)" "paused 1 1"
		c1=$(stat -c %s $T/rootfs/count-pause 2>/dev/null)
		sleep 1
		c2=$(stat -c %s $T/rootfs/count-pause 2>/dev/null)
		check "paused container makes no progress" eq count "${c1:-0}" "${c2:-0}"
		sr resume pause
		sleep 1
		c3=$(stat -c %s $T/rootfs/count-pause 2>/dev/null)
		check "resume: running again and counting" sh -c "[ '$(status_of pause)' = running ] && [ ${c3:-0} -gt ${c2:-0} ]"
		diag "counter output: ${c1:-?} and ${c2:-?} bytes while paused, ${c3:-?} after resume"
		if is_secrun; then
			if out=$(sr resume pause 2>&1); then
				nok "resume of a running container must fail"
			else
				check "resume of a running container: \"$out\"" eq error "$out" "secrun: container not paused"
			fi
		fi
		sr pause pause
		sr delete -f pause
		check "delete -f of a paused container removes its cgroup" gone pause
	else
		nok "pause"
		sr delete -f pause
	fi
else
	nok "run -d pause: $(cat $T/pause.out)"
fi

# ---- OOM ----------------------------------------------------------------------------------
if sr create -b "$W/b/oom" oom </dev/null >$T/oom.out 2>&1; then
	sr events --interval 1s oom >$T/oom.ev 2>&1 &
	evpid=$!
	sleep 0.5
	t0=$(now_ns)
	sr start oom
	wait_status oom stopped 120
	diag "oom: $(tr '\n' ' ' <$T/oom.out) after $((($(now_ns) - t0) / 1000000)) ms; memory.events: $(rd oom memory.events | tr '\n' ' ')"
	check "64 MiB hog is OOM-killed (status 137)" grep -q '^status=137' $T/oom.out
	check "memory.events oom_kill >= 1" sh -c "[ \"\$(awk '/^oom_kill /{print \$2}' $CG/$P/oom/memory.events)\" -ge 1 ]"
	sleep 1.5
	kill $evpid 2>/dev/null
	wait $evpid 2>/dev/null
	check "events stream reports {\"type\":\"oom\"}" grep -q '"type":"oom"' $T/oom.ev
	sr delete oom
	check "delete after OOM: nothing left" gone oom
else
	nok "create oom: $(cat $T/oom.out)"
fi

# ---- CPU quota ------------------------------------------------------------------------------
if run_d cpu; then
	sleep 1
	u0=$(key cpu cpu.stat usage_usec) t0=$(now_ns)
	sleep 4
	u1=$(key cpu cpu.stat usage_usec) t1=$(now_ns)
	thr=$(key cpu cpu.stat nr_throttled) per=$(key cpu cpu.stat nr_periods)
	pct=$(((u1 - u0) * 100000 / ((t1 - t0) / 1000)))
	diag "cpu: usage $((u1 - u0)) us in $(((t1 - t0) / 1000)) us = $((pct / 1000)).$((pct % 1000 / 100))% of one cpu (quota 20%), nr_throttled $thr of $per periods"
	check "cpu.max 20000 100000: nr_throttled > 0" sh -c "[ ${thr:-0} -gt 0 ]"
	check "cpu usage within 25% of the 20% quota" sh -c "[ $pct -ge 15000 ] && [ $pct -le 25000 ]"
	sr delete -f cpu
	check "delete -f of a busy container: nothing left" gone cpu
else
	nok "run -d cpu: $(cat $T/cpu.out)"
fi

# ---- pids: fork bomb -------------------------------------------------------------------------
if run_d pids; then
	sleep 3
	cur=$(rd pids pids.current) ev=$(key pids pids.events max)
	diag "fork bomb: pids.current $cur, pids.events max $ev"
	check "fork bomb stops at pids.max 20" sh -c "[ ${cur:-99} -le 20 ] && [ ${ev:-0} -ge 1 ]"
	t0=$(now_ns)
	sr delete -f pids
	diag "delete -f of the fork bomb took $((($(now_ns) - t0) / 1000000)) ms"
	check "delete -f kills the fork bomb, nothing left" gone pids
else
	nok "run -d pids: $(cat $T/pids.out)"
fi

# ---- the init is in its cgroup before the workload runs -----------------------------------
out=$(sr run -b "$W/b/enter" enter </dev/null 2>&1)
check "first workload code already runs in its cgroup" eq /proc/self/cgroup "$out" "0::/$P/enter"
check "run: nothing left" gone enter

out=$(sr run -b "$W/b/nsview" nsview </dev/null 2>&1)
diag "cgroup namespace view: $(echo "$out" | tr '\n' ' ')"
check "cgroup ns: /sys/fs/cgroup is the container's own, read-only" \
	sh -c "echo \"\$1\" | grep -qx 67108864 && echo \"\$1\" | grep -qx '0::/' && echo \"\$1\" | grep -q 'Read-only'" _ "$out"
check "nsview: nothing left" gone nsview

# ---- LSM: the runtime finds AppArmor on the host, not in the container -------------------
[ -e /sys/kernel/security/lsm ] || mount -t securityfs securityfs /sys/kernel/security 2>/dev/null
if grep -q apparmor /sys/kernel/security/lsm 2>/dev/null; then
	out=$(sr run -b "$W/b/aa" aa </dev/null 2>&1)
	check "apparmorProfile unconfined: applied (the container's /sys has no securityfs)" eq aa "$out" unconfined
	check "aa: nothing left" gone aa
	out=$(sr run -b "$W/b/aabad" aabad </dev/null 2>&1)
	st=$?
	diag "aabad: $out"
	check "a profile the kernel does not have: refused" test "$st" -ne 0
	if is_secrun; then
		check "... naming process.apparmorProfile" sh -c "echo \"\$1\" | grep -q 'process.apparmorProfile'" _ "$out"
	fi
	check "aabad: nothing left" gone aabad
else
	skip "apparmorProfile applied" "the guest kernel has no AppArmor ($(cat /sys/kernel/security/lsm 2>&1))"
fi

# ---- devices (BPF_CGROUP_DEVICE) ------------------------------------------------------------
if [ "$MAJ" != 0 ]; then
	out=$(sr run -b "$W/b/devdeny" devdeny </dev/null 2>&1)
	diag "devdeny: $(echo "$out" | tr '\n' ' ')"
	check "device outside the allow-list: EPERM" sh -c "echo \"\$1\" | grep -q 'vda=1' && echo \"\$1\" | grep -q 'Operation not permitted' && echo \"\$1\" | grep -q 'mem=1'" _ "$out"
	check "default rule allows c 1:3 under any name" sh -c "echo \"\$1\" | grep -q null2=ok" _ "$out"
	out=$(sr run -b "$W/b/devallow" devallow </dev/null 2>&1)
	diag "devallow: $(echo "$out" | tr '\n' ' ')"
	check "rule 'b MAJ:MIN r': read allowed, write EPERM" sh -c "echo \"\$1\" | grep -q read=ok && echo \"\$1\" | grep -q 'write=1'" _ "$out"
	t0=$(now_ns)
	out=$(sr run -b "$W/b/io" io </dev/null 2>&1)
	ms=$((($(now_ns) - t0) / 1000000))
	diag "io: 4 MiB O_DIRECT at wbps=2MiB/s took $ms ms: $(echo "$out" | tr '\n' ' ')"
	check "io.max wbps throttles a direct write (4 MiB >= 1.5 s)" sh -c "echo \"\$1\" | grep -q dd=0 && [ $ms -ge 1500 ]" _ "$out"
	check "devices/io: nothing left" sh -c "! [ -e $CG/$P/devdeny ] && ! [ -e $CG/$P/devallow ] && ! [ -e $CG/$P/io ]"
else
	for t in "device outside the allow-list" "device rule read-only" "io.max"; do skip "$t" "no /dev/vda (vm-run --disk)"; done
fi

# ---- secrun launch: the hardened defaults and its limits, as cgroup v2 reports them ------------
# (the workload reads its own cgroup: launch gives it a cgroup namespace and
# a read-only cgroup2 mount)
launch() { # NAME [OPTIONS] -- CMD: foreground launch in the guest rootfs
	local name=$1
	shift
	timeout -k 5 120 "$RT" --root "$ROOT" launch -q --rm --name "$name" --cgroup-parent /$P "$@" </dev/null 2>&1
}
if is_secrun && "$RT" launch --help >/dev/null 2>&1; then
	out=$(launch ldef $T/rootfs sh -c 'cat /sys/fs/cgroup/memory.max /sys/fs/cgroup/pids.max /sys/fs/cgroup/cpu.max;
		id -u; grep -E "^(CapEff|NoNewPrivs|Seccomp):" /proc/self/status; touch /x 2>&1; exit 3')
	rc=$?
	diag "launch defaults (exit $rc): $(echo "$out" | tr '\n' ' ')"
	check "launch: defaults memory.max 512 MiB, pids.max 1024, cpu.max one CPU" \
		sh -c "echo \"\$1\" | grep -qx 536870912 && echo \"\$1\" | grep -qx 1024 && echo \"\$1\" | grep -qx '100000 100000'" _ "$out"
	check "launch: uid 65534, CapEff 0, NoNewPrivs 1, Seccomp 2, read-only root, exit code kept" \
		sh -c "[ $rc = 3 ] && echo \"\$1\" | grep -qx 65534 && echo \"\$1\" | grep -qE '^CapEff:\s+0+$' \
			&& echo \"\$1\" | grep -qE '^NoNewPrivs:\s+1$' && echo \"\$1\" | grep -qE '^Seccomp:\s+2$' \
			&& echo \"\$1\" | grep -q 'Read-only file system'" _ "$out"
	out=$(launch lopt --memory 48m --cpus 0.5 --pids-limit 64 $T/rootfs sh -c \
		'cat /sys/fs/cgroup/memory.max /sys/fs/cgroup/pids.max /sys/fs/cgroup/cpu.max')
	diag "launch --memory 48m --cpus 0.5 --pids-limit 64: $(echo "$out" | tr '\n' ' ')"
	check "launch --memory 48m --cpus 0.5 --pids-limit 64: memory.max, cpu.max, pids.max" \
		sh -c "echo \"\$1\" | grep -qx $((48 * 1048576)) && echo \"\$1\" | grep -qx 64 && echo \"\$1\" | grep -qx '50000 100000'" _ "$out"
	out=$(launch loom --memory 32m --memory-swap 32m $T/rootfs sh -c \
		'head -c 200m /dev/zero | tail > /dev/null; echo status=$?; grep -w oom_kill /sys/fs/cgroup/memory.events')
	diag "launch --memory 32m hog: $(echo "$out" | tr '\n' ' ')"
	check "launch --memory 32m: the hog is OOM-killed (137), memory.events oom_kill >= 1" \
		sh -c "echo \"\$1\" | grep -q status=137 && echo \"\$1\" | grep -qE '^oom_kill [1-9]'" _ "$out"
	out=$(launch lpids --pids-limit 16 $T/rootfs sh -c \
		'(i=0; while [ $i -lt 40 ]; do sleep 5 & i=$((i + 1)); done) 2>/dev/null
		read -r e </sys/fs/cgroup/pids.events; read -r c </sys/fs/cgroup/pids.current; echo "$e"; echo "$c"')
	diag "launch --pids-limit 16, 40 forks: $(echo "$out" | tr '\n' ' ')"
	check "launch --pids-limit 16: forks beyond it fail, pids.events max > 0, pids.current <= 16" \
		sh -c "echo \"\$1\" | grep -qE '^max [1-9]' && [ \"\$(echo \"\$1\" | tail -n1)\" -le 16 ]" _ "$out"
	check "launch: nothing left (cgroups, state)" \
		sh -c "! ls -d $CG/$P/l* 2>/dev/null | grep -q . && ! ls $ROOT | grep -q '^l'"
else
	for t in defaults identity options oom pids left; do skip "launch $t" "not secrun, or built without launch"; done
fi

# ---- bad input: an error naming the field, nothing left behind -------------------------------
bad() { # NAME EXPECTED-TEXT [EXTRA-DIR-THAT-MUST-NOT-EXIST]
	local name=$1 want=$2 extra=${3:-}
	if ! is_secrun; then
		skip "bad input $name" "secrun's own error text"
		sr delete -f "$name" >/dev/null 2>&1
		return
	fi
	out=$(sr run -b "$W/b/$name" "$name" </dev/null 2>&1)
	rc=$?
	if [ $rc != 0 ] && [[ $out == *"$want"* ]] && gone "$name" && { [ -z "$extra" ] || ! [ -e "$extra" ]; }; then
		ok "bad input $name: refused naming '$want', nothing left"
	else
		nok "bad input $name (exit $rc): $out"
		sr delete -f "$name" >/dev/null 2>&1
	fi
}
bad badpath 'cgroupsPath' $CG/secrun-escape
bad badneg 'memory.limit'
bad badperiod 'cpu.period'
bad badkey 'unified'
bad badfile 'memory.no_such_file'
# an existing parent that is not ours and lacks the memory controller: no
# write to it, an error naming the controller
mkdir -p $CG/secrun-vmt-nomem
echo +pids >$CG/secrun-vmt-nomem/cgroup.subtree_control
bad nomem 'memory controller is not enabled' $CG/secrun-vmt-nomem/x
check "the foreign parent was not written to" eq subtree_control "$(cat $CG/secrun-vmt-nomem/cgroup.subtree_control)" pids
bad badctrl 'rdma controller' $CG/secrun-vmt-nomem/x
rmdir $CG/secrun-vmt-nomem

# ---- nothing left at all ----------------------------------------------------------------------
is_secrun || rmdir $CG/$P 2>/dev/null # runc leaves the parent level
# (.seccomp-cache is a cache by design; launch's .launch/ must be empty)
# (and `run` keeps up to 4 emptied state dirs, @pool-N, for the next create)
left=$(find $CG -mindepth 1 -maxdepth 1 -type d -name 'secrun*'; ls "$ROOT" | grep -v '^@pool-[0-3]$'; ls -A "$ROOT"/@pool-* "$ROOT/.launch" 2>/dev/null | grep -v -e '^$' -e ':$')
check "no cgroup and no state left by any test" eq leftovers "$left" ""

echo "1..$N"
diag "$N checks, $FAILS failed"
[ $FAILS = 0 ]
