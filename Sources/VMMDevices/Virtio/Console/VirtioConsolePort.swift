/// One port of a virtio-console. Port 0 is the console (hvc0 in Linux); with MULTIPORT, ports 1… are generic
/// ports the driver names after the device's PORT_NAME (/dev/vportNpM, /sys/class/virtio-ports/*/name).
public struct VirtioConsolePort {
    public let name: String?
    public let output: any VirtioConsoleOutput
    /// Host bytes waiting for guest receive buffers (bounded by the device's `inputLimit`).
    var pending: [UInt8] = []
    /// A host client is attached (device → driver PORT_OPEN); the guest's reads see end of file while it is not.
    var hostConnected = false
    /// The guest has the port open (driver → device PORT_OPEN). Generic ports get input only then: Linux throws
    /// away what arrives on a closed port, so it waits here as it would in QEMU's socket.
    var guestOpen = false
    /// The driver acknowledged DEVICE_ADD with PORT_READY 1, so PORT_OPEN messages mean something to it.
    var ready = false

    public init(name: String?, output: any VirtioConsoleOutput) {
        self.name = name
        self.output = output
    }
}
