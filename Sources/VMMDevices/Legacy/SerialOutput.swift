/// Where a UART's transmitted bytes go (the VM's console log). Each byte is handed over at once; the
/// implementation must not buffer it indefinitely, and must not call back into the UART.
public protocol SerialOutput: AnyObject, Sendable {
    func write(_ byte: UInt8)
}
