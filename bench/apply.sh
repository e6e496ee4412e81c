#!/usr/bin/env bash
# Apply and status benchmarks with real default-guest VMs under QEMU (release build of vmctl).
#  1. One VM: `vmctl apply` to readiness vs. the same QEMU command run by hand to the same marker
#     (vmctl's overhead; target under 10%).
#  2. 1, 4 and 8 VMs in one wave: apply to readiness.
#  3. `vmctl status` with 20 running VMs (target under 100 ms), and vmctl's own peak memory.
# Results go to bench/results/apply-DATE.txt. Needs root or a writable state folder, and ~6 GiB of free RAM.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="/opt/swift/usr/bin:$PATH"
runs=${RUNS:-5}
swift build -c release --product vmctl --scratch-path .build-bench >/dev/null
vmctl=$PWD/.build-bench/release/vmctl
state=$(mktemp -d /tmp/vb.XXXX)
trap 'pkill -9 -f "$state" 2>/dev/null || true; rm -rf "$state"' EXIT
mkdir -p bench/results
out="bench/results/apply-$(date +%Y-%m-%d).txt"
now_ms() { date +%s%3N; }
median() { sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }

stack() {  # stack NAME COUNT → manifest with COUNT independent default-guest VMs
  echo "apiVersion: vmctl/v1"; echo "kind: Stack"; echo "metadata: {name: $1}"
  echo "host: {overcommit: {cpu: 16.0}}"; echo "vms:"
  for i in $(seq 1 "$2"); do echo "  vm$i: {cpus: 1, memory: 256MiB}"; done
}

"$vmctl" guest build --state-dir "$state" >/dev/null   # build the guest once, outside the timings

{
echo "# vmctl apply/status benchmark, $(date -u +%Y-%m-%dT%H:%MZ)"
echo "# machine: $(nproc) cores, $(lscpu | sed -n 's/^Model name: *//p'), $(free -g | awk '/Mem:/{print $2}') GiB RAM; QEMU $(qemu-system-x86_64 --version | head -1 | awk '{print $4}'), TCG"
echo "# commit: $(git rev-parse --short HEAD 2>/dev/null || echo unknown); runs per number: $runs (median)"

# 1. vmctl vs. QEMU by hand, one VM.
stack one 1 > "$state/one.yaml"
vm_ms=(); hand_ms=()
for r in $(seq 1 "$runs"); do
  t0=$(now_ms); "$vmctl" apply --state-dir "$state" --auto-approve "$state/one.yaml" >/dev/null; t1=$(now_ms)
  vm_ms+=($((t1 - t0)))
  pid=$("$vmctl" status --state-dir "$state" --stack one -o json | python3 -c 'import json,sys; print(json.load(sys.stdin)["vms"][0]["pid"])')
  mapfile -d '' argv < "/proc/$pid/cmdline"
  "$vmctl" destroy --state-dir "$state" --stack one --auto-approve >/dev/null
  # The same QEMU command, its sockets and log in a scratch folder, run by hand to the same marker.
  hand="$state/hand"; rm -rf "$hand"; mkdir -p "$hand"
  vmdir="$state/stacks/one/vms/vm1"
  args=(); for a in "${argv[@]}"; do args+=("${a//$vmdir/$hand}"); done
  t0=$(now_ms); "${args[@]}" >/dev/null 2>&1 & qpid=$!
  until grep -q "vmctl-guest ready" "$hand/console.log" 2>/dev/null; do sleep 0.01; done; t1=$(now_ms)
  kill -9 $qpid; wait $qpid 2>/dev/null || true
  hand_ms+=($((t1 - t0)))
done
v=$(printf '%s\n' "${vm_ms[@]}" | median); h=$(printf '%s\n' "${hand_ms[@]}" | median)
echo "apply 1 VM to readiness: vmctl ${v} ms, QEMU by hand ${h} ms, overhead $(awk "BEGIN {printf \"%.1f\", ($v - $h) * 100 / $h}")%"

# 2. 1, 4, 8 VMs in one wave.
for n in 1 4 8; do
  stack "n$n" "$n" > "$state/n$n.yaml"
  times=()
  for r in $(seq 1 "$runs"); do
    t0=$(now_ms); "$vmctl" apply --state-dir "$state" --auto-approve --parallelism 8 "$state/n$n.yaml" >/dev/null; t1=$(now_ms)
    times+=($((t1 - t0)))
    "$vmctl" destroy --state-dir "$state" --stack "n$n" --auto-approve >/dev/null
  done
  echo "apply $n VMs to readiness: $(printf '%s\n' "${times[@]}" | median) ms"
done

# 3. status with 20 running VMs, and vmctl's own peak memory.
stack twenty 20 > "$state/twenty.yaml"
peak_apply=$( { /usr/bin/time -f '%M' "$vmctl" apply --state-dir "$state" --auto-approve --parallelism 4 "$state/twenty.yaml" >/dev/null; } 2>&1 | tail -1)
times=()
for r in $(seq 1 21); do
  t0=$(date +%s%N); "$vmctl" status --state-dir "$state" --stack twenty >/dev/null; t1=$(date +%s%N)
  times+=($(( (t1 - t0) / 1000 )))
done
peak_status=$( { /usr/bin/time -f '%M' "$vmctl" status --state-dir "$state" --stack twenty >/dev/null; } 2>&1 | tail -1)
echo "status with 20 running VMs: median $(printf '%s\n' "${times[@]}" | median | awk '{printf "%.1f", $1/1000}') ms (21 runs)"
echo "vmctl peak RSS: apply of 20 VMs $((peak_apply / 1024)) MiB, status $((peak_status / 1024)) MiB"
"$vmctl" destroy --state-dir "$state" --stack twenty --auto-approve >/dev/null
} | tee "$out"
echo "wrote $out"
