/// One control command with its arguments.
public enum ControlCommand: Equatable, Sendable {
    /// State, vCPUs, memory, uptime, pid, exit count.
    case describe
    /// Stops all vCPUs; the guest's clock keeps running.
    case pause
    case resume
    /// Asks the guest to shut down; the VMM exits with `VMMExitCode.guestPowerOff` once it does.
    case shutdown(ShutdownMethod)
    /// Ends the VM now, without asking the guest; the VMM exits with `VMMExitCode.poweredOff`.
    case powerOff
    /// Resets the VM in place, like a guest reboot; the process stays.
    case reset
    /// Bytes for the serial console's input, as if typed.
    case consoleInput([UInt8])
    /// Per-vCPU exits, exits by reason, unknown port I/O, resident memory.
    case stats

    public enum ShutdownMethod: String, Codable, Sendable, CaseIterable {
        /// The ACPI power button (the guest's acpid/systemd-logind powers off).
        case acpi
        /// Ctrl-Alt-Del on the i8042 keyboard (most guests reboot; `reboot=k`-style guests may power off).
        case ctrlAltDel = "ctrl-alt-del"
    }

    /// The command's wire name, without arguments.
    public enum Name: String, Codable, Sendable, CaseIterable {
        case describe, pause, resume, shutdown
        case powerOff = "power-off"
        case reset
        case consoleInput = "console-input"
        case stats
    }

    public var name: Name {
        switch self {
        case .describe: return .describe
        case .pause: return .pause
        case .resume: return .resume
        case .shutdown: return .shutdown
        case .powerOff: return .powerOff
        case .reset: return .reset
        case .consoleInput: return .consoleInput
        case .stats: return .stats
        }
    }
}
