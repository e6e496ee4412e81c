import VMMDevices

/// An in-memory disk that traps when the device breaks its own rules: an access outside the disk (the device
/// must check sectors first) or a write to a read-only disk.
final class CheckedBackend: BlockBackend {
    let inner: MemoryBlockBackend
    let readOnly: Bool

    init(sectors: Int, readOnly: Bool) {
        inner = MemoryBlockBackend(bytes: (0..<(sectors * 512)).map { UInt8(truncatingIfNeeded: $0 &* 31) })
        self.readOnly = readOnly
    }

    var size: UInt64 { inner.size }

    func read(at offset: UInt64, into buffer: UnsafeMutableRawBufferPointer) throws(BlockBackendError) {
        require(contains(offset: offset, length: UInt64(buffer.count)), "device read outside the disk")
        try inner.read(at: offset, into: buffer)
    }

    func write(at offset: UInt64, from buffer: UnsafeRawBufferPointer) throws(BlockBackendError) {
        require(!readOnly, "device wrote a read-only disk")
        require(contains(offset: offset, length: UInt64(buffer.count)), "device wrote outside the disk")
        try inner.write(at: offset, from: buffer)
    }

    func flush() throws(BlockBackendError) {
        try inner.flush()
    }
}

final class NullInterrupt: InterruptLine, @unchecked Sendable {
    var count = 0
    func trigger() { count += 1 }
}

final class NullOutput: VirtioConsoleOutput {
    var count = 0
    func write(_ bytes: [UInt8]) { count += bytes.count }
}

/// Takes virtio-net's transmitted frames and traps on one the device should have dropped.
final class CheckedNetOutput: NetFrameOutput {
    var count = 0
    func send(_ frame: [UInt8]) -> NetSendResult {
        require((VirtioNet.minFrame...VirtioNet.maxFrame).contains(frame.count), "sent a \(frame.count)-byte frame")
        count += 1
        return count % 7 == 0 ? .busy : .sent  // now and then a full backend
    }
}
