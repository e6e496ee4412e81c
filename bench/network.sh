#!/usr/bin/env bash
# Benchmark: isolated networks and volumes, through the vmctl CLI, QEMU backend (TCG where there is no KVM).
#   bench/network.sh                         # writes bench/results/network-<date>.txt
#   MIB=256 RUNS=3 PINGS=20 bench/network.sh # bytes per transfer, transfers, pings
#   VMCTL=/path/to/vmctl bench/network.sh    # skip the build (vmctl-switch must sit beside vmctl)
# Measures, between two default-guest VMs (1 vCPU, 256 MiB) on one isolated network:
#   - round-trip latency: `ping -c PINGS -i 0.2` from one guest to the other (busybox ping's min/avg/max);
#   - throughput: `dd if=/dev/zero bs=64k | nc` in one guest into `nc -l | wc -c` in the other, timed in the
#     sending guest (/proc/uptime, 10 ms resolution); the byte count received is checked;
#   - the switch's CPU time (utime+stime from /proc/PID/stat) per GB moved, and the two QEMUs' for scale;
#   - `vmctl exec VM -- true` round trip (agent over virtio-serial, for scale).
# And for volumes (`vmctl apply` of a stack with one volume and no VM, wall time of the whole command, median
# of RUNS): a sparse 1 GiB volume, the same formatted ext4, and imports of a 1 GiB image that is sparse and one
# that is fully written (random bytes; the page cache is warm: it was just written).
# Bridge mode: not measured here yet (bridge/nat networks need root; they landed while this script was written).
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
mib=${MIB:-256}
runs=${RUNS:-3}
pings=${PINGS:-20}

if [[ -n ${VMCTL:-} ]]; then
    vmctl=$VMCTL
else
    echo "== building vmctl and vmctl-switch (release, scratch .build-release)"
    swift build -c release --scratch-path .build-release --product vmctl >/dev/null
    swift build -c release --scratch-path .build-release --product vmctl-switch >/dev/null
    vmctl=$root/.build-release/release/vmctl
fi
[[ -x $(dirname "$vmctl")/vmctl-switch ]] || { echo "bench: vmctl-switch is not beside $vmctl" >&2; exit 2; }

# Short: the VMs' socket paths must fit in 107 bytes.
work=$(mktemp -d /tmp/vnb.XXXXXX)
state=$work/s
cleanup() {
    for stack in netbench volbench; do "$vmctl" destroy --state-dir "$state" --stack "$stack" --auto-approve --volumes >/dev/null 2>&1 || true; done
    rm -rf "$work"
}
trap cleanup EXIT
v() { "$vmctl" "$1" --state-dir "$state" "${@:2}"; }
now() { date +%s.%N; }
ticks=$(getconf CLK_TCK)
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
median() { sort -g | awk '{a[NR] = $1} END {print a[int((NR + 1) / 2)]}'; }

date_tag=$(date -u +%Y-%m-%d)
mkdir -p bench/results
out=bench/results/network-$date_tag.txt
exec > >(tee "$out")
cpu_model=$(lscpu | sed -n 's/^Model name: *//p' | head -1)
echo "# vmctl network and volume benchmark, $(date -u '+%Y-%m-%d %H:%M UTC')"
echo "# vmctl: $vmctl, commit $(git rev-parse --short HEAD)$(git diff --quiet HEAD -- Sources Package.swift 2>/dev/null || echo ' (+ uncommitted changes)')"
echo "# machine: $(nproc) CPUs, ${cpu_model:-unknown CPU}, $(awk '/MemTotal/ {printf "%.1f GiB", $2/1048576}' /proc/meminfo) RAM, $(uname -sr)"
echo "# $(qemu-system-x86_64 --version | head -1); load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "# transfer: $mib MiB x $runs runs; ping: $pings x 0.2 s"
echo

# ---- Isolated network: two VMs -------------------------------------------------------------------------
cat >"$work/net.yaml" <<'EOF'
apiVersion: vmctl/v1
kind: Stack
metadata: {name: netbench}
networks:
  lan: {subnet: 10.40.0.0/24}
vms:
  a: {cpus: 1, memory: 256MiB, backend: qemu, networks: [{network: lan, ip: 10.40.0.10}]}
  b: {cpus: 1, memory: 256MiB, backend: qemu, networks: [{network: lan, ip: 10.40.0.11}]}
EOF
start=$(now)
v apply --auto-approve "$work/net.yaml" >"$work/apply.log" || { cat "$work/apply.log"; exit 1; }
echo "apply (1 network, 2 VMs booted to readiness): $(echo "$(now) - $start" | bc) s"
net=$state/stacks/netbench/networks/lan
switch_pid=$(cat "$net/pid")
vm_pids=$(cat "$state/stacks/netbench/vms/a/pid" "$state/stacks/netbench/vms/b/pid")
echo "QEMU: $(tr '\0' ' ' <"/proc/$(echo $vm_pids | cut -d' ' -f1)/cmdline" | grep -o 'accel=[a-z]*')"

v exec a -- ping -c 2 -W 2 b >/dev/null   # ARP, and the guests' first-packet costs out of the way
ping_out=$(v exec a -- ping -c "$pings" -i 0.2 -W 2 10.40.0.11)
echo "ping a -> b: $(echo "$ping_out" | grep -E 'packets transmitted') ; $(echo "$ping_out" | grep round-trip)"

exec_times=$(for _ in $(seq 10); do s=$(now); v exec a -- true; echo "$(now) - $s" | bc; done | median)
echo "vmctl exec a -- true: median $(printf '%.0f' "$(echo "$exec_times * 1000" | bc)") ms over 10"

count=$((mib * 16))   # 64 KiB blocks
expected=$((count * 65536))
echo
printf '%-4s %10s %10s %12s %12s %14s %16s %12s\n' run MiB "guest s" "MB/s" "Mbit/s" "switch cpu s" "switch s/GB" "QEMUs s/GB"
rates=() switch_per_gb=() qemu_per_gb=()
for run in $(seq "$runs"); do
    # The listener runs in the background in b (the agent serves one command at a time); its stdin is a FIFO
    # held open, so it ends when the sender closes, not when its stdin does.
    v exec b -- sh -c 'rm -f /run/recv.out; mkfifo /run/hold 2>/dev/null; (exec 3<>/run/hold; nc -l -p 5001 <&3 | wc -c >/run/recv.tmp; mv /run/recv.tmp /run/recv.out) >/dev/null 2>&1 &'
    for _ in $(seq 100); do v exec b -- netstat -ltn 2>/dev/null | grep -q ':5001 ' && break; sleep 0.1; done
    sw0=$(cpu_ticks "$switch_pid"); q0=$(for p in $vm_pids; do cpu_ticks "$p"; done | paste -sd+ | bc)
    frames0=$(python3 -c "import json; print(sum(p['rxFrames'] for p in json.load(open('$net/stats.json'))['ports'].values()))")
    times=$(v exec --timeout 600s a -- sh -c "read s _ </proc/uptime; dd if=/dev/zero bs=64k count=$count 2>/dev/null | nc 10.40.0.11 5001; read e _ </proc/uptime; echo \$s \$e")
    for _ in $(seq 100); do v exec b -- cat /run/recv.out >"$work/recv.out" 2>/dev/null && break; sleep 0.1; done
    sw1=$(cpu_ticks "$switch_pid"); q1=$(for p in $vm_pids; do cpu_ticks "$p"; done | paste -sd+ | bc)
    received=$(tr -d ' \n' <"$work/recv.out")
    [[ $received == "$expected" ]] || { echo "run $run: received $received bytes of $expected" >&2; exit 1; }
    read -r s e <<<"$times"
    secs=$(echo "$e - $s" | bc -l)
    mbps=$(echo "$expected / $secs / 1000000" | bc -l)
    sw=$(echo "($sw1 - $sw0) / $ticks" | bc -l)
    gb=$(echo "$expected / 1000000000" | bc -l)
    rates+=("$mbps") switch_per_gb+=("$(echo "$sw / $gb" | bc -l)") qemu_per_gb+=("$(echo "($q1 - $q0) / $ticks / $gb" | bc -l)")
    printf '%-4s %10s %10.2f %12.1f %12.0f %14.2f %16.2f %12.1f\n' "$run" "$mib" "$secs" "$mbps" "$(echo "$mbps * 8" | bc -l)" "$sw" \
        "${switch_per_gb[-1]}" "${qemu_per_gb[-1]}"
done
sleep 1.2   # the switch writes its counters at most once a second
frames1=$(python3 -c "import json; print(sum(p['rxFrames'] for p in json.load(open('$net/stats.json'))['ports'].values()))")
echo "median: $(printf '%.1f' "$(printf '%s\n' "${rates[@]}" | median)") MB/s; switch $(printf '%.2f' "$(printf '%s\n' "${switch_per_gb[@]}" | median)") CPU s/GB; both QEMUs $(printf '%.1f' "$(printf '%s\n' "${qemu_per_gb[@]}" | median)") CPU s/GB"
echo "frames into the switch during the last run (data one way, ACKs the other): $((frames1 - frames0)), i.e. $(echo "$expected / ($frames1 - $frames0)" | bc) bytes moved per frame"
echo "switch stats: $(cat "$net/stats.json")"
v destroy --stack netbench --auto-approve >/dev/null

# ---- Volumes ------------------------------------------------------------------------------------------
echo
volume_apply() {   # $1: the volume's spec; prints the median wall time of apply, and the image's allocated size
    local spec=$1 times=()
    for _ in $(seq "$runs"); do
        printf 'apiVersion: vmctl/v1\nkind: Stack\nmetadata: {name: volbench}\nvolumes:\n  v: %s\n' "$spec" >"$work/vol.yaml"
        local s; s=$(now)
        v apply --auto-approve "$work/vol.yaml" >"$work/vol.log" || { cat "$work/vol.log"; exit 1; }
        times+=("$(echo "$(now) - $s" | bc)")
        allocated=$(du -k "$state/stacks/volbench/volumes/v.img" | cut -f1)
        apparent=$(stat -c %s "$state/stacks/volbench/volumes/v.img")
        v destroy --stack volbench --auto-approve --volumes >/dev/null
    done
    printf '%-48s %9.3f s   image %5d MiB, %6.1f MiB allocated\n' "$spec" "$(printf '%s\n' "${times[@]}" | median)" \
        $((apparent >> 20)) "$(echo "$allocated / 1024" | bc -l)"
}
truncate -s 1G "$work/sparse.img"
head -c 1G /dev/urandom >"$work/dense.img"
echo "volume (vmctl apply, median of $runs)"
volume_apply "{size: 1GiB}"
volume_apply "{size: 1GiB, filesystem: ext4}"
volume_apply "{source: $work/sparse.img}"
volume_apply "{source: $work/dense.img}"
s=$(now); cp "$work/dense.img" "$work/copy.img"; echo "for scale: cp of the dense image: $(printf '%.3f' "$(echo "$(now) - $s" | bc)") s"
echo
echo "bridge mode: not measured here (bridge/nat networks landed while this script was written; see bench/README.md)"
