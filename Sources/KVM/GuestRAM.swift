import CKVM
import Glibc
import VMMDevices

/// Guest RAM backed by one anonymous MAP_PRIVATE|MAP_NORESERVE mapping, 2 MiB aligned, holding every region
/// (each region starts on a 2 MiB boundary of the mapping, so huge pages line up with the guest's).
/// Owns the mapping and unmaps it in deinit; a VirtualMachine it is registered with keeps it alive.
///
/// `@unchecked Sendable`: the mapping address and layout never change after init, and guest RAM is shared
/// memory by nature (vCPUs write it concurrently); every access is bounds-checked against `regions`.
public final class GuestRAM: GuestMemory, @unchecked Sendable {
    public static let alignment = 2 << 20
    static let pageSize: UInt64 = 4096

    public let regions: [GuestMemoryRegion]
    private let base: UnsafeMutableRawPointer
    private let mappedLength: Int
    /// Offset of each region in the mapping, parallel to `regions`.
    private let hostOffsets: [Int]

    /// Maps RAM for `regions` (non-empty, page-aligned, non-overlapping; any order).
    public init(regions: [GuestMemoryRegion]) throws(KVMError) {
        let sorted = regions.sorted { $0.start < $1.start }
        guard !sorted.isEmpty else { throw KVMError.invalidArgument("guest RAM needs at least one region") }
        var offsets: [Int] = []
        var length: UInt64 = 0
        var previousEnd: UInt64 = 0
        for (index, region) in sorted.enumerated() {
            guard region.size > 0, region.size % Self.pageSize == 0, region.start.value % Self.pageSize == 0 else {
                throw KVMError.invalidArgument("RAM region at \(region.start) of \(region.size) bytes is not page-aligned")
            }
            guard region.start.adding(region.size) != nil else {
                throw KVMError.invalidArgument("RAM region at \(region.start) of \(region.size) bytes wraps around")
            }
            guard index == 0 || region.start.value >= previousEnd else {
                throw KVMError.invalidArgument("RAM regions overlap at \(region.start)")
            }
            previousEnd = region.start.value + region.size
            let alignment = UInt64(Self.alignment)
            let rounded = region.size.addingReportingOverflow(alignment - 1)
            let next = length.addingReportingOverflow(rounded.partialValue & ~(alignment - 1))
            guard !rounded.overflow, !next.overflow, next.partialValue <= UInt64(Int.max) else {
                throw KVMError.invalidArgument("guest RAM of more than \(Int.max) bytes")
            }
            offsets.append(Int(length))
            length = next.partialValue
        }

        var address: UnsafeMutableRawPointer?
        _ = try checkSystem(ckvm_mmap_anonymous_aligned(Int(length), Self.alignment, &address), "mmap(guest RAM, \(length) bytes)")
        guard let address else { throw KVMError.system("mmap(guest RAM)", ENOMEM) }
        base = address
        mappedLength = Int(length)
        hostOffsets = offsets
        self.regions = sorted
    }

    /// RAM from guest address 0 of `size` bytes.
    public convenience init(size: UInt64) throws(KVMError) {
        try self.init(regions: [GuestMemoryRegion(start: GuestAddress(0), size: size)])
    }

    deinit {
        // `base`/`mappedLength` are exactly what ckvm_mmap_anonymous_aligned mapped; nothing else unmaps it.
        _ = ckvm_munmap(base, mappedLength)
    }

    /// Host address of each region for KVM_SET_USER_MEMORY_REGION.
    var hostRegions: [(region: GuestMemoryRegion, host: UnsafeMutableRawPointer)] {
        // Each offset is inside the mapping (computed in init from the same regions).
        zip(regions, hostOffsets).map { ($0, base + $1) }
    }

    /// The host pointer for [address, address+length), or an error if any byte lies outside guest RAM.
    private func hostPointer(_ address: GuestAddress, _ length: Int) throws(GuestMemoryError) -> UnsafeMutableRawPointer {
        for (index, region) in regions.enumerated() where region.contains(address, length: UInt64(length)) {
            // contains() proved the range is inside this region, which lies inside the mapping at hostOffsets[index].
            return base + hostOffsets[index] + Int(address.value - region.start.value)
        }
        throw GuestMemoryError.outOfBounds(address: address.value, length: UInt64(length))
    }

    public func read(_ address: GuestAddress, into buffer: UnsafeMutableRawBufferPointer) throws(GuestMemoryError) {
        let source = try hostPointer(address, buffer.count)
        guard let destination = buffer.baseAddress, buffer.count > 0 else { return }
        // hostPointer checked [source, source+count) is mapped guest RAM; the buffer is the caller's own.
        memcpy(destination, source, buffer.count)
    }

    public func write(_ address: GuestAddress, from buffer: UnsafeRawBufferPointer) throws(GuestMemoryError) {
        let destination = try hostPointer(address, buffer.count)
        guard let source = buffer.baseAddress, buffer.count > 0 else { return }
        // hostPointer checked [destination, destination+count) is mapped guest RAM; the buffer is the caller's own.
        memcpy(destination, source, buffer.count)
    }
}
