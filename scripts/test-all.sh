#!/bin/bash
# test-all.sh: installs the dependencies, builds secrun and runs every test:
#   1. make check              unit tests (Check)
#   2. tests/integration/*.bats real containers, as root (bats --tap)
#   3. tests/vm/run.sh         cgroup v2 tests in a VM (TAP), if present
#   4. tests/clients/*.sh      client compatibility tests (TAP), if present
#   5. tests/fuzz/run.sh       libFuzzer targets, a fixed budget each (TAP)
#   6. tests/sanitize/run.sh   unit + integration under ASan/UBSan, valgrind (TAP)
# Every TAP result and the Check summaries are added up into the last line:
#   N passed, N failed, N skipped
# and the exit status is non-zero when anything failed. Each failing test is
# named above that line. Full logs: $TEST_LOG_DIR (default .build/test-logs).
set -uo pipefail
shopt -s nullglob

cd "$(dirname "${BASH_SOURCE[0]}")/.." || exit 1
TOP=$PWD
LOGDIR=${TEST_LOG_DIR:-$TOP/.build/test-logs}
rm -rf "$LOGDIR"
mkdir -p "$LOGDIR"

PASSED=0
FAILED=0
SKIPPED=0
FAILURES=()

say() { printf '=== %s\n' "$*"; }

# fail_stage NAME: a stage that could not produce results counts as one failure
fail_stage() {
	FAILED=$((FAILED + 1))
	FAILURES+=("$1")
}

# count_tap SECTION LOG EXIT_STATUS: adds up the TAP results in LOG.
count_tap() {
	local section=$1 log=$2 rc=$3 line plan=0 seen=0 p=0 f=0 s=0
	while IFS= read -r line; do
		case $line in
		[0-9]*..[0-9]*)
			[[ $line =~ ^1\.\.([0-9]+) ]] && plan=$((plan + BASH_REMATCH[1]))
			;;
		"ok "* | "not ok "*)
			seen=$((seen + 1))
			shopt -s nocasematch
			if [[ $line =~ \#[[:space:]]*(skip|todo) ]]; then
				s=$((s + 1))
			elif [[ $line == "ok "* ]]; then
				p=$((p + 1))
			else
				f=$((f + 1))
				FAILURES+=("$section: $(sed -E 's/^not ok [0-9]+ (- )?//' <<<"$line")")
			fi
			shopt -u nocasematch
			;;
		esac
	done <"$log"
	if [ "$seen" -lt "$plan" ]; then
		f=$((f + plan - seen))
		FAILURES+=("$section: $((plan - seen)) planned tests never reported (exit $rc)")
	elif [ "$seen" -eq 0 ] || { [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; }; then
		f=$((f + 1))
		FAILURES+=("$section: exited $rc$([ "$seen" -eq 0 ] && echo ", no TAP results")")
	fi
	PASSED=$((PASSED + p))
	FAILED=$((FAILED + f))
	SKIPPED=$((SKIPPED + s))
	say "$section: $p passed, $f failed, $s skipped"
}

# count_check LOG...: adds up Check's "NN%: Checks: N, Failures: F, Errors: E"
count_check() {
	local log line n fl er found=0
	for log in "$@"; do
		[ -f "$log" ] || continue
		while IFS= read -r line; do
			if [[ $line =~ ^[0-9]+%:\ Checks:\ ([0-9]+),\ Failures:\ ([0-9]+),\ Errors:\ ([0-9]+) ]]; then
				n=${BASH_REMATCH[1]} fl=${BASH_REMATCH[2]} er=${BASH_REMATCH[3]}
				PASSED=$((PASSED + n - fl - er))
				FAILED=$((FAILED + fl + er))
				found=1
			elif [[ $line =~ ^[^:]+:[0-9]+:[FE]:([^:]*):([^:]*):[0-9-]+:(.*)$ ]]; then
				FAILURES+=("unit: ${BASH_REMATCH[1]}/${BASH_REMATCH[2]}:${BASH_REMATCH[3]}")
			fi
		done <"$log"
	done
	[ "$found" = 1 ]
}

# ---- 0. must be root --------------------------------------------------------
if [ "$(id -u)" != 0 ]; then
	echo "test-all.sh: the integration tests run containers: run as root" >&2
	echo "0 passed, 1 failed, 0 skipped"
	exit 1
fi

# ---- 1. dependencies, build -------------------------------------------------
say "dependencies (scripts/deps.sh)"
if ! bash scripts/deps.sh </dev/null >"$LOGDIR/deps.log" 2>&1; then
	cat "$LOGDIR/deps.log"
	fail_stage "deps: scripts/deps.sh failed"
fi

say "build (scripts/build.sh)"
T0=$SECONDS
if ! bash scripts/build.sh </dev/null >"$LOGDIR/build.log" 2>&1; then
	tail -n 40 "$LOGDIR/build.log"
	fail_stage "build: scripts/build.sh failed"
	echo
	for f in "${FAILURES[@]}"; do echo "FAILED: $f"; done
	echo "$PASSED passed, $FAILED failed, $SKIPPED skipped"
	exit 1
fi
say "build: ok ($((SECONDS - T0)) s)"
export SECRUN=$TOP/secrun

# ---- 2. unit tests ----------------------------------------------------------
say "unit tests (make check)"
T0=$SECONDS
timeout -k 10 600 make -j2 check </dev/null >"$LOGDIR/check.log" 2>&1
rc=$?
grep -E '^(PASS|FAIL|ERROR|SKIP|XFAIL|XPASS):|^# ' "$LOGDIR/check.log" || true
p0=$PASSED f0=$FAILED
# the parallel harness writes each test's output to tests/unit/NAME.log
if ! count_check tests/unit/*.log; then
	tail -n 40 "$LOGDIR/check.log"
	fail_stage "unit: make check gave no Check summary (exit $rc)"
elif [ "$rc" -ne 0 ] && [ "$FAILED" -eq "$f0" ]; then
	# a crash, or a failure outside Check's own counting
	tail -n 40 "$LOGDIR/check.log"
	fail_stage "unit: make check exited $rc"
fi
say "unit: $((PASSED - p0)) passed, $((FAILED - f0)) failed ($((SECONDS - T0)) s)"

# ---- 3. integration tests ---------------------------------------------------
BATS_FILES=(tests/integration/*.bats)
if [ ${#BATS_FILES[@]} -gt 0 ]; then
	say "integration tests (bats --tap, ${#BATS_FILES[@]} files)"
	T0=$SECONDS
	timeout -k 10 1800 bats --tap "${BATS_FILES[@]}" </dev/null 2>&1 | tee "$LOGDIR/integration.tap"
	rc=${PIPESTATUS[0]}
	count_tap integration "$LOGDIR/integration.tap" "$rc"
	say "integration: $((SECONDS - T0)) s"
else
	fail_stage "integration: no tests/integration/*.bats"
fi

# ---- 4. VM tests ------------------------------------------------------------
if [ -f tests/vm/run.sh ]; then
	say "VM tests (tests/vm/run.sh)"
	T0=$SECONDS
	timeout -k 10 900 bash tests/vm/run.sh "$TOP/secrun" </dev/null 2>&1 | tee "$LOGDIR/vm.tap"
	rc=${PIPESTATUS[0]}
	count_tap vm "$LOGDIR/vm.tap" "$rc"
	say "vm: $((SECONDS - T0)) s"
fi

# ---- 5. client tests --------------------------------------------------------
# run-all.sh runs every client script itself: then it alone is run, so no
# test is counted twice.
CLIENT_TESTS=(tests/clients/*.sh)
[ -f tests/clients/run-all.sh ] && CLIENT_TESTS=(tests/clients/run-all.sh)
for t in "${CLIENT_TESTS[@]}"; do
	# lib.sh and other sourced helpers have no #! line: not tests themselves
	[ "$(basename "$t")" = lib.sh ] && continue
	head -c 2 "$t" | grep -q '^#!' || continue
	name=clients/$(basename "$t" .sh)
	say "client tests ($t)"
	T0=$SECONDS
	timeout -k 10 600 bash "$t" "$TOP/secrun" </dev/null 2>&1 | tee "$LOGDIR/$(basename "$t" .sh).tap"
	rc=${PIPESTATUS[0]}
	count_tap "$name" "$LOGDIR/$(basename "$t" .sh).tap" "$rc"
	say "$name: $((SECONDS - T0)) s"
done

# ---- 6. fuzzing, 7. sanitizers ----------------------------------------------
# tests/fuzz/run.sh SECONDS: each libFuzzer target for that budget, from the
# committed corpus. tests/sanitize/run.sh: the unit and integration tests
# against an ASan+UBSan build, and valgrind on the CLI paths that do not
# exec. Both print TAP.
run_tap_stage() { # NAME TIMEOUT SCRIPT [ARGS...]
	local name=$1 limit=$2
	shift 2
	say "$name ($*)"
	T0=$SECONDS
	timeout -k 10 "$limit" bash "$@" </dev/null 2>&1 | tee "$LOGDIR/$name.tap"
	rc=${PIPESTATUS[0]}
	count_tap "$name" "$LOGDIR/$name.tap" "$rc"
	say "$name: $((SECONDS - T0)) s"
}
[ -f tests/fuzz/run.sh ] && run_tap_stage fuzz 1200 tests/fuzz/run.sh "${FUZZ_SECONDS:-45}"
# (1000 create/start/delete cycles ran above; under ASan 100 say as much)
export SR_STRESS_CYCLES=${SANITIZE_STRESS_CYCLES:-100}
[ -f tests/sanitize/run.sh ] && run_tap_stage sanitize 2400 tests/sanitize/run.sh

# ---- cleanup ----------------------------------------------------------------
# The tests' containers share the parent cgroup /secrun-test; each test removes
# its own leaf, and the shared level is the run's to remove (only if empty:
# rmdir never touches a populated cgroup).
for d in /sys/fs/cgroup/secrun-test /sys/fs/cgroup/*/secrun-test; do
	[ -d "$d" ] && rmdir "$d" 2>/dev/null
done

# ---- summary ----------------------------------------------------------------
echo
if [ ${#FAILURES[@]} -gt 0 ]; then
	echo "Failing tests:"
	for f in "${FAILURES[@]}"; do echo "FAILED: $f"; done
	echo
fi
echo "$PASSED passed, $FAILED failed, $SKIPPED skipped"
[ "$FAILED" -eq 0 ]
