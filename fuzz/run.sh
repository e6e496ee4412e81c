#!/usr/bin/env bash
# Builds the manifest fuzzer (libFuzzer + AddressSanitizer) and runs it for SECONDS (default 600).
#   fuzz/run.sh [SECONDS]
# Seeds: fuzz/corpus (checked in). New inputs: fuzz/corpus-run. Findings: fuzz/artifacts (crash-*, timeout-*, oom-*).
# FUZZ_ASAN=0 builds without AddressSanitizer (faster, finds fewer memory bugs).
# Extra libFuzzer flags may follow in FUZZ_FLAGS, e.g. FUZZ_FLAGS="-jobs=2 -workers=2".
set -euo pipefail

seconds=${1:-600}
here=$(cd "$(dirname "$0")" && pwd)
cd "$here"

sanitizers=(-Xswiftc -sanitize=fuzzer -Xcc -fsanitize=fuzzer-no-link)
if [[ "${FUZZ_ASAN:-1}" != 0 ]]; then
    sanitizers+=(-Xswiftc -sanitize=address -Xcc -fsanitize=address)
fi

echo "== building ManifestFuzz (release, ${sanitizers[*]})"
swift build -c release --scratch-path .build --product ManifestFuzz \
    -Xswiftc -parse-as-library "${sanitizers[@]}"
binary=.build/release/ManifestFuzz

mkdir -p corpus-run artifacts
log=artifacts/last-run.log
before=$(find artifacts -maxdepth 1 -type f \( -name 'crash-*' -o -name 'timeout-*' -o -name 'oom-*' -o -name 'leak-*' -o -name 'slow-unit-*' \) | wc -l)

echo "== fuzzing for ${seconds}s (log: fuzz/$log)"
status=0
# Swift's runtime keeps metadata caches alive until exit; LeakSanitizer would report them as leaks.
ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=0} \
"$binary" corpus-run corpus \
    -dict=yaml.dict \
    -max_total_time="$seconds" \
    -timeout=2 \
    -rss_limit_mb=512 \
    -max_len=65536 \
    -artifact_prefix=artifacts/ \
    -print_final_stats=1 \
    ${FUZZ_FLAGS:-} 2>&1 | tee "$log" || status=$?

findings=$(find artifacts -maxdepth 1 -type f \( -name 'crash-*' -o -name 'timeout-*' -o -name 'oom-*' -o -name 'leak-*' -o -name 'slow-unit-*' \) | wc -l)
execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' | tail -1)
rate=$(grep -o 'stat::average_exec_per_sec: *[0-9]*' "$log" | grep -o '[0-9]*$' | tail -1)
rss=$(grep -o 'stat::peak_rss_mb: *[0-9]*' "$log" | grep -o '[0-9]*$' | tail -1)
cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1 | grep -o '[0-9]*')
corpus=$(find corpus-run -type f | wc -l)

echo "== summary: ${execs:-?} executions in ${seconds}s (${rate:-?} exec/s), coverage ${cov:-?} edges," \
     "corpus-run ${corpus} inputs, peak RSS ${rss:-?} MB, new findings $((findings - before)) (crashes/timeouts/OOMs in fuzz/artifacts: ${findings})"
if (( findings > before )) || (( status != 0 )); then
    find artifacts -maxdepth 1 -type f -newer "$binary" ! -name last-run.log
    exit 1
fi
