#!/bin/bash
# build.sh: builds ./secrun in the repository root (autoreconf, configure
# --enable-werror, make). Re-runs autoreconf/configure only when their inputs
# changed; make rebuilds what changed.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

# secrun itself is linked against musl (README "Building by hand"), with
# jansson and libseccomp built for it once from Debian's sources (the first
# time, as root, this may add deb-src entries to apt). Without them the build
# stays on glibc, and says so; SECRUN_NO_MUSL=1 skips them.
if [ -n "${SECRUN_NO_MUSL:-}" ]; then
	echo "build.sh: SECRUN_NO_MUSL is set: secrun is linked against glibc" >&2
elif ! bash scripts/musl-deps.sh; then
	echo "build.sh: WARNING: no musl libraries: secrun is linked against glibc" \
		"(0.7-0.9 ms slower to start)" >&2
fi
if [ ! -x configure ] || [ configure.ac -nt configure ] || [ Makefile.am -nt configure ]; then
	autoreconf -fi
	rm -f config.status
fi
if [ ! -f config.status ] || [ ! -f Makefile ] || [ configure -nt config.status ] ||
	[ .build/musl-deps/.stamp -nt config.status ] ||
	! grep -q -- '--enable-werror' config.status; then
	./configure --enable-werror $([ -z "${SECRUN_NO_MUSL:-}" ] || echo --without-musl)
fi
make -j2
echo "build.sh: secrun is linked against $(grep -qF 'S["MUSL_RUNTIME_TRUE"]=""' config.status &&
	echo musl || echo glibc)"
