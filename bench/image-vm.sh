#!/usr/bin/env bash
# Benchmark: image VMs (a Debian 12 cloud image under QEMU; TCG where there is no hardware KVM), through the CLI.
#   bench/image-vm.sh                    # writes bench/results/image-vm-<date>.txt
#   RUNS=2 COUNTS="1 2 4" bench/image-vm.sh
#   VMCTL=/path/to/vmctl IMAGE=/path/to/debian.qcow2 bench/image-vm.sh
# Measures, for 1 VM (RUNS times, alternating):
#   - vmctl: `vmctl apply` wall time until the VM is ready (SSH answers, `cloud-init status --wait` says done);
#   - by hand: the same QEMU command line (read from the vmctl run's /proc/PID/cmdline) on a fresh overlay, seed
#     and UEFI variables, timed from QEMU's start until the same `cloud-init status --wait` over the same SSH
#     forward says done. The difference is vmctl's overhead (import fast path, overlay, seed, readiness polling).
# For COUNTS VMs (replicas on one base): apply → all ready, and the disk bytes each VM's overlay, seed and UEFI
# variables take on the host after its first boot (du of allocated blocks), against the base image's size.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
runs=${RUNS:-2}
counts=${COUNTS-"1 2 4"}   # COUNTS="" skips the N-VM part
if [[ -n ${VMCTL:-} ]]; then vmctl=$VMCTL; else
    echo "== building vmctl (release, scratch .build-release)" >&2
    swift build -c release --scratch-path .build-release --product vmctl >/dev/null
    vmctl=$root/.build-release/release/vmctl
fi
image=${IMAGE:-$(scripts/debian-image)}
work=$(mktemp -d /tmp/vmctl-bench-image-XXXX)
state=$work/state
out=$root/bench/results/image-vm-$(date +%F).txt
mkdir -p "$root/bench/results"
trap '"$vmctl" destroy --state-dir "$state" --stack bench --auto-approve >/dev/null 2>&1 || true; pkill -f "$work/manual" 2>/dev/null || true; rm -rf "$work"' EXIT

manifest() { # $1 = replicas (0: a single VM named db)
    { echo "apiVersion: vmctl/v1"; echo "kind: Stack"; echo "metadata: {name: bench}"; echo "vms:"
      if [[ $1 == 0 ]]; then echo "  db:"; else echo "  db:"; echo "    replicas: $1"; fi
      echo "    memory: 512MiB"; echo "    image: {path: $image, size: 3GiB}"
      echo "    cloudInit: {runcmd: [\"true\"]}"; } > "$work/stack.yaml"
}
now() { date +%s.%N; }
elapsed() { python3 -c "print(f'{$2 - $1:.1f}')"; }

{
echo "# image VMs: $(date -u +%FT%TZ), $(nproc) CPUs ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)), $(qemu-system-x86_64 --version | head -1)"
echo "# image: $image ($(du -m "$image" | cut -f1) MiB on disk, $(qemu-img info --output=json "$image" | python3 -c 'import json,sys; print(json.load(sys.stdin)["virtual-size"] >> 20)') MiB virtual)"
echo "# load before: $(cut -d' ' -f1-3 /proc/loadavg) (the accelerator is in each QEMU command line: see below)"
echo
echo "## 1 VM: vmctl apply → ready vs. the same QEMU by hand → cloud-init done (seconds)"
for run in $(seq "$runs"); do
    manifest 0
    t0=$(now); "$vmctl" apply --auto-approve --state-dir "$state" "$work/stack.yaml" >"$work/apply.log" 2>&1; t1=$(now)
    vmdir=$state/stacks/bench/vms/db
    pid=$(cat "$vmdir/pid")
    tr '\0' '\n' < "/proc/$pid/cmdline" > "$work/argv"
    port=$(python3 -c "import json; print(json.load(open('$vmdir/vm.json'))['sshPort'])")
    ssh_args=(-i "$state/stacks/bench/ssh/id_ed25519" -p "$port" -o IdentitiesOnly=yes -o StrictHostKeyChecking=yes
              -o UserKnownHostsFile="$vmdir/known_hosts" -o HostKeyAlias=vmctl.bench.db -o BatchMode=yes -o LogLevel=ERROR -o ConnectTimeout=2)
    "$vmctl" stop --state-dir "$state" --stack bench db >/dev/null 2>&1
    # By hand: the same argv on a fresh overlay, the same seed (same instance-id, so a first boot again on a fresh
    # disk), fresh UEFI variables; readiness polled the same way.
    mkdir -p "$work/manual"
    qemu-img create -q -f qcow2 -b "$(python3 -c "import json,glob; print(glob.glob('$state/images/sha256/*/base.qcow2')[0])")" -F qcow2 "$work/manual/root.qcow2" 3G
    cp "$vmdir/seed.iso" "$work/manual/seed.iso"; cp /usr/share/OVMF/OVMF_VARS_4M.fd "$work/manual/efivars.fd"
    mapfile -t argv < <(sed -e "s#$vmdir/root.qcow2#$work/manual/root.qcow2#; s#$vmdir/seed.iso#$work/manual/seed.iso#; s#$vmdir/efivars.fd#$work/manual/efivars.fd#; s#$vmdir/#$work/manual/#g" "$work/argv")
    m0=$(now)
    "${argv[@]}" >/dev/null 2>&1 &
    qpid=$!
    # Polled as vmctl polls (2 s connect timeout, 0.5 s apart), so the difference is vmctl's own work.
    until ssh "${ssh_args[@]}" vmctl@127.0.0.1 cloud-init status --wait 2>/dev/null | grep -q "status: done"; do sleep 0.5; done
    m1=$(now)
    kill "$qpid"; wait "$qpid" 2>/dev/null || true
    rm -rf "$work/manual"
    "$vmctl" destroy --state-dir "$state" --stack bench --auto-approve >/dev/null 2>&1
    [[ $run == 1 ]] && echo "QEMU: $(grep -o 'accel=[a-z]*' "$work/argv")"
    echo "run $run: vmctl $(elapsed "$t0" "$t1") s, by hand $(elapsed "$m0" "$m1") s (load $(cut -d' ' -f1 /proc/loadavg))"
done
echo
echo "## N VMs (replicas on one base): apply → all ready, and host disk bytes per VM after its first boot"
for n in $counts; do
    manifest "$n"
    t0=$(now); "$vmctl" apply --auto-approve --state-dir "$state" "$work/stack.yaml" >"$work/apply.log" 2>&1 || { echo "apply of $n failed:"; tail -5 "$work/apply.log"; }; t1=$(now)
    per=$(for d in "$state"/stacks/bench/vms/*/; do du -k -c "$d/root.qcow2" "$d/seed.iso" "$d/efivars.fd" | tail -1 | cut -f1; done | python3 -c "import sys; v=[int(x) for x in sys.stdin]; print(f'{min(v)/1024:.1f}–{max(v)/1024:.1f} MiB (root disk + seed + UEFI vars)')")
    bases=$(ls -d "$state"/images/sha256/*/ | wc -l)
    echo "$n VM(s): ready in $(elapsed "$t0" "$t1") s; per VM on the host: $per; stored bases: $bases"
    "$vmctl" destroy --state-dir "$state" --stack bench --auto-approve >/dev/null 2>&1
done
} | tee "$out"
echo "wrote $out" >&2
