import Foundation
import Planner
import Runtime
import Telemetry
import VMCtlModel

extension Reconciler {
    var paths: ReconcilePaths? { stack.map { ReconcilePaths(stateDirectory: stateDirectory, stack: $0) } }

    /// Reads every VM's process from /proc (no VMM is asked), notes exits and recoveries, a reboot, a suspension, and
    /// feeds the metrics. Cheap: it runs every `watchInterval`.
    func poll() async {
        guard let stack, let paths, var status else { return }
        let runtime = runtimeFor(stack)
        let live = await Self.offPool { runtime.liveness() }
        lastLiveness = live
        let now = clock()
        let before = status

        let suspended = SuspendState.read(paths) != nil
        if suspended != status.suspended {
            status.suspended = suspended
            event(suspended ? "Suspended" : "Resumed", suspended ? "reconciliation suspended: no applies and no restarts until 'vmctl reconcile resume'"
                                                                 : "reconciliation resumed")
            if !suspended { nextTick = now }
        }
        metrics?.setSuspended(stack: stack, suspended)

        if let boot = bootID.read() {
            if let recorded = status.bootID, recorded != boot {
                let wereRunning = Set(status.vms.filter { $0.value.running }.keys)
                status.recovering = wereRunning.isEmpty ? nil : wereRunning.sorted()
                for name in wereRunning {
                    status.vms[name]?.running = false
                    status.vms[name]?.failures = 0
                    status.vms[name]?.nextAttempt = nil
                }
                event("HostRebooted", "the host rebooted (boot id \(recorded.prefix(8)) → \(boot.prefix(8))); VMs that were running: "
                      + (wereRunning.isEmpty ? "none" : wereRunning.sorted().joined(separator: ", ")))
                nextTick = now
            }
            status.bootID = boot
        }

        for (name, vm) in live.sorted(by: { $0.key < $1.key }) {
            var supervision = status.vms[name] ?? VMSupervision()
            if vm.state == .running {
                if !supervision.running || supervision.startedAt != vm.startedAt {
                    supervision.running = true
                    supervision.startedAt = vm.startedAt
                } else if supervision.failures > 0, let started = vm.startedAt,
                          now.timeIntervalSince1970 - started >= Backoff.seconds(options.backoff.resetAfter) {
                    supervision.failures = 0
                    supervision.nextAttempt = nil
                    event("Recovered", "VM \(name) has run for \(Int(now.timeIntervalSince1970 - started)) s: its failures are forgotten", vm: name)
                }
            } else if supervision.running {
                supervision.running = false
                supervision.lastExit = Self.describe(vm)
                let strategy = vm.spec.runStrategy
                if !suspended, PowerIntent.shouldRun(strategy, observed: vm.state) {
                    let ranFor = supervision.startedAt.map { now.timeIntervalSince1970 - $0 } ?? 0
                    if ranFor >= Backoff.seconds(options.backoff.resetAfter) { supervision.failures = 0 }
                    supervision.failures += 1
                    supervision.nextAttempt = attemptTime(after: supervision.failures, now: now)
                    event("VMExited", "VM \(name) \(supervision.lastExit ?? "exited") after \(Int(ranFor)) s; "
                          + restartWording(supervision, strategy: strategy), warning: vm.state == .crashed, vm: name)
                } else {
                    event("VMExited", "VM \(name) \(supervision.lastExit ?? "exited"); left stopped (runStrategy \(strategy.rawValue)\(suspended ? ", suspended" : ""))",
                          warning: vm.state == .crashed, vm: name)
                }
            }
            status.vms[name] = supervision
        }
        // A VM whose create failed has no folder yet: keep its failures (and back-off) while the stack still wants it.
        let desired = Set(lastGood?.instances.map(\.name) ?? [])
        for name in status.vms.keys where live[name] == nil && !desired.contains(name) { status.vms[name] = nil }

        metrics?.observeVMs(stack: stack, live.sorted { $0.key < $1.key }.map { name, vm in
            VMSample(vm: name, backend: vm.backend.rawValue, runStrategy: vm.spec.runStrategy.rawValue, running: vm.state == .running,
                     ready: vm.ready, cpuSeconds: vm.cpuSeconds, residentBytes: vm.residentBytes)
        })
        self.status = status
        if status != before { writeStatus() }
    }

    /// A VM of the desired stack that its strategy wants running, is not running, and is not waiting out a back-off.
    func needsStart() -> Bool {
        guard let status, !status.suspended, let desired = lastGood else { return false }
        let now = clock()
        for instance in desired.instances {
            guard let vm = lastLiveness[instance.name], vm.state != .running else { continue }
            let observed: PowerState = rebootRecovery.contains(instance.name) ? .crashed : vm.state
            // The manifest's strategy, as the planner uses it: a VM it would not start must not ask for passes.
            guard PowerIntent.shouldRun(instance.spec.runStrategy, observed: observed) else { continue }
            if let next = status.vms[instance.name]?.nextAttempt, next > now { continue }
            return true
        }
        return false
    }

    /// VMs whose next start is not due yet.
    func heldBack(at now: Date) -> Set<String> {
        Set((status?.vms ?? [:]).filter { ($0.value.nextAttempt ?? .distantPast) > now }.keys)
    }

    func attemptTime(after failures: Int, now: Date) -> Date? {
        let delay = options.backoff.delay(failures: failures, jitter: jitter())
        return delay == .zero ? nil : now.addingTimeInterval(Backoff.seconds(delay))
    }

    func restartWording(_ supervision: VMSupervision, strategy: RunStrategy) -> String {
        guard let next = supervision.nextAttempt else { return "restarting (runStrategy \(strategy.rawValue))" }
        let wait = Int(next.timeIntervalSince(clock()).rounded(.up))
        return "crash loop: \(supervision.failures) failures in a row, next attempt in \(wait) s at \(next.iso8601)"
    }

    static func describe(_ vm: VMLiveness) -> String {
        switch vm.state {
        case .crashed:
            if let status = vm.exitStatus, status > 128 { return "crashed (killed by signal \(status - 128))" }
            if let status = vm.exitStatus { return "crashed (exit status \(status))" }
            return "crashed"
        default: return "stopped"
        }
    }

    func event(_ reason: String, _ message: String, warning: Bool = false, vm: String? = nil) {
        guard let stack, let paths else { return }
        let entry = ReconcileEvent(time: clock(), stack: stack, type: warning ? .warning : .normal, reason: reason, message: message,
                                   revision: status?.lastAttemptedRevision, vm: vm)
        if warning { logger.warning("\(reason): \(message)", metadata: ["stack": "\(stack)"]) } else {
            logger.info("\(reason): \(message)", metadata: ["stack": "\(stack)"])
        }
        do {
            try AtomicFile.makeDirectory(paths.root)
            try EventLog(path: paths.events).append(entry)
        } catch {
            logger.error("cannot write the event log \(paths.events): \(error)")
        }
    }

    func writeStatus() {
        guard let paths, var status else { return }
        status.updatedAt = clock()
        status.nextTick = options.once ? nil : nextTick
        self.status = status
        do {
            try AtomicFile.makeDirectory(paths.root)
            try AtomicFile.write(try JSONCoding.encoder.encode(status), to: paths.status, mode: 0o644)
        } catch {
            logger.error("cannot write the status file \(paths.status): \(error)")
        }
    }
}
