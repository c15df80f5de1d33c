#!/usr/bin/env python3
"""oncpu.py --runs N --comm secrun[,true] [--top K] < perf-script-output

On-CPU profile from `perf record -e cpu-clock -F F -g` (read back with
`perf script -F comm,pid,time,period,ip,sym,dso`).  Every sample is put in one
bucket: kernel samples by the syscall (or page fault / exec / exit path) they
are under, user samples by the library (DSO) they are in, plus, for the
runtime's own code, the sr_* function nearest the top of the stack.  Prints
a markdown table: share of the tasks' CPU samples and ms per run (from the
sample periods, in ns for cpu-clock)."""
import re
import sys
from collections import defaultdict

args = sys.argv[1:]
runs, comms, top = 1, {"secrun"}, 25
while args:
    a = args.pop(0)
    if a == "--runs":
        runs = int(args.pop(0))
    elif a == "--comm":
        comms = set(args.pop(0).split(","))
    elif a == "--top":
        top = int(args.pop(0))

HDR = re.compile(r"^\s*(\S.*?)\s+(\d+)\s+(\d+\.\d+):\s+(\d+)\s*(\S+:)?\s*$")
samples = []
cur = None
for line in sys.stdin:
    m = HDR.match(line)
    if m:
        cur = {"comm": m.group(1), "period": int(m.group(4)), "frames": []}
        samples.append(cur)
        continue
    s = line.strip()
    if cur is not None and s:
        # "addr sym+off (dso)"
        mm = re.match(r"^[0-9a-f]+\s+(.*?)\s+\((.*)\)$", s)
        if mm:
            cur["frames"].append((re.sub(r"\+0x[0-9a-f]+$", "", mm.group(1)), mm.group(2)))


def bucket(frames):
    if not frames:
        return "?"
    sym, dso = frames[0]
    if "kernel" in dso:
        for f, d in frames:
            if f.startswith(("__x64_sys_", "__do_sys_")):
                return "kernel: " + re.sub(r"^__(x64|do)_sys_", "", f) + "()"
            if f in ("asm_exc_page_fault", "exc_page_fault"):
                own = next((g for g, dd in frames if "kernel" not in dd), None)
                dd = next((dd for g, dd in frames if "kernel" not in dd), "")
                return "kernel: page faults (" + (dd.rsplit("/", 1)[-1] or "?") + ")"
            if f.startswith(("ret_from_fork", "schedule_tail")):
                return "kernel: fork return / scheduler"
            if f in ("asm_sysvec_apic_timer_interrupt", "asm_common_interrupt", "irq_exit_rcu"):
                return "kernel: interrupts"
        return "kernel: other (" + sym + ")"
    lib = dso.rsplit("/", 1)[-1]
    if lib.startswith("ld-linux"):
        return "user: dynamic loader (ld.so: relocation, symbol lookup)"
    own = next((f for f, d in frames if f.startswith("sr_")), None)
    if lib.startswith("libc"):
        return "user: libc" + (f" (under {own})" if own else "")
    if own and not lib.startswith("lib"):
        return f"user: {lib} {own}"
    return "user: " + lib


tot = defaultdict(int)
allp = 0
for s in samples:
    if s["comm"] not in comms:
        continue
    k = bucket(s["frames"])
    tot[k] += s["period"]
    allp += s["period"]
print(f"On-CPU time of {','.join(sorted(comms))} tasks: {allp / runs / 1e6:.2f} ms per run "
      f"(cpu-clock samples, {runs} runs). Sampling with call graphs inflates the absolute figure "
      "(compare `perf stat` task-clock); read the shares.\n")
print("| where (kernel: syscall or path; user: library / own function) | ms per run | share |")
print("|---|---:|---:|")
for k, v in sorted(tot.items(), key=lambda kv: -kv[1])[:top]:
    print(f"| {k} | {v / runs / 1e6:.3f} | {100 * v / allp:.1f} % |")
