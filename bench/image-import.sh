#!/usr/bin/env bash
# Benchmark: `vmctl image import` of a 2 GiB image that is in the page cache.
#   bench/image-import.sh                    # RUNS=5, SIZE_MIB=2048; writes bench/results/image-import-<date>.txt
#   VMCTL=/path/to/vmctl bench/image-import.sh   # skip the build, time that binary
# Cases, each timed RUNS times (median and best reported), with sha256sum and cp on the same file as yardsticks:
#   new       a fresh store: one pass of read + SHA-256 + write, then fsync of the copy (to the disk: the
#             write-back of 2 GiB is part of the time), rename into place;
#   rehash    the same content under a new inode (the fast-path index misses): read + hash + write to a staging copy,
#             found in the store, the copy discarded without being flushed;
#   fastpath  the same file again, unchanged: (device, inode, size, mtime, ctime) found in the index, nothing read;
#   sparse    a sparse raw file of the same size with 10% data: holes are hashed as zeros without being read.
# Target: new and rehash >= 500 MB/s (MB = 10^6 bytes) at the median wall time. Exit 1 if missed. Wall times on a
# busy machine (see the load average in the results) understate it: cpu_MB/s is size / (user + sys) time.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
runs=${RUNS:-5}
size_mib=${SIZE_MIB:-2048}
target_mbps=500

command -v /usr/bin/time >/dev/null || { echo "bench: /usr/bin/time is missing (apt-get install -y time)" >&2; exit 2; }

if [[ -n ${VMCTL:-} ]]; then
    vmctl=$VMCTL
else
    echo "== building vmctl (release, scratch .build-release)"
    swift build -c release --scratch-path .build-release --product vmctl >/dev/null
    vmctl=$root/.build-release/release/vmctl
fi

# On the disk the state folder would be on (not a tmpfs: the copy's fsync must reach a disk).
work=$(mktemp -d "${BENCH_DIR:-$root/.build}/image-bench.XXXXXX")
trap 'rm -rf "$work"' EXIT
image=$work/image.raw
bytes=$((size_mib * 1048576))
echo "== writing a ${size_mib} MiB image of random data"
head -c "$bytes" /dev/urandom > "$image"
sparse=$work/sparse.raw
truncate -s "$bytes" "$sparse"
for ((i = 0; i < size_mib / 10; i += 1)); do
    dd if="$image" of="$sparse" bs=1M count=1 skip=$((i * 10)) seek=$((i * 10)) conv=notrunc status=none
done
cat "$image" "$sparse" > /dev/null   # in the page cache
sync

# Runs "$@" RUNS times after `prepare`; prints "wall_s user_s sys_s" per run.
time_runs() {
    local prepare=$1; shift
    for ((r = 0; r < runs; r += 1)); do
        eval "$prepare"
        /usr/bin/time -f "%e %U %S" -o "$work/time" "$@" >/dev/null
        cat "$work/time"
    done
}
# name, then runs on stdin → one line: wall median and best, MB/s at the median and best wall time, and at the
# median CPU time (user+sys: what the import costs, less sensitive to other work on the machine).
summary() {
    python3 -c '
import sys, statistics
name, size = sys.argv[1], int(sys.argv[2])
runs = [tuple(map(float, line.split())) for line in sys.stdin if line.strip()]
walls = [r[0] for r in runs]
cpus = [r[1] + r[2] for r in runs]
med, best, cpu = statistics.median(walls), min(walls), statistics.median(cpus)
rate = lambda s: size / 1e6 / s if s > 0 else float("inf")
listed = " ".join(f"{w:.2f}/{r[1]:.2f}+{r[2]:.2f}" for w, r in zip(walls, runs))
print(f"{name:<10} {med:>8.2f} {best:>7.2f} {rate(med):>10.0f} {rate(best):>9.0f} {cpu:>7.2f} {rate(cpu):>9.0f}   runs (wall/user+sys s): {listed}")
' "$1" "$bytes"
}

date_tag=$(date -u +%Y-%m-%d)
mkdir -p bench/results
results=bench/results/image-import-$date_tag.txt   # each run appends its section: wall times vary with the load
out=$work/results.txt
cpu_model=$(lscpu | sed -n 's/^Model name: *//p' | head -1)
{
    echo "# vmctl image import benchmark, $(date -u '+%Y-%m-%d %H:%M UTC')"
    echo "# vmctl: $vmctl, commit $(git rev-parse --short HEAD)$(git diff --quiet HEAD -- Sources Package.swift 2>/dev/null || echo ' (+ uncommitted changes)')"
    echo "# machine: $(nproc) CPUs, ${cpu_model:-unknown CPU} ($(grep -q sha_ni /proc/cpuinfo && echo SHA-NI || echo 'no SHA-NI')), $(awk '/MemTotal/ {printf "%.1f GiB", $2/1048576}' /proc/meminfo) RAM, $(uname -sr)"
    echo "# file system of the store: $(df -T "$work" | awk 'NR == 2 {print $2 " on " $1}')"
    echo "# image: ${size_mib} MiB of random data (sparse: 10% data), in the page cache; runs per case: $runs"
    echo "# load average before the runs: $(cut -d' ' -f1-3 /proc/loadavg)"
    printf '%-10s %8s %7s %10s %9s %7s %9s\n' case median_s best_s median_MB/s best_MB/s cpu_s cpu_MB/s
} > "$out"

state=$work/state
time_runs "rm -rf $state; sync" "$vmctl" image import "$image" --state-dir "$state" | summary new >> "$out"
time_runs "cp --reflink=never $image $work/copy.raw 2>/dev/null || true; rm -f $image; mv $work/copy.raw $image; sync; cat $image > /dev/null" \
    "$vmctl" image import "$image" --state-dir "$state" | summary rehash >> "$out"
time_runs ":" "$vmctl" image import "$image" --state-dir "$state" | summary fastpath >> "$out"
time_runs "rm -rf $state; sync" "$vmctl" image import "$sparse" --state-dir "$state" | summary sparse >> "$out"
time_runs ":" sha256sum "$image" | summary sha256sum >> "$out"
time_runs "rm -f $work/cp.raw; sync" cp --sparse=always "$image" "$work/cp.raw" | summary cp >> "$out"
time_runs "rm -f $work/cp.raw; sync" sh -c "cp --sparse=always $image $work/cp.raw && sync $work/cp.raw" | summary cp+sync >> "$out"

digest=$("$vmctl" image import "$image" --state-dir "$state" -o json | python3 -c 'import json,sys; print(json.load(sys.stdin)["digest"])')
[[ $digest == $(sha256sum "$image" | cut -c1-64) ]] || { echo "bench: the store's digest differs from sha256sum's" >&2; exit 1; }
echo "# digest checked against sha256sum: $digest" >> "$out"

python3 - "$out" "$target_mbps" >> "$out" <<'EOF'
import sys
rates = {line.split()[0]: float(line.split()[3]) for line in open(sys.argv[1]) if line.split() and line.split()[0] in ("new", "rehash")}
target = float(sys.argv[2])
missed = [f"{name} {rate:.0f} MB/s" for name, rate in rates.items() if rate < target]
print(f"# target >= {target:.0f} MB/s at the median wall time: " + ("missed: " + ", ".join(missed) if missed else "met"))
EOF
{ [[ -s $results ]] && echo; cat "$out"; } >> "$results"
cat "$out"
grep -q '^# target.*: met$' "$out"
