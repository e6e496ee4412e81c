import ArgumentParser
import Foundation
import Planner
import Runtime
import VMCtlModel

struct ApplyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "apply",
        abstract: "Make the host match the manifests: plan, confirm, then create, start, stop and remove VMs.",
        discussion: """
            Shows the plan and asks for confirmation on a terminal; no prompt with --auto-approve, CI=true, or when input is not a terminal. Waves run in parallel; each VM is ready when its readiness marker appears on its console. A failure skips what depends on it, the rest goes on, and the next apply converges. Ctrl-C starts no new actions and lets running ones finish.

            On a terminal, progress is a table redrawn in place: one line per change with its phase (creating, importing image, booting, waiting for readiness, ready or failed) and elapsed time; errors follow it in full. When output is not a terminal, or with NO_COLOR set or TERM=dumb, it is one line per finished change instead.

            \(PathOptions.discussion) A plan saved by 'vmctl plan --out' was checked when it was made: give these options to plan.

            Exit status: 0 success, 1 failure or refused plan, 2 usage error.
            """)

    @OptionGroup var global: GlobalOptions
    @OptionGroup var format: OutputOptions
    @OptionGroup var locking: LockOptions
    @OptionGroup var confinement: PathOptions

    @Flag(help: "Apply without asking for confirmation.")
    var autoApprove = false

    @Flag(help: "Delete VMs and networks of the stack that are no longer in the manifest.")
    var prune = false

    @Flag(help: "Also delete volumes that are no longer in the manifest (their data is lost).")
    var pruneVolumes = false

    @Option(help: "How many actions of one wave may run at once.")
    var parallelism = 4

    @Option(help: ArgumentHelp("Stop starting new actions after this long (e.g. 10m).", valueName: "duration"))
    var timeout: Duration?

    @Option(help: ArgumentHelp("Apply a plan saved by 'vmctl plan --out'; refused if the host changed since.", valueName: "file"))
    var plan: String?

    @Argument(help: ArgumentHelp("Manifest files or folders; - reads standard input.", valueName: "path"))
    var paths: [String] = []

    func validate() throws {
        guard paths.isEmpty != (plan == nil) else {
            throw ValidationError(plan == nil ? "name at least one manifest file or folder (or - for standard input), or --plan FILE"
                                              : "give either --plan FILE or manifests, not both")
        }
        guard plan == nil || !confinement.restricts else {
            throw ValidationError("--restrict-paths and --allow-path check manifests; a saved plan has none (give them to 'vmctl plan')")
        }
        guard parallelism >= 1 else { throw ValidationError("--parallelism must be at least 1") }
    }

    func run() throws {
        let saved = try plan.map(loadSavedPlan)
        let desired = try saved?.desired ?? StackLoading.requireStack(paths, host: RuntimeContext(global).stateDirectory,
                                                                                  confinement: confinement)
        let context = RuntimeContext(global)
        let runtime = context.runtime(for: desired.name)
        context.noteReconciler(desired.name, command: "apply")
        let lock = try context.lock(runtime, command: "vmctl apply", timeout: locking.lockTimeout)
        defer { withExtendedLifetime(lock) {} }

        let observed = try observe(runtime)
        let thePlan: Plan
        if let saved {
            do { try saved.verify(against: observed) } catch {
                Console.err("vmctl: error: \(error)\n")
                throw ExitCode(1)
            }
            thePlan = saved.plan
        } else {
            thePlan = Planner.plan(desired: desired, observed: observed, options: PlanOptions(prune: prune, pruneVolumes: pruneVolumes))
        }
        let style = Style.forStandardOutput()
        if format.output == .human { Console.out(PlanView(style: style).render(thePlan)) }
        Console.err(PlanView(style: Style(enabled: false)).renderRefusals(thePlan))
        guard thePlan.isApplicable else { throw ExitCode(1) }
        // A VM whose state file cannot be read is left alone; the rest is applied, and apply exits 1 for it.
        let blocked = thePlan.blocked.count
        guard thePlan.hasChanges else {
            try record(desired, runtime)
            if format.output == .json { Console.out(ApplyJSON.encode(ApplyJSON(stack: desired.name, report: nil))) }
            if blocked > 0 { throw ExitCode(1) }
            return
        }
        guard try confirmed() else {
            Console.err("Apply cancelled; nothing was changed.\n")
            throw ExitCode(1)
        }
        try record(desired, runtime)

        let live = ApplyDisplayMode.choose(output: format.output) == .live ? LiveApplyDisplay(changes: thePlan.changes, style: style) : nil
        let executor = Executor(runtime: runtime, options: ApplyOptions(parallelism: parallelism),
                                events: live ?? ApplyProgress(style: style, quiet: format.output == .json))
        let interrupts = live.map { live in
            InterruptHandler(announce: { live.announce($0) }, beforeExit: { live.finish() }) { executor.cancel() }
        } ?? InterruptHandler { executor.cancel() }
        if let timeout {
            DispatchQueue.global().asyncAfter(deadline: .now() + .milliseconds(Int(timeout.components.seconds * 1000))) { executor.cancel() }
        }
        let clock = ContinuousClock()
        let started = clock.now
        if format.output == .human { Console.out("\nApplying:\n") }
        live?.begin()
        let report = executor.apply(thePlan, desired: desired, observed: observed)
        live?.finish()
        withExtendedLifetime(interrupts) {}
        let elapsed = ApplyProgress.seconds(clock.now - started)
        switch format.output {
        case .json: Console.out(ApplyJSON.encode(ApplyJSON(stack: desired.name, report: report)))
        case .human:
            if live != nil { Console.out(LiveApplyDisplay.failureDetails(report, style: style)) }
            let done = report.outcomes.count - report.failures
            let untouched = blocked == 0 ? "" : ", \(blocked) VM\(blocked == 1 ? "" : "s") not touched (state file cannot be read, see above)"
            let verdict = report.failures == 0 && blocked == 0 ? style.green("Apply complete") : style.red("Apply failed")
            Console.out("\n\(style.bold(verdict)): \(done) done, \(report.failures) failed or skipped\(untouched), in \(elapsed).\(report.interrupted ? " Interrupted; run apply again to finish." : "")\n")
        }
        if report.failures > 0 || report.interrupted || blocked > 0 { throw ExitCode(1) }
    }

    /// Records the budget the stack is applied with (also when nothing else changes: `host` may have), for `vmctl destroy`.
    private func record(_ desired: Stack, _ runtime: StackRuntime) throws {
        do { try runtime.saveStackRecord(desired) } catch {
            Console.err("vmctl: error: stack '\(desired.name)': cannot record its limits: \(error)\n")
            throw ExitCode(1)
        }
    }

    private func observe(_ runtime: StackRuntime) throws -> ObservedState {
        do { return try runtime.observe() } catch {
            Console.err("vmctl: error: \(error)\n")
            throw ExitCode(1)
        }
    }

    private func loadSavedPlan(_ path: String) throws -> SavedPlan {
        guard let data = FileManager.default.contents(atPath: path) else { throw UsageError(message: "cannot read the plan '\(path)'") }
        do { return try JSONDecoder().decode(SavedPlan.self, from: data) } catch {
            throw UsageError(message: "'\(path)' is not a plan saved by 'vmctl plan --out': \(error)")
        }
    }

    /// Asks on a terminal; never prompts in CI, with --auto-approve, or when stdin is not a terminal.
    private func confirmed() throws -> Bool {
        let env = ProcessInfo.processInfo.environment
        if autoApprove || env["CI"] == "true" || isatty(STDIN_FILENO) != 1 { return true }
        Console.out("\nApply these changes? Only 'yes' is accepted: ")
        return readLine()?.trimmingCharacters(in: .whitespaces) == "yes"
    }
}

/// The JSON result of `vmctl apply -o json`.
struct ApplyJSON: Encodable {
    struct Action: Encodable {
        var address: String
        var action: String
        var result: String
        var detail: String
        var seconds: Double?
    }

    var stack: String
    var changed: Bool
    var interrupted: Bool
    var actions: [Action]

    init(stack: String, report: ApplyReport?) {
        self.stack = stack
        changed = report != nil
        interrupted = report?.interrupted ?? false
        actions = (report?.outcomes ?? []).map { change, outcome in
            switch outcome {
            case .done(let detail, let duration):
                return Action(address: change.address.description, action: change.action.rawValue, result: "done", detail: detail, seconds: Self.seconds(duration))
            case .failed(let error, let duration):
                return Action(address: change.address.description, action: change.action.rawValue, result: "failed", detail: error, seconds: Self.seconds(duration))
            case .skipped(let reason):
                return Action(address: change.address.description, action: change.action.rawValue, result: "skipped", detail: reason, seconds: nil)
            }
        }
    }

    static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }

    static func encode(_ value: ApplyJSON) -> String { PlanJSON.encode(value) }
}
