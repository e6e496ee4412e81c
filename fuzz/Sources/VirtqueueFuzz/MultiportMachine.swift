import VMMDevices

/// Where the multiport console's six queues live (port 0: 0/1, control: 2/3, port 1: 4/5), all inside the first
/// 0xC00 bytes of RAM so the memory image reaches every descriptor table: queue q's table at q·0x200, avail ring at
/// +0x100, used ring at +0x140; at most 16 entries (invalid sizes stay invalid). The driver operations put receive
/// buffers at 0x1000-0x2800 and transmit data at 0x2800-0x3400, one 0x100-byte slot each.
enum MultiportMap {
    static let queueCount = 6
    static let maxSize: UInt16 = 16

    static func layout(queue: Int, size: UInt16, maxSize deviceMax: UInt32) -> VirtqueueLayout {
        let valid = size.nonzeroBitCount == 1
        let size = valid ? min(size, maxSize, UInt16(truncatingIfNeeded: deviceMax)) : size
        let base = UInt64(queue) * 0x200
        return VirtqueueLayout(size: size, descriptorTable: GuestAddress(base), availRing: GuestAddress(base + 0x100),
                               usedRing: GuestAddress(base + 0x140))
    }

    static func buffer(queue: Int, slot: UInt16) -> UInt64 {
        queue % 2 == 0 ? 0x1000 + UInt64(queue / 2) * 0x800 + UInt64(slot % 8) * 0x100
            : 0x2800 + UInt64(queue / 2) * 0x400 + UInt64(slot % 4) * 0x100
    }
}

/// What the checks need to know from before an operation.
struct MultiportStep {
    var bytesIn: UInt64 = 0
    var pending: [Int] = [0, 0]
    /// Host bytes each port's `receive` accepted during the operation.
    var accepted: [Int] = [0, 0]
    /// The operation may have made the device read control messages (which can open and close port 1 in one go).
    var controlKick = false

    init() {}

    init(before console: VirtioConsole) {
        bytesIn = console.stats.bytesIn
        pending = [console.pendingInput(port: 0), console.pendingInput(port: 1)]
    }
}

/// Operations of the multiport console (opcode = byte % 14):
///     0 push head u16 to queue q (u8 % 6)'s avail ring    1 set queue q's avail.idx u16    2 QueueNotify u8 % 8
///     3-7 as for the other devices (memory, MMIO write/read, interrupt handler, reset and probe)
///     8 write a descriptor of queue q (then as operation 8 of the others)
///     9 a driver control message: split u8, len u8, bytes, as one readable chain on queue 3 (in two descriptors
///       when 0 < split < len), then a kick
///     10 guest output: queue 1 or 5 (u8 % 2), len u8, bytes, one readable descriptor, kick
///     11 a receive buffer: queue 0, 2 or 4 (u8 % 3), length u8 + 1, one writable descriptor, kick
///     12 host connect (bit 0 set) or disconnect of port (u8 >> 1) % 3     13 host input: port u8 % 3, len u8, bytes
extension FuzzMachine {
    func multiportStep(_ input: inout FuzzInput) {
        let opcode = input.byte() % 14
        switch opcode {
        case 0:
            pushHead(queue: Int(input.byte()) % MultiportMap.queueCount, input.integer())
        case 1:
            let queue = Int(input.byte()) % MultiportMap.queueCount
            availIndices[queue] = input.integer()
            try? memory.writeInteger(GuestAddress(queueLayout(queue).availRing.value + 2), availIndices[queue])
        case 2:
            let queue = input.byte() % 8
            stepFacts.controlKick = queue == UInt8(VirtioConsole.controlTransmitQueue)
            write32(0x50, UInt32(queue))
        case 3...7:
            // An MMIO write may be a QueueNotify of the control queue.
            stepFacts.controlKick = opcode == 4
            sharedStep(opcode, &input)
        case 8:
            let queue = Int(input.byte()) % MultiportMap.queueCount
            writeDescriptor(&input, table: queueLayout(queue).descriptorTable)
        case 9:
            let split = Int(input.byte())
            let bytes = input.take(Int(input.byte()))
            stepFacts.controlKick = true
            submit(queue: VirtioConsole.controlTransmitQueue, bytes, split: split)
        case 10:
            let queue = input.byte() % 2 == 0 ? VirtioConsole.transmitQueue : VirtioConsole.receiveQueue(port: 1) + 1
            submit(queue: queue, input.take(Int(input.byte())), split: 0)
        case 11:
            let queue = 2 * (Int(input.byte()) % 3)
            let slot = takeSlots(queue: queue, 1)
            let address = MultiportMap.buffer(queue: queue, slot: slot)
            putDescriptor(queue: queue, slot, address: address, length: UInt32(input.byte()) + 1, flags: 2, next: 0)
            pushHead(queue: queue, slot)
            write32(0x50, UInt32(queue))
        case 12:
            let byte = input.byte()
            console?.setHostConnected(byte & 1 != 0, port: Int(byte >> 1) % 3)
        default:
            let port = Int(input.byte()) % 3
            let accepted = console?.receive(input.take(Int(input.byte())), port: port) ?? 0
            if port < 2 { stepFacts.accepted[port] += accepted }
        }
    }

    /// The layout the probe gives queue `queue` (the driver may since have moved it with MMIO writes).
    private func queueLayout(_ queue: Int) -> VirtqueueLayout {
        MultiportMap.layout(queue: queue, size: config.layout.size, maxSize: UInt32(MultiportMap.maxSize))
    }

    private func pushHead(queue: Int, _ head: UInt16) {
        let layout = queueLayout(queue)
        let slot = UInt64(availIndices[queue]) % max(1, UInt64(layout.size))
        try? memory.writeInteger(GuestAddress(layout.availRing.value + 4 + 2 * slot), head)
        availIndices[queue] &+= 1
        try? memory.writeInteger(GuestAddress(layout.availRing.value + 2), availIndices[queue])
    }

    /// `count` consecutive descriptor indices of the queue for the driver operations, round robin.
    private func takeSlots(queue: Int, _ count: UInt16) -> UInt16 {
        let size = max(1, queueLayout(queue).size)
        let first = nextSlots[queue] % size
        nextSlots[queue] = (first + count) % size
        return first
    }

    private func putDescriptor(queue: Int, _ index: UInt16, address: UInt64, length: UInt32, flags: UInt16, next: UInt16) {
        let base = queueLayout(queue).descriptorTable.value + 16 * UInt64(index)
        try? memory.writeInteger(GuestAddress(base), address)
        try? memory.writeInteger(GuestAddress(base + 8), length)
        try? memory.writeInteger(GuestAddress(base + 12), flags)
        try? memory.writeInteger(GuestAddress(base + 14), next)
    }

    /// `bytes` as a readable chain on a transmit queue (two descriptors when `split` falls inside), then a kick.
    private func submit(queue: Int, _ bytes: [UInt8], split: Int) {
        let twoParts = split > 0 && split < bytes.count
        let head = takeSlots(queue: queue, twoParts ? 2 : 1)
        let address = MultiportMap.buffer(queue: queue, slot: head)
        try? memory.writeBytes(GuestAddress(address), bytes)
        let size = max(1, queueLayout(queue).size)
        if twoParts {
            let second = (head + 1) % size
            putDescriptor(queue: queue, head, address: address, length: UInt32(split), flags: 1, next: second)
            putDescriptor(queue: queue, second, address: address + UInt64(split), length: UInt32(bytes.count - split),
                          flags: 0, next: 0)
        } else {
            putDescriptor(queue: queue, head, address: address, length: UInt32(bytes.count), flags: 0, next: 0)
        }
        pushHead(queue: queue, head)
        write32(0x50, UInt32(queue))
    }

    /// The multiport invariants, after every operation.
    func checkMultiport(_ console: VirtioConsole) {
        let view = ConsoleView(console)
        // VirtioConsole.controlLimit (internal): the documented bound on unread device → driver messages.
        require(view.pendingControl <= 64, "\(view.pendingControl) control messages pending, over the bound of 64")
        for port in 0..<console.portCount {
            require(console.pendingInput(port: port) <= console.inputLimit, "port \(port)'s input over its bound")
        }
        let delivered0 = stepFacts.pending[0] + stepFacts.accepted[0] - console.pendingInput(port: 0)
        let delivered1 = Int(console.stats.bytesIn &- stepFacts.bytesIn) - delivered0
        require(delivered0 >= 0 && delivered1 >= 0, "bytes delivered \(delivered0)/\(delivered1) do not add up")
        require(console.pendingInput(port: 1) + delivered1 <= stepFacts.pending[1] + stepFacts.accepted[1],
                "port 1 delivered \(delivered1) bytes it was never given")
        if delivered1 > 0 {
            require(console.isMultiport, "port 1 got \(delivered1) bytes without MULTIPORT")
            // A batch of control messages may open the port, deliver and close it again: only outside one is
            // the state after the step the state during it.
            if !stepFacts.controlKick {
                require(console.isGuestOpen(port: 1), "port 1 got \(delivered1) bytes while the guest had it closed")
            }
        }
        checkUsedLengths(view)
    }

    func checkUsedLengths(_ view: ConsoleView) {
        var check = UsedLengthCheck(writes: recorder.writes, ram: memory)
        check.run(queues: view.queues)
        usedEntriesChecked += check.checked
        usedEntriesSkipped += check.skipped
    }
}
