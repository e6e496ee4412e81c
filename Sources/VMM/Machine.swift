import Glibc
import KVM
import VMMControl
import VMMDevices

/// A built VM: run it on the calling thread with `run()`, control it through `controlHandler`.
public final class Machine: Sendable {
    /// How the machine ended: the process exit code and, for anything but a clean power-off, why.
    public struct Exit: Equatable, Sendable {
        public var code: VMMExitCode
        public var message: String?
    }

    let parts: MachineParts
    /// The VM generation now booted; nil only while a reset replaces it.
    private let generation: Monitor<Generation?>
    private let started: MonotonicInstant

    init(parts: MachineParts, first: Generation, started: MonotonicInstant) {
        self.parts = parts
        self.started = started
        generation = Monitor(first)
    }

    public var spec: LaunchSpec { parts.spec }
    public var supervisor: Supervisor { parts.supervisor }
    /// The e820 map, entry point and placement of the current boot (for logs and tests).
    public var boot: LinuxBoot? { generation.withLock { $0?.boot } }

    public var controlHandler: any ControlHandler { MachineControlHandler(machine: self) }

    /// Starts the vCPUs and carries out requests until the machine ends. Call once, from the main thread.
    public func run() -> Exit {
        do { try current?.start(parts: parts) } catch { return finish(Exit(code: .vmmError, message: "start: \(error)")) }
        while true {
            let (request, ticket, action) = parts.supervisor.next()
            switch action {
            case .none:
                break
            case .parkVCPUs:
                current?.pause()
            case .releaseVCPUs:
                current?.resume()
            case .rebuild(let paused):
                // The old VM goes first: its irqfds hold the devices' eventfds.
                retire()
                parts.devices.reset()
                do {
                    let next = try Generation(parts: parts, paused: paused)
                    generation.withLock { $0 = next }
                    try next.start(parts: parts)
                } catch {
                    parts.supervisor.complete(ticket, ControlError(.failed, "reset: \(error)"))
                    return finish(Exit(code: .vmmError, message: "reset: \(error)"))
                }
            case .stopVCPUs:
                current?.stop()
                guard case let .stop(code, message) = request else { break }
                parts.supervisor.complete(ticket)
                return finish(Exit(code: code, message: message))
            }
            parts.supervisor.complete(ticket)
        }
    }

    private var current: Generation? { generation.withLock { $0 } }

    /// Stops the current generation and lets its VM go.
    private func retire() {
        guard let old = generation.withLock({ state -> Generation? in
            defer { state = nil }
            return state
        }) else { return }
        old.stop()
        old.releaseInterrupts()
        parts.supervisor.attach(nil)
    }

    private func finish(_ exit: Exit) -> Exit {
        retire()
        parts.devices.stopNetworkReaders()
        parts.devices.stopChannels()
        parts.supervisor.finish()
        return exit
    }

    // MARK: for the control handler

    var uptimeMilliseconds: Int {
        let elapsed = MonotonicInstant.now - started
        return Int(elapsed.components.seconds) * 1000 + Int(elapsed.components.attoseconds / 1_000_000_000_000_000)
    }

    var exitCounts: [ExitCounters.Counts] { parts.counters.map(\.snapshot) }
}
