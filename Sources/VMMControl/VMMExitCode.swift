/// How `vmctl-vmm` ends (docs/control-protocol.md, "Exit codes"). A VMM killed by a signal has no code of
/// its own; shells and the runtime's wrapper record 128 + the signal number.
public enum VMMExitCode: Int32, CaseIterable, Sendable {
    /// The guest powered itself off (ACPI S5), also after a `shutdown` request.
    case guestPowerOff = 0
    /// The VMM failed: bad arguments or launch spec, a KVM or device set-up failure, a missing feature.
    case vmmError = 1
    /// The guest crashed: triple fault (KVM shutdown exit) or a KVM internal/emulation error.
    case guestCrash = 2
    /// Ended by the control command `power-off`, without the guest's cooperation.
    case poweredOff = 3

    public var summary: String {
        switch self {
        case .guestPowerOff: return "the guest powered off"
        case .vmmError: return "the VMM failed (see its log)"
        case .guestCrash: return "the guest crashed (triple fault or KVM internal error)"
        case .poweredOff: return "powered off through the control socket"
        }
    }

    /// One phrase for any status a wrapper recorded: a code above, a signal (128 + N), or something else.
    public static func explain(status: Int32) -> String {
        if let code = VMMExitCode(rawValue: status) { return code.summary }
        if status > 128, status < 128 + 65 { return "killed by signal \(status - 128)" }
        return "exited with unexpected status \(status)"
    }
}
