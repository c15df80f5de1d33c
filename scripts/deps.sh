#!/bin/bash
# deps.sh [--build]: installs the Debian packages secrun needs.
#   (default)  everything to build and run every test, VM tests included
#   --build    only what building and the demo need (compiler, libraries,
#              busybox-static for the demo rootfs, jq for make-bundle.sh)
# Quick and silent when everything is already installed: apt-get runs only
# for missing packages. Run as root.
set -euo pipefail

# musl-tools, gperf and dpkg-dev: the musl build of secrun (scripts/musl-deps.sh)
BUILD_PKGS=(autoconf automake libtool pkg-config make gcc libc6-dev
	libseccomp-dev libjansson-dev libarchive-dev busybox-static jq
	musl-tools gperf dpkg-dev)
TEST_PKGS=(check bats runc crun strace iproute2 util-linux umoci skopeo zstd python3 bsdutils
	clang libclang-rt-14-dev llvm-14 valgrind)
# tests/vm (see ../shared/vm/README.md): a cgroup v2 guest under qemu
VM_PKGS=(qemu-system-x86 linux-image-amd64 busybox-static cpio kmod binutils xz-utils)

case ${1:-} in
--build) WANT=("${BUILD_PKGS[@]}") ;;
"") WANT=("${BUILD_PKGS[@]}" "${TEST_PKGS[@]}" "${VM_PKGS[@]}") ;;
-h | --help)
	sed -n '2,7p' "$0" | sed 's/^# \{0,1\}//'
	exit 0
	;;
*)
	echo "deps.sh: unknown option: $1" >&2
	exit 2
	;;
esac

# one dpkg-query for all: the packages not fully installed ("ii")
installed=$(dpkg-query -W -f='${db:Status-Abbrev} ${Package}\n' "${WANT[@]}" 2>/dev/null |
	awk '$1 == "ii" {print $2}' || true)
mapfile -t missing < <(printf '%s\n' "${WANT[@]}" | awk -v have="$installed" '
	BEGIN { n = split(have, h, "\n"); for (i = 1; i <= n; i++) ok[h[i]] = 1 }
	NF && !ok[$0] && !seen[$0]++')
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" != 0 ]; then
	echo "deps.sh: missing packages: ${missing[*]}; run as root to install them" >&2
	exit 1
fi

echo "deps.sh: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
APT=(apt-get -q -o DPkg::Lock::Timeout=600 -o Dpkg::Use-Pty=0)
install() {
	"${APT[@]}" install -y --no-install-recommends "${missing[@]}" </dev/null
}
"${APT[@]}" update </dev/null >/dev/null || echo "deps.sh: apt-get update failed; trying the cached lists" >&2
if ! install >/tmp/deps.sh.log 2>&1; then
	# an interrupted dpkg run blocks apt until it is finished
	dpkg --configure -a </dev/null >>/tmp/deps.sh.log 2>&1 || true
	if ! install >>/tmp/deps.sh.log 2>&1; then
		tail -n 30 /tmp/deps.sh.log >&2
		echo "deps.sh: apt-get install failed (log: /tmp/deps.sh.log)" >&2
		exit 1
	fi
fi
echo "deps.sh: done" >&2
