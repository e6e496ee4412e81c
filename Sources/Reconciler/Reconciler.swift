import Foundation
import Logging
import Planner
import Runtime
import ServiceLifecycle
import Telemetry
import VMCtlModel

/// Keeps one stack on the host equal to its source, level-triggered: every `interval` (sooner on a new revision, a VM
/// to restart, or after a failure) it fetches, validates, plans against the live host and applies. Between ticks it
/// watches the VMs' processes and restarts those whose `runStrategy` says so, backing off when they keep failing.
///
/// One task owns all of the state: `run()` takes wake-ups (timer, source poll, shutdown) from a stream one at a time,
/// and the blocking work of a tick runs on a thread of its own so it never holds up Swift's cooperative pool.
public actor Reconciler: Service {
    let source: any StackSource
    let options: ReconcileOptions
    let stateDirectory: StateDirectory
    let logger: Logger
    let metrics: VMCtlMetrics?
    let bootID: BootID
    let environment: [String: String]
    let runtimeFor: @Sendable (String) -> StackRuntime
    let clock: @Sendable () -> Date
    let jitter: @Sendable () -> Double

    /// The stack this reconciler manages: known after the first revision that names one.
    var stack: String?
    var lease: ReconcilerLease?
    var status: ReconcileStatus?
    var lastGood: Stack?
    var lastFetched: String?
    var sourceChanged = true
    var nextTick = Date.distantPast
    /// VMs running when the host went down: started again after a reboot, whatever their strategy's view of a stop.
    /// Kept in the status file, so a reconciler killed before it started them still does after its restart.
    var rebootRecovery: Set<String> {
        get { Set(status?.recovering ?? []) }
        set { status?.recovering = newValue.isEmpty ? nil : newValue.sorted() }
    }
    var ticks = 0
    var lastLiveness: [String: VMLiveness] = [:]
    /// A pass started only to start VMs that did not start them (the lock was held, the plan refused, the planner
    /// disagreed) makes the next such pass wait until then, so a VM that cannot start never makes passes back to back.
    var kickQuietUntil = Date.distantPast
    /// Whether the current pass started (or failed to start) any VM.
    var startsAttempted = false
    /// Why the reconciler cannot go on (another one owns the stack): `run()` ends with it.
    var fatal: Error?
    let current = CurrentApply()

    public init(source: any StackSource, options: ReconcileOptions, stateDirectory: StateDirectory, logger: Logger,
                metrics: VMCtlMetrics? = nil, bootID: BootID = BootID(),
                environment: [String: String] = ProcessInfo.processInfo.environment,
                runtimeFor: (@Sendable (String) -> StackRuntime)? = nil,
                clock: @escaping @Sendable () -> Date = { Date() },
                jitter: @escaping @Sendable () -> Double = { Double.random(in: 0...1) }) {
        self.source = source
        self.options = options
        self.stateDirectory = stateDirectory
        self.logger = logger
        self.metrics = metrics
        self.bootID = bootID
        self.environment = environment
        self.runtimeFor = runtimeFor ?? { stack in
            StackRuntime(stateDirectory: stateDirectory, stack: stack, guests: DefaultGuestProvider(stateDirectory: stateDirectory))
        }
        self.clock = clock
        self.jitter = jitter
    }

    enum Wake: Sendable { case poll, sourceChanged }

    /// Runs until graceful shutdown (SIGTERM): the current apply finishes its running actions and starts no new one.
    public func run() async throws {
        // The stack named, or the one this source fed before a restart: known before any revision validates.
        if let name = options.stack ?? SourceMemory(stateDirectory: stateDirectory, source: source).stack(),
           ResourceName.problem(with: name) == nil {
            try adopt(name)
            writeStatus()
        }
        let (wakes, continuation) = AsyncStream.makeStream(of: Wake.self, bufferingPolicy: .bufferingNewest(4))
        let current = self.current
        await withGracefulShutdownHandler {
            await withTaskGroup(of: Void.self) { group in
                if !options.once {
                    group.addTask { [options] in
                        while !Task.isCancelled {
                            continuation.yield(.poll)
                            try? await Task.sleep(for: options.watchInterval)
                        }
                    }
                    group.addTask { [source, options] in
                        // A revision is news once: if its fetch fails, the retry interval paces the next try.
                        var previous: String?
                        while !Task.isCancelled {
                            try? await Task.sleep(for: options.sourcePollInterval)
                            if Task.isCancelled { break }
                            let revision = await Self.offPool { source.peek() }
                            guard let revision, revision != previous else { continue }
                            previous = revision
                            if await self.isNew(revision) { continuation.yield(.sourceChanged) }
                        }
                    }
                } else {
                    continuation.yield(.poll)
                }
                for await wake in wakes {
                    if current.isStopping { break }
                    if wake == .sourceChanged { sourceChanged = true }
                    await poll()
                    let kick = needsStart() && clock() >= kickQuietUntil
                    if options.once || clock() >= nextTick || sourceChanged || kick {
                        await tick(kicked: kick)
                    }
                    if options.once || current.isStopping || fatal != nil { break }
                }
                continuation.finish()
                group.cancelAll()
            }
        } onGracefulShutdown: {
            current.stop()
            continuation.finish()
        }
        if let fatal { throw fatal }
        writeStatus()
    }

    /// The result of `--once`: whether the stack ended the tick Ready.
    public var isReady: Bool { status?.condition("Ready")?.status ?? false }

    func isNew(_ revision: String) -> Bool { revision != lastFetched }

    /// Runs blocking work (git, the executor's threads, /proc reads) on a thread of its own.
    static func offPool<T: Sendable>(_ work: @escaping @Sendable () -> T) async -> T {
        await withCheckedContinuation { continuation in
            Thread.detachNewThread { continuation.resume(returning: work()) }
        }
    }
}

/// The executor of the apply in progress, so a SIGTERM can stop it from starting more (running actions finish).
final class CurrentApply: @unchecked Sendable {
    private let lock = NSLock()
    private var executor: Executor?
    private var stopping = false

    var isStopping: Bool { lock.withLock { stopping } }

    func stop() {
        lock.withLock {
            stopping = true
            executor?.drain()
        }
    }

    /// False when shutdown has begun: the apply must not start.
    func begin(_ executor: Executor) -> Bool {
        lock.withLock {
            if stopping { return false }
            self.executor = executor
            return true
        }
    }

    func end() { lock.withLock { executor = nil } }
}
