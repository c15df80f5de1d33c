#!/usr/bin/env python3
"""headline.py OUTDIR [--subject secrun] [--ref crun] [--other runc] [--k K]

Prints the headline table of a bench/run output directory: one row per
figure, the subject's median (min-max), the reference's and the other
anchor's medians, the paired ratio subject/ref (median over iterations of
subject_i / ref_i; the runs are interleaved, so iteration i of both ran back
to back), the ratio of medians, the target and whether it is met.
Then the leak counts per runtime.  Reads the TSVs written by benchdrv
(mode runtime iter metric value)."""
import os
import statistics as st
import sys
from collections import defaultdict

args = sys.argv[1:]
out = args.pop(0)
opts = {"--subject": "secrun", "--ref": "crun", "--other": "runc", "--k": "100"}
while args:
    k = args.pop(0)
    opts[k] = args.pop(0)
SUBJ, REF, OTHER = opts["--subject"], opts["--ref"], opts["--other"]


def load(name):
    path = os.path.join(out, name)
    data = defaultdict(lambda: defaultdict(dict))  # metric -> rt -> iter -> v
    leaks = defaultdict(int)
    bad = defaultdict(int)
    if not os.path.exists(path):
        return None, leaks, bad
    for line in open(path):
        mode, rt, it, metric, val = line.rstrip("\n").split("\t")
        v = float(val)
        if metric == "leaks":
            leaks[rt] += int(v)
        elif metric == "status":
            bad[rt] += v != 0
        elif metric == "failures":
            bad[rt] += int(v)
        else:
            data[metric][rt][int(it)] = v
    return data, leaks, bad


def fmt(x, unit):
    if unit == "KiB":
        return f"{x:.0f} KiB"
    if unit == "ms" and x >= 1000:
        return f"{x:.0f} ms"
    return f"{x:.1f} ms" if x >= 10 else f"{x:.2f} ms"


def cell(per, rt, scale, unit, full=True):
    if rt not in per:
        return "–"
    v = [x * scale for x in per[rt].values()]
    m = st.median(v)
    return f"**{fmt(m, unit)}** ({fmt(min(v), unit).split()[0]}–{fmt(max(v), unit).split()[0]}, n={len(v)})" if full else fmt(m, unit)


def paired(per, a, b):
    if a not in per or b not in per:
        return None
    r = [per[a][i] / per[b][i] for i in per[a] if i in per[b] and per[b][i] > 0]
    return st.median(r) if r else None


def medratio(per, a, b):
    if a not in per or b not in per:
        return None
    return st.median(per[a].values()) / st.median(per[b].values())


# (label, tsv, metric, subject, ref, scale, unit, target)
FIG = [
    ("`run`, hardened bundle", "run-plain.tsv", "lifecycle_us", SUBJ, REF, 1e-3, "ms", 0.35),
    ("`run`, hardened + default seccomp (cache warm)", "run-seccomp.tsv", "lifecycle_us", SUBJ, REF, 1e-3, "ms", 0.20),
    ("`run`, + default seccomp, cache cold (first run)", "run-seccomp.tsv", "lifecycle_us", SUBJ + "-cold", REF, 1e-3, "ms", None),
    ("create + start + wait + delete", "split-plain.tsv", "total_us", SUBJ, REF, 1e-3, "ms", 0.35),
    ("create + start + delete (without the wait)", "split-plain.tsv", "csd_us", SUBJ, REF, 1e-3, "ms", None),
    (f"{opts['--k']} sequential `run`s (total wall)", "seq-plain.tsv", "seq_total_ms", SUBJ, REF, 1, "ms", 0.30),
    ("peak RSS, `run` hardened", "run-plain.tsv", "maxrss_kb", SUBJ, REF, 1, "KiB", 0.60),
    ("peak RSS, `run` + seccomp (warm)", "run-seccomp.tsv", "maxrss_kb", SUBJ, REF, 1, "KiB", 0.60),
    ("peak RSS, `run` + seccomp (cold)", "run-seccomp.tsv", "maxrss_kb", SUBJ + "-cold", REF, 1, "KiB", None),
]

FLOOR = "limit-cg"  # bench/run --anchors: the floor launcher, with cgroups
print(f"| figure | {SUBJ} median (min–max, n) | {REF} median | {OTHER} median | paired ratio {SUBJ}/{REF} | ratio of medians | floor {FLOOR}/{REF} | target | met? |")
print("|---|---:|---:|---:|---:|---:|---:|---:|:---:|")
allleaks = defaultdict(int)
allbad = defaultdict(int)
seen = set()
for label, tsv, metric, subj, ref, scale, unit, target in FIG:
    data, leaks, bad = load(tsv)
    if data is None or metric not in data or subj not in data[metric]:
        continue
    if tsv not in seen:
        seen.add(tsv)
        for k, v in leaks.items():
            allleaks[k] += v
        for k, v in bad.items():
            allbad[k] += v
    per = data[metric]
    pr = paired(per, subj, ref)
    mr = medratio(per, subj, ref)
    fr = paired(per, FLOOR, ref) if unit != "KiB" else None
    met = "–" if target is None or pr is None else ("yes" if pr <= target else "**no**")
    tgt = f"≤ {target:.2f}" if target is not None else "–"
    print(f"| {label} | {cell(per, subj, scale, unit)} | {cell(per, ref, scale, unit, False)} | "
          f"{cell(per, OTHER, scale, unit, False)} | {'–' if pr is None else f'{pr:.3f}'} | "
          f"{'–' if mr is None else f'{mr:.3f}'} | {'–' if fr is None else f'{fr:.3f}'} | {tgt} | {met} |")

print()
names = sorted(set(allleaks) | set(allbad))
print("Leaks detected by benchdrv after every lifecycle (state still visible to `state`, "
      "cgroup dirs left under /secrun-bench, mount-count growth): "
      + ", ".join(f"{n} {allleaks.get(n, 0)}" for n in names) + ".")
if any(allbad.values()):
    print("Failed lifecycles (non-zero exit): "
          + ", ".join(f"{n} {allbad[n]}" for n in names if allbad.get(n)) + ".")
