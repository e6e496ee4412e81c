#!/usr/bin/env bash
# Builds a fuzzer (libFuzzer + AddressSanitizer) and runs it for SECONDS (default 600).
#   fuzz/run.sh [SECONDS]              the manifest loader (ManifestFuzz)
#   fuzz/run.sh virtqueue [SECONDS]    split virtqueue + virtio-mmio + virtio-blk/console/net, multiport console (VirtqueueFuzz)
# Seeds: fuzz/corpus (manifest), fuzz/corpus-virtqueue (checked in). New inputs: fuzz/corpus-run, fuzz/corpus-run-virtqueue.
# Findings: fuzz/artifacts (crash-*, timeout-*, oom-*; virtqueue ones prefixed virtqueue-).
# FUZZ_ASAN=0 builds without AddressSanitizer (faster, finds fewer memory bugs).
# Extra libFuzzer flags may follow in FUZZ_FLAGS, e.g. FUZZ_FLAGS="-jobs=2 -workers=2".
set -euo pipefail

target=manifest
if [[ "${1:-}" == manifest || "${1:-}" == virtqueue ]]; then
    target=$1
    shift
fi
seconds=${1:-600}
here=$(cd "$(dirname "$0")" && pwd)
cd "$here"

case "$target" in
    manifest)
        product=ManifestFuzz seeds=corpus run_corpus=corpus-run prefix=artifacts/ log=artifacts/last-run.log
        target_flags=(-dict=yaml.dict -max_len=65536) asan_options=detect_leaks=0 ;;
    virtqueue)
        product=VirtqueueFuzz seeds=corpus-virtqueue run_corpus=corpus-run-virtqueue prefix=artifacts/virtqueue-
        log=artifacts/virtqueue-last-run.log
        target_flags=(-max_len=8192)
        # Its checks allocate on every operation, and ASan's default 256 MB quarantine of freed memory alone took
        # a run over the 512 MB limit while it loaded the corpus (the input it blamed runs alone well within it).
        asan_options=detect_leaks=0:quarantine_size_mb=64 ;;
esac

# One -sanitize= list: swiftc keeps only the last -sanitize= flag, so a separate -sanitize=address would silently
# drop the fuzzer's coverage instrumentation (libFuzzer then reports "no interesting inputs").
if [[ "${FUZZ_ASAN:-1}" != 0 ]]; then
    sanitizers=(-Xswiftc -sanitize=fuzzer,address -Xcc -fsanitize=fuzzer-no-link,address)
else
    sanitizers=(-Xswiftc -sanitize=fuzzer -Xcc -fsanitize=fuzzer-no-link)
fi

echo "== building $product (release, ${sanitizers[*]})"
swift build -c release --scratch-path .build --product "$product" \
    -Xswiftc -parse-as-library "${sanitizers[@]}"
binary=.build/release/$product

mkdir -p "$run_corpus" artifacts
findings() {
    local p=${prefix#artifacts/}
    find artifacts -maxdepth 1 -type f \( -name "${p}crash-*" -o -name "${p}timeout-*" -o -name "${p}oom-*" \
        -o -name "${p}leak-*" -o -name "${p}slow-unit-*" \) | wc -l
}
before=$(findings)

echo "== fuzzing for ${seconds}s (log: fuzz/$log)"
status=0
# Swift's runtime keeps metadata caches alive until exit; LeakSanitizer would report them as leaks.
# Swift's own crash backtracer is off: on a trap it trips ASan (dynamic-stack-buffer-overflow in CrashHandlerLinux.cpp),
# so the report names that instead of the trap, and the orphaned swift-backtrace keeps tee's pipe open, hanging this
# script for minutes. Without it libFuzzer's deadly-signal handler reports the trap and its stack.
export SWIFT_BACKTRACE=${SWIFT_BACKTRACE:-enable=no}
ASAN_OPTIONS=${ASAN_OPTIONS:-$asan_options} \
"$binary" "$run_corpus" "$seeds" \
    "${target_flags[@]}" \
    -max_total_time="$seconds" \
    -timeout=2 \
    -rss_limit_mb=512 \
    -artifact_prefix="$prefix" \
    -print_final_stats=1 \
    ${FUZZ_FLAGS:-} 2>&1 | tee "$log" || status=$?

after=$(findings)
execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' | tail -1)
rate=$(grep -o 'stat::average_exec_per_sec: *[0-9]*' "$log" | grep -o '[0-9]*$' | tail -1)
rss=$(grep -o 'stat::peak_rss_mb: *[0-9]*' "$log" | grep -o '[0-9]*$' | tail -1)
cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1 | grep -o '[0-9]*')
corpus=$(find "$run_corpus" -type f | wc -l)

echo "== summary: ${execs:-?} executions in ${seconds}s (${rate:-?} exec/s), coverage ${cov:-?} edges," \
     "$run_corpus ${corpus} inputs, peak RSS ${rss:-?} MB, new findings $((after - before)) (crashes/timeouts/OOMs in fuzz/artifacts: ${after})"
if (( after > before )) || (( status != 0 )); then
    find artifacts -maxdepth 1 -type f -newer "$binary" ! -name '*last-run.log'
    exit 1
fi
