import VMCtlModel

/// What `runStrategy` asks of a VM's power state, given what it is now.
public enum PowerIntent {
    /// Whether the VM should be running once the plan is applied.
    public static func shouldRun(_ strategy: RunStrategy, observed: PowerState?) -> Bool {
        switch strategy {
        case .always:
            return true
        case .halted:
            return false
        case .manual:
            // Manual never changes power: a new VM is created stopped, an existing one stays as it is.
            return observed?.holdsResources ?? false
        case .rerunOnFailure:
            // A VM stopped on purpose (or by the guest) stays stopped; a crashed one is started again.
            guard let observed else { return true }
            return observed.holdsResources || observed == .crashed
        }
    }

    /// Whether a VM whose guest died should be reset. `Manual` never changes power state, so it is left to the user.
    static func resets(_ strategy: RunStrategy, observed: PowerState) -> Bool {
        observed == .panicked && strategy != .manual && shouldRun(strategy, observed: observed)
    }

    static func describe(_ vm: ObservedVM) -> String {
        switch vm.state {
        case .crashed:
            if let signal = vm.signal { return "crashed (killed by signal \(signal))" }
            if let status = vm.exitStatus { return "crashed (exit status \(status))" }
            return "crashed"
        case .panicked: return "running a dead guest (panic or triple fault)"
        default: return vm.state.rawValue
        }
    }
}
