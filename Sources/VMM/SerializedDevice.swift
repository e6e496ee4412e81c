import Synchronization
import VMMDevices

/// A device model that is not thread-safe (a virtio-mmio transport and its device), behind one lock: vCPU
/// threads (MMIO exits) and the notification thread (ioeventfd kicks) all reach it through here.
final class SerializedDevice: BusDevice, Sendable {
    private let device: Mutex<any BusDevice>

    init(_ device: sending any BusDevice) {
        self.device = Mutex(device)
    }

    func read(offset: UInt64, data: inout [UInt8]) {
        device.withLock { $0.read(offset: offset, data: &data) }
    }

    func write(offset: UInt64, data: [UInt8]) {
        device.withLock { $0.write(offset: offset, data: data) }
    }

    /// Runs `body` under the same lock, for work that is not a bus access (a NIC's reader delivering frames).
    func withDevice<Result: Sendable>(_ body: (any BusDevice) -> Result) -> Result {
        device.withLock { body($0) }
    }
}
