#!/bin/bash
# tests/clients/run-all.sh [RUNTIME]: the client end-to-end tests, one after
# the other, as one TAP stream: containerd.sh, cri.sh, docker.sh, podman.sh,
# samples.sh (RUNTIME default: the repo's ./secrun; pass /usr/sbin/runc to
# check the tests themselves). The busybox image is built once and shared.
# Each script's cases are renumbered and prefixed with its name; a script
# that skips as a whole counts as one skipped case, one that dies or runs
# over its time (CLIENTS_SCRIPT_TIMEOUT, default 300 s) as a failed one.
# Ends with "1..N" and "# clients: N passed, N failed, N skipped"; exits
# non-zero when any case failed.
#
# CLIENTS_ONLY="docker podman" runs only those.

source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
clients_init run-all "$@"

SCRIPTS=${CLIENTS_ONLY:-containerd cri docker podman samples}
PER_SCRIPT=${CLIENTS_SCRIPT_TIMEOUT:-300}

# The image once for all (each script would otherwise build its own).
if need_pkgs umoci skopeo busybox-static && build_image; then
	export SECRUN_CLIENTS_IMAGE=$IMAGE_TAR
else
	diag "could not build the shared image: each script builds its own"
fi

N=0
PASS=0
FAIL=0
SKIP=0
for s in $SCRIPTS; do
	f=$CLIENTS_DIR/$s.sh
	out=$T/$s.tap
	t0=$SECONDS
	timeout -k 20 "$PER_SCRIPT" bash "$f" "$RUNTIME" </dev/null >"$out" 2>"$T/$s.err"
	rc=$?
	secs=$((SECONDS - t0))
	seen_fail=0
	while IFS= read -r line; do
		case $line in
		"not ok "*)
			N=$((N + 1))
			FAIL=$((FAIL + 1))
			seen_fail=1
			echo "not ok $N - $s: $(sed -E 's/^not ok [0-9]+ (- )?//' <<<"$line")"
			;;
		"ok "*"# SKIP"*)
			N=$((N + 1))
			SKIP=$((SKIP + 1))
			echo "ok $N - $s: $(sed -E 's/^ok [0-9]+ (- )?//' <<<"$line")"
			;;
		"ok "*)
			N=$((N + 1))
			PASS=$((PASS + 1))
			echo "ok $N - $s: $(sed -E 's/^ok [0-9]+ (- )?//' <<<"$line")"
			;;
		"1..0 # SKIP"*)
			N=$((N + 1))
			SKIP=$((SKIP + 1))
			echo "ok $N - $s # SKIP ${line#1..0 # SKIP }"
			;;
		1..*) ;;
		*) echo "$line" ;;
		esac
	done <"$out"
	if [ $rc != 0 ] && [ $seen_fail = 0 ]; then
		N=$((N + 1))
		FAIL=$((FAIL + 1))
		if [ $rc = 124 ] || [ $rc = 137 ]; then
			echo "not ok $N - $s: finished within ${PER_SCRIPT}s"
		else
			echo "not ok $N - $s: exited $rc without a failed case"
		fi
		diag_file "$T/$s.err" 15
	elif [ -s "$T/$s.err" ] && [ $rc != 0 ]; then
		diag_file "$T/$s.err" 5
	fi
	diag "$s.sh took ${secs}s (exit $rc)"
done

run_cleanup
echo "1..$N"
echo "# clients: $PASS passed, $FAIL failed, $SKIP skipped (runtime $RUNTIME)"
[ $FAIL = 0 ]
