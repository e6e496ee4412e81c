#!/usr/bin/env bash
# Benchmark: `vmctl reconcile` (docs/reconcile.md) following a local bare git repository, with real default-guest
# VMs (1 vCPU, 128 MiB, no kernel: vmctl's default guest; QEMU, TCG where there is no hardware KVM).
#   bench/reconcile.sh                           # writes bench/results/reconcile-<date>.txt; exit 1 if a target is missed
#   PARTS="commit" bench/reconcile.sh            # only some of: commit idle (default: both)
#   RUNS=7 CREATES=3 COMMIT_VMS=3 bench/reconcile.sh
#   VMS=20 SETTLE_SECONDS=30 IDLE_SECONDS=120 bench/reconcile.sh
#   POLL_SECONDS=0.2 BOOT_TIMEOUT=1500 bench/reconcile.sh   # status polling; how long VMS guests may take to boot
#   VMCTL=/path/to/vmctl bench/reconcile.sh      # skip the build, use that binary
# commit: a stack of COMMIT_VMS VMs in a bare repository (`git init --bare`, branch main), a reconciler with
#   `--interval 10m --poll-interval 1s --metrics-address none`, so only the new-commit path starts passes.
#   - initial create: reconciler start → every VM `running` in `vmctl status -o json`;
#   - change: RUNS commits that set vm1's memory (160/128 MiB alternately), each timed from `git push` returning
#     to `vmctl status -o json` showing vm1 `running` with the new memoryBytes (status polled every POLL_SECONDS);
#     the pass's own `seconds` from the reconciler's status.json history is printed beside it;
#   - create: CREATES commits that each add one VM, timed the same way to that VM `running`;
#   - the VM's own share: after each change, `vmctl restart vm1` by hand (stack suspended), timed to `running` the
#     same way; for both, the new VMM process's start time (/proc/PID/stat field 22) splits the time into
#     "→ new VMM process" (detection, fetch, validate, plan, the old VM's ACPI stop) and "VMM → running" (boot).
#   Memory changes are restarts (FieldRules: guest RAM is fixed when the VMM starts), so a change and a manual
#   restart do the same VM work: stop (ACPI power-off) and a fresh boot to the readiness marker.
# idle: VMS VMs (runStrategy: Always) under a reconciler with default intervals (pass 1m, ls-remote 10s, /proc
#   watch 2s) and `--metrics-address 127.0.0.1:PORT` (a free port). Once all VMs run and status.json says Ready,
#   it waits SETTLE_SECONDS, then over IDLE_SECONDS reads the reconciler's utime+stime (/proc/PID/stat fields
#   14+15) before and after → % of one core; cutime+cstime (16+17: the git ls-remote children it waited for) are
#   printed beside it. VmRSS (sampled every 5 s, the largest taken) and VmHWM from /proc/PID/status. One /metrics
#   scrape (curl) in the window, and the full passes status.json's history records in the window. RssAnon/RssFile,
#   Pss (smaps_rollup) and the largest resident mappings (smaps) say what the RSS is made of.
#   Targets: below 1% of a core and below 40 MiB RSS.
# Everything it starts (reconcilers, VMs via `vmctl destroy`, its temp folder) is removed on exit, failure included.
# Needs root (QEMU, the state folder), git, curl, python3; ~3 GiB of free RAM for 20 guests.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
export PATH="/opt/swift/usr/bin:$PATH"
parts=" ${PARTS:-commit idle} "
has() { [[ $parts == *" $1 "* ]]; }
runs=${RUNS:-7}
creates=${CREATES:-3}
commit_vms=${COMMIT_VMS:-3}
vm_count=${VMS:-20}
settle=${SETTLE_SECONDS:-30}
idle=${IDLE_SECONDS:-120}
poll=${POLL_SECONDS:-0.2}
boot_timeout=${BOOT_TIMEOUT:-1500}   # seconds for VMS TCG guests to boot on a shared 2-core machine
target_cpu_pct=1
target_rss_mib=40

for tool in git curl python3; do command -v $tool >/dev/null || { echo "bench: $tool is missing" >&2; exit 2; }; done

if [[ -n ${VMCTL:-} ]]; then
    vmctl=$VMCTL
else
    echo "== building vmctl (release, the Swift runtime linked in: --static-swift-stdlib, scratch .build-static)"
    swift build -c release --static-swift-stdlib --scratch-path .build-static --product vmctl >/dev/null
    vmctl=$root/.build-static/release/vmctl
fi

work=$(mktemp -d /tmp/vrc.XXXXXX)    # short: QEMU's sockets live under it (AF_UNIX paths ≤ 107 bytes)
state=$work/state
reconciler_pid=

stop_reconciler() {  # SIGTERM lets a pass in progress finish its actions; SIGKILL after 60 s
    [[ -n $reconciler_pid ]] || return 0
    kill -TERM "$reconciler_pid" 2>/dev/null || true
    for _ in $(seq 600); do kill -0 "$reconciler_pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$reconciler_pid" 2>/dev/null || true
    wait "$reconciler_pid" 2>/dev/null || true
    reconciler_pid=
}
cleanup() {
    local rc=$?
    trap - EXIT INT TERM
    stop_reconciler
    for dir in "$state"/stacks/*/; do
        [[ -d $dir ]] && "$vmctl" destroy --state-dir "$state" --stack "$(basename "$dir")" --auto-approve >/dev/null 2>&1 || true
    done
    # Anything of ours still running (a VMM destroy could not end): by pid, only processes naming our folder.
    for proc in /proc/[0-9]*; do
        grep -qsF "$work/" "$proc/cmdline" 2>/dev/null && kill -KILL "${proc#/proc/}" 2>/dev/null || true
    done
    rm -rf "$work"
    exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

now_ms() { date +%s%3N; }
mib() { awk -v k="$1" 'BEGIN {printf "%.1f", k / 1024}'; }   # KiB → MiB
s() { awk -v ms="$1" 'BEGIN {printf "%.2f", ms / 1000}'; }   # ms → seconds

# Small helpers in Python: reading `vmctl status -o json` and the reconciler's status.json.
cat > "$work/probe.py" <<'PY'
import datetime, json, statistics, subprocess, sys, time

def status(vmctl, state, stack):
    out = subprocess.run([vmctl, "status", "--state-dir", state, "--stack", stack, "-o", "json"],
                         capture_output=True, text=True)
    try:
        return {vm["name"]: vm for vm in json.loads(out.stdout)["vms"]}
    except (ValueError, KeyError, TypeError):
        return {}

def reconciler(path):
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError):
        return {}

def ready(doc):
    return any(c["type"] == "Ready" and c["status"] for c in doc.get("conditions", []))

cmd, args = sys.argv[1], sys.argv[2:]
if cmd == "wait-vm":        # VMCTL STATE STACK VM MEMORY_BYTES|any TIMEOUT POLL: until VM running (with that memory)
    vmctl, state, stack, vm, memory, timeout, poll = args
    deadline = time.monotonic() + float(timeout)
    while time.monotonic() < deadline:
        v = status(vmctl, state, stack).get(vm)
        if v and v["state"] == "running" and (memory == "any" or v["memoryBytes"] == int(memory)):
            sys.exit(0)
        time.sleep(float(poll))
    sys.exit(f"bench: VM {vm} not running with memory {memory} after {timeout} s")
elif cmd == "wait-all":     # VMCTL STATE STACK COUNT STATUS_JSON TIMEOUT: COUNT VMs running and the reconciler Ready
    vmctl, state, stack, count, path, timeout = args
    deadline = time.monotonic() + float(timeout)
    while time.monotonic() < deadline:
        vms = status(vmctl, state, stack)
        running = sum(v["state"] == "running" for v in vms.values())
        if running == int(count) and ready(reconciler(path)):
            sys.exit(0)
        time.sleep(2)
    sys.exit(f"bench: {running} of {count} VMs running, reconciler ready: {ready(reconciler(path))} after {timeout} s")
elif cmd == "pass":         # STATUS_JSON REVISION TIMEOUT: wait for that revision's pass to end, print its seconds
    path, revision, timeout = args
    deadline = time.monotonic() + float(timeout)
    while time.monotonic() < deadline:
        doc = reconciler(path)
        done = [h for h in doc.get("history", []) if h.get("revision") == revision and h["result"] != "unchanged"]
        busy = any(c["type"] == "Reconciling" and c["status"] for c in doc.get("conditions", []))
        if done and not busy:
            h = done[-1]
            print(f'{h["seconds"]:.2f} {h["result"]}')
            sys.exit(0)
        time.sleep(0.2)
    sys.exit(f"bench: no finished pass for revision {revision[:8]} after {timeout} s")
elif cmd == "wait-suspended":   # STATUS_JSON true|false: until the reconciler has seen it and no pass runs
    path, want = args[0], args[1] == "true"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        doc = reconciler(path)
        busy = any(c["type"] == "Reconciling" and c["status"] for c in doc.get("conditions", []))
        if doc.get("suspended") == want and not busy:
            sys.exit(0)
        time.sleep(0.2)
    sys.exit(f"bench: the reconciler's status.json does not say suspended: {want} after 60 s")
elif cmd == "passes":       # STATUS_JSON FROM_EPOCH TO_EPOCH: passes started in the window, and their results
    path, t0, t1 = args[0], float(args[1]), float(args[2])
    hist = [h for h in reconciler(path).get("history", [])
            if t0 <= datetime.datetime.fromisoformat(h["started"].replace("Z", "+00:00")).timestamp() <= t1]
    print(len(hist), ",".join(sorted({h["result"] for h in hist})) or "-",
          " ".join(f'{h["seconds"]:.3f}' for h in hist) or "-")
elif cmd == "vm-info":      # VMCTL STATE STACK VM: backend and why
    v = status(*args[:3]).get(args[3], {})
    print(v.get("backend", "?"), "-", v.get("backendReason", "?"))
elif cmd == "vm-started":   # VMCTL STATE STACK VM: when its VMM process started (epoch ms, /proc/PID/stat field 22)
    pid = status(*args[:3]).get(args[3], {}).get("pid")
    hz = int(subprocess.run(["getconf", "CLK_TCK"], capture_output=True, text=True).stdout)
    btime = next(int(l.split()[1]) for l in open("/proc/stat") if l.startswith("btime"))
    with open(f"/proc/{pid}/stat") as f:
        start = int(f.read().rsplit(")", 1)[1].split()[19])
    # btime has whole seconds: take the offset from uptime instead, so the result is good to the clock tick.
    with open("/proc/uptime") as f:
        up = float(f.read().split()[0])
    print(int((time.time() - up + start / hz) * 1000))
elif cmd == "stats":        # numbers on stdin (ms) → median min max, in s
    xs = [float(x) / 1000 for x in sys.stdin.read().split()]
    print(f"median {statistics.median(xs):.2f} s (min {min(xs):.2f}, max {max(xs):.2f}; n={len(xs)})" if xs else "no runs")
elif cmd == "free-port":
    import socket
    s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])
PY
probe() { python3 "$work/probe.py" "$@"; }

# stack NAME COUNT [STRATEGY] → a manifest with COUNT independent default-guest VMs vm1..vmCOUNT
stack() {
    echo "apiVersion: vmctl/v1"; echo "kind: Stack"; echo "metadata: {name: $1}"
    echo "host: {overcommit: {cpu: 16.0}}"; echo "vms:"
    for i in $(seq 1 "$2"); do echo "  vm$i: {cpus: 1, memory: 128MiB${3:+, runStrategy: $3}}"; done
}
# repo NAME → a bare repository $work/NAME.git and its working clone $work/NAME (branch main)
repo() {
    git init --quiet --bare -b main "$work/$1.git"
    git init --quiet -b main "$work/$1"
    git -C "$work/$1" config user.name bench; git -C "$work/$1" config user.email bench@localhost
    git -C "$work/$1" remote add origin "$work/$1.git"
}
commit_push() {  # DIR MESSAGE: commit all, push; prints nothing
    git -C "$1" add -A && git -C "$1" commit --quiet -m "$2" && git -C "$1" push --quiet origin main 2>/dev/null
}
start_reconciler() {  # LOG ARGS...
    local log=$1; shift
    "$vmctl" reconcile --state-dir "$state" "$@" >"$log" 2>&1 &
    reconciler_pid=$!
}

"$vmctl" guest build --state-dir "$state" >/dev/null   # the default guest, once, outside the timings

date_tag=$(date -u +%Y-%m-%d)
mkdir -p bench/results
out=bench/results/reconcile-$date_tag.txt
cpu_model=$(lscpu | sed -n 's/^Model name: *//p' | head -1)
checkout=$(cd "$(dirname "$vmctl")" && git rev-parse --show-toplevel 2>/dev/null || echo "$root")
{
    echo "# vmctl reconcile benchmark, $(date -u '+%Y-%m-%d %H:%M UTC')"
    echo "# vmctl: $vmctl, commit $(git -C "$checkout" rev-parse --short HEAD 2>/dev/null || echo unknown)$(git -C "$checkout" diff --quiet HEAD -- Sources Package.swift 2>/dev/null || echo ' (+ uncommitted changes)')"
    echo "# machine: $(nproc) CPUs, ${cpu_model:-unknown CPU}, $(awk '/MemTotal/ {printf "%.1f GiB", $2/1048576}' /proc/meminfo) RAM, $(uname -sr); QEMU $(qemu-system-x86_64 --version | head -1 | awk '{print $4}'); $(git --version)"
    echo "# load average at the start: $(cut -d' ' -f1-3 /proc/loadavg) (other engineers' builds and VM tests share the 2 CPUs)"
} | tee "$out"
status=0

if has commit; then
    echo "== commit → change running ($commit_vms VMs, RUNS=$runs, CREATES=$creates)"
    repo commit
    stack rb "$commit_vms" > "$work/commit/stack.yaml"
    commit_push "$work/commit" "initial"
    status_json=$state/stacks/rb/reconcile/status.json
    t0=$(now_ms)
    start_reconciler "$work/reconcile-commit.log" --git "$work/commit.git" --ref main --interval 10m --poll-interval 1s --metrics-address none
    for i in $(seq 1 "$commit_vms"); do probe wait-vm "$vmctl" "$state" rb "vm$i" any 600 "$poll"; done
    initial_ms=$(( $(now_ms) - t0 ))
    probe wait-all "$vmctl" "$state" rb "$commit_vms" "$status_json" 120   # the first pass has ended Ready
    {
        echo "backend of vm1: $(probe vm-info "$vmctl" "$state" rb vm1)"
        echo "initial create, $commit_vms VMs (reconciler start → all running): $(s $initial_ms) s"
        echo "load average before the changes: $(cut -d' ' -f1-3 /proc/loadavg)"
    } | tee -a "$out"

    # Each change is followed by the same stop + boot by hand (`vmctl restart vm1`, the reconciler suspended), so
    # both see the same load: the VM's own share of the change.
    change_ms=(); pass_s=(); change_pre=(); change_boot=(); restart_ms=(); restart_pre=(); restart_boot=()
    for r in $(seq 1 "$runs"); do
        mem=$(( r % 2 ? 160 : 128 ))
        sed -i "s/^  vm1: {cpus: 1, memory: [0-9]*MiB/  vm1: {cpus: 1, memory: ${mem}MiB/" "$work/commit/stack.yaml"
        git -C "$work/commit" add -A && git -C "$work/commit" commit --quiet -m "vm1 ${mem}MiB"
        rev=$(git -C "$work/commit" rev-parse HEAD)
        git -C "$work/commit" push --quiet origin main 2>/dev/null; t0=$(now_ms)
        probe wait-vm "$vmctl" "$state" rb vm1 $(( mem * 1048576 )) 600 "$poll"
        t1=$(now_ms); ms=$(( t1 - t0 ))
        vmm=$(probe vm-started "$vmctl" "$state" rb vm1)
        read -r secs result < <(probe pass "$status_json" "$rev" 600)
        change_ms+=("$ms"); pass_s+=("$secs"); change_pre+=($(( vmm - t0 ))); change_boot+=($(( t1 - vmm )))
        printf '  change %d: vm1 → %3d MiB: push → running %6.2f s (push → new VMM process %5.2f s, VMM → running %5.2f s); the pass %6.2f s, %s; load %s\n' \
            "$r" "$mem" "$(s $ms)" "$(s $(( vmm - t0 )))" "$(s $(( t1 - vmm )))" "$secs" "$result" "$(cut -d' ' -f1 /proc/loadavg)" | tee -a "$out"

        "$vmctl" reconcile suspend --state-dir "$state" --stack rb >/dev/null
        probe wait-suspended "$status_json" true
        t0=$(now_ms)
        "$vmctl" restart --state-dir "$state" --stack rb vm1 >/dev/null 2>&1
        probe wait-vm "$vmctl" "$state" rb vm1 any 600 "$poll"
        t1=$(now_ms); ms=$(( t1 - t0 ))
        vmm=$(probe vm-started "$vmctl" "$state" rb vm1)
        restart_ms+=("$ms"); restart_pre+=($(( vmm - t0 ))); restart_boot+=($(( t1 - vmm )))
        printf '    by hand: vmctl restart vm1 → running %6.2f s (command start → new VMM process %5.2f s, VMM → running %5.2f s); load %s\n' \
            "$(s $ms)" "$(s $(( vmm - t0 )))" "$(s $(( t1 - vmm )))" "$(cut -d' ' -f1 /proc/loadavg)" | tee -a "$out"
        "$vmctl" reconcile resume --state-dir "$state" --stack rb >/dev/null
        probe wait-suspended "$status_json" false; sleep 1   # the pass that follows a resume is over
    done

    create_ms=()
    for c in $(seq 1 "$creates"); do
        echo "  new$c: {cpus: 1, memory: 128MiB}" >> "$work/commit/stack.yaml"
        git -C "$work/commit" add -A && git -C "$work/commit" commit --quiet -m "add new$c"
        rev=$(git -C "$work/commit" rev-parse HEAD)
        git -C "$work/commit" push --quiet origin main 2>/dev/null; t0=$(now_ms)
        probe wait-vm "$vmctl" "$state" rb "new$c" any 600 "$poll"
        t1=$(now_ms); ms=$(( t1 - t0 ))
        vmm=$(probe vm-started "$vmctl" "$state" rb "new$c")
        read -r secs result < <(probe pass "$status_json" "$rev" 600)
        create_ms+=("$ms")
        printf '  create %d: new VM new%d: push → running %6.2f s (push → VMM process %5.2f s, VMM → running %5.2f s); the pass %6.2f s, %s; load %s\n' \
            "$c" "$c" "$(s $ms)" "$(s $(( vmm - t0 )))" "$(s $(( t1 - vmm )))" "$secs" "$result" "$(cut -d' ' -f1 /proc/loadavg)" | tee -a "$out"
    done

    stats() { printf '%s\n' "$@" | probe stats; }
    {
        echo "commit → VM running with the new memory (push returned → vmctl status): $(stats "${change_ms[@]}")"
        echo "  push → the new VMM process (ls-remote every 1 s, fetch, validate, plan, the old VM's ACPI stop): $(stats "${change_pre[@]}")"
        echo "  new VMM process → running in vmctl status (the guest's boot, readiness, status polling every $poll s): $(stats "${change_boot[@]}")"
        echo "  the reconciler's pass (status.json history seconds: fetch … ready): $(printf '%s\n' "${pass_s[@]}" | awk '{print $1 * 1000}' | probe stats)"
        echo "the same by hand, vmctl restart vm1 (command start → running): $(stats "${restart_ms[@]}")"
        echo "  command start → the new VMM process (the ACPI stop): $(stats "${restart_pre[@]}")"
        echo "  new VMM process → running: $(stats "${restart_boot[@]}")"
        echo "commit → new VM running: $(stats "${create_ms[@]}")"
    } | tee -a "$out"
    stop_reconciler
    "$vmctl" destroy --state-dir "$state" --stack rb --auto-approve >/dev/null 2>&1
fi

if has idle; then
    echo "== idle cost: $vm_count VMs under supervision (SETTLE_SECONDS=$settle, IDLE_SECONDS=$idle)"
    repo idle
    stack idle "$vm_count" Always > "$work/idle/stack.yaml"
    commit_push "$work/idle" "initial"
    status_json=$state/stacks/idle/reconcile/status.json
    port=$(probe free-port)
    t0=$(now_ms)
    start_reconciler "$work/reconcile-idle.log" --git "$work/idle.git" --ref main --metrics-address "127.0.0.1:$port"
    probe wait-all "$vmctl" "$state" idle "$vm_count" "$status_json" "$boot_timeout"
    up_ms=$(( $(now_ms) - t0 ))
    echo "all $vm_count VMs running and the reconciler Ready after $(awk "BEGIN {printf \"%.1f\", $up_ms / 1000}") s (load $(cut -d' ' -f1-3 /proc/loadavg))" | tee -a "$out"
    sleep "$settle"

    pid=$reconciler_pid
    hz=$(getconf CLK_TCK)
    ticks() { awk '{print $14 + $15, $16 + $17}' "/proc/$pid/stat"; }   # comm has no spaces: "(vmctl)"
    kib() { awk -v k="$1:" '$1 == k {print $2}' "/proc/$pid/status"; }
    load0=$(cut -d' ' -f1-3 /proc/loadavg)
    read -r cpu0 child0 < <(ticks); w0=$(date +%s.%N)
    rss0=$(kib VmRSS); rss_max=$rss0; metrics_line="not scraped"
    while :; do
        sleep 5
        now=$(date +%s.%N)
        rss=$(kib VmRSS); (( rss > rss_max )) && rss_max=$rss
        if [[ $metrics_line == "not scraped" ]] && awk "BEGIN {exit !($now - $w0 >= $idle / 2)}"; then
            if curl -fsS --max-time 5 "http://127.0.0.1:$port/metrics" > "$work/metrics.txt"; then
                metrics_line="answered: $(wc -c < "$work/metrics.txt") bytes, $(grep -vc '^#' "$work/metrics.txt") samples"
            else
                metrics_line="FAILED (curl exit $?)"
            fi
        fi
        awk "BEGIN {exit !($now - $w0 >= $idle)}" && break
    done
    read -r cpu1 child1 < <(ticks); w1=$(date +%s.%N)
    rss1=$(kib VmRSS); hwm=$(kib VmHWM); threads=$(kib Threads); anon=$(kib RssAnon); file=$(kib RssFile)
    pss=$(awk '$1 == "Pss:" {print $2}' "/proc/$pid/smaps_rollup")
    top_maps=$(awk '/^[0-9a-f]+-[0-9a-f]+ / {f = ($6 == "" ? "[anonymous]" : $6)} $1 == "Rss:" {r[f] += $2}
        END {for (k in r) if (r[k] >= 512) printf "%d %s\n", r[k], k}' "/proc/$pid/smaps" | sort -rn | head -8 |
        awk '{n = split($2, p, "/"); printf "%s%s %.1f", (NR > 1 ? ", " : ""), p[n], $1 / 1024} END {print ""}')
    floor=$( { /usr/bin/time -f '%M' "$vmctl" --version >/dev/null; } 2>&1 | tail -1 || echo '?')
    load1=$(cut -d' ' -f1-3 /proc/loadavg)
    read -r npasses results pass_secs < <(probe passes "$status_json" "$w0" "$w1")
    running=$(probe wait-all "$vmctl" "$state" idle "$vm_count" "$status_json" 1 >/dev/null 2>&1 && echo "all $vm_count" || echo "NOT all")
    read -r cpu_pct child_pct window < <(awk -v a="$cpu0" -v b="$cpu1" -v c="$child0" -v d="$child1" -v t0="$w0" -v t1="$w1" -v hz="$hz" \
        'BEGIN {w = t1 - t0; printf "%.3f %.3f %.1f\n", (b - a) / hz / w * 100, (d - c) / hz / w * 100, w}')
    {
        echo "idle window: ${window} s, load average before $load0, after $load1; $running VMs still running at the end"
        echo "reconciler CPU (utime+stime): $((cpu1 - cpu0)) ticks of 1/$hz s = ${cpu_pct}% of one core (target < ${target_cpu_pct}%)"
        echo "  its waited-for children (cutime+cstime: git ls-remote every 10 s): ${child_pct}% of one core"
        echo "reconciler RSS: VmRSS up to $(mib "$rss_max") MiB in the window (target < ${target_rss_mib} MiB): $(mib "$rss0") MiB at its start, $(mib "$rss1") MiB at its end"
        echo "  at the end: RssAnon $(mib "$anon") MiB + RssFile $(mib "$file") MiB (the binary's and shared libraries' pages); Pss $(mib "$pss") MiB; $threads threads"
        echo "  largest resident mappings (MiB): $top_maps"
        echo "  VmHWM (peak since it started, the initial apply of $vm_count VMs included): $(mib "$hwm") MiB; for scale, \`vmctl --version\` peaks at $(mib "$floor") MiB"
        echo "/metrics (127.0.0.1:$port) scraped once in the window: $metrics_line"
        echo "full passes in the window (status.json history): $npasses ($results), seconds each: $pass_secs"
    } | tee -a "$out"
    verdict=$(awk -v c="$cpu_pct" -v r="$rss_max" -v tc="$target_cpu_pct" -v tr="$target_rss_mib" 'BEGIN {print (c < tc && r / 1024 < tr) ? "met" : "MISSED"}')
    [[ $metrics_line == answered* && $npasses -ge 1 && $running == all* ]] || verdict=MISSED
    echo "# idle target (< ${target_cpu_pct}% of a core, < ${target_rss_mib} MiB RSS, /metrics answers, periodic passes ran): $verdict" | tee -a "$out"
    [[ $verdict == met ]] || status=1
    stop_reconciler
    "$vmctl" destroy --state-dir "$state" --stack idle --auto-approve >/dev/null 2>&1
fi

echo "# load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)" | tee -a "$out"
echo "== wrote $out"
exit $status
