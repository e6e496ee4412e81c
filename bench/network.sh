#!/usr/bin/env bash
# Benchmark: networks and volumes, through the vmctl CLI, QEMU backend (TCG where there is no KVM).
#   bench/network.sh                         # writes bench/results/network-<date>.txt and network-bridge-<date>.txt
#   PARTS="bridge" bench/network.sh          # only some of: isolated volumes bridge (default: all three)
#   MIB=256 RUNS=3 PINGS=20 bench/network.sh # bytes per transfer, transfers, pings
#   VMCTL=/path/to/vmctl bench/network.sh    # skip the build (vmctl-switch must sit beside vmctl)
# isolated: between two default-guest VMs (1 vCPU, 256 MiB) on one isolated network:
#   - round-trip latency: `ping -c PINGS -i 0.2` from one guest to the other (busybox ping's min/avg/max);
#   - throughput: `dd if=/dev/zero bs=64k | nc` in one guest into `nc -l | wc -c` in the other, timed in the
#     sending guest (/proc/uptime, 10 ms resolution); the byte count received is checked;
#   - the switch's CPU time (utime+stime from /proc/PID/stat) per GB moved, and the two QEMUs' for scale;
#   - `vmctl exec VM -- true` round trip (agent over virtio-serial, for scale).
# volumes: `vmctl apply` of a stack with one volume and no VM, wall time of the whole command, median of RUNS: a
#   sparse 1 GiB volume, the same formatted ext4, and imports of a 1 GiB image that is sparse and one that is
#   fully written (random bytes; the page cache is warm: it was just written).
# bridge (root, `ip netns`): the same latency and throughput between two VMs over a bridge network (a Linux
#   bridge and one tap per VM), measured against the isolated switch in the same run: each VM has a NIC on
#   both, and the transfers alternate between the two paths. vmctl, its QEMUs and its bridge run inside a
#   network namespace the script creates and deletes, so nothing touches the host's own network. Plus the
#   namespace's (host side) ping to a VM over the bridge.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
mib=${MIB:-256}
runs=${RUNS:-3}
pings=${PINGS:-20}
parts=" ${PARTS:-isolated volumes bridge} "
has() { [[ $parts == *" $1 "* ]]; }

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
netns=""       # the bridge part's namespace, once created
in_netns=()    # the prefix that runs vmctl inside it
cleanup() {
    for stack in netbench volbench; do "$vmctl" destroy --state-dir "$state" --stack "$stack" --auto-approve --volumes >/dev/null 2>&1 || true; done
    if [[ -n $netns ]]; then
        ip netns exec "$netns" "$vmctl" destroy --state-dir "$state" --stack brbench --auto-approve >/dev/null 2>&1 || true
        ip netns del "$netns" || true
    fi
    rm -rf "$work"
}
trap cleanup EXIT
v() { "${in_netns[@]}" "$vmctl" "$1" --state-dir "$state" "${@:2}"; }
now() { date +%s.%N; }
ticks=$(getconf CLK_TCK)
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
median() { sort -g | awk '{a[NR] = $1} END {print a[int((NR + 1) / 2)]}'; }

date_tag=$(date -u +%Y-%m-%d)
exec 3>&1   # the terminal: each part's results file tees to it
mkdir -p bench/results
header() {   # $1: what the file measures
    local cpu_model; cpu_model=$(lscpu | sed -n 's/^Model name: *//p' | head -1)
    echo "# vmctl $1 benchmark, $(date -u '+%Y-%m-%d %H:%M UTC')"
    echo "# vmctl: $vmctl, commit $(git rev-parse --short HEAD)$(git diff --quiet HEAD -- Sources Package.swift 2>/dev/null || echo ' (+ uncommitted changes)')"
    echo "# machine: $(nproc) CPUs, ${cpu_model:-unknown CPU}, $(awk '/MemTotal/ {printf "%.1f GiB", $2/1048576}' /proc/meminfo) RAM, $(uname -sr)"
    echo "# $(qemu-system-x86_64 --version | head -1); load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
    echo "# transfer: $mib MiB x $runs runs; ping: $pings x 0.2 s"
    echo
}

count=$((mib * 16))   # 64 KiB blocks
expected=$((count * 65536))
# One transfer of $expected bytes from VM a to $1 (an address of VM b). Prints the guest seconds, the QEMUs' CPU
# seconds and, with $2 (a pid), that process's CPU seconds. $vm_pids: the two QEMUs.
transfer() {
    local dest=$1 other=${2:-}
    # The listener runs in the background in b (the agent serves one command at a time); its stdin is a FIFO
    # held open, so it ends when the sender closes, not when its stdin does.
    v exec b -- sh -c 'rm -f /run/recv.out; mkfifo /run/hold 2>/dev/null; (exec 3<>/run/hold; nc -l -p 5001 <&3 | wc -c >/run/recv.tmp; mv /run/recv.tmp /run/recv.out) >/dev/null 2>&1 &'
    for _ in $(seq 100); do v exec b -- netstat -ltn 2>/dev/null | grep -q ':5001 ' && break; sleep 0.1; done
    local o0=0 o1=0 q0 q1 times received s e
    [[ -n $other ]] && o0=$(cpu_ticks "$other")
    q0=$(for p in $vm_pids; do cpu_ticks "$p"; done | paste -sd+ | bc)
    times=$(v exec --timeout 600s a -- sh -c "read s _ </proc/uptime; dd if=/dev/zero bs=64k count=$count 2>/dev/null | nc $dest 5001; read e _ </proc/uptime; echo \$s \$e")
    for _ in $(seq 100); do v exec b -- cat /run/recv.out >"$work/recv.out" 2>/dev/null && break; sleep 0.1; done
    [[ -n $other ]] && o1=$(cpu_ticks "$other")
    q1=$(for p in $vm_pids; do cpu_ticks "$p"; done | paste -sd+ | bc)
    received=$(tr -d ' \n' <"$work/recv.out")
    [[ $received == "$expected" ]] || { echo "transfer to $dest: received $received bytes of $expected" >&2; exit 1; }
    read -r s e <<<"$times"
    echo "$(echo "$e - $s" | bc -l) $(echo "($q1 - $q0) / $ticks" | bc -l) $(echo "($o1 - $o0) / $ticks" | bc -l)"
}
gb=$(echo "$expected / 1000000000" | bc -l)

if has isolated || has volumes; then
exec > >(tee "bench/results/network-$date_tag.txt" >&3)
header "network and volume"
fi

# ---- Isolated network: two VMs -------------------------------------------------------------------------
if has isolated; then
cat >"$work/net.yaml" <<'YAML'
apiVersion: vmctl/v1
kind: Stack
metadata: {name: netbench}
networks:
  lan: {subnet: 10.40.0.0/24}
vms:
  a: {cpus: 1, memory: 256MiB, backend: qemu, networks: [{network: lan, ip: 10.40.0.10}]}
  b: {cpus: 1, memory: 256MiB, backend: qemu, networks: [{network: lan, ip: 10.40.0.11}]}
YAML
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

echo
printf '%-4s %10s %10s %12s %12s %14s %16s %12s\n' run MiB "guest s" "MB/s" "Mbit/s" "switch cpu s" "switch s/GB" "QEMUs s/GB"
rates=() switch_per_gb=() qemu_per_gb=()
for run in $(seq "$runs"); do
    frames0=$(python3 -c "import json; print(sum(p['rxFrames'] for p in json.load(open('$net/stats.json'))['ports'].values()))")
    result=$(transfer 10.40.0.11 "$switch_pid")   # an assignment, so a failed transfer stops the script
    read -r secs qemu sw <<<"$result"
    mbps=$(echo "$expected / $secs / 1000000" | bc -l)
    rates+=("$mbps") switch_per_gb+=("$(echo "$sw / $gb" | bc -l)") qemu_per_gb+=("$(echo "$qemu / $gb" | bc -l)")
    printf '%-4s %10s %10.2f %12.1f %12.0f %14.2f %16.2f %12.1f\n' "$run" "$mib" "$secs" "$mbps" "$(echo "$mbps * 8" | bc -l)" "$sw" \
        "${switch_per_gb[-1]}" "${qemu_per_gb[-1]}"
done
sleep 1.2   # the switch writes its counters at most once a second
frames1=$(python3 -c "import json; print(sum(p['rxFrames'] for p in json.load(open('$net/stats.json'))['ports'].values()))")
echo "median: $(printf '%.1f' "$(printf '%s\n' "${rates[@]}" | median)") MB/s; switch $(printf '%.2f' "$(printf '%s\n' "${switch_per_gb[@]}" | median)") CPU s/GB; both QEMUs $(printf '%.1f' "$(printf '%s\n' "${qemu_per_gb[@]}" | median)") CPU s/GB"
echo "frames into the switch during the last run (data one way, ACKs the other): $((frames1 - frames0)), i.e. $(echo "$expected / ($frames1 - $frames0)" | bc) bytes moved per frame"
echo "switch stats: $(cat "$net/stats.json")"
v destroy --stack netbench --auto-approve >/dev/null
fi

# ---- Volumes ------------------------------------------------------------------------------------------
if has volumes; then
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
rm -f "$work/sparse.img" "$work/dense.img" "$work/copy.img"
fi

# ---- Bridge network vs. the isolated switch, same two VMs, same run ------------------------------------
if has bridge; then
if [[ $(id -u) != 0 ]] || ! ip netns list >/dev/null 2>&1; then
    echo "bridge: skipped (needs root and \`ip netns\`: a bridge network creates a Linux bridge and taps)" >&2
    exit 0
fi
exec > >(tee "bench/results/network-bridge-$date_tag.txt" >&3)
header "bridge network"
netns=vnb-$(basename "$work" | cut -d. -f2)
ip netns add "$netns"
ip -n "$netns" link set lo up
in_netns=(ip netns exec "$netns")
echo "namespace: $netns (created for this run, deleted at the end)"
cat >"$work/br.yaml" <<'YAML'
apiVersion: vmctl/v1
kind: Stack
metadata: {name: brbench}
networks:
  br: {subnet: 10.44.0.0/24, mode: bridge}
  sw: {subnet: 10.43.0.0/24}
vms:
  a: {cpus: 1, memory: 256MiB, backend: qemu, networks: [{network: br, ip: 10.44.0.10}, {network: sw, ip: 10.43.0.10}]}
  b: {cpus: 1, memory: 256MiB, backend: qemu, networks: [{network: br, ip: 10.44.0.11}, {network: sw, ip: 10.43.0.11}]}
YAML
start=$(now)
v apply --auto-approve "$work/br.yaml" >"$work/apply.log" || { cat "$work/apply.log"; exit 1; }
echo "apply (1 bridge + 1 isolated network, 2 VMs with a NIC on each, booted to readiness): $(echo "$(now) - $start" | bc) s"
switch_pid=$(cat "$state/stacks/brbench/networks/sw/pid")
vm_pids=$(cat "$state/stacks/brbench/vms/a/pid" "$state/stacks/brbench/vms/b/pid")
echo "QEMU: $(tr '\0' ' ' <"/proc/$(echo $vm_pids | cut -d' ' -f1)/cmdline" | grep -o 'accel=[a-z]*'); bridge $(python3 -c "import json; print(json.load(open('$state/stacks/brbench/networks/br/owned.json'))['bridge'])") with taps: $(ip -n "$netns" -o link show type tun | awk -F': ' '{print $2}' | paste -sd' ')"
echo "a's NICs: $(tr '\0' ' ' <"/proc/$(echo $vm_pids | cut -d' ' -f1)/cmdline" | grep -o -- '-netdev [^ ]*' | paste -sd' ')"

for dest in 10.44.0.11 10.43.0.11; do v exec a -- ping -c 2 -W 2 "$dest" >/dev/null; done   # ARP, first-packet costs
for path in "bridge 10.44.0.11" "switch 10.43.0.11"; do
    read -r name dest <<<"$path"
    ping_out=$(v exec a -- ping -c "$pings" -i 0.2 -W 2 "$dest")
    echo "ping a -> b over the $name: $(echo "$ping_out" | grep -E 'packets transmitted') ; $(echo "$ping_out" | grep round-trip)"
done
ip netns exec "$netns" ping -c 2 -W 2 10.44.0.11 >/dev/null
host_ping=$(ip netns exec "$netns" ping -c "$pings" -i 0.2 -W 2 10.44.0.11)
echo "ping namespace (host side, the bridge's gateway address) -> b: $(echo "$host_ping" | grep -E 'packets transmitted') ; $(echo "$host_ping" | grep rtt)"

# What each guest sent into the bridge (its tap's rx counters) or the switch (its port's), "bytes frames" per
# NIC; the NIC that sent the most during a transfer is the sender's, and its bytes per frame show whether
# frames went out MTU-sized or larger (offloads: a tap carries virtio-net's header, a stream netdev does not).
taps=$(ip -n "$netns" -o link show type tun | awk -F': ' '{print $2}')
sent_counters() {
    if [[ $1 == bridge ]]; then
        for tap in $taps; do ip netns exec "$netns" cat "/sys/class/net/$tap/statistics/rx_bytes" "/sys/class/net/$tap/statistics/rx_packets" | paste -sd' '; done
    else
        sleep 1.2   # the switch writes its counters at most once a second
        python3 -c "import json; [print(p['rxBytes'], p['rxFrames']) for _, p in sorted(json.load(open('$state/stacks/brbench/networks/sw/stats.json'))['ports'].items())]"
    fi
}
per_frame() { paste -d' ' <(echo "$1") <(echo "$2") | awk '{b = $3 - $1; if (b > most) {most = b; frames = $4 - $2}} END {printf "%.0f", most / frames}'; }

echo
echo "transfers alternate: bridge, switch, bridge, switch, ...; B/frame: bytes per frame the sender put on the wire"
printf '%-8s %4s %8s %10s %10s %10s %9s %12s %14s\n' path run MiB "guest s" "MB/s" "Mbit/s" "B/frame" "QEMUs s/GB" "switch s/GB"
bridge_rates=() switch_rates=() bridge_qemu=() switch_qemu=() switch_cpu=()
for run in $(seq "$runs"); do
    before=$(sent_counters bridge)
    result=$(transfer 10.44.0.11)
    read -r secs qemu _ <<<"$result"
    frame=$(per_frame "$before" "$(sent_counters bridge)")
    mbps=$(echo "$expected / $secs / 1000000" | bc -l)
    bridge_rates+=("$mbps") bridge_qemu+=("$(echo "$qemu / $gb" | bc -l)")
    printf '%-8s %4s %8s %10.2f %10.1f %10.0f %9s %12.1f %14s\n' bridge "$run" "$mib" "$secs" "$mbps" "$(echo "$mbps * 8" | bc -l)" "$frame" "${bridge_qemu[-1]}" "-"
    before=$(sent_counters switch)
    result=$(transfer 10.43.0.11 "$switch_pid")
    read -r secs qemu sw <<<"$result"
    frame=$(per_frame "$before" "$(sent_counters switch)")
    mbps=$(echo "$expected / $secs / 1000000" | bc -l)
    switch_rates+=("$mbps") switch_qemu+=("$(echo "$qemu / $gb" | bc -l)") switch_cpu+=("$(echo "$sw / $gb" | bc -l)")
    printf '%-8s %4s %8s %10.2f %10.1f %10.0f %9s %12.1f %14.2f\n' switch "$run" "$mib" "$secs" "$mbps" "$(echo "$mbps * 8" | bc -l)" "$frame" "${switch_qemu[-1]}" "${switch_cpu[-1]}"
done
med() { printf '%s\n' "$@" | median; }
echo "median over the bridge: $(printf '%.1f' "$(med "${bridge_rates[@]}")") MB/s, both QEMUs $(printf '%.1f' "$(med "${bridge_qemu[@]}")") CPU s/GB (the bridge's own work is kernel time, mostly inside the QEMUs' tap writes)"
echo "median over the switch: $(printf '%.1f' "$(med "${switch_rates[@]}")") MB/s, both QEMUs $(printf '%.1f' "$(med "${switch_qemu[@]}")") CPU s/GB, switch $(printf '%.2f' "$(med "${switch_cpu[@]}")") CPU s/GB"
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
v destroy --stack brbench --auto-approve >/dev/null
left=$(ip -n "$netns" -o link show | awk -F': ' '{print $2}' | paste -sd' ')
echo "after destroy, interfaces in the namespace: $left"
fi
