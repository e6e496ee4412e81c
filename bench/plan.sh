#!/usr/bin/env bash
# Planning benchmark (release build): 100, 1,000 and 10,000 VMs with 10% of them changed.
# Target: 1,000 VMs under 50 ms; time should grow close to linearly. Results go to bench/results/.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="/opt/swift/usr/bin:$PATH"
swift build -c release --product PlanBench --scratch-path .build-bench >/dev/null
mkdir -p bench/results
out="bench/results/plan-$(date +%Y-%m-%d).txt"
{
  echo "# vmctl plan benchmark, $(date -u +%Y-%m-%dT%H:%MZ)"
  echo "# machine: $(nproc) cores, $(lscpu | sed -n 's/^Model name: *//p'), $(free -g | awk '/Mem:/{print $2}') GiB RAM"
  echo "# commit: $(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
  .build-bench/release/PlanBench 100 1000 10000
} | tee "$out"
echo "wrote $out"
