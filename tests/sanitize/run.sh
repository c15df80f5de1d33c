#!/bin/bash
# tests/sanitize/run.sh: secrun under AddressSanitizer + UBSan, and valgrind.
#
#   1. builds secrun, secrun-launch and the Check unit tests with
#      -fsanitize=address,undefined -fno-omit-frame-pointer out of tree in
#      .build/asan: explicit compiler commands over the source lists of
#      Makefile.am, never touching the in-tree build. secrun-init is linked
#      statically and cannot use ASan: it is built without sanitizers. A
#      plain -g build of secrun for valgrind goes to .build/asan/plain;
#   2. runs every Check unit test binary (ASan, UBSan, LeakSanitizer,
#      detect_stack_use_after_return);
#   3. runs the integration suite, bats --tap tests/integration, with
#      SECRUN=.build/asan/secrun, as root (real containers). The tests see
#      SECRUN_SANITIZER=asan, so one that cannot work under ASan for a
#      reason other than a bug can skip itself;
#   4. runs valgrind --error-exitcode=99 --leak-check=full on the CLI paths
#      that start no container: --version, spec, list and state on an empty
#      root, features, create of malformed configs (must fail cleanly),
#      delete (--force) of a missing id.
#
# Every sanitizer report is written to .build/asan/reports (log_path), not
# to a stderr a test may swallow, and the directory is scanned after each
# stage: a report fails the stage even when every exit code looked fine.
# Leak checks are skipped only in processes that joined a container's pid
# namespace, where LeakSanitizer cannot work (see lsan_hooks.c); the run
# says how many.
#
# Prints TAP (the plan comes last) and exits non-zero on any failure or
# report. Logs: .build/asan/logs. Installs nothing: clang, check, bats and
# valgrind come from scripts/deps.sh.
# Environment: SANITIZE_STAGES (default "unit integration valgrind"),
# BATS_FILES (default tests/integration), SANITIZE_CC (default clang; gcc 12
# works but writes UBSan reports to stderr only, where the scan misses them).
set -uo pipefail
shopt -s nullglob

cd "$(dirname "${BASH_SOURCE[0]}")/../.." || exit 1
TOP=$PWD
B=$TOP/.build/asan
REPORTS=$B/reports
LOGS=$B/logs
CC=${SANITIZE_CC:-clang}
JOBS=$(nproc 2>/dev/null || echo 1)
STAGES=" ${SANITIZE_STAGES:-unit integration valgrind} "
N=0
FAILED=0
# Symbolized stack traces in the reports (llvm-14; llvm adds the plain name).
for sym in llvm-symbolizer llvm-symbolizer-14 /usr/lib/llvm-14/bin/llvm-symbolizer; do
	if command -v "$sym" >/dev/null; then
		ASAN_SYMBOLIZER_PATH=$(command -v "$sym")
		export ASAN_SYMBOLIZER_PATH
		break
	fi
done

ok() {
	N=$((N + 1))
	echo "ok $N - $*"
}
not_ok() {
	N=$((N + 1))
	FAILED=$((FAILED + 1))
	echo "not ok $N - $*"
}
diag() { sed 's/^/#   /'; }
bail() {
	echo "Bail out! $*"
	exit 1
}

mkdir -p "$B/include" "$B/obj" "$B/plain/obj" "$LOGS" "$REPORTS" || bail "cannot create $B"

# ---- build ------------------------------------------------------------------

# am_words VAR: the words of a Makefile.am variable, continuation lines
# joined and $(OTHER) variables expanded.
am_words() {
	local w
	for w in $(awk -v var="$1" '
		{ line = line $0 }
		/\\$/ { sub(/\\$/, " ", line); next }
		{ if (line ~ "^" var "[ \t]*=") { sub(/^[^=]*=/, "", line); print line } line = "" }
	' Makefile.am); do
		if [[ $w =~ ^\$\(([A-Za-z0-9_]+)\)$ ]]; then
			am_words "${BASH_REMATCH[1]}"
		else
			echo "$w"
		fi
	done
}
am_sources() { am_words "$1" | grep '\.c$'; }

# stale OBJ DEPFILE: OBJ is missing or older than a file -MMD listed for it.
stale() {
	local obj=$1 dep=$2 f
	[ -f "$obj" ] && [ -f "$dep" ] || return 0
	for f in $(sed -e 's/^[^:]*://' -e 's/\\$//' "$dep"); do
		[ -e "$f" ] && [ ! "$f" -nt "$obj" ] || return 0
	done
	return 1
}

# compile_all OBJDIR FLAGS OBJS SRC...: compiles what is stale, JOBS at
# once, with the flags of the array named FLAGS; the array named OBJS gets
# the objects (OBJDIR/path_of_src.o).
compile_all() {
	local dir=$1 src obj running=0 failed=0
	local -n flags=$2 objs=$3
	shift 3
	objs=()
	for src in "$@"; do
		obj=$dir/$(echo "${src%.c}" | tr / _).o
		objs+=("$obj")
		stale "$obj" "${obj%.o}.d" || continue
		"$CC" "${flags[@]}" -MMD -MF "${obj%.o}.d" -c "$src" -o "$obj" >>"$LOGS/build.log" 2>&1 &
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
	return $failed
}

# archive LIB OBJ...: (re)makes LIB when an object is newer.
archive() {
	local lib=$1 o
	shift
	for o in "$@"; do
		if [ ! -f "$lib" ] || [ "$o" -nt "$lib" ]; then
			rm -f "$lib"
			ar rcs "$lib" "$@"
			return
		fi
	done
}

# link OUT ARGS...: links when OUT is missing or older than an input file.
link() {
	local out=$1 a
	shift
	for a in "$@"; do
		if [ ! -f "$out" ] || { [ -f "$a" ] && [ "$a" -nt "$out" ]; }; then
			"$CC" "$@" -o "$out" >>"$LOGS/build.log" 2>&1
			return
		fi
	done
}

# flags_changed DIR ARRAY-NAME...: a different compiler or flags than last
# time empties DIR's objects.
flags_changed() {
	local dir=$1 name
	shift
	for name in "$@"; do
		local -n f=$name
		printf '%s\n' "$name:" "${f[@]}"
		unset -n f
	done | cat <(echo "$CC") - >"$dir/flags.new"
	if ! cmp -s "$dir/flags.new" "$dir/flags"; then
		find "$dir/obj" \( -name '*.o' -o -name '*.d' \) -delete
		mv "$dir/flags.new" "$dir/flags"
	else
		rm -f "$dir/flags.new"
	fi
}

build() {
	local pkgc pkgl pkgarchive pkgcheck
	command -v "$CC" >/dev/null || {
		echo "$CC not found (scripts/deps.sh)"
		return 1
	}
	pkgc=$(pkg-config --cflags libseccomp jansson libarchive) &&
		pkgl=$(pkg-config --libs libseccomp jansson) &&
		pkgarchive=$(pkg-config --libs libarchive) || {
		echo "pkg-config: a library is missing (scripts/deps.sh)"
		return 1
	}
	pkgcheck=$(pkg-config --cflags --libs check 2>/dev/null) || pkgcheck=

	# What configure puts in build-config.h; rewritten only when it changes.
	local version commit
	version=$(sed -n 's/^AC_INIT(\[[^]]*\], *\[\([^]]*\)\].*/\1/p' configure.ac)
	commit=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
	cat >"$B/include/build-config.h.new" <<-EOF
		/* Written by tests/sanitize/run.sh for the sanitizer build. */
		#define PACKAGE "secrun"
		#define PACKAGE_VERSION "${version:-0}"
		#define VERSION "${version:-0}"
		#define GIT_COMMIT "$commit"
		#define OCI_SPEC_VERSION "1.2.0"
	EOF
	if cmp -s "$B/include/build-config.h.new" "$B/include/build-config.h"; then
		rm -f "$B/include/build-config.h.new"
	else
		mv "$B/include/build-config.h.new" "$B/include/build-config.h"
	fi

	local common=(-D_GNU_SOURCE -I"$B/include" -I"$TOP/runtime" -I"$TOP/cgroups"
		-DPROFILEDIR="\"$TOP/profiles\"" -DPKGLIBEXECDIR="\"$B\""
		-Wall -Wextra -Wno-unused-parameter -Wno-missing-field-initializers)
	# No _FORTIFY_SOURCE: its checked copies hide accesses from ASan.
	SAN=(-fsanitize=address,undefined -fno-omit-frame-pointer)
	local asan=(-g -O1 "${SAN[@]}" "${common[@]}" $pkgc)
	local launch=("${asan[@]}" -DSR_WITH_IMAGES)
	local unit=("${asan[@]}" -DSAMPLEDIR="\"$TOP/../shared/clients/samples\""
		-DFIXTUREDIR="\"$TOP/tests/unit/fixtures\"" -DPROFILE_SRCDIR="\"$TOP/profiles\"")
	[ -n "$pkgcheck" ] && unit+=($(pkg-config --cflags check))
	# DWARF 4: valgrind 3.19 cannot read the DWARF 5 of clang 14
	local plain=(-gdwarf-4 -O1 "${common[@]}" $pkgc)
	local init=(-O2 -fPIE "${common[@]}")

	flags_changed "$B" asan launch unit init
	flags_changed "$B/plain" plain
	mkdir -p "$B/obj/launch" "$B/obj/unit" "$B/obj/init"
	: >"$LOGS/build.log"

	local lib img cmds lsrc
	mapfile -t lib < <(am_sources libsecrun_a_SOURCES)
	mapfile -t img < <(am_sources libsecrun_image_a_SOURCES)
	mapfile -t cmds < <(am_sources secrun_SOURCES)
	mapfile -t lsrc < <(am_sources secrun_launch_SOURCES)
	[ ${#lib[@]} -gt 0 ] && [ ${#cmds[@]} -gt 0 ] || {
		echo "no sources found in Makefile.am"
		return 1
	}
	local lib_o img_o cmd_o launch_o plain_lib_o plain_cmd_o hooks_o
	compile_all "$B/obj" asan hooks_o tests/sanitize/lsan_hooks.c &&
		compile_all "$B/obj" asan lib_o "${lib[@]}" &&
		compile_all "$B/obj" asan img_o "${img[@]}" &&
		compile_all "$B/obj" asan cmd_o "${cmds[@]}" &&
		compile_all "$B/obj/launch" launch launch_o "${lsrc[@]}" &&
		compile_all "$B/plain/obj" plain plain_lib_o "${lib[@]}" &&
		compile_all "$B/plain/obj" plain plain_cmd_o "${cmds[@]}" || return 1
	archive "$B/libsecrun.a" "${lib_o[@]}" &&
		archive "$B/libsecrun_image.a" "${img_o[@]}" &&
		archive "$B/plain/libsecrun.a" "${plain_lib_o[@]}" || return 1
	link "$B/secrun" "${SAN[@]}" "${cmd_o[@]}" "${hooks_o[@]}" "$B/libsecrun.a" $pkgl || return 1
	link "$B/secrun-launch" "${SAN[@]}" "${launch_o[@]}" "${hooks_o[@]}" "$B/libsecrun_image.a" "$B/libsecrun.a" \
		$pkgl $pkgarchive || return 1
	link "$B/plain/secrun" "${plain_cmd_o[@]}" "$B/plain/libsecrun.a" $pkgl || return 1
	# secrun-init: static-pie, no sanitizer runtime can be linked into it
	local init_src init_o
	mapfile -t init_src < <(am_sources secrun_init_SOURCES)
	compile_all "$B/obj/init" init init_o "${init_src[@]}" || return 1
	link "$B/secrun-init" -static-pie -Wl,-z,relro -Wl,-z,now -Wl,-z,noexecstack "${init_o[@]}" || return 1
	chmod 755 "$B/secrun-init"
	# launch finds hardened.json in ./profiles beside the binary
	ln -sfn "$TOP/profiles" "$B/profiles"

	UNIT_BINS=()
	[ -n "$pkgcheck" ] || return 0
	local t src o
	for t in $(am_words UNIT_TESTS); do
		src=$(am_sources "tests_unit_$(basename "$t")_SOURCES")
		[ -n "$src" ] || src=$t.c
		compile_all "$B/obj/unit" unit o $src || return 1
		link "$B/$(basename "$t")" "${SAN[@]}" "${o[@]}" "$B/libsecrun_image.a" "$B/libsecrun.a" \
			$pkgl $pkgarchive $(pkg-config --libs check) || return 1
		UNIT_BINS+=("$B/$(basename "$t")")
	done
}

# ---- sanitizer reports --------------------------------------------------------

# Options for every instrumented process. Reports go to files: a test that
# captures or discards stderr cannot hide them. abort_on_error: a report
# ends the process with SIGABRT (status 134), never with an exit code a
# test may expect for an ordinary failure. Leaks are checked in every
# process that exits normally (a child that execs never gets there; one
# that joined another pid namespace cannot be checked: lsan_hooks.c).
# The container's init pivots into the rootfs before it execs: a report
# from it after that cannot reach REPORTS, so ASan fails to open its log
# and exits non-zero, which the test sees instead.
# san_env TAG [SUAR]: SUAR 1 also finds uses of stack memory after its
# function returned (detect_stack_use_after_return, slower).
san_env() {
	local tag=$1 suar=${2:-0}
	export ASAN_OPTIONS="log_path=$REPORTS/$tag:log_exe_name=1:halt_on_error=1:abort_on_error=1:detect_leaks=1:disable_coredump=1:check_initialization_order=1:strict_init_order=1:detect_stack_use_after_return=$suar"
	export UBSAN_OPTIONS="log_path=$REPORTS/$tag:log_exe_name=1:halt_on_error=1:abort_on_error=1:print_stacktrace=1"
	export LSAN_OPTIONS="log_path=$REPORTS/$tag:log_exe_name=1"
	export SECRUN_LSAN_SKIP_LOG=$LOGS/lsan-skipped-$tag
	rm -f "$SECRUN_LSAN_SKIP_LOG"
}
san_unset() { unset ASAN_OPTIONS UBSAN_OPTIONS LSAN_OPTIONS SECRUN_LSAN_SKIP_LOG; }

# symbolize FILE: a process re-executed from a sealed memfd (exec, and
# create with a joined pid namespace) has no file for the symbolizer to
# read; its frames name "/memfd:secrun (deleted)+0xOFFSET", and the memfd
# is a copy of .build/asan/secrun (or of secrun-launch, for launch).
symbolize() {
	local line off bin sym
	while IFS= read -r line; do
		if [[ $line =~ \(/memfd:secrun[^+]*\+(0x[0-9a-f]+)\) ]]; then
			off=${BASH_REMATCH[1]}
			for bin in "$B/secrun" "$B/secrun-launch"; do
				sym=$(addr2line -f -i -C -e "$bin" "$off" 2>/dev/null | paste -sd ' ')
				[[ $sym == \?\?* ]] || break
			done
			printf '%s  [%s]\n' "$line" "$sym"
		else
			printf '%s\n' "$line"
		fi
	done <"$1"
}

# check_reports TAG WHAT: one TAP line; not ok (with each report's head)
# when a process of the stage wrote a sanitizer report.
check_reports() {
	local tag=$1 what=$2 files f
	files=("$REPORTS/$tag".*)
	if [ ${#files[@]} -eq 0 ]; then
		ok "$what: no sanitizer report"
		return
	fi
	not_ok "$what: ${#files[@]} sanitizer report(s) in $REPORTS"
	for f in "${files[@]}"; do
		echo "#   $(basename "$f"):"
		symbolize "$f" | grep -E -m 14 'ERROR:|runtime error|SUMMARY|fatal error|^ *#[0-9]+ ' | diag
	done
}

# ---- 1. build -----------------------------------------------------------------

T0=$SECONDS
if build; then
	ok "build: secrun, secrun-launch and ${#UNIT_BINS[@]} unit tests with ${SAN[*]} ($CC, $((SECONDS - T0)) s)"
else
	not_ok "build ($CC): see $LOGS/build.log"
	grep -E -m 20 'error|Error' "$LOGS/build.log" | diag
	echo "1..$N"
	exit 1
fi
rm -f "$REPORTS"/*
# ASan's processes write reports as the user they run as: a container's
# init with a user namespace is not root.
chmod 1777 "$REPORTS"

# ---- 2. unit tests --------------------------------------------------------------

if [[ $STAGES == *" unit "* ]]; then
	T0=$SECONDS
	if [ ${#UNIT_BINS[@]} -eq 0 ]; then
		not_ok "unit: the Check library is missing (scripts/deps.sh)"
	fi
	for bin in "${UNIT_BINS[@]}"; do
		name=$(basename "$bin")
		log=$LOGS/$name.log
		san_env "unit-$name" 1
		# Check forks each test; ASan makes them slower than its 4 s default.
		(cd "$B" && CK_TIMEOUT_MULTIPLIER=5 CK_VERBOSITY=normal timeout -k 10 300 "$bin") >"$log" 2>&1
		rc=$?
		san_unset
		summary=$(grep -E -m1 '^[0-9]+%: Checks: ' "$log")
		if [ "$rc" -eq 0 ] && [ -n "$summary" ] && [[ $summary =~ Failures:\ 0,\ Errors:\ 0 ]]; then
			ok "unit $name: $summary"
		else
			not_ok "unit $name: exit $rc: ${summary:-no Check summary} (log: $log)"
			grep -E ':[FE]:' "$log" | head -n 20 | diag
		fi
		check_reports "unit-$name" "unit $name"
	done
	echo "# unit tests: $((SECONDS - T0)) s"
fi

# ---- 3. integration tests -----------------------------------------------------------

if [[ $STAGES == *" integration "* ]]; then
	T0=$SECONDS
	if [ "$(id -u)" != 0 ]; then
		not_ok "integration: runs containers, run as root"
	elif ! command -v bats >/dev/null; then
		not_ok "integration: bats not found (scripts/deps.sh)"
	else
		san_env bats
		# SECRUN_SANITIZER lets a test skip what cannot work under ASan
		# (helpers.bash picks the runtime from SECRUN).
		read -r -a files <<<"${BATS_FILES:-tests/integration}"
		# stress.bats: 1000 create/start/delete cycles by default; the
		# plain run makes those, 100 under ASan find as much
		export SR_STRESS_CYCLES=${SR_STRESS_CYCLES:-100}
		SECRUN=$B/secrun SECRUN_SANITIZER=asan SR_TIMEOUT=60 \
			timeout -k 10 1200 bats --tap "${files[@]}" </dev/null >"$LOGS/integration.tap" 2>&1
		rc=$?
		san_unset
		p=0 f=0 s=0
		while IFS= read -r line; do
			case $line in
			"ok "* | "not ok "*)
				# renumbered into this script's plan
				text=$(sed -E 's/^(not )?ok [0-9]+ (- )?//' <<<"$line")
				shopt -s nocasematch
				if [[ $line =~ \#[[:space:]]*skip ]]; then
					s=$((s + 1))
					ok "integration: $text"
				elif [[ $line == "ok "* ]]; then
					p=$((p + 1))
					ok "integration: $text"
				else
					f=$((f + 1))
					not_ok "integration: $text"
				fi
				shopt -u nocasematch
				;;
			"#"*) echo "$line" ;;
			esac
		done <"$LOGS/integration.tap"
		if [ $((p + f + s)) -eq 0 ] || { [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; }; then
			not_ok "integration: bats exited $rc with $((p + f + s)) results (log: $LOGS/integration.tap)"
			tail -n 20 "$LOGS/integration.tap" | diag
		fi
		check_reports bats "integration"
		if [ -s "$LOGS/lsan-skipped-bats" ]; then
			echo "# leak check skipped in $(wc -l <"$LOGS/lsan-skipped-bats") runtime processes that had joined a container's pid namespace or ran under strace (list: $LOGS/lsan-skipped-bats)"
		fi
		echo "# integration: $p passed, $f failed, $s skipped under ASan+UBSan in $((SECONDS - T0)) s"
	fi
fi

# ---- 4. valgrind ---------------------------------------------------------------

# vg NAME EXPECT CMD...: runs the plain build of secrun under valgrind.
# EXPECT: "0" must succeed, "fail" must fail cleanly (exit 1-98, a message
# on stderr), "any" any exit that is not a crash.
vg() {
	local name=$1 expect=$2 log=$LOGS/valgrind-$1.log rc
	shift 2
	valgrind --quiet --error-exitcode=99 --leak-check=full --show-leak-kinds=definite,indirect,possible \
		--errors-for-leak-kinds=definite,indirect,possible --track-origins=yes --track-fds=no \
		--trace-children=no --child-silent-after-fork=yes --log-file="$log" \
		"$B/plain/secrun" "$@" >"$LOGS/valgrind-$name.out" 2>"$LOGS/valgrind-$name.err" </dev/null
	rc=$?
	local what="valgrind secrun $*"
	what=${what//$VGTMP/\$TMP}
	what=${what//-$$/}
	if [ "$rc" -eq 99 ] || [ -s "$log" ]; then
		not_ok "$what: valgrind errors (exit $rc, log: $log)"
		head -n 40 "$log" | diag
	elif [ "$rc" -ge 128 ]; then
		not_ok "$what: killed by signal $((rc - 128))"
	elif [ "$expect" = 0 ] && [ "$rc" -ne 0 ]; then
		not_ok "$what: exit $rc, expected success"
		head -n 5 "$LOGS/valgrind-$name.err" | diag
	elif [ "$expect" = fail ] && { [ "$rc" -eq 0 ] || [ ! -s "$LOGS/valgrind-$name.err" ]; }; then
		not_ok "$what: exit $rc, expected a failure with a message"
	else
		ok "$what: exit $rc, no valgrind error"
	fi
}

if [[ $STAGES == *" valgrind "* ]]; then
	T0=$SECONDS
	if ! command -v valgrind >/dev/null; then
		not_ok "valgrind: not found (scripts/deps.sh)"
	else
		VGTMP=$(mktemp -d "${TMPDIR:-/tmp}/secrun-vg.XXXXXX")
		trap 'rm -rf "$VGTMP"' EXIT
		R=$VGTMP/root
		mkdir -p "$R" "$VGTMP/spec" "$VGTMP/b1/rootfs" "$VGTMP/b2/rootfs" "$VGTMP/b3/rootfs" "$VGTMP/b4/rootfs"
		vg version 0 --version
		cd "$VGTMP/spec" && vg spec 0 spec
		cd "$TOP" || exit 1
		[ -s "$VGTMP/spec/config.json" ] || not_ok "valgrind secrun spec: no config.json written"
		vg list 0 --root "$R" list
		vg list-json 0 --root "$R" list --format json
		vg state fail --root "$R" state srvg-missing-$$
		vg features 0 features
		# malformed configs: not JSON, JSON of the wrong shape, a field of
		# the wrong type deep inside, and a valid tree with a bad value
		printf '{"ociVersion": "1.2.0", "root": {"path": "rootfs"' >"$VGTMP/b1/config.json"
		printf '[1, 2, 3]\n' >"$VGTMP/b2/config.json"
		jq '.linux.resources.memory.limit = "lots" | .linux.namespaces += [{"type": "nosuch"}]' \
			"$VGTMP/spec/config.json" >"$VGTMP/b3/config.json" 2>/dev/null ||
			printf '{"ociVersion":"1.2.0","linux":{"resources":{"memory":{"limit":"lots"}}}}' >"$VGTMP/b3/config.json"
		jq '.mounts += [{"destination": "relative", "type": "tmpfs", "options": ["size=1k", "idmap"]}]' \
			"$VGTMP/spec/config.json" >"$VGTMP/b4/config.json" 2>/dev/null ||
			printf '{"ociVersion":"1.2.0","mounts":[{"destination":"relative"}]}' >"$VGTMP/b4/config.json"
		for b in 1 2 3 4; do
			vg "create-bad-$b" fail --root "$R" create -b "$VGTMP/b$b" "srvg-$b-$$"
			if [ -e "$R/srvg-$b-$$" ]; then
				not_ok "valgrind secrun create (malformed config $b): left $R/srvg-$b-$$ behind"
			fi
		done
		vg delete-force-missing any --root "$R" delete --force srvg-missing-$$
		vg delete-missing fail --root "$R" delete srvg-missing-$$
		echo "# valgrind: $((SECONDS - T0)) s"
	fi
fi

echo "1..$N"
echo "# $((N - FAILED)) ok, $FAILED not ok"
[ "$FAILED" -eq 0 ]
