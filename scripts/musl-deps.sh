#!/bin/bash
# musl-deps.sh [DIR]: builds static jansson and libseccomp against musl into
# DIR (default .build/musl-deps), for the musl build of the secrun binary
# (configure --with-musl; see README "Performance").
#
# Why: every exec of a glibc program here pays 0.7-0.9 ms in glibc's start-up
# (cpuid, which traps to the hypervisor at 7 us a call, and relocations);
# a musl static-pie secrun starts in 0.25 ms. secrun is exec'd for every
# create, start, state, kill and delete.
#
# The libraries are Debian's own source packages, with Debian's patches, at
# the versions of the installed libjansson-dev and libseccomp-dev, so both
# builds of secrun use the same library code. Needs musl-tools, gperf and
# dpkg-dev (scripts/deps.sh --build installs them) and deb-src entries for
# apt: when apt has none, they are added beside the deb entries (in
# /etc/apt/sources.list.d/secrun-deb-src.sources). Quick when DIR is already
# built from the same versions.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

DEST=$(realpath -m "${1:-.build/musl-deps}")
want=$(dpkg-query -W -f='${source:Package}=${source:Version}\n' libjansson-dev libseccomp-dev)
if [ -f "$DEST/.stamp" ] && [ "$(cat "$DEST/.stamp")" = "$want" ]; then
	exit 0
fi
for t in musl-gcc gperf dpkg-source; do
	command -v "$t" >/dev/null || {
		echo "musl-deps.sh: $t not found (bash scripts/deps.sh --build installs it)" >&2
		exit 1
	}
done

WORK=$(realpath -m "$DEST/../musl-src")
rm -rf "$WORK" "$DEST"
mkdir -p "$WORK" "$DEST/kinc"
APT=(apt-get -q -o DPkg::Lock::Timeout=600)

fetch() {
	(cd "$WORK" && "${APT[@]}" source --download-only "$@" </dev/null >>"$WORK/apt.log" 2>&1)
}
if ! fetch $want; then
	if [ "$(id -u)" != 0 ]; then
		echo "musl-deps.sh: apt has no deb-src entries; run as root to add them" >&2
		exit 1
	fi
	echo "musl-deps.sh: adding deb-src entries for apt" >&2
	src=/etc/apt/sources.list.d/secrun-deb-src.sources
	for f in /etc/apt/sources.list.d/*.sources; do
		[ "$f" = "$src" ] && continue
		grep -q '^URIs:.*debian' "$f" || continue
		sed 's/^Types: deb$/Types: deb-src/' "$f"
		echo
	done >"$src"
	if [ -f /etc/apt/sources.list ]; then
		sed -n 's/^deb \(.*debian.*\)/deb-src \1/p' /etc/apt/sources.list >/etc/apt/sources.list.d/secrun-deb-src.list
	fi
	"${APT[@]}" update </dev/null >>"$WORK/apt.log" 2>&1 || true
	fetch $want || {
		cat "$WORK/apt.log" >&2
		exit 1
	}
fi

# The kernel's uapi headers, without glibc's: musl-gcc searches only musl's.
for d in linux asm-generic; do ln -sfn "/usr/include/$d" "$DEST/kinc/$d"; done
ln -sfn "/usr/include/$(gcc -dumpmachine)/asm" "$DEST/kinc/asm"

export CC=musl-gcc CFLAGS="-O2 -fPIE -fstack-protector-strong -isystem $DEST/kinc"
cd "$WORK"
for dsc in jansson_*.dsc libseccomp_*.dsc; do
	dir=${dsc%%_*}
	dpkg-source -q -x "$dsc" "$dir" >>apt.log 2>&1
	(
		cd "$dir"
		[ -x configure ] || autoreconf -fi >/dev/null 2>&1
		./configure -q --disable-shared --enable-static --prefix="$DEST" >build.log 2>&1
		make -j2 >>build.log 2>&1
		make install >>build.log 2>&1
	) || {
		tail -n 30 "$dir/build.log" >&2
		exit 1
	}
done
echo "$want" >"$DEST/.stamp"
rm -rf "$WORK"
echo "musl-deps.sh: built $(echo $want) in $DEST" >&2
