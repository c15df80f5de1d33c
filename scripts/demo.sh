#!/bin/bash
# demo.sh: builds secrun and runs one hardened container, printing what the
# workload sees. The bundle (busybox rootfs, read-only /, tmpfs /tmp, every
# capability dropped, no_new_privs, the default seccomp profile, uid 65534) is
# made under $DEMO_DIR (default /tmp/secrun-demo) and removed afterwards.
# Run as root on Debian 12, from anywhere in the repository.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
TOP=$PWD

if [ "$(id -u)" != 0 ]; then
	echo "demo.sh: run as root (containers need it)" >&2
	exit 1
fi

echo "== installing build dependencies (if missing)"
bash scripts/deps.sh --build
echo "== building secrun"
bash scripts/build.sh >/tmp/secrun-demo-build.log 2>&1 || {
	tail -n 30 /tmp/secrun-demo-build.log >&2
	echo "demo.sh: build failed (log: /tmp/secrun-demo-build.log)" >&2
	exit 1
}
./secrun --version

DEMO_DIR=${DEMO_DIR:-/tmp/secrun-demo}
BUNDLE=$DEMO_DIR/bundle
STATE=$DEMO_DIR/state
ID=demo-$$
rm -rf "$BUNDLE"
mkdir -p "$DEMO_DIR"
chmod 711 "$DEMO_DIR"

cleanup() {
	"$TOP/secrun" --root "$STATE" delete --force "$ID" >/dev/null 2>&1 || true
	rm -rf "$BUNDLE" "$STATE"
}
trap cleanup EXIT

bash tests/make-bundle.sh "$BUNDLE" --hardened --seccomp --args '
echo "--- inside the container"
echo "id:      $(id)"
grep -E "^(CapEff|NoNewPrivs|Seccomp):" /proc/self/status
if touch /x 2>/tmp/err; then
	echo "write to / ALLOWED (unexpected)"
else
	echo "write to / refused: $(sed "s/^touch: \/x: //" /tmp/err)"
fi
echo "hello" >/tmp/ok && echo "write to /tmp (tmpfs): ok"
'
echo "== running: ./secrun --root $STATE run -b $BUNDLE $ID"
./secrun --root "$STATE" run -b "$BUNDLE" "$ID" </dev/null
