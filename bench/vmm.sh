#!/usr/bin/env bash
# Benchmark: vmctl-vmm against QEMU microvm (-accel kvm) on the same tiny payload, in the same run.
#   bench/vmm.sh                 # RUNS=n (default 30); writes bench/results/vmm-<date>.txt
#   VMM=/path/to/vmctl-vmm bench/vmm.sh      # time that binary instead of building one
# Measures (bench/vmm_bench.py): process start to the first guest serial byte and to process exit (and a bare C
# KVM program as the floor); memory of an idle VM beyond guest RAM from /proc/PID/smaps_rollup: RSS and anonymous
# memory (smaps Anonymous), not Private_Dirty, which right after a build also counts the binary's own page-cache pages
# until they are written back (5.3 instead of 0.3 MiB), so a run straight after the build reads the same as later;
# control round trips (describe vs QMP query-status) and pause/resume (vs QMP stop/cont). The payload (bench/payloads/first_byte.S)
# prints "ok" and ends the VM: vmctl-vmm enters it at its ELF entry in 64-bit mode and it powers off through ACPI;
# QEMU enters it through its Xen PVH note in 32-bit mode and it leaves through isa-debug-exit.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
runs=${RUNS:-30}
for tool in as ld cc python3; do command -v $tool >/dev/null || { echo "bench: $tool is missing (apt-get install binutils gcc python3)" >&2; exit 2; }; done
[[ -r /dev/kvm ]] || { echo "bench: /dev/kvm is not usable" >&2; exit 2; }

if [[ -n ${VMM:-} ]]; then
    vmm=$VMM
else
    echo "== building vmctl-vmm (release, scratch .build-vmm)"
    swift build -c release --product vmctl-vmm --scratch-path .build-vmm >/dev/null
    vmm=$root/.build-vmm/release/vmctl-vmm
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/vmm-bench.XXXXXX")
trap 'rm -rf "$work"' EXIT
for idle in 0 1; do
    as --64 --defsym IDLE=$idle -o "$work/p$idle.o" bench/payloads/first_byte.S
    ld -m elf_x86_64 -T bench/payloads/payload.ld -o "$work/p$idle.elf" "$work/p$idle.o"
done
cc -O2 -o "$work/kvm_floor" bench/payloads/kvm_floor.c

date_tag=$(date -u +%Y-%m-%d)
mkdir -p bench/results
out=bench/results/vmm-$date_tag${TAG:+-$TAG}.txt   # TAG=x: a second run the same day
{
    echo "# vmm $(date -u +%FT%TZ) on $(nproc) CPUs ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)), load $(cut -d' ' -f1-3 /proc/loadavg)"
    echo "# $(swift --version 2>/dev/null | head -1); $("$vmm" --version); $(qemu-system-x86_64 --version | head -1)"
    echo "# /dev/kvm: $(if grep -qw hypervisor /proc/cpuinfo; then echo 'nested (this host is itself a VM)'; else echo 'bare metal'; fi)"
    python3 bench/vmm_bench.py --vmm "$vmm" --payload "$work/p0.elf" --idle-payload "$work/p1.elf" --floor "$work/kvm_floor" --runs "$runs"
} | tee "$out"
echo "== wrote $out"
