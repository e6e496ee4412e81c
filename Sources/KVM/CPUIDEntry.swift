import CKVM
import Glibc

/// One CPUID leaf/subleaf as KVM reports and accepts it (struct kvm_cpuid_entry2 without its padding).
public struct CPUIDEntry: Hashable, Sendable {
    public var function: UInt32
    public var index: UInt32
    /// KVM_CPUID_FLAG_SIGNIFCANT_INDEX (1): `index` selects a subleaf.
    public var flags: UInt32
    public var eax: UInt32
    public var ebx: UInt32
    public var ecx: UInt32
    public var edx: UInt32

    public init(function: UInt32, index: UInt32 = 0, flags: UInt32 = 0, eax: UInt32 = 0, ebx: UInt32 = 0, ecx: UInt32 = 0, edx: UInt32 = 0) {
        self.function = function
        self.index = index
        self.flags = flags
        self.eax = eax
        self.ebx = ebx
        self.ecx = ecx
        self.edx = edx
    }

    init(_ raw: kvm_cpuid_entry2) {
        self.init(function: raw.function, index: raw.index, flags: raw.flags, eax: raw.eax, ebx: raw.ebx, ecx: raw.ecx, edx: raw.edx)
    }

    var raw: kvm_cpuid_entry2 {
        var raw = kvm_cpuid_entry2()
        raw.function = function
        raw.index = index
        raw.flags = flags
        raw.eax = eax
        raw.ebx = ebx
        raw.ecx = ecx
        raw.edx = edx
        return raw
    }
}

/// An owned struct kvm_cpuid2 buffer for one ioctl (flexible array member, so it is allocated in C).
final class CPUIDBuffer {
    let pointer: UnsafeMutablePointer<kvm_cpuid2>
    let capacity: Int

    init(capacity: Int) throws(KVMError) {
        guard capacity > 0, capacity <= Int(UInt32.max) else { throw KVMError.invalidArgument("CPUID entry count \(capacity)") }
        var out: UnsafeMutablePointer<kvm_cpuid2>?
        _ = try checkSystem(ckvm_cpuid2_alloc(UInt32(capacity), &out), "calloc(kvm_cpuid2)")
        guard let out else { throw KVMError.system("calloc(kvm_cpuid2)", ENOMEM) }
        pointer = out
        self.capacity = capacity
    }

    convenience init(entries: [CPUIDEntry]) throws(KVMError) {
        try self.init(capacity: entries.count)
        // ckvm_cpuid2_alloc made room for `capacity` == entries.count entries.
        let slots = ckvm_cpuid2_entries(pointer)
        for (offset, entry) in entries.enumerated() { slots[offset] = entry.raw }
    }

    /// The entries KVM filled in (nent, clamped to the allocation).
    var entries: [CPUIDEntry] {
        let count = min(Int(pointer.pointee.nent), capacity)
        // The allocation holds `capacity` entries and count <= capacity.
        let slots = ckvm_cpuid2_entries(pointer)
        return (0..<count).map { CPUIDEntry(slots[$0]) }
    }

    deinit { ckvm_free(pointer) }
}
