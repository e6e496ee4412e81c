/// What a guest asks of the machine; the VMM implements this and stops or resets the vCPUs.
/// Called on the vCPU thread that made the request, while that device's lock is not held.
public protocol PowerEvents: AnyObject, Sendable {
    func resetRequested(by source: PowerEventSource)
    func shutdownRequested(by source: PowerEventSource)
}

public enum PowerEventSource: String, Equatable, Sendable {
    /// Command 0xFE (pulse the CPU reset line) to the i8042 at port 0x64.
    case keyboardController = "i8042"
    /// The FADT reset register or SLP_TYP S5 | SLP_EN in the sleep control register.
    case acpi
}
