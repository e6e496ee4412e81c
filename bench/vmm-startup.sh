#!/usr/bin/env bash
# Benchmark: start-up cost of `vmctl-vmm --version` against trivial Swift binaries that import Foundation,
# FoundationEssentials, or nothing (linked dynamically, and statically as release builds link vmctl-vmm) — the
# check behind architecture.md rule 11 (the VMM stack imports no Foundation at all now).
#   bench/vmm-startup.sh          # RUNS=n (default 500), writes bench/results/vmm-startup-<date>.txt
#   VMM=/path/to/vmctl-vmm bench/vmm-startup.sh   # skip the build, time that binary
# Reports median and minimum wall time (hyperfine -N), median CPU time (user+sys; less sensitive to a busy
# machine), and peak RSS (/usr/bin/time %M, fork+exec from a small parent, median over 30 runs).
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
runs=${RUNS:-500}
command -v /usr/bin/time >/dev/null || { echo "bench: /usr/bin/time is missing (apt-get install -y time)" >&2; exit 2; }
command -v hyperfine >/dev/null || { echo "bench: hyperfine is missing" >&2; exit 2; }

if [[ -n ${VMM:-} ]]; then
    vmm=$VMM
else
    echo "== building vmctl-vmm (release, scratch .build-vmm)"
    swift build -c release --product vmctl-vmm --scratch-path .build-vmm >/dev/null
    vmm=$root/.build-vmm/release/vmctl-vmm
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/vmm-startup.XXXXXX")
trap 'rm -rf "$work"' EXIT
printf 'import Foundation\nprint("trivial 0.1.0")\n' >"$work/foundation.swift"
printf 'import FoundationEssentials\nprint("trivial 0.1.0")\n' >"$work/essentials.swift"
printf 'print("trivial 0.1.0")\n' >"$work/bare.swift"
for name in foundation essentials bare; do swiftc -O "$work/$name.swift" -o "$work/$name"; done
# Linked as release builds link vmctl-vmm (Package.swift): Swift runtime and glibc inside the binary.
swiftc -O -static-executable "$work/bare.swift" -o "$work/bare-static" 2>/dev/null

names=("vmctl-vmm --version" "Foundation" "FoundationEssentials" "bare Swift" "bare Swift, static")
commands=("$vmm --version" "$work/foundation" "$work/essentials" "$work/bare" "$work/bare-static")

hyperfine -N --warmup 30 --runs "$runs" --export-json "$work/times.json" "${commands[@]}" >/dev/null 2>&1

date_tag=$(date -u +%Y-%m-%d)
mkdir -p bench/results
out=bench/results/vmm-startup-$date_tag${TAG:+-$TAG}.txt   # TAG=x: a second run the same day
{
    echo "# vmm-startup $(date -u +%FT%TZ) on $(nproc) CPUs ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)), load $(cut -d' ' -f1-3 /proc/loadavg), $runs runs each"
    echo "# $(swift --version 2>/dev/null | head -1)"
    printf '%-22s %11s %9s %12s %14s  %s\n' binary "median ms" "min ms" "cpu ms" "peak RSS MiB" "Foundation libraries loaded"
    for i in "${!commands[@]}"; do
        read -r -a argv <<<"${commands[$i]}"
        rss=$(for _ in $(seq 30); do /usr/bin/time -f %M "${argv[@]}" 2>&1 >/dev/null; done | sort -n | sed -n 16p)
        libs=$( (ldd "${argv[0]}" 2>/dev/null || true) | awk '/Foundation/ {print $1}' | sed 's/^lib//; s/\.so$//' | paste -sd, -)
        python3 - "$work/times.json" "$i" "${names[$i]}" "$rss" "${libs:-none}" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))["results"][int(sys.argv[2])]
print(f"{sys.argv[3]:<22} {r['median']*1e3:11.2f} {r['min']*1e3:9.2f} {(r['user']+r['system'])*1e3:12.2f} {int(sys.argv[4])/1024:14.1f}  {sys.argv[5]}")
PY
    done
} | tee "$out"
