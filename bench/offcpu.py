#!/usr/bin/env python3
"""offcpu.py --runs N --comm secrun[,true,...] [--top K] < perf-script-output

Off-CPU analysis from `perf record -e sched:sched_switch -g` (read back with
`perf script -F comm,pid,tid,time,event,trace,ip,sym`).  For every task whose
comm at switch-out is in --comm, the time until it is switched back in is
attributed to the kernel stack it blocked in.  Stacks are reduced to
"blocking function <- syscall <- user function" after skipping the generic
scheduler and wait primitives.  Tasks switched out while runnable (R, R+) were
preempted: that time is CPU contention on the host, not the runtime's own
cost, and is reported on one line.  Sleeps in wait4/waitid/recv*/read on a
socket or pipe/sigtimedwait are a process waiting for another process of the
same run (they overlap that process' work) and are reported apart.
Prints a markdown table: ms per run (total / --runs), events per run."""
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

GENERIC = re.compile(r"^(__schedule|schedule|schedule_timeout|schedule_hrtimeout_range.*|schedule_preempt_disabled|"
                     r"io_schedule|__cond_resched|preempt_schedule.*|__wait_for_common|wait_for_completion.*|"
                     r"do_wait_for_common|wait_for_common|__wait_rcu_gp|synchronize_rcu_normal|"
                     r"rwsem_down_.*|percpu_rwsem_wait|__percpu_down_read|percpu_down_write|"
                     r"__mutex_lock.*|mutex_lock.*|__rt_mutex.*|rt_mutex.*|rcu_sync_enter|"
                     r"exit_to_user_mode_loop|irqentry_exit_to_user_mode|do_syscall_64|"
                     r"entry_SYSCALL_64.*|asm_.*|.*_slowpath|down_write|down_read|__down.*)$")
WAITSYS = re.compile(r"(wait4|waitid|recvfrom|recvmsg|rt_sigtimedwait|epoll_wait|epoll_pwait|ppoll|poll|pselect6|sock_recvmsg|unix_stream_read|unix_dgram_recvmsg|anon_pipe_read|pipe_read|do_wait|kernel_wait4)")
HDR = re.compile(r"^\s*(\S.*?)\s+(\d+)/(\d+)\s+(\d+\.\d+):\s+sched:sched_switch:\s+prev_comm=(.*?) prev_pid=(\d+) .*?prev_state=(\S+) ==> next_comm=(.*?) next_pid=(\d+)")

events = []
cur = None
for line in sys.stdin:
    m = HDR.match(line)
    if m:
        cur = {"t": float(m.group(4)), "pcomm": m.group(5), "ppid": int(m.group(6)),
               "state": m.group(7), "npid": int(m.group(9)), "stack": []}
        events.append(cur)
        continue
    s = line.strip()
    if cur is not None and s:
        parts = s.split(None, 1)
        if len(parts) == 2:
            cur["stack"].append(parts[1])


def key(stack):
    kern = [f for f in stack if not f.startswith("[unknown]")]
    sysf = next((f for f in kern if f.startswith(("__x64_sys_", "__do_sys_", "__se_sys_"))), None)
    user = None
    if sysf:
        i = kern.index(sysf)
        rest = [f for f in kern[i + 1:] if not GENERIC.match(f)]
        user = rest[0] if rest else None
    block = next((f for f in kern if not GENERIC.match(f)), "?")
    chain = [block]
    # one more frame of context if the blocking function is a generic helper
    if block in ("synchronize_rcu", "synchronize_rcu_expedited", "synchronize_srcu", "flush_work",
                 "__flush_work", "rcu_barrier", "msleep", "usleep_range_state", "kthread_stop"):
        i = kern.index(block)
        nxt = next((f for f in kern[i + 1:] if not GENERIC.match(f)), None)
        if nxt:
            chain.append(nxt)
    k = " ← ".join(chain)
    if sysf and sysf not in chain:
        k += " ← " + re.sub(r"^__(x64|do|se)_sys_", "", sysf) + "()"
    if user and not user.startswith(("__x64", "entry_")):
        k += " ← " + user
    return k


out = {}
tot = defaultdict(float)
cnt = defaultdict(int)
for e in events:
    # switch-in of a tracked task
    if e["npid"] in out:
        t0, st, stack = out.pop(e["npid"])
        d = e["t"] - t0
        if st.startswith("R"):
            k = "(preempted while runnable: CPU contention on the host)"
        else:
            k = key(stack)
            if WAITSYS.search(" ".join(stack)):
                k = "(waiting for the other process: " + k + ")"
        tot[k] += d
        cnt[k] += 1
    if e["pcomm"] in comms and not e["state"].startswith(("X", "Z")):
        out[e["ppid"]] = (e["t"], e["state"], e["stack"])

rows = sorted(tot.items(), key=lambda kv: -kv[1])
own = sum(v for k, v in tot.items() if not k.startswith("("))
print(f"Off-CPU time of {','.join(sorted(comms))} tasks over {runs} runs: "
      f"{own / runs * 1e3:.2f} ms per run blocked in the kernel on its own account; "
      f"{tot.get('(preempted while runnable: CPU contention on the host)', 0) / runs * 1e3:.2f} ms per run preempted.\n")
print("| blocked in (kernel function ← syscall ← user function) | ms per run | events per run |")
print("|---|---:|---:|")
for k, v in rows[:top]:
    print(f"| {k} | {v / runs * 1e3:.3f} | {cnt[k] / runs:.2f} |")
