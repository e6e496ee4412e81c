import VMMDevices

/// The guest memory the device sees: the harness's RAM, with every write the device makes during one step recorded
/// in order. The used-ring entries are read from these records rather than from RAM (a data write may land on the
/// used ring afterwards), and they tell which descriptors the device itself changed during the step.
/// The harness writes RAM directly, so only the device's writes are recorded.
final class RecordingMemory: GuestMemory, @unchecked Sendable {
    struct Write {
        var address: UInt64
        var count: Int
        /// The first (up to) eight bytes, little-endian: enough for ring fields.
        var value: UInt64

        /// Whether [address, address+count) meets [start, start+length), without overflow near 2^64.
        func overlaps(_ start: UInt64, _ length: UInt64) -> Bool {
            start &- address < UInt64(count) || address &- start < length
        }
    }

    let ram: ByteGuestMemory
    var writes: [Write] = []

    init(_ ram: ByteGuestMemory) { self.ram = ram }

    var regions: [GuestMemoryRegion] { ram.regions }

    func read(_ address: GuestAddress, into buffer: UnsafeMutableRawBufferPointer) throws(GuestMemoryError) {
        try ram.read(address, into: buffer)
    }

    func write(_ address: GuestAddress, from buffer: UnsafeRawBufferPointer) throws(GuestMemoryError) {
        try ram.write(address, from: buffer)
        let value = buffer.prefix(8).reversed().reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        writes.append(Write(address: address.value, count: buffer.count, value: value))
    }
}
