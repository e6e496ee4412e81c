#!/usr/bin/env bash
# Benchmark: the default guest on vmctl's micro kernel against the Debian cloud kernel, under QEMU (TCG where there is
# no hardware KVM), through the CLI, in the same run.
#   bench/guest-kernel.sh                # writes bench/results/guest-kernel-<date>.txt
#   RUNS=10 VMCTL=/path/to/vmctl bench/guest-kernel.sh
# Measures, RUNS times alternating: `vmctl apply` of one 256 MiB default-guest VM until its readiness marker (the
# guest's init is up), then destroy. Also: the micro kernel's build time and size (its build.json), both kernels' and
# initramfs' sizes. Builds the micro kernel first if it is not cached (minutes). On hardware KVM it would also time
# boot-to-init on vmctl-vmm against QEMU microvm; here (no hardware KVM) it says it cannot.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
runs=${RUNS:-10}
if [[ -n ${VMCTL:-} ]]; then vmctl=$VMCTL; else
    echo "== building vmctl (release, scratch .build-release)" >&2
    swift build -c release --scratch-path .build-release --product vmctl >/dev/null
    vmctl=$root/.build-release/release/vmctl
fi
work=$(mktemp -d /tmp/vmctl-bench-kernel-XXXX)
out=$root/bench/results/guest-kernel-$(date +%F).txt
mkdir -p "$root/bench/results"
trap 'for k in micro debian; do "$vmctl" destroy --state-dir "$work/$k" --stack bench --auto-approve >/dev/null 2>&1 || true; done; rm -rf "$work"' EXIT

cat > "$work/stack.yaml" <<'EOF'
apiVersion: vmctl/v1
kind: Stack
metadata: {name: bench}
vms:
  one: {cpus: 1, memory: 256MiB}
EOF

echo "== building the micro kernel and both default guests (cached after the first run)" >&2
"$vmctl" guest build --kernel micro --state-dir "$work/micro" >/dev/null
VMCTL_GUEST_KERNEL=debian "$vmctl" guest build --state-dir "$work/debian" >/dev/null
info() { VMCTL_GUEST_KERNEL=$2 "$vmctl" guest info --state-dir "$work/$1" -o json; }
field() { python3 -c "import json,sys; print(json.load(sys.stdin)[sys.argv[1]])" "$1"; }

declare -A times
for ((i = 0; i < runs; i++)); do
    for k in micro debian; do
        mode=$([[ $k == debian ]] && echo debian || echo micro)
        start=$(date +%s.%N)
        VMCTL_GUEST_KERNEL=$mode "$vmctl" apply --state-dir "$work/$k" --auto-approve "$work/stack.yaml" >/dev/null
        end=$(date +%s.%N)
        times[$k]+="$(echo "$end - $start" | bc) "
        VMCTL_GUEST_KERNEL=$mode "$vmctl" destroy --state-dir "$work/$k" --stack bench --auto-approve >/dev/null
    done
done

median() { tr ' ' '\n' | grep -v '^$' | sort -n | awk '{a[NR]=$1} END {m=(NR%2)?a[(NR+1)/2]:(a[NR/2]+a[NR/2+1])/2; printf "%.2f s (min %.2f, max %.2f)", m, a[1], a[NR]}'; }
{
    echo "# guest kernels $(date -u +%FT%TZ) on $(nproc) CPUs ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)), load $(cut -d' ' -f1-3 /proc/loadavg)"
    echo "# $("$vmctl" --version 2>/dev/null || echo vmctl), QEMU $(qemu-system-x86_64 --version | head -1 | awk '{print $4}'), $runs alternating runs of apply → ready (1 VM, 256 MiB)"
    for k in micro debian; do
        mode=$([[ $k == debian ]] && echo debian || echo micro)
        json=$(info "$k" "$mode")
        kernel=$(echo "$json" | field kernel); initrd=$(echo "$json" | field initrd)
        printf '%-7s apply → ready: %s; kernel %s (%s bytes), initramfs %s bytes\n' "$k" "$(echo "${times[$k]}" | median)" \
            "$(echo "$json" | field kernelVersion)" "$(stat -c %s "$kernel")" "$(stat -c %s "$initrd")"
    done
    build=$(dirname "$(info micro micro | field kernel)")/build.json
    echo "micro kernel build: $(python3 -c "import json; b=json.load(open('$build')); print(f\"{b['buildSeconds']} s, {b['bytes']} bytes, {b['release']}\")")"
    if [[ -e /sys/module/kvm_intel || -e /sys/module/kvm_amd ]] && [[ ! -e /sys/module/kvm_pvm ]]; then
        echo "hardware KVM: time boot-to-init on vmctl-vmm and QEMU microvm with bench/vmm.sh's method (not automated yet)"
    else
        echo "no hardware KVM here ($( [[ -e /sys/module/kvm_pvm ]] && echo '/dev/kvm is kvm_pvm' || echo 'no kvm_intel/kvm_amd')): boot-to-init on vmctl-vmm vs QEMU microvm cannot be measured"
    fi
} | tee "$out"
