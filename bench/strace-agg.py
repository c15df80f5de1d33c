#!/usr/bin/env python3
"""strace-agg.py [--top N] LABEL=GLOB ...

Aggregates many `strace -f -ttt -T -y -o FILE` traces (one file per run of the
same command) into "where the time goes" per syscall kind: for each kind, the
median over runs of the total time spent in it per run, the count per run and
the slowest single call seen.  Single traces on a noisy 2-CPU host are
misleading (one preemption makes any call look slow); medians over 20+ runs
are not.

A kind is the syscall name, refined where the argument matters:
write/openat to a cgroup file -> "write cgroup.procs", etc.; close of a
detached mount tree is not distinguishable from strace output, so close is
refined by the fd's path decoration (-y).  Calls that only wait for another
process of the same run (wait4, recvfrom/recvmsg on the sync socket,
rt_sigtimedwait, read on a pipe or socket) are reported apart, as "waits": they overlap
the other process' work and do not add to the run's wall time on their own.
Prints markdown tables."""
import glob
import re
import statistics as st
import sys
from collections import defaultdict

WAITS = {"wait4", "waitid", "recvfrom", "recvmsg", "rt_sigtimedwait", "ppoll", "poll",
         "epoll_wait", "epoll_pwait", "pselect6", "select", "futex", "pause", "clock_nanosleep"}
LINE = re.compile(r"^(\d+)\s+(\d+\.\d+)\s+(?:<\.\.\. (\w+) resumed>|(\w+)\()(.*?)(?:<(\d+\.\d+)>)?\s*$")
top = 20
args = sys.argv[1:]
if args[:1] == ["--top"]:
    top, args = int(args[1]), args[2:]


def kind(name, rest):
    m = re.match(r"(\d+)<([^>]*)>", rest)
    if name in ("write", "read", "close", "fstatfs", "fstat") and m:
        path = m.group(2)
        if path.startswith("/sys/fs/cgroup/"):
            return f"{name} cgroup {path.rsplit('/', 1)[-1]}"
        if name == "read" and path.startswith(("pipe:", "socket:")):
            return "read pipe"
    if name in ("openat", "openat2", "mkdir", "mkdirat", "unlinkat", "rmdir") and "/sys/fs/cgroup" in rest:
        f = re.search(r'"(/sys/fs/cgroup/[^"]*)"', rest)
        base = f.group(1).rsplit("/", 1)[-1] if f else ""
        if name in ("openat", "openat2") and base in ("cgroup.procs", "freezer.state", "tasks"):
            return f"{name} cgroup {base}"
        return f"{name} cgroup"
    return name


for spec in args:
    label, pat = spec.split("=", 1)
    files = sorted(glob.glob(pat))
    if not files:
        continue
    per = defaultdict(lambda: defaultdict(float))   # kind -> run -> seconds
    cnt = defaultdict(lambda: defaultdict(int))
    worst = defaultdict(float)
    walls, sums, waits = [], [], []
    for ri, f in enumerate(files):
        pending = {}
        t0 = t1 = None
        tot = wt = 0.0
        for line in open(f, errors="replace"):
            m = LINE.match(line)
            if not m:
                continue
            pid, ts, resumed, name, rest, dur = m.groups()
            ts = float(ts)
            t0 = ts if t0 is None else t0
            t1 = ts
            if name and "<unfinished ...>" in rest:
                pending[pid] = (name, rest)
                continue
            if resumed:
                name, rest = pending.pop(pid, (resumed, rest))
            if dur is None:
                continue
            d = float(dur)
            k = kind(name, rest)
            if name in WAITS or k == "read pipe":
                k = "wait: " + k
                wt += d
            else:
                tot += d
            per[k][ri] += d
            cnt[k][ri] += 1
            worst[k] = max(worst[k], d)
        walls.append((t1 - t0) if t0 is not None else 0)
        sums.append(tot)
        waits.append(wt)
    n = len(files)
    print(f"\n#### {label} ({n} traced runs)\n")
    print(f"Median traced wall {st.median(walls)*1e3:.1f} ms; median time inside non-waiting syscalls "
          f"{st.median(sums)*1e3:.1f} ms per run (all processes); the rest of the wall is user space, "
          "exec/loader, scheduling and strace's own overhead.\n")
    print("| syscall kind | median ms per run | mean ms per run | calls per run | slowest call (ms) |")
    print("|---|---:|---:|---:|---:|")
    rows = []
    for k in per:
        vals = [per[k].get(i, 0.0) for i in range(n)]
        cs = [cnt[k].get(i, 0) for i in range(n)]
        rows.append((st.median(vals), st.mean(vals), st.median(cs), worst[k], k))
    rows.sort(key=lambda r: (-r[0], -r[1]))
    for med, mean, c, w, k in rows[:top]:
        print(f"| {k} | {med*1e3:.2f} | {mean*1e3:.2f} | {c:g} | {w*1e3:.2f} |")
