/// The state every vCPU thread of a machine is told to be in, and the events that move it
/// (architecture.md rule 7: a named state machine, not flags).
public enum RunState: Equatable, Sendable {
    /// In KVM_RUN, or handling an exit.
    case running
    /// Parked on the gate, outside KVM_RUN; the guest's clock keeps running.
    case paused
    /// Leaving: the threads return and are joined. Final for a VM generation.
    case stopping
}

/// What can happen to the machine's run state.
public enum RunEvent: Equatable, Sendable {
    case pause
    case resume
    /// Reboot in place: this generation's vCPUs stop, a new generation boots (paused if the machine was).
    case reset
    case stop
}

/// What the supervisor does for a transition.
public enum RunAction: Equatable, Sendable {
    case none
    case parkVCPUs
    case releaseVCPUs
    /// Stop the generation and boot a fresh one, which starts `paused` or running.
    case rebuild(paused: Bool)
    case stopVCPUs
}

extension RunState {
    /// The next state and the action that gets there. Pausing a paused VM and resuming a running one change
    /// nothing; once stopping, nothing moves it.
    public func on(_ event: RunEvent) -> (RunState, RunAction) {
        switch (self, event) {
        case (.stopping, _): return (.stopping, .none)
        case (_, .stop): return (.stopping, .stopVCPUs)
        case (.running, .pause): return (.paused, .parkVCPUs)
        case (.paused, .pause): return (.paused, .none)
        case (.paused, .resume): return (.running, .releaseVCPUs)
        case (.running, .resume): return (.running, .none)
        case (.running, .reset): return (.running, .rebuild(paused: false))
        case (.paused, .reset): return (.paused, .rebuild(paused: true))
        }
    }
}
