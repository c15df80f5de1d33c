#!/bin/bash
# build.sh: builds ./secrun in the repository root (autoreconf, configure
# --enable-werror, make). Re-runs autoreconf/configure only when their inputs
# changed; make rebuilds what changed.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

if [ ! -x configure ] || [ configure.ac -nt configure ] || [ Makefile.am -nt configure ]; then
	autoreconf -fi
	rm -f config.status
fi
if [ ! -f config.status ] || [ ! -f Makefile ] || [ configure -nt config.status ] ||
	! grep -q -- '--enable-werror' config.status; then
	./configure --enable-werror
fi
make -j2
