#!/usr/bin/env python3
"""phases.py LABEL=GLOB ...

Splits `strace -f -ttt -T -y` traces of one `secrun run` each into the phases
of secrun's start path and prints, per phase, the median number of syscalls
and the median traced time over all traces (strace inflates time ~5x and a
single trace is noisy; counts are exact and medians of times are usable as
shares).  Phase boundaries are found from the syscalls secrun makes:

  1 exec + loader + config + state dir + cgroup mkdir  (start .. clone3)
  2 parent: cgroup attach, state prep, GO              (clone3 .. first sendto of the parent)
  3 init: namespaces + mounts + /dev                   (GO received .. pivot_root)
  4 init: pivot, masked/readonly paths, caps, uid      (pivot_root .. init's first sendto = READY)
  5 parent: state.json, START; init: execve            (READY .. execve of the workload)
  6 workload runs and exits                            (execve .. init's exit)
  7 parent: reap, load state, cgroup + state teardown  (init's exit .. end)
"""
import glob
import re
import statistics as st
import sys

LINE = re.compile(r"^(\d+)\s+(\d+\.\d+)\s+(.*)$")
NAMES = ["1 exec, loader, config, state dir, cgroup mkdir", "2 parent: cgroup attach, state prep, GO",
         "3 init: namespaces, mounts, /dev", "4 init: pivot, masked/readonly paths, caps, uid",
         "5 READY, state.json, START, execve", "6 workload runs and exits",
         "7 reap, state load, cgroup + state teardown"]


def phases(path):
    rows = []
    for line in open(path, errors="replace"):
        m = LINE.match(line)
        if m:
            rows.append((int(m.group(1)), float(m.group(2)), m.group(3)))
    if not rows:
        return None
    parent = rows[0][0]
    t_start, t_end = rows[0][1], rows[-1][1]
    marks = {}
    init = None
    for pid, t, call in rows:
        if pid == parent and call.startswith("clone3(") and 1 not in marks:
            marks[1] = t
        if pid == parent and "clone3 resumed>" in call and init is None:
            mm = re.search(r"= (\d+)", call)
            init = int(mm.group(1)) if mm else None
        if init is None and pid != parent:
            init = pid
        if pid == parent and 1 in marks and 2 not in marks and call.startswith("sendto("):
            marks[2] = t
        if pid == init and 3 not in marks and call.startswith("pivot_root("):
            marks[3] = t
        if pid == init and 3 in marks and 4 not in marks and call.startswith("sendto("):
            marks[4] = t
        if pid == init and 4 in marks and 5 not in marks and call.startswith("execve("):
            marks[5] = t
        if pid == init and 5 in marks and 6 not in marks and ("+++ exited" in call or call.startswith("exit_group(")):
            marks[6] = t
    if len(marks) < 6:
        return None
    bounds = [t_start, marks[1], marks[2], marks[3], marks[4], marks[5], marks[6], t_end + 1e-9]
    cnt = [0] * 7
    for pid, t, call in rows:
        if call.startswith(("<...", "+++", "---")) or "resumed>" in call:
            continue
        for i in range(7):
            if bounds[i] <= t < bounds[i + 1]:
                cnt[i] += 1
                break
    dur = [bounds[i + 1] - bounds[i] for i in range(7)]
    dur[6] = t_end - marks[6]
    return cnt, dur, t_end - t_start


for spec in sys.argv[1:]:
    label, pat = spec.split("=", 1)
    res = [r for r in (phases(f) for f in sorted(glob.glob(pat))) if r]
    if not res:
        print(f"\n{label}: no usable traces")
        continue
    print(f"\n#### {label}: phases of `secrun run` ({len(res)} traces)\n")
    tot = st.median([r[2] for r in res])
    print(f"| phase | syscalls (median) | traced ms (median) | share of traced wall |")
    print("|---|---:|---:|---:|")
    for i in range(7):
        c = st.median([r[0][i] for r in res])
        d = st.median([r[1][i] for r in res])
        print(f"| {NAMES[i]} | {c:g} | {d * 1e3:.1f} | {100 * d / tot:.0f} % |")
    print(f"| total | {st.median([sum(r[0]) for r in res]):g} | {tot * 1e3:.1f} | |")
