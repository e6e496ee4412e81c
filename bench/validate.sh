#!/usr/bin/env bash
# Benchmark: `vmctl validate` on generated stacks of 100, 1,000 and 10,000 VM instances.
#   bench/validate.sh            # 20 runs per size (RUNS=n to change), writes bench/results/validate-<date>.txt
#   VMCTL=/path/to/vmctl bench/validate.sh   # skip the build, time that binary
# Measures median wall time (hyperfine if installed, else /usr/bin/time) and peak RSS (/usr/bin/time %M, the
# largest over the runs), plus median CPU time (user+sys; less sensitive to a busy machine). Targets, for 1,000 VMs: median < 200 ms and peak RSS < 100 MiB. Exit 1 if missed.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
runs=${RUNS:-20}
sizes=(${SIZES:-100 1000 10000})
target_ms=200
target_rss_mib=100

command -v /usr/bin/time >/dev/null || { echo "bench: /usr/bin/time is missing (apt-get install -y time)" >&2; exit 2; }

if [[ -n ${VMCTL:-} ]]; then
    vmctl=$VMCTL  # a vmctl built elsewhere, e.g. from a clean checkout
else
    echo "== building vmctl (release, scratch .build-release)"
    swift build -c release --scratch-path .build-release --product vmctl >/dev/null
    vmctl=$root/.build-release/release/vmctl
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/vmctl-bench.XXXXXX")
trap 'rm -rf "$work"' EXIT

date_tag=$(date -u +%Y-%m-%d)
mkdir -p bench/results
out=bench/results/validate-$date_tag.txt
cpu_model=$(lscpu | sed -n 's/^Model name: *//p' | head -1)
{
    echo "# vmctl validate benchmark, $(date -u '+%Y-%m-%d %H:%M UTC')"
    checkout=$(cd "$(dirname "$vmctl")" && git rev-parse --show-toplevel 2>/dev/null || echo "$root")
    echo "# vmctl: $vmctl, commit $(git -C "$checkout" rev-parse --short HEAD 2>/dev/null || echo unknown)$(git -C "$checkout" diff --quiet HEAD -- Sources Package.swift 2>/dev/null || echo ' (+ uncommitted changes)')"
    echo "# machine: $(nproc) CPUs, ${cpu_model:-unknown CPU}, $(awk '/MemTotal/ {printf "%.1f GiB", $2/1048576}' /proc/meminfo) RAM, $(uname -sr)"
    echo "# swift: $(swift --version 2>/dev/null | head -1)"
    echo "# load average before the runs: $(cut -d' ' -f1-3 /proc/loadavg) (other work on the machine inflates wall times)"
    echo "# runs per size: $runs; timer: $(command -v hyperfine >/dev/null && echo "hyperfine $(hyperfine --version | cut -d' ' -f2), 3 warmup runs" || echo "/usr/bin/time loop")"
    printf '%-8s %-8s %-10s %-11s %-9s %-9s %-11s %-12s\n' vms defs bytes median_ms min_ms max_ms cpu_ms peak_rss_mib
} > "$out"

status=0
for n in "${sizes[@]}"; do
    stack=$work/stack-$n.yaml
    python3 bench/gen_stack.py "$n" "$stack"
    if ! "$vmctl" validate "$stack" >/dev/null 2>"$work/err"; then
        echo "bench: the generated $n-VM stack is not valid:" >&2
        head -20 "$work/err" >&2
        exit 1
    fi
    defs=$(sed -n 's/^# .* in \([0-9]*\) definitions.*/\1/p' "$stack")
    bytes=$(wc -c < "$stack")

    # Wall time.
    if command -v hyperfine >/dev/null; then
        hyperfine --style none --warmup 3 --runs "$runs" --export-json "$work/h-$n.json" \
            "$vmctl validate $stack" >/dev/null 2>&1
        read -r median min max < <(python3 -c '
import json, sys
r = json.load(open(sys.argv[1]))["results"][0]
print(" ".join(f"{r[key] * 1000:.1f}" for key in ("median", "min", "max")))' "$work/h-$n.json")
    fi
    # Peak RSS (and wall time without hyperfine).
    : > "$work/t-$n"
    for _ in $(seq "$runs"); do
        /usr/bin/time -f '%e %M %U %S' -a -o "$work/t-$n" "$vmctl" validate "$stack" >/dev/null 2>&1
    done
    read -r t_median t_min t_max rss cpu < <(python3 -c '
import statistics, sys
rows = [line.split() for line in open(sys.argv[1]) if line.strip() and not line.startswith("Command")]
times = [float(r[0]) * 1000 for r in rows]
cpu = statistics.median((float(r[2]) + float(r[3])) * 1000 for r in rows)
print(f"{statistics.median(times):.1f} {min(times):.1f} {max(times):.1f} {max(int(r[1]) for r in rows) / 1024:.1f} {cpu:.0f}")' "$work/t-$n")
    if ! command -v hyperfine >/dev/null; then median=$t_median min=$t_min max=$t_max; fi

    printf '%-8s %-8s %-10s %-11s %-9s %-9s %-11s %-12s\n' "$n" "$defs" "$bytes" "$median" "$min" "$max" "$cpu" "$rss" >> "$out"
    if [[ $n == 1000 ]]; then
        verdict=$(python3 -c "import sys; m, r = float(sys.argv[1]), float(sys.argv[2]); print('met' if m < $target_ms and r < $target_rss_mib else 'MISSED')" "$median" "$rss")
        echo "# target for 1000 VMs (median < ${target_ms} ms, peak RSS < ${target_rss_mib} MiB): $verdict" >> "$out.tail"
        [[ $verdict == met ]] || status=1
    fi
done
[[ -f $out.tail ]] && cat "$out.tail" >> "$out" && rm -f "$out.tail"

echo "== results (bench/results/$(basename "$out"))"
cat "$out"
exit $status
