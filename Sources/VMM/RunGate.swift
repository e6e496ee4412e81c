import Glibc
import KVM

/// Where one VM generation's vCPU threads learn what to do: the target `RunState`, how many threads are
/// parked, and their kickers. The supervisor sets the target and kicks (immediate_exit + SIGRTMIN, vmm-facts
/// §7); each thread reads the target between exits and parks while it is `.paused`.
///
/// A guest request that needs the supervisor (reboot, power-off, crash) `hold`s the gate: from then on no vCPU
/// of this generation re-enters the guest, even if a `resume` arrives before the supervisor acts.
final class RunGate: Sendable {
    struct State {
        var target: RunState
        var held = false
        var parked = 0
        var kickers: [VCPUKicker?]

        /// What a vCPU thread must do now.
        var effective: RunState { held && target == .running ? .paused : target }
    }

    let count: Int
    private let monitor: Monitor<State>

    init(vcpus: Int, target: RunState) {
        count = vcpus
        monitor = Monitor(State(target: target, kickers: Array(repeating: nil, count: vcpus)))
    }

    // MARK: vCPU thread side

    /// Publishes vCPU `index`'s kicker (made on its own thread) before it first enters the guest.
    func register(_ index: Int, kicker: VCPUKicker) {
        monitor.withLock { $0.kickers[index] = kicker }
    }

    var current: RunState { monitor.withLock { $0.effective } }

    /// Parks the calling vCPU thread until the gate says anything but `.paused`; `parked` runs once first,
    /// without the lock (e.g. KVM_KVMCLOCK_CTRL). Returns the new state.
    func park(onPark parked: () -> Void) -> RunState {
        monitor.withLock { $0.parked += 1 }
        parked()
        return monitor.wait { state -> RunState? in
            guard state.effective != .paused else { return nil }
            state.parked -= 1
            return state.effective
        }
    }

    /// Keeps every vCPU of this generation out of the guest until it stops.
    func hold() {
        monitor.withLock { $0.held = true }
    }

    // MARK: supervisor side

    /// Waits until every vCPU thread registered its kicker.
    func waitUntilRegistered() {
        monitor.wait { state in state.kickers.allSatisfy { $0 != nil } ? () : nil }
    }

    /// Sets the target and kicks every vCPU out of KVM_RUN so it sees it.
    func set(_ target: RunState) {
        let kickers = monitor.withLock { state -> [VCPUKicker] in
            state.target = target
            return state.kickers.compactMap { $0 }
        }
        guard target != .running else { return }  // parked threads wake on the condition, not a signal
        for kicker in kickers {
            // Fails only if the thread is gone, and vCPU threads live until the gate says .stopping and
            // they are joined after this returns.
            try? kicker.kick()
        }
    }

    /// Waits until every vCPU thread is parked (after `set(.paused)`).
    func waitUntilParked() {
        monitor.wait { state in state.parked == count ? () : nil }
    }
}
