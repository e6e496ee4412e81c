import Foundation
import Planner
import VMCtlModel

/// Progress reports from the executor; the CLI turns them into lines or a live display.
public protocol ApplyEvents: Sendable {
    func started(_ change: Change)
    /// A step of a running action (between `started` and `finished`); called from the action's thread.
    func progressed(_ change: Change, phase: ActionPhase)
    func finished(_ change: Change, outcome: ActionOutcome)
}

extension ApplyEvents {
    /// Views that show only starts and ends ignore the steps in between.
    public func progressed(_ change: Change, phase: ActionPhase) {}
}

public enum ActionOutcome: Sendable {
    case done(detail: String, duration: Duration)
    case failed(error: String, duration: Duration)
    case skipped(reason: String)
}

public struct ApplyOptions: Sendable {
    public var parallelism: Int
    /// How long a graceful stop may take before the VMM is ended.
    public var stopTimeout: Duration

    public init(parallelism: Int = 4, stopTimeout: Duration = .seconds(30)) {
        self.parallelism = max(1, parallelism)
        self.stopTimeout = stopTimeout
    }
}

public struct ApplyReport: Sendable {
    public var outcomes: [(change: Change, outcome: ActionOutcome)]
    public var interrupted: Bool

    public var failures: Int {
        outcomes.count { if case .done = $0.outcome { return false } else { return true } }
    }
}

/// Runs a plan wave by wave, in parallel inside a wave. A failure skips the changes that depend on it;
/// independent branches go on. A cancellation stops starting new actions and lets running ones finish.
public final class Executor: @unchecked Sendable {
    let runtime: StackRuntime
    let options: ApplyOptions
    let events: any ApplyEvents
    private let lock = NSLock()
    private var cancelFlag = false
    private var drainFlag = false

    public init(runtime: StackRuntime, options: ApplyOptions, events: any ApplyEvents) {
        self.runtime = runtime
        self.options = options
        self.events = events
    }

    public func cancel() { lock.withLock { cancelFlag = true } }
    public var isCancelled: Bool { lock.withLock { cancelFlag } }

    /// Starts no new action but, unlike `cancel`, lets the running ones finish whole, readiness waits included: a
    /// daemon's graceful shutdown, where nobody is at a terminal waiting to get control back.
    public func drain() { lock.withLock { drainFlag = true } }
    private var startsNothing: Bool { lock.withLock { cancelFlag || drainFlag } }

    public func apply(_ plan: Plan, desired: Stack, observed: ObservedState) -> ApplyReport {
        let instances = Dictionary(desired.instances.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        var outcomes: [(Change, ActionOutcome)] = []
        // A VM the plan cannot touch (its state file cannot be read) counts as failed for what depends on it.
        var failed: Set<ResourceAddress> = Set(plan.blocked.map(\.address))
        let active = plan.changes.filter { $0.action != .noop }
        do { try runtime.allocateAddresses(for: desired) } catch {
            // Without addresses no VM with a NIC can boot; report it on every change rather than half-applying.
            let outcomes = active.map { ($0, ActionOutcome.failed(error: "\(error)", duration: .zero)) }
            for (change, outcome) in outcomes { events.finished(change, outcome: outcome) }
            return ApplyReport(outcomes: outcomes, interrupted: false)
        }
        for wave in Set(active.map(\.wave)).sorted() {
            let changes = active.filter { $0.wave == wave }
            let results = ResultSlots(count: changes.count)
            let gate = DispatchSemaphore(value: options.parallelism)
            let group = DispatchGroup()
            for (index, change) in changes.enumerated() {
                if let blocker = blocker(of: change, failed: failed, instances: instances, observed: observed) {
                    let why = plan.blocked.contains { $0.address == blocker } ? "is not touched (its state file cannot be read)" : "failed or was skipped"
                    let outcome = ActionOutcome.skipped(reason: "\(blocker) \(why)")
                    results.set(index, outcome)
                    events.finished(change, outcome: outcome)
                    continue
                }
                if startsNothing {
                    let outcome = ActionOutcome.skipped(reason: "interrupted before it started")
                    results.set(index, outcome)
                    events.finished(change, outcome: outcome)
                    continue
                }
                gate.wait()
                // A wave wider than the parallelism waits here, maybe for minutes: a stop may have come meanwhile.
                if startsNothing {
                    gate.signal()
                    let outcome = ActionOutcome.skipped(reason: "interrupted before it started")
                    results.set(index, outcome)
                    events.finished(change, outcome: outcome)
                    continue
                }
                group.enter()
                events.started(change)
                DispatchQueue.global().async {
                    let outcome = self.run(change, desired: desired, instances: instances, observed: observed)
                    results.set(index, outcome)
                    self.events.finished(change, outcome: outcome)
                    gate.signal()
                    group.leave()
                }
            }
            group.wait()
            for (change, outcome) in zip(changes, results.all) {
                guard let outcome else { continue }
                outcomes.append((change, outcome))
                if case .done = outcome { continue }
                failed.insert(change.address)
            }
        }
        return ApplyReport(outcomes: outcomes, interrupted: startsNothing)
    }

    /// The failed resource this change needs, if any: networks and volumes it uses, VMs it depends on.
    private func blocker(of change: Change, failed: Set<ResourceAddress>, instances: [String: VMInstance], observed: ObservedState) -> ResourceAddress? {
        guard !failed.isEmpty, change.address.kind == .vm, let instance = instances[change.address.name] else { return nil }
        var needs = instance.spec.networks.map { ResourceAddress(.network, $0.network) }
            + instance.spec.disks.map { ResourceAddress(.volume, $0.volume) }
        for failure in failed where failure.kind == .vm {
            let definition = instances[failure.name]?.definition ?? observed.vms[failure.name]?.definition
            if let definition, instance.spec.dependsOn.contains(definition) { needs.append(failure) }
        }
        return needs.first { failed.contains($0) }
    }

    private func run(_ change: Change, desired: Stack, instances: [String: VMInstance], observed: ObservedState) -> ActionOutcome {
        let clock = ContinuousClock()
        let start = clock.now
        do {
            let detail = try perform(change, desired: desired, instances: instances, observed: observed)
            return .done(detail: detail, duration: clock.now - start)
        } catch {
            return .failed(error: "\(error)", duration: clock.now - start)
        }
    }

    private func perform(_ change: Change, desired: Stack, instances: [String: VMInstance], observed: ObservedState) throws -> String {
        let name = change.address.name
        let cancelled: @Sendable () -> Bool = { [weak self] in self?.isCancelled ?? true }
        switch change.address.kind {
        case .network:
            switch change.action {
            case .create, .replace:
                guard let spec = desired.networks[name] else { return "" }
                try runtime.createNetwork(name, spec: spec)
                return spec.mode == .isolated ? "switch running" : "bridge up"
            case .delete:
                try runtime.deleteNetwork(name)
                return "removed"
            default: return ""
            }
        case .volume:
            switch change.action {
            case .create:
                guard let spec = desired.volumes[name] else { return "" }
                try runtime.createVolume(name, spec: spec)
                return "created"
            case .update:
                guard let spec = desired.volumes[name] else { return "" }
                try runtime.growVolume(name, spec: spec)
                return "grown to \(spec.size?.description ?? "?")"
            case .delete:
                try runtime.deleteVolume(name)
                return "deleted with its data"
            default: return ""
            }
        case .vm:
            if [.create, .replace, .start, .restart, .reset].contains(change.action), let instance = instances[name] {
                try awaitStartingDependencies(of: instance, observed: observed, cancelled: cancelled)
            }
            return try performVM(change, instance: instances[name], observed: observed.vms[name], cancelled: cancelled)
        }
    }

    /// A VM this one depends on may still be booting, started by an apply that was interrupted; its plan
    /// entry is a no-op, so wait here until it is ready, as if this apply had started it.
    private func awaitStartingDependencies(of instance: VMInstance, observed: ObservedState, cancelled: @escaping @Sendable () -> Bool) throws {
        for (name, vm) in observed.vms.sorted(by: { $0.key < $1.key })
        where vm.state == .starting && instance.spec.dependsOn.contains(vm.definition) {
            try runtime.awaitReady(name, cancelled: cancelled)
        }
    }

    private func performVM(_ change: Change, instance: VMInstance?, observed: ObservedVM?, cancelled: @escaping @Sendable () -> Bool) throws -> String {
        let name = change.address.name
        let events = self.events
        let progress: PhaseReport = { events.progressed(change, phase: $0) }
        switch change.action {
        case .create, .replace:
            guard let instance else { return "" }
            if change.action == .replace {
                // Graceful first: the guest flushes its disks before its VM is recreated.
                progress(.stopping)
                try runtime.stop(name, timeout: options.stopTimeout)
                try runtime.destroy(name, keepAddresses: true)
            }
            if PowerIntent.shouldRun(instance.spec.runStrategy, observed: change.action == .create ? nil : observed?.state) {
                try runtime.start(name, spec: instance.spec, cancelled: cancelled, progress: progress)
                return "running"
            }
            try runtime.define(name, spec: instance.spec)
            return "created, stopped (runStrategy \(instance.spec.runStrategy.rawValue))"
        case .start:
            guard let instance else { return "" }
            try runtime.start(name, spec: instance.spec, cancelled: cancelled, progress: progress)
            return "running"
        case .stop:
            progress(.stopping)
            let outcome = try runtime.stop(name, newSpec: instance?.spec, timeout: options.stopTimeout)
            return "stopped (\(outcome.rawValue))"
        case .restart:
            guard let instance else { return "" }
            progress(.stopping)
            let outcome = try runtime.stop(name, newSpec: instance.spec, timeout: options.stopTimeout)
            try runtime.start(name, spec: instance.spec, cancelled: cancelled, progress: progress)
            return "restarted (stop \(outcome.rawValue))"
        case .reset:
            if let instance { try runtime.update(name, spec: instance.spec) }
            try runtime.reset(name, cancelled: cancelled, progress: progress)
            return "reset"
        case .update:
            guard let instance else { return "" }
            try runtime.update(name, spec: instance.spec)
            return "updated"
        case .delete:
            progress(.stopping)
            let outcome = try runtime.stop(name, timeout: options.stopTimeout)
            try runtime.destroy(name)
            return "deleted (stop \(outcome.rawValue))"
        case .noop:
            return ""
        }
    }
}

/// Outcomes of one wave, filled in by concurrent actions.
private final class ResultSlots: @unchecked Sendable {
    private let lock = NSLock()
    private var slots: [ActionOutcome?]

    init(count: Int) { slots = Array(repeating: nil, count: count) }

    func set(_ index: Int, _ outcome: ActionOutcome) { lock.withLock { slots[index] = outcome } }
    var all: [ActionOutcome?] { lock.withLock { slots } }
}
