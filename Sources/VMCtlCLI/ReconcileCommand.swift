import ArgumentParser
import Foundation
import Logging
import Reconciler
import Runtime
import ServiceLifecycle
import Telemetry
import VMCtlModel

struct ReconcileCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reconcile",
        abstract: "Keep a stack on this host equal to a folder or a git branch, heal crashed VMs, and serve metrics.",
        discussion: """
            vmctl reconcile --git URL --ref BRANCH (or --source DIR) runs until SIGTERM: every --interval it fetches, validates, plans against the live host and applies, so drift made by hand is corrected; a new commit or an edited file, a VM to restart, and a failure (after --retry-interval) make the next pass come sooner. A revision that does not validate, or whose plan is refused, is not applied: the last good one keeps running. VMs are supervised per runStrategy (Always, RerunOnFailure, Halted, Manual); repeated failures back off. See docs/reconcile.md.
            """,
        subcommands: [ReconcileRunCommand.self, ReconcileSuspendCommand.self, ReconcileResumeCommand.self],
        defaultSubcommand: ReconcileRunCommand.self)
}

struct ReconcileRunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run the reconciler (the default: 'vmctl reconcile --git URL' is 'vmctl reconcile run --git URL').",
        discussion: """
            Exit status: with --once, 0 when the stack ended the pass Ready, 1 otherwise; without, 0 after SIGTERM or SIGINT (the apply in progress finishes its running actions and starts nothing new), 1 when it cannot start (another reconciler owns the stack, the metrics address is taken), 2 usage error.
            """)

    @OptionGroup var global: GlobalOptions

    @Option(help: ArgumentHelp("A folder of manifests to follow.", valueName: "dir"))
    var source: String?

    @Option(help: ArgumentHelp("A git repository to follow (any URL git fetches: https://, ssh://, a path).", valueName: "url"))
    var git: String?

    @Option(help: ArgumentHelp("The branch (or a full ref, refs/tags/v1) to follow.", valueName: "ref"))
    var ref = "main"

    @Option(help: ArgumentHelp("The manifests' folder inside the repository.", valueName: "path"))
    var path = "."

    @Option(help: ArgumentHelp("The stack to manage, known before a revision validates (default: the first valid revision's).", valueName: "name"))
    var stack: String?

    @Option(help: ArgumentHelp("Full pass at least this often (corrects drift).", valueName: "duration"))
    var interval: Duration = .seconds(60)

    @Option(help: ArgumentHelp("Next pass after a failed one (fetch, apply, lock held).", valueName: "duration"))
    var retryInterval: Duration = .seconds(30)

    @Option(help: ArgumentHelp("How often to look for a new revision between passes (git ls-remote).", valueName: "duration"))
    var pollInterval: Duration = .seconds(10)

    @Option(help: ArgumentHelp("How often VM processes are checked for exits.", valueName: "duration"))
    var watchInterval: Duration = .seconds(2)

    @Flag(help: "Delete VMs and networks no longer in the manifests (never volumes; never every VM of the stack).")
    var prune = false

    @Flag(help: "One pass, then exit (0 when the stack is Ready).")
    var once = false

    @Option(name: .customLong("allow-path"), help: ArgumentHelp("A host folder manifests may name paths in, besides the source (repeatable).", valueName: "dir"))
    var allowPaths: [String] = []

    @Option(help: ArgumentHelp("Serve Prometheus metrics at this address (127.0.0.1:9464, [::1]:9464), or 'none'.", valueName: "address"))
    var metricsAddress = MetricsServer.defaultAddress

    @Option(help: ArgumentHelp("Back-off after the second failure in a row; it doubles with each further one.", valueName: "duration"))
    var backoffInitial: Duration = .seconds(10)

    @Option(help: ArgumentHelp("The longest back-off.", valueName: "duration"))
    var backoffMax: Duration = .seconds(300)

    @Option(help: ArgumentHelp("A VM that runs this long is healthy again: its failures are forgotten.", valueName: "duration"))
    var backoffReset: Duration = .seconds(600)

    @Option(help: "How many actions of one wave may run at once.")
    var parallelism = 4

    func validate() throws {
        guard (source == nil) != (git == nil) else { throw ValidationError("give either --source DIR or --git URL") }
        guard parallelism >= 1 else { throw ValidationError("--parallelism must be at least 1") }
        if let stack, let problem = ResourceName.problem(with: stack) { throw ValidationError("--stack '\(stack)' \(problem)") }
        for (name, value) in [("interval", interval), ("retry-interval", retryInterval), ("poll-interval", pollInterval), ("watch-interval", watchInterval)]
        where value <= .zero { throw ValidationError("--\(name) must be more than 0") }
        guard backoffInitial <= backoffMax else { throw ValidationError("--backoff-initial must not be longer than --backoff-max") }
        for folder in allowPaths where !folder.hasPrefix("/") { throw ValidationError("--allow-path needs an absolute folder: \(folder)") }
    }

    func run() throws {
        let context = RuntimeContext(global)
        let stackSource: any StackSource = if let source { DirectorySource(folder: source) } else {
            GitSource(url: git!, ref: ref, path: path, checkoutsFolder: gitCheckoutsFolder(context.stateDirectory))
        }
        var options = ReconcileOptions()
        options.stack = stack
        options.interval = interval
        options.retryInterval = retryInterval
        options.sourcePollInterval = pollInterval
        options.watchInterval = watchInterval
        options.prune = prune
        options.once = once
        options.allowPaths = allowPaths
        options.backoff = Backoff(initial: backoffInitial, maximum: backoffMax, resetAfter: backoffReset)
        options.parallelism = parallelism
        var logger = Logger(label: "vmctl.reconcile") { StreamLogHandler.standardError(label: $0) }
        logger.logLevel = .info
        let metrics = VMCtlMetrics()
        let reconciler = Reconciler(source: stackSource, options: options, stateDirectory: context.stateDirectory, logger: logger, metrics: metrics)
        var services: [any Service] = [reconciler]
        if metricsAddress != "none", !once {
            do { services.append(try MetricsServer(address: metricsAddress, metrics: metrics, logger: logger)) } catch let error as MetricsAddressError {
                throw UsageError(message: "--metrics-address: \(error)")
            } catch {
                Console.err("vmctl: error: \(error)\n")
                throw ExitCode(1)
            }
        }
        let group = ServiceGroup(configuration: .init(services: services.map { .init(service: $0, successTerminationBehavior: .gracefullyShutdownGroup) },
                                                      gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        let outcome = AsyncOutcome()
        Task {
            do { try await group.run() } catch { outcome.fail(error) }
            outcome.finish(ready: await reconciler.isReady)
        }
        let (error, ready) = outcome.wait()
        if let error {
            Console.err("vmctl: error: \(error)\n")
            throw ExitCode(1)
        }
        if once && !ready { throw ExitCode(1) }
    }
}

/// The command line is synchronous; the reconciler and its metrics server are async services. The main thread waits
/// here while they run on Swift's cooperative pool.
final class AsyncOutcome: @unchecked Sendable {
    private let done = DispatchSemaphore(value: 0)
    private let lock = NSLock()
    private var error: Error?
    private var ready = false

    func fail(_ error: Error) { lock.withLock { self.error = error } }

    func finish(ready: Bool) {
        lock.withLock { self.ready = ready }
        done.signal()
    }

    func wait() -> (Error?, Bool) {
        done.wait()
        return lock.withLock { (error, ready) }
    }
}

struct ReconcileSuspendCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "suspend",
        abstract: "Stop the reconciler from changing a stack (no applies, no restarts) until resume; kept across restarts.")

    @OptionGroup var global: GlobalOptions
    @OptionGroup var selection: StackSelection

    func run() throws {
        let context = RuntimeContext(global)
        let stack = try context.chooseStack(selection.stack)
        let user = ProcessInfo.processInfo.environment["SUDO_USER"] ?? ProcessInfo.processInfo.environment["USER"] ?? "uid \(getuid())"
        do { try SuspendState.suspend(ReconcilePaths(stateDirectory: context.stateDirectory, stack: stack), by: user) } catch {
            Console.err("vmctl: error: stack '\(stack)': cannot suspend: \(error)\n")
            throw ExitCode(1)
        }
        Console.out("Stack '\(stack)': reconciliation suspended; 'vmctl reconcile resume --stack \(stack)' ends it.\n")
    }
}

struct ReconcileResumeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "resume", abstract: "Let the reconciler change a suspended stack again.")

    @OptionGroup var global: GlobalOptions
    @OptionGroup var selection: StackSelection

    func run() throws {
        let context = RuntimeContext(global)
        let stack = try context.chooseStack(selection.stack)
        let wasSuspended: Bool
        do { wasSuspended = try SuspendState.resume(ReconcilePaths(stateDirectory: context.stateDirectory, stack: stack)) } catch {
            Console.err("vmctl: error: stack '\(stack)': cannot resume: \(error)\n")
            throw ExitCode(1)
        }
        Console.out(wasSuspended ? "Stack '\(stack)': reconciliation resumed.\n" : "Stack '\(stack)' was not suspended.\n")
    }
}
