#!/usr/bin/env python3
"""Several vmctl-vmm builds side by side on bench/vmm.sh's payloads, alternating run by run, so a busy machine slows
them all alike. Per binary: process start to the first serial byte and to exit (median, min), the CPU time of
each run (user+sys of the child, median), and an idle VM's memory beyond guest RAM (/proc/PID/smaps_rollup): RSS and
anonymous memory (smaps Anonymous; vmm_bench.smaps says why not Private_Dirty).
bench/vmm-startup.sh times `--version` (hyperfine). Used to measure each start-up change on its own
(bench/README.md, vmctl-vmm).

  bench/vmm_ab.py --payload p0.elf --idle-payload p1.elf [--runs 30] NAME=/path/to/vmctl-vmm ...
  --env NAME VAR=VALUE runs build NAME with VAR set, e.g. the same binary twice, once with VMCTL_VMM_SECCOMP=off.
  --launcher PATH --confined NAME runs build NAME through vmctl-launch as vmctl does (as root: its uid, a jail,
  descriptors), e.g. the same binary twice, once confined: the launcher's cost to the first byte.

Build the payloads as bench/vmm.sh does.
"""
import argparse, contextlib, os, resource, statistics, sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import vmm_bench  # noqa: E402  (the measurements themselves)


def child_cpu_ms():
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (usage.ru_utime + usage.ru_stime) * 1000


@contextlib.contextmanager
def environment(variables):
    saved = {name: os.environ.get(name) for name in variables}
    os.environ.update(variables)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--payload", required=True)
    parser.add_argument("--idle-payload", required=True)
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--memory", type=int, default=64)
    parser.add_argument("--env", nargs=2, action="append", default=[], metavar=("NAME", "VAR=VALUE"))
    parser.add_argument("--launcher")
    parser.add_argument("--confined", action="append", default=[], metavar="NAME")
    parser.add_argument("binaries", nargs="+", help="NAME=PATH")
    args = parser.parse_args()
    binaries = [entry.split("=", 1) for entry in args.binaries]
    env = {name: {} for name, _ in binaries}
    for name, assignment in args.env:
        variable, value = assignment.split("=", 1)
        env[name][variable] = value

    if args.confined and not args.launcher:
        parser.error("--confined needs --launcher")
    launcher = {name: args.launcher if name in args.confined else None for name, _ in binaries}
    for name, path in binaries:   # warm the page cache
        with environment(env[name]):
            vmm_bench.first_byte_vmm(path, args.payload, args.memory, launcher[name])
    results = {name: {"first": [], "exit": [], "cpu": []} for name, _ in binaries}
    for _ in range(args.runs):
        for name, path in binaries:
            before = child_cpu_ms()
            with environment(env[name]):
                first, end = vmm_bench.first_byte_vmm(path, args.payload, args.memory, launcher[name])
            results[name]["cpu"].append(child_cpu_ms() - before)
            results[name]["first"].append(first * 1000)
            results[name]["exit"].append(end * 1000)

    print(f"## vmctl-vmm builds, {args.runs} alternating runs each ({args.memory} MiB, 1 vCPU); ms, memory in KiB")
    print(f"{'build':14} {'first byte':>10} {'(min)':>7} {'exit':>7} {'cpu/run':>8} "
          f"{'Rss>RAM':>8} {'Anon>RAM':>9}")
    for name, path in binaries:
        with environment(env[name]):
            (rollup, ram), *_ = vmm_bench.idle_vmm(path, args.idle_payload, args.memory, 4, launcher[name])
        r = results[name]
        print(f"{name:14} {statistics.median(r['first']):10.2f} {min(r['first']):7.2f} {statistics.median(r['exit']):7.2f} "
              f"{statistics.median(r['cpu']):8.2f} "
              f"{rollup['Rss'] - ram['Rss']:8} {rollup['Anonymous'] - ram['Anonymous']:9}")


if __name__ == "__main__":
    main()
