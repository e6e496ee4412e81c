import VMMDevices

/// The first bytes of an input: which device, which features the driver accepts, the queue layout.
///
///     byte 0: bit0 read-only disk, bit1 accept EVENT_IDX, bit2 accept INDIRECT_DESC, bit3 custom layout,
///             bit4 console instead of blk, bit5 (console, net) the avail-ring operations drive the receive queue,
///             not the transmit queue, bit7 net instead of blk or console, bit6 split RAM: [0, 0x2000) and [0x2000, 0x4000) as two regions, plus 4 KiB at the top of the address
///             space (0xFFFF_FFFF_FFFF_E000), so buffers may cross a region boundary and addresses sit near 2^64
///             bit4 and bit7 together: the console with one named port (MULTIPORT offered; `MultiportMachine.swift`),
///             where bit0 makes the driver decline MULTIPORT and bits 3 and 5 mean nothing (fixed queue map)
///     byte 1: queue size: 1 << (b % 9), or b itself when b ≥ 0xF0 (invalid sizes)
///     custom layout: desc u64, avail u64, used u64
struct FuzzConfig {
    var readOnly: Bool
    var eventIndex: Bool
    var indirect: Bool
    var console: Bool
    var net: Bool
    /// The console with a named port; `declineMultiport`: the driver does not accept MULTIPORT.
    var multiport: Bool
    var declineMultiport: Bool
    var splitMemory: Bool
    /// The queue the avail-ring operations drive (at `layout`); any other queue sits 0x2000 further.
    var fuzzedQueue: Int
    var layout: VirtqueueLayout

    init(_ input: inout FuzzInput) {
        let flags = input.byte()
        let sizeByte = input.byte()
        readOnly = flags & 1 != 0
        eventIndex = flags & 2 != 0
        indirect = flags & 4 != 0
        multiport = flags & 0x90 == 0x90
        declineMultiport = multiport && flags & 1 != 0
        net = !multiport && flags & 128 != 0
        console = multiport || !net && flags & 16 != 0
        splitMemory = flags & 64 != 0
        fuzzedQueue = (console || net) && flags & 32 == 0 ? 1 : 0
        let size: UInt16 = sizeByte >= 0xF0 ? UInt16(sizeByte) : 1 << (sizeByte % 9)
        if flags & 8 != 0 {
            layout = VirtqueueLayout(size: size, descriptorTable: GuestAddress(input.integer()),
                                     availRing: GuestAddress(input.integer()), usedRing: GuestAddress(input.integer()))
        } else {
            layout = FuzzMachine.defaultLayout(size: size)
        }
    }
}
