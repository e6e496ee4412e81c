import Foundation
import Planner
import Runtime
import VMCtlModel

extension Reconciler {
    /// One full pass: fetch, validate, plan against the live host, apply, and record what happened.
    func tick(kicked: Bool = false) async {
        let started = clock()
        sourceChanged = false
        startsAttempted = false
        let source = self.source
        let fetched = await Self.offPool { Result { try source.fetch() } }

        var candidate: (stack: Stack, revision: String)?
        var problem: (reason: String, message: String, revision: String?)?
        switch fetched {
        case .failure(let error):
            problem = ("FetchFailed", "cannot fetch \(source.description): \(error)", nil)
        case .success(let snapshot):
            lastFetched = snapshot.revision
            let loader = RevisionLoader(allowPaths: options.allowPaths, environment: environment, stateDirectory: stateDirectory)
            let loaded = await Self.offPool { loader.load(snapshot) }
            let short = shortRevision(snapshot.revision)
            if let loadedStack = loaded.stack {
                if let stack, loadedStack.name != stack {
                    problem = ("StackRenamed", "\(ReconcileError.stackRenamed(from: stack, to: loadedStack.name, revision: short))", snapshot.revision)
                } else {
                    candidate = (loadedStack, snapshot.revision)
                }
            } else {
                let errors = loaded.diagnostics.filter { $0.severity == .error }
                let shown = errors.prefix(3).map(\.oneLine).joined(separator: "; ")
                let more = errors.count > 3 ? " (and \(errors.count - 3) more)" : ""
                problem = ("ValidationFailed", "revision \(short) is not valid, nothing of it was applied: \(shown)\(more)", snapshot.revision)
            }
        }

        if stack == nil {
            guard let candidate else {
                logger.error("\(problem?.message ?? "no stack"); trying again in \(Int(Backoff.seconds(options.retryInterval))) s")
                nextTick = started.addingTimeInterval(Backoff.seconds(options.retryInterval))
                return
            }
            do { try adopt(candidate.stack.name) } catch {
                fatal = error
                return
            }
            await poll()
        }
        guard let stack, var status = self.status else { return }
        if status.suspended {
            status.record(TickRecord(started: started, seconds: 0, revision: candidate?.revision, result: "suspended", summary: "suspended"))
            self.status = status
            nextTick = started.addingTimeInterval(Backoff.seconds(options.interval))
            writeStatus()
            return
        }
        status.lastAttemptedRevision = candidate?.revision ?? problem?.revision ?? status.lastAttemptedRevision
        status.set("Reconciling", true, reason: "Progressing", message: "applying revision \(shortRevision(status.lastAttemptedRevision ?? "?"))",
                   revision: status.lastAttemptedRevision, now: started)
        if let problem {
            if status.condition("Stalled")?.message != problem.message {
                event(problem.reason, problem.message, warning: true)
            }
            status.set("Stalled", true, reason: problem.reason, message: problem.message, revision: problem.revision, now: started)
            status.set("Ready", false, reason: problem.reason, message: problem.message, revision: problem.revision, now: started)
        }
        self.status = status
        writeStatus()

        // A VM the new revision changes starts over: its failures were those of the old spec.
        if let candidate, let lastGood {
            let before = Dictionary(lastGood.instances.map { ($0.name, $0.spec) }, uniquingKeysWith: { a, _ in a })
            for instance in candidate.stack.instances where before[instance.name] != instance.spec && self.status?.vms[instance.name] != nil {
                self.status?.vms[instance.name]?.failures = 0
                self.status?.vms[instance.name]?.nextAttempt = nil
            }
        }

        // The candidate first; when it cannot be applied, the last good revision keeps running (crashed VMs restarted).
        var result = TickResult(kind: "unchanged", summary: "nothing to do")
        var appliedCandidate = false
        for (index, desired) in [candidate?.stack, lastGood].enumerated() {
            guard let desired, index == 0 || desired != candidate?.stack else { continue }
            let attempt = await applyOnce(desired, revision: index == 0 ? candidate?.revision : status.lastAppliedRevision)
            result = attempt
            if index == 0 {
                if attempt.refusal == nil {
                    appliedCandidate = ["applied", "unchanged"].contains(attempt.kind)
                    break
                }
                let message = "revision \(shortRevision(candidate?.revision ?? "?")) was not applied: \(attempt.refusal ?? "")"
                if self.status?.condition("Stalled")?.message != message { event(attempt.kind == "prune-refused" ? "PruneRefused" : "PlanRefused", message, warning: true) }
                self.status?.set("Stalled", true, reason: attempt.kind == "prune-refused" ? "PruneRefused" : "PlanRefused", message: message,
                                 revision: candidate?.revision, now: started)
                self.status?.set("Ready", false, reason: "PlanRefused", message: message, revision: candidate?.revision, now: started)
                problem = ("PlanRefused", message, candidate?.revision)
            }
        }
        if candidate == nil, lastGood == nil { result = TickResult(kind: problem.map { $0.reason == "FetchFailed" ? "fetch-failed" : "invalid" } ?? "invalid", summary: problem?.message ?? "") }

        let now = clock()
        guard var final = self.status else { return }
        if appliedCandidate, let candidate {
            final.lastAppliedRevision = candidate.revision
            if result.kind == "applied" || final.lastAppliedAt == nil { final.lastAppliedAt = now }
            final.set("Ready", true, reason: "ReconciliationSucceeded", message: "revision \(shortRevision(candidate.revision)) is applied: \(result.summary)",
                      revision: candidate.revision, now: now)
            final.set("Stalled", false, reason: "ReconciliationSucceeded", message: "", revision: candidate.revision, now: now)
            lastGood = candidate.stack
            saveLastGood(candidate.stack)
            metrics?.setAppliedRevision(stack: stack, revision: candidate.revision)
        } else if result.failed || result.locked, problem == nil {
            final.set("Ready", false, reason: result.locked ? "LockHeld" : "ApplyFailed", message: result.summary, revision: candidate?.revision, now: now)
        }
        if problem == nil, final.condition("Stalled")?.status == true {
            final.set("Stalled", false, reason: "Progressing", message: "", revision: candidate?.revision, now: now)
        }
        // Every VM that was running before a reboot has had its start (or its failure, now in its back-off).
        if ["applied", "unchanged", "failed"].contains(result.kind) { final.recovering = nil }
        final.set("Reconciling", false, reason: result.locked ? "LockHeld" : "Idle", message: result.locked ? result.summary : "", revision: final.lastAttemptedRevision, now: now)
        final.record(TickRecord(started: started, seconds: now.timeIntervalSince(started), revision: candidate?.revision ?? problem?.revision,
                                result: problem != nil && result.kind == "unchanged" ? (problem?.reason == "FetchFailed" ? "fetch-failed" : problem?.reason == "PlanRefused" ? "refused" : "invalid") : result.kind,
                                summary: problem?.message ?? result.summary))
        self.status = final
        let transient = result.failed || result.locked || problem?.reason == "FetchFailed"
        nextTick = now.addingTimeInterval(Backoff.seconds(transient ? options.retryInterval : options.interval))
        if kicked && !startsAttempted || result.locked { kickQuietUntil = now.addingTimeInterval(Backoff.seconds(options.retryInterval)) }
        source.retain(Set([final.lastAppliedRevision, lastFetched].compactMap { $0 }))
        metrics?.reconciled(stack: stack, duration: .milliseconds(Int64(now.timeIntervalSince(started) * 1000)),
                            succeeded: appliedCandidate && !result.failed, at: now)
        writeStatus()
    }

    struct TickResult: Sendable {
        /// `applied`, `unchanged`, `failed`, `locked`, `refused`, `prune-refused`, `stopped`.
        var kind: String
        var summary: String
        var refusal: String?
        var failed: Bool { kind == "failed" }
        var locked: Bool { kind == "locked" }
    }

    /// Takes the stack: the lease (one reconciler per stack), its status file and last good revision.
    func adopt(_ name: String) throws {
        let paths = ReconcilePaths(stateDirectory: stateDirectory, stack: name)
        lease = try ReconcilerLease(paths, stack: name, source: source.description)
        stack = name
        SourceMemory(stateDirectory: stateDirectory, source: source).remember(name, source: source.description)
        var status = ReconcileStatus.read(paths.status) ?? ReconcileStatus(stack: name, source: source.description, pid: getpid(), updatedAt: clock())
        status.pid = getpid()
        status.source = source.description
        self.status = status
        if let data = FileManager.default.contents(atPath: paths.lastGood) { lastGood = try? JSONCoding.decoder.decode(Stack.self, from: data) }
        logger.info("reconciling stack '\(name)' from \(source.description)")
    }

    func saveLastGood(_ stack: Stack) {
        guard let paths, let data = try? JSONCoding.encoder.encode(stack) else { return }
        try? AtomicFile.write(data, to: paths.lastGood)
    }

    /// Lock, observe, plan, guard, apply: the blocking part, on a thread of its own.
    func applyOnce(_ desired: Stack, revision: String?) async -> TickResult {
        let runtime = runtimeFor(desired.name)
        let held = heldBack(at: clock())
        let recovering = rebootRecovery
        let options = self.options
        let current = self.current
        let outcome = await Self.offPool { () -> (TickResult, ApplyReport?) in
            let lock: StackLock
            do { lock = try StackLock(paths: runtime.paths, stack: runtime.stack, command: "vmctl reconcile", timeout: options.lockTimeout) } catch {
                return (TickResult(kind: "locked", summary: "\(error)"), nil)
            }
            defer { withExtendedLifetime(lock) {} }
            var observed: ObservedState
            do { observed = try runtime.observe() } catch { return (TickResult(kind: "failed", summary: "cannot read the host's state: \(error)"), nil) }
            // Stopped by the host going down, not by themselves: their strategy's view is that of a crash.
            for name in recovering where observed.vms[name]?.state == .stopped { observed.vms[name]?.state = .crashed }
            let plan = Planner.plan(desired: desired, observed: observed, options: PlanOptions(prune: options.prune)).holdingBack(held)
            guard plan.isApplicable else {
                return (TickResult(kind: "refused", summary: "plan refused", refusal: plan.refusals.map(\.message).joined(separator: "; ")), nil)
            }
            if let everything = plan.deletesEveryVM(observedVMs: observed.vms.count) {
                return (TickResult(kind: "prune-refused", summary: "prune refused",
                                   refusal: "it would delete every VM of the stack (\(everything.joined(separator: ", "))); an empty or broken revision must never wipe a host"), nil)
            }
            guard plan.hasChanges else {
                return (TickResult(kind: "unchanged", summary: plan.blocked.isEmpty ? "no changes" : "no changes; \(plan.blocked.count) VM(s) not touched (state file cannot be read)"), nil)
            }
            try? runtime.saveStackRecord(desired)
            let executor = Executor(runtime: runtime, options: ApplyOptions(parallelism: options.parallelism), events: QuietApplyEvents())
            guard current.begin(executor) else { return (TickResult(kind: "stopped", summary: "shutting down"), nil) }
            defer { current.end() }
            let report = executor.apply(plan, desired: desired, observed: observed)
            let done = report.outcomes.filter { $0.outcome.succeeded && $0.change.action != .noop }
            let summary = done.isEmpty ? "no changes" : done.map { "\($0.change.action.rawValue) \($0.change.address)" }.joined(separator: ", ")
            if report.interrupted {
                return (TickResult(kind: "stopped", summary: "shutting down after: \(summary)"), report)
            }
            if report.failures > 0 {
                let first = report.outcomes.first { !$0.outcome.succeeded }
                let what = first.map { "\($0.change.address) \($0.change.action.rawValue): \($0.outcome.text)" } ?? ""
                return (TickResult(kind: "failed", summary: "\(report.failures) change(s) failed: \(what)"), report)
            }
            return (TickResult(kind: "applied", summary: summary), report)
        }
        if let report = outcome.1 { recordOutcomes(report, revision: revision) }
        return outcome.0
    }

    /// Start results feed the back-off: a failed start counts as a failure in a row; a successful one ends a recovery.
    func recordOutcomes(_ report: ApplyReport, revision: String?) {
        guard let stack else { return }
        let now = clock()
        var counts: [String: Int] = [:]
        for (change, outcome) in report.outcomes where change.action != .noop {
            if outcome.succeeded { counts[change.action.rawValue, default: 0] += 1 }
            guard change.address.kind == .vm, [.create, .start, .restart, .replace, .reset].contains(change.action) else { continue }
            let name = change.address.name
            var supervision = status?.vms[name] ?? VMSupervision()
            switch outcome {
            case .done:
                startsAttempted = true
                // Running from now on, so an exit before the next poll is still seen as one.
                supervision.running = true
                supervision.startedAt = nil
                if change.action == .start, supervision.lastExit != nil || rebootRecovery.contains(name) {
                    supervision.restarts += 1
                    metrics?.vmRestarted(stack: stack, vm: name)
                    event("VMRestarted", "VM \(name) started again (runStrategy \(lastGood?.instances.first { $0.name == name }?.spec.runStrategy.rawValue ?? "?"))", vm: name)
                }
                if [.create, .replace].contains(change.action) { supervision.failures = 0 }
                supervision.nextAttempt = nil
                supervision.lastExit = nil
                rebootRecovery.remove(name)
            case .failed(let error, _):
                startsAttempted = true
                supervision.failures += 1
                supervision.startFailures += 1
                supervision.nextAttempt = attemptTime(after: supervision.failures, now: now)
                supervision.lastExit = "failed to start"
                metrics?.vmStartFailed(stack: stack, vm: name)
                event("StartFailed", "VM \(name) failed to \(change.action.rawValue): \(error); " + restartWording(supervision, strategy: lastGood?.instances.first { $0.name == name }?.spec.runStrategy ?? .always), warning: true, vm: name)
            case .skipped(let reason):
                // What it needs (its network, a volume, a VM it depends on) failed: a failure of its own for the back-off.
                guard !reason.hasPrefix("interrupted") else { continue }
                startsAttempted = true
                supervision.failures += 1
                supervision.nextAttempt = attemptTime(after: supervision.failures, now: now)
                event("StartFailed", "VM \(name) was not started: \(reason)", warning: true, vm: name)
            }
            status?.vms[name] = supervision
        }
        for (action, count) in counts { metrics?.changesApplied(stack: stack, action: action, count: count) }
        let done = report.outcomes.filter { $0.outcome.succeeded && $0.change.action != .noop }
        if !done.isEmpty {
            event("Applied", "revision \(shortRevision(revision ?? "?")): " + done.map { "\($0.change.action.rawValue) \($0.change.address)" }.joined(separator: ", "))
        }
    }
}
