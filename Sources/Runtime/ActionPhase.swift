/// A step inside a running action, reported through `ApplyEvents.progressed` so that a live display can show
/// where each action is. Phases are for people: nothing decides on them.
public enum ActionPhase: Sendable, Equatable {
    /// Stopping the VM gracefully (before a restart, replace or delete, or for a stop).
    case stopping
    /// Copying and hashing an image VM's base into the image store: bytes done of bytes in all.
    case importingImage(done: UInt64, total: UInt64)
    /// Making an image VM's root disk, firmware variables, SSH keys and cloud-init seed.
    case provisioning
    /// Starting the VM's VMM process (or resetting it).
    case booting
    /// The VMM runs; waiting for the guest's readiness marker (or, for image VMs, cloud-init over SSH).
    case waitingForReadiness
    /// The guest reached readiness.
    case ready
}

/// Where the runtime reports the phases of one action; the executor forwards them as `ApplyEvents`.
public typealias PhaseReport = @Sendable (ActionPhase) -> Void
