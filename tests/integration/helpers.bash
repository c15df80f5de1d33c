# Shared setup for the integration tests: real containers, run as root.
#
# Every test gets its own state root ($ROOT), a fresh bundle ($BUNDLE, a copy
# of a busybox rootfs built once per run) and a unique container id ($ID) whose
# cgroupsPath is /secrun-test/$ID. After every test, teardown checks that
# nothing was left behind: state dir, mounts, processes, cgroups. Leftovers
# are removed and the test fails.
#
# SECRUN selects the runtime: default the freshly built ../../secrun; set
# SECRUN=runc (or crun) to check the tests themselves against another runtime.

bats_require_minimum_version 1.5.0

SRCDIR=$(cd "$BATS_TEST_DIRNAME/../.." && pwd)
MAKE_BUNDLE=$SRCDIR/tests/make-bundle.sh
: "${SECRUN:=$SRCDIR/secrun}"
if [[ $SECRUN != */* ]]; then
	SECRUN=$(command -v "$SECRUN" || echo "$SECRUN")
fi
# How long any single runtime command may take before it counts as hung.
: "${SR_TIMEOUT:=30}"

# True when the runtime under test is secrun (not runc/crun used as a
# reference): for checks of secrun-specific behaviour runc does not have.
is_secrun() {
	[[ $(basename "$SECRUN") == secrun* ]]
}

# skip unless the runtime under test is secrun: for behaviour the reference
# runtimes lack (the reason says what).
secrun_only() {
	is_secrun || skip "$(basename "$SECRUN") lacks this: $1"
}

# ---- per-file / per-test setup -------------------------------------------

# The rootfs template is built once per bats run and copied for each test.
common_setup_file() {
	[ "$(id -u)" = 0 ] || skip "integration tests run as root"
	[ -x "$SECRUN" ] || {
		echo "runtime not found: $SECRUN (build it with scripts/build.sh, or set SECRUN=runc)" >&2
		return 1
	}
	export TEMPLATE=$BATS_RUN_TMPDIR/template
	(
		flock 9
		if [ ! -f "$TEMPLATE/config.json.in" ]; then
			rm -rf "$TEMPLATE"
			"$MAKE_BUNDLE" "$TEMPLATE" >&2
			# the per-test config, @@ID@@ replaced by the container id
			jq '.linux.cgroupsPath = "/secrun-test/@@ID@@"
				| .process.env += ["SRT_TAG=@@ID@@"]' "$TEMPLATE/config.json" >"$TEMPLATE/config.json.in"
		fi
	) 9>"$BATS_RUN_TMPDIR/template.lock"
	TEMPLATE_CONFIG=$(<"$TEMPLATE/config.json.in")
	export TEMPLATE_CONFIG
	# Containers with a user namespace run as an unprivileged host uid that
	# must be able to walk down to the rootfs (bats makes this one 0700; the
	# directories below it are 0755).
	chmod 711 "$BATS_RUN_TMPDIR"
}

setup_file() {
	common_setup_file
}

common_setup() {
	ROOT=$BATS_TEST_TMPDIR/root
	BUNDLE=$BATS_TEST_TMPDIR/bundle
	ID=srt${BATS_SUITE_TEST_NUMBER}-$$
	IDS=("$ID")
	CGPATHS=()
	HOST_MOUNTS=()
	new_bundle "$BUNDLE" "$ID"
}

setup() {
	common_setup
}

teardown() {
	common_teardown
}

# new_bundle DIR ID: a fresh copy of the template with cgroupsPath
# /secrun-test/ID and an environment tag the leak check can find.
new_bundle() {
	local dir=$1 id=$2
	# Few processes and little copying: this runs for every test. The rootfs
	# is hard-linked to the template (busybox is 2 MB) except /etc, which
	# tests write to: a test must never write into an existing file under
	# the bundle's rootfs/bin (create a new file instead).
	mkdir -p "$dir"
	cp -al "$TEMPLATE/rootfs" "$dir/rootfs"
	cp -a --remove-destination "$TEMPLATE/rootfs/etc/." "$dir/rootfs/etc/"
	printf '%s\n' "${TEMPLATE_CONFIG//@@ID@@/$id}" >"$dir/config.json"
	CGPATHS+=("secrun-test/$id")
}

# track ID: a further container id this test creates (checked in teardown).
track() {
	IDS+=("$1")
}

# ---- running the runtime ---------------------------------------------------

# sr ARGS...: the runtime under test with this test's --root. The SRT_TAG
# variable marks the runtime's own processes (and anything they fork) so a
# leftover can be found by its environment.
sr() {
	SRT_TAG=$ID timeout -k 5 "$SR_TIMEOUT" "$SECRUN" --root "$ROOT" "$@"
}

# cfg FILTER [jq args...]: edit $BUNDLE/config.json (or $CFG_BUNDLE's).
cfg() {
	local filter=$1
	shift
	local f=${CFG_BUNDLE:-$BUNDLE}/config.json
	jq "$filter" "$@" <"$f" >"$f.new" && mv "$f.new" "$f"
}

# set_cmd SCRIPT: process.args = sh -c SCRIPT
set_cmd() {
	cfg '.process.args = ["sh", "-c", $s]' --arg s "$1"
}

# set_args ARG...: process.args = the given argv
set_args() {
	local jqargs=() filter='' i=0 x
	for x in "$@"; do
		jqargs+=(--arg "a$i" "$x")
		filter+="\$a$i,"
		i=$((i + 1))
	done
	cfg ".process.args = [${filter%,}]" "${jqargs[@]}"
}

# run_ctr [run flags...]: run the container in the foreground and capture
# its output (stdout+stderr) in $output and its exit status in $status.
run_ctr() {
	run sr run "$@" -b "$BUNDLE" "$ID"
}

# state_of ID: prints the status field (empty when state fails).
state_of() {
	sr state "$1" 2>/dev/null | jq -r .status
}

pid_of() {
	sr state "$1" 2>/dev/null | jq -r .pid
}

# wait_for COND_CMD... : polls up to 10 s for the command to succeed.
wait_for() {
	local i
	for ((i = 0; i < 100; i++)); do
		"$@" && return 0
		sleep 0.1
	done
	echo "timed out waiting for: $*" >&2
	return 1
}

# proc_gone PID: the process has exited (a zombie not yet reaped counts)
proc_gone() {
	[ ! -e "/proc/$1" ] || grep -qE '^State:\s+[ZX]' "/proc/$1/status" 2>/dev/null
}

status_is() {
	[ "$(state_of "$1")" = "$2" ]
}

file_has() {
	grep -q -- "$2" "$1" 2>/dev/null
}

# run_detached [ID [BUNDLE]]: run -d with stdio on files in $BATS_TEST_TMPDIR
# (a pipe would keep bats waiting for the container to close it).
run_detached() {
	local id=${1:-$ID} bundle=${2:-$BUNDLE}
	sr run -d -b "$bundle" "$id" </dev/null >"$BATS_TEST_TMPDIR/$id.out" 2>"$BATS_TEST_TMPDIR/$id.err"
}

create_ctr() {
	local id=${1:-$ID} bundle=${2:-$BUNDLE}
	shift 2 || shift $#
	sr create "$@" -b "$bundle" "$id" </dev/null >"$BATS_TEST_TMPDIR/$id.out" 2>"$BATS_TEST_TMPDIR/$id.err"
}

# ---- assertions ------------------------------------------------------------

fail() {
	echo "FAIL: $*" >&2
	return 1
}

# assert_output_has TEXT: $output contains TEXT (fixed string)
assert_output_has() {
	[[ $output == *"$1"* ]] || fail "output lacks '$1'; output was:
$output"
}

assert_output_lacks() {
	[[ $output != *"$1"* ]] || fail "output has '$1'; output was:
$output"
}

assert_status() {
	[ "$status" -eq "$1" ] || fail "exit status $status, expected $1; output was:
$output"
}

assert_failed() {
	[ "$status" -ne 0 ] || fail "command succeeded, expected a failure; output was:
$output"
}

# line_of PREFIX: the first line of $output starting with PREFIX
line_of() {
	grep -m1 -- "^$1" <<<"$output"
}

# ---- leak checks -------------------------------------------------------------

# find_leaks [--clean]: sets LEAKS to what this test's containers left
# behind (state dirs, processes carrying SRT_TAG=ID in their environment,
# cgroups, mounts under the test's directory); with --clean, removes them.
find_leaks() {
	local clean=${1:-} id p d f mp known pats=()
	LEAKS=()
	for id in "${IDS[@]}"; do
		pats+=(-e "SRT_TAG=$id")
		[ -e "$ROOT/$id" ] || continue
		LEAKS+=("state dir left: $ROOT/$id")
		if [ -n "$clean" ]; then
			sr delete -f "$id" >/dev/null 2>&1
			rm -rf "${ROOT:?}/$id"
		fi
	done
	# the runtime's own processes and the container's
	while read -r f; do
		p=${f#/proc/}
		p=${p%%/*}
		LEAKS+=("process left: $p $(tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null)")
		[ -n "$clean" ] && kill -9 "$p" 2>/dev/null
	done < <(grep -lsxzF "${pats[@]}" /proc/[0-9]*/environ 2>/dev/null)
	# the test's cgroupsPath, and secrun's default /secrun/ID in case a
	# config had none
	for d in "${CGPATHS[@]}" "${IDS[@]/#/secrun/}"; do
		for p in /sys/fs/cgroup/*/"$d"; do
			[ -d "$p" ] || continue
			LEAKS+=("cgroup left: $p")
			[ -n "$clean" ] && rm_cgroup "$p"
		done
	done
	# the pool of emptied state dirs that `run` keeps for the next create
	# (state.c): at most 4, each empty
	local pool=("$ROOT"/@pool-*)
	[ -e "${pool[0]}" ] || pool=()
	[ ${#pool[@]} -le 4 ] || LEAKS+=("state dir pool has ${#pool[@]} dirs, at most 4 expected")
	for d in "${pool[@]}"; do
		[ -d "$d" ] && [ -z "$(ls -A "$d")" ] && continue
		LEAKS+=("state dir pool entry not an empty dir: $d: $(ls -A "$d" 2>&1)")
		[ -n "$clean" ] && rm -rf "$d"
	done
	# mounts on the host under this test's directory, other than the test's own
	while read -r _ _ _ _ mp _; do
		[[ $mp == "$BATS_TEST_TMPDIR"* ]] || continue
		for known in "${HOST_MOUNTS[@]}"; do
			[ "$mp" = "$known" ] && continue 2
		done
		LEAKS+=("mount left: $mp")
		[ -n "$clean" ] && umount -l "$mp" 2>/dev/null
	done </proc/self/mountinfo
	return 0
}

# The leak report, one per line; empty when clean.
leaks() {
	find_leaks "$@"
	[ ${#LEAKS[@]} -eq 0 ] || printf '%s\n' "${LEAKS[@]}"
}

rm_cgroup() {
	local d=$1 sub p
	while read -r sub; do
		if [ -f "$sub/cgroup.procs" ]; then
			while read -r p; do kill -9 "$p" 2>/dev/null; done <"$sub/cgroup.procs"
		fi
	done < <(find "$d" -depth -type d 2>/dev/null)
	sleep 0.1
	find "$d" -depth -type d -exec rmdir {} \; 2>/dev/null
}

# assert_no_leaks: fails (printing them) when anything of this test's
# containers is still around. Called by teardown after every test, and by
# the failure tests right after the failing command.
assert_no_leaks() {
	find_leaks
	[ ${#LEAKS[@]} -eq 0 ] || fail "left behind:
$(printf '%s\n' "${LEAKS[@]}")"
}

# host_mount SRC DIR ...: a mount the test makes on the host itself (not a leak).
host_mount() {
	local dir=${*: -1}
	mount "$@"
	HOST_MOUNTS+=("$dir")
}

common_teardown() {
	local report='' id i
	for id in "${IDS[@]}"; do
		[ -e "$ROOT/$id" ] || continue
		sr delete -f "$id" >/dev/null 2>&1
		report+="state dir left after the test: $ROOT/$id (deleted by teardown)"$'\n'
	done
	# (a container just killed may take a moment to be reaped)
	find_leaks
	for ((i = 0; i < 20 && ${#LEAKS[@]} > 0; i++)); do
		sleep 0.1
		find_leaks
	done
	if [ ${#LEAKS[@]} -gt 0 ]; then
		report+=$(printf '%s\n' "${LEAKS[@]}")
		find_leaks --clean
	fi
	for id in "${HOST_MOUNTS[@]}"; do umount -l "$id" 2>/dev/null; done
	if [ -n "$report" ]; then
		echo "LEAK CHECK FAILED:" >&2
		echo "$report" >&2
		return 1
	fi
}
