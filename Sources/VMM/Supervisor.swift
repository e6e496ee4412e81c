import VMMControl
import VMMDevices

/// The one place that changes a machine's run state. vCPU threads (guest reboot, power-off, crash) and
/// control connections post requests; the machine's main thread takes them one at a time (`next`) and
/// carries them out, so a reset never races a pause. Control requests wait for their outcome; guest
/// requests do not, but they `hold` the current generation's gate at once so the guest never runs past them.
///
/// It is also the devices' `PowerEvents`: the i8042 reset command and the ACPI reset register become a reset,
/// the ACPI sleep register (S5) becomes a power-off.
public final class Supervisor: PowerEvents, Sendable {
    public enum Request: Equatable, Sendable {
        case pause
        case resume
        case reset(reason: String)
        /// End the machine with `code`; `message` explains it on stderr.
        case stop(VMMExitCode, message: String?)

        var event: RunEvent {
            switch self {
            case .pause: return .pause
            case .resume: return .resume
            case .reset: return .reset
            case .stop: return .stop
            }
        }
    }

    struct State {
        var runState: RunState = .running
        var queue: [(request: Request, ticket: Int?)] = []
        var outcomes: [Int: ControlError?] = [:]
        var nextTicket = 0
        var gate: RunGate?
        /// Set by a control `shutdown`: the guest's next reboot request counts as its power-off (a guest that
        /// reboots on Ctrl-Alt-Del then ends the VMM with code 0, as Firecracker treats `reboot=k`).
        var shutdownRequested = false
        var finished = false
    }

    private let monitor = Monitor(State())

    public init() {}

    public var runState: RunState { monitor.withLock { $0.runState } }

    // MARK: requests

    /// Queues `request` without waiting (from a vCPU thread or a control thread after its response).
    public func post(_ request: Request) {
        monitor.withLock { state in
            guard !state.finished else { return }
            state.queue.append((request, nil))
            state.gate?.hold()
        }
    }

    /// Queues `request` and waits until the main thread carried it out; throws what it failed with.
    func perform(_ request: Request) throws(ControlError) {
        let ticket: Int? = monitor.withLock { state in
            guard !state.finished, state.runState != .stopping else { return nil }
            state.nextTicket += 1
            state.queue.append((request, state.nextTicket))
            return state.nextTicket
        }
        guard let ticket else { throw Self.stoppingError }
        let outcome: ControlError? = monitor.wait { state in
            guard let outcome = state.outcomes.removeValue(forKey: ticket) else { return nil }
            return .some(outcome)
        }
        if let outcome { throw outcome }
    }

    static let stoppingError = ControlError(.invalidState, "the VM is stopping")

    /// Remembers that a graceful shutdown was asked for (see `State.shutdownRequested`).
    func noteShutdownRequested() {
        monitor.withLock { $0.shutdownRequested = true }
    }

    // MARK: PowerEvents (called on the vCPU thread, no device lock held)

    public func resetRequested(by source: PowerEventSource) {
        let asShutdown = monitor.withLock { $0.shutdownRequested }
        if asShutdown {
            post(.stop(.guestPowerOff, message: "the guest rebooted (\(source.rawValue)) after a shutdown request; treated as its power-off"))
        } else {
            post(.reset(reason: "guest reboot (\(source.rawValue))"))
        }
    }

    public func shutdownRequested(by source: PowerEventSource) {
        post(.stop(.guestPowerOff, message: nil))
    }

    // MARK: main thread

    /// The gate of the generation now running, which guest requests hold; nil between generations (the old
    /// gate's kickers keep that VM's vCPU mappings, and so the VM, alive).
    func attach(_ gate: RunGate?) {
        monitor.withLock { $0.gate = gate }
    }

    /// Blocks until a request is queued; returns it with the transition it causes, and records the new state.
    func next() -> (request: Request, ticket: Int?, action: RunAction) {
        monitor.wait { state in
            guard !state.queue.isEmpty else { return nil }
            let (request, ticket) = state.queue.removeFirst()
            let (next, action) = state.runState.on(request.event)
            state.runState = next
            return (request, ticket, action)
        }
    }

    func complete(_ ticket: Int?, _ error: ControlError? = nil) {
        guard let ticket else { return }
        monitor.withLock { $0.outcomes[ticket] = .some(error) }
    }

    /// The machine ended: waiting control requests fail with `invalid-state`, later ones are refused.
    func finish() {
        monitor.withLock { state in
            state.finished = true
            state.runState = .stopping
            for (_, ticket) in state.queue {
                if let ticket { state.outcomes[ticket] = .some(Self.stoppingError) }
            }
            state.queue.removeAll()
        }
    }
}
