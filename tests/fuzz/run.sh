#!/bin/bash
# tests/fuzz/run.sh [SECONDS_PER_TARGET]: builds the libFuzzer targets in
# tests/fuzz (clang, -fsanitize=fuzzer,address,undefined, the library
# sources compiled again out of tree in .build/fuzz) and runs each one for
# SECONDS_PER_TARGET (default 60) on a copy of its seed corpus
# tests/fuzz/corpus/<target>/, so a run never changes the repository.
#
# Prints TAP, one line per target, and exits non-zero when a target
# crashed, leaked, hung, failed an invariant or could not be built. Crash
# inputs are kept in $FUZZ_CRASH_DIR (default .build/fuzz/crashes/<target>/),
# the full libFuzzer output in .build/fuzz/logs/<target>.log. Reproduce a
# crash with: .build/fuzz/fuzz_<target> <crash file>.
#
# Installs nothing: clang and libclang-rt-14-dev come from scripts/deps.sh.
# Environment: FUZZ_JOBS (targets run at once, default: the CPU count),
# FUZZ_TARGETS (a subset, e.g. "config ids"), FUZZ_CC (default clang).
set -uo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/../.." || exit 1
TOP=$PWD
SECS=${1:-60}
BUILD=$TOP/.build/fuzz
CRASHDIR=${FUZZ_CRASH_DIR:-$BUILD/crashes}
CC=${FUZZ_CC:-clang}
JOBS=${FUZZ_JOBS:-$(nproc 2>/dev/null || echo 1)}
read -r -a TARGETS <<<"${FUZZ_TARGETS:-config mount_opts ids update}"
# Symbolized stack traces in the reports (llvm-14; llvm adds the plain name).
for sym in llvm-symbolizer llvm-symbolizer-14 /usr/lib/llvm-14/bin/llvm-symbolizer; do
	if command -v "$sym" >/dev/null; then
		ASAN_SYMBOLIZER_PATH=$(command -v "$sym")
		export ASAN_SYMBOLIZER_PATH
		break
	fi
done

if ! [[ $SECS =~ ^[1-9][0-9]*$ ]]; then
	echo "usage: tests/fuzz/run.sh [SECONDS_PER_TARGET]" >&2
	exit 2
fi
[[ $JOBS =~ ^[1-9][0-9]*$ ]] || JOBS=1

bail() {
	echo "Bail out! $*"
	exit 1
}

mkdir -p "$BUILD/obj" "$BUILD/include" "$BUILD/logs" || bail "cannot create $BUILD"

# ---- build --------------------------------------------------------------

# am_sources VAR: the .c files of a Makefile.am variable (continuation
# lines joined), so the library built here is the one the Makefile builds.
am_sources() {
	awk -v var="$1" '
		{ line = line $0 }
		/\\$/ { sub(/\\$/, " ", line); next }
		{ if (line ~ "^" var "[ \t]*=") { sub(/^[^=]*=/, "", line); print line } line = "" }
	' Makefile.am | tr -s ' \t' '\n\n' | grep '\.c$'
}

# stale OBJ DEPFILE: true when OBJ must be rebuilt (missing, or older than
# a file it was built from, as the compiler's -MMD list names them).
stale() {
	local obj=$1 dep=$2 f
	[ -f "$obj" ] && [ -f "$dep" ] || return 0
	for f in $(sed -e 's/^[^:]*://' -e 's/\\$//' "$dep"); do
		[ -e "$f" ] && [ ! "$f" -nt "$obj" ] || return 0
	done
	return 1
}

command -v "$CC" >/dev/null || bail "$CC not found: install clang and libclang-rt-14-dev (scripts/deps.sh)"
command -v pkg-config >/dev/null || bail "pkg-config not found (scripts/deps.sh)"
PKG_CFLAGS=$(pkg-config --cflags jansson libseccomp) || bail "pkg-config: jansson or libseccomp missing (scripts/deps.sh)"
PKG_LIBS=$(pkg-config --libs jansson libseccomp) || bail "pkg-config failed"
echo 'int LLVMFuzzerTestOneInput(const char *d, unsigned long n) { return 0; }' >"$BUILD/probe.c"
"$CC" -fsanitize=fuzzer,address,undefined "$BUILD/probe.c" -o "$BUILD/probe" >"$BUILD/logs/probe.log" 2>&1 ||
	bail "$CC cannot build libFuzzer targets: install libclang-rt-14-dev (scripts/deps.sh)"

# What configure would put in build-config.h; rewritten only when it
# changes, so an unchanged tree rebuilds nothing.
VERSION=$(sed -n 's/^AC_INIT(\[[^]]*\], *\[\([^]]*\)\].*/\1/p' configure.ac)
COMMIT=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
cat >"$BUILD/include/build-config.h.new" <<EOF
/* Written by tests/fuzz/run.sh for the fuzzing build. */
#define PACKAGE "secrun"
#define PACKAGE_VERSION "${VERSION:-0}"
#define VERSION "${VERSION:-0}"
#define GIT_COMMIT "$COMMIT"
#define OCI_SPEC_VERSION "1.2.0"
EOF
if cmp -s "$BUILD/include/build-config.h.new" "$BUILD/include/build-config.h"; then
	rm -f "$BUILD/include/build-config.h.new"
else
	mv "$BUILD/include/build-config.h.new" "$BUILD/include/build-config.h"
fi

SAN=(-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer)
CFLAGS=(-g -O1 "${SAN[@]}" -fsanitize=fuzzer-no-link -D_GNU_SOURCE
	-I"$BUILD/include" -I"$TOP/runtime" -I"$TOP/cgroups"
	-DPROFILEDIR="\"$TOP/profiles\"" -DPKGLIBEXECDIR="\"$BUILD\""
	-DFUZZ_POLICY="\"$TOP/profiles/policy/restricted.json\""
	-Wall -Wextra -Wno-unused-parameter -Wno-missing-field-initializers
	$PKG_CFLAGS)
# Other flags than last time: everything is rebuilt.
printf '%s\n' "$CC" "${CFLAGS[@]}" >"$BUILD/flags.new"
if ! cmp -s "$BUILD/flags.new" "$BUILD/flags"; then
	rm -f "$BUILD"/obj/*.o "$BUILD"/obj/*.d
	mv "$BUILD/flags.new" "$BUILD/flags"
else
	rm -f "$BUILD/flags.new"
fi

mapfile -t LIBSRC < <(am_sources libsecrun_a_SOURCES)
[ ${#LIBSRC[@]} -gt 0 ] || bail "no libsecrun_a_SOURCES in Makefile.am"
T0=$SECONDS
: >"$BUILD/logs/build.log"
OBJS=()
running=0 failed=0
for src in "${LIBSRC[@]}"; do
	obj=$BUILD/obj/$(echo "${src%.c}" | tr / _).o
	OBJS+=("$obj")
	stale "$obj" "${obj%.o}.d" || continue
	"$CC" "${CFLAGS[@]}" -MMD -MF "${obj%.o}.d" -c "$src" -o "$obj" >>"$BUILD/logs/build.log" 2>&1 &
	running=$((running + 1))
	if [ "$running" -ge "$JOBS" ]; then
		wait -n || failed=1
		running=$((running - 1))
	fi
done
while [ "$running" -gt 0 ]; do
	wait -n || failed=1
	running=$((running - 1))
done
if [ "$failed" != 0 ]; then
	sed 's/^/# /' "$BUILD/logs/build.log" | tail -n 40
	bail "building the library for fuzzing failed (log: $BUILD/logs/build.log)"
fi
LIB=$BUILD/libsecrun-fuzz.a
for obj in "${OBJS[@]}"; do
	if [ ! -f "$LIB" ] || [ "$obj" -nt "$LIB" ]; then
		rm -f "$LIB"
		ar rcs "$LIB" "${OBJS[@]}" || bail "ar failed"
		break
	fi
done
for t in "${TARGETS[@]}"; do
	src=tests/fuzz/fuzz_$t.c bin=$BUILD/fuzz_$t
	[ -f "$src" ] || bail "no such target: $src"
	if stale "$bin" "$bin.d" || [ "$LIB" -nt "$bin" ]; then
		"$CC" "${CFLAGS[@]}" -fsanitize=fuzzer -MMD -MF "$bin.d" "$src" "$LIB" $PKG_LIBS \
			-o "$bin" >>"$BUILD/logs/build.log" 2>&1 || {
			sed 's/^/# /' "$BUILD/logs/build.log" | tail -n 40
			bail "building $src failed"
		}
	fi
done
echo "# built ${#TARGETS[@]} targets in $((SECONDS - T0)) s ($CC, ${SAN[*]})"

# ---- run ------------------------------------------------------------------

RUN=$(mktemp -d "$BUILD/run.XXXXXX") || bail "mktemp failed"
trap 'rm -rf "$RUN"' EXIT

# fuzz_one TARGET: runs in the background; leaves RUN/TARGET.{rc,time}.
fuzz_one() {
	local t=$1 work=$RUN/corpus/$1 art=$RUN/artifacts/$1/ t0=$SECONDS rc
	local opts=(-max_total_time="$SECS" -timeout=10 -rss_limit_mb=2048
		-print_final_stats=1 -close_fd_mask=3 -artifact_prefix="$art")
	mkdir -p "$work" "$art"
	cp -r "tests/fuzz/corpus/$t/." "$work/"
	[ -f "tests/fuzz/$t.dict" ] && opts+=(-dict="tests/fuzz/$t.dict")
	# halt on the first report; leaks are findings (libFuzzer checks each
	# input), but for libseccomp's own (lsan.supp); a sanitizer's output
	# stays on libFuzzer's stderr.
	ASAN_OPTIONS=detect_leaks=1:allocator_may_return_null=1:handle_abort=1:symbolize=1 \
		LSAN_OPTIONS=suppressions=$TOP/tests/fuzz/lsan.supp:print_suppressions=0 \
		UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
		"$BUILD/fuzz_$t" "${opts[@]}" "$work" >"$BUILD/logs/$t.log" 2>&1
	rc=$?
	echo "$rc" >"$RUN/$t.rc"
	echo $((SECONDS - t0)) >"$RUN/$t.time"
}

for t in "${TARGETS[@]}"; do
	[ -d "tests/fuzz/corpus/$t" ] && [ -n "$(ls -A "tests/fuzz/corpus/$t")" ] ||
		bail "no seed corpus in tests/fuzz/corpus/$t"
done
echo "# fuzzing ${TARGETS[*]}: $SECS s each, $JOBS at a time"
echo "1..${#TARGETS[@]}"
running=0
for t in "${TARGETS[@]}"; do
	fuzz_one "$t" &
	running=$((running + 1))
	if [ "$running" -ge "$JOBS" ]; then
		wait -n
		running=$((running - 1))
	fi
done
wait

FAILED=0 i=0
for t in "${TARGETS[@]}"; do
	i=$((i + 1))
	log=$BUILD/logs/$t.log
	rc=$(cat "$RUN/$t.rc" 2>/dev/null || echo 255)
	took=$(cat "$RUN/$t.time" 2>/dev/null || echo "?")
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
	[ -n "$execs" ] || execs=$(grep -oE '^#[0-9]+' "$log" | tail -n 1 | tr -d '#')
	mapfile -t found < <(find "$RUN/artifacts/$t" -type f ! -name 'slow-unit-*' 2>/dev/null)
	if [ "$rc" = 0 ] && [ ${#found[@]} -eq 0 ] && grep -q '^Done [0-9]* runs' "$log"; then
		echo "ok $i - fuzz $t: $took s, ${execs:-0} execs, no crash"
		continue
	fi
	FAILED=$((FAILED + 1))
	kept=()
	if [ ${#found[@]} -gt 0 ]; then
		mkdir -p "$CRASHDIR/$t"
		for f in "${found[@]}"; do
			cp "$f" "$CRASHDIR/$t/" && kept+=("$CRASHDIR/$t/$(basename "$f")")
		done
	fi
	echo "not ok $i - fuzz $t: exit $rc after $took s, ${execs:-0} execs, ${#found[@]} crash input(s)"
	# the report's head: what went wrong and where
	grep -m 12 -E 'ERROR: (AddressSanitizer|LeakSanitizer|libFuzzer)|runtime error|invariant failed|SUMMARY|^ *#[0-9]+ 0x.* in [a-z_]*sr_' "$log" |
		sed 's/^/#   /'
	for f in "${kept[@]}"; do echo "#   input saved: $f"; done
	echo "#   log: $log; reproduce: $BUILD/fuzz_$t <input>"
done
[ "$FAILED" -eq 0 ]
