import VMMDevices

/// Frames and virtio-net chains over a `VirtioTestDriver`, the way Linux's virtio_net lays them out.
enum NetTest {
    static let mac: [UInt8] = [0x52, 0x54, 0x00, 0x12, 0x34, 0x56]
    static let rx = VirtioNet.receiveQueue
    static let tx = VirtioNet.transmitQueue
    /// What Linux posts per receive buffer without offloads: header + GOOD_PACKET_LEN.
    static let receiveBufferLength = UInt32(VirtioNetHeader.length + VirtioNet.maxFrame)

    /// An Ethernet frame of `length` bytes: broadcast destination, our source MAC, EtherType 0x88B5 (local
    /// experimental), then a payload derived from `seed` so frames are told apart.
    static func frame(length: Int, seed: UInt8 = 1) -> [UInt8] {
        let head: [UInt8] = [0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF] + mac + [0x88, 0xB5]
        let payload = (0..<max(0, length - head.count)).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ Int(seed)) }
        return Array((head + payload).prefix(length))
    }

    /// A transmit header: zero except the fields given.
    static func header(flags: UInt8 = 0, gsoType: UInt8 = 0) -> [UInt8] {
        VirtioNetHeader(flags: flags, gsoType: gsoType).bytes
    }

    static let receivedHeader: [UInt8] = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0]
}

extension VirtioTestDriver {
    /// Transmits header + frame in one readable descriptor (Linux's any_header_sg layout for a linear skb);
    /// returns the used elements.
    func netSend(_ frame: [UInt8], header: [UInt8] = NetTest.header()) -> [(id: UInt32, length: UInt32)] {
        let bytes = header + frame
        return submit(queue: NetTest.tx, [.readable(allocate(bytes.count, fill: bytes), UInt32(bytes.count))])
    }

    /// Posts `count` receive chains of one writable buffer each and kicks; returns the buffers' addresses.
    @discardableResult
    func netPostReceive(_ count: Int, length: UInt32 = NetTest.receiveBufferLength, kick: Bool = true) -> [UInt64] {
        let buffers = (0..<count).map { _ in allocate(Int(length)) }
        for buffer in buffers { pushAvail(queue: NetTest.rx, addChain(queue: NetTest.rx, [.writable(buffer, length)])) }
        if kick { self.kick(queue: NetTest.rx) }
        return buffers
    }

    /// avail_event (EVENT_IDX): where the device asks the driver to kick next on `queue`.
    func availEvent(queue: Int) -> UInt16 {
        let address = layout(queue: queue).usedRing.value + 4 + 8 * UInt64(size(queue))
        return (try? memory.readInteger(GuestAddress(address))) ?? .max
    }

    /// used_event (EVENT_IDX): the driver's "interrupt me at this used index".
    func setUsedEvent(queue: Int, _ value: UInt16) {
        try? memory.writeInteger(GuestAddress(layout(queue: queue).availRing.value + 4 + 2 * UInt64(size(queue))), value)
    }

    /// avail.flags: NO_INTERRUPT (without EVENT_IDX).
    func setAvailFlags(queue: Int, _ value: UInt16) {
        try? memory.writeInteger(GuestAddress(layout(queue: queue).availRing.value), value)
    }
}
