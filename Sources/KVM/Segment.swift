import CKVM

/// A segment register as KVM holds it (struct kvm_segment): the hidden descriptor cache plus the selector.
public struct Segment: Equatable, Sendable {
    public var base: UInt64 = 0
    /// Byte-granular limit (already scaled when G is set).
    public var limit: UInt32 = 0xFFFF
    public var selector: UInt16 = 0
    public var type: UInt8 = 0
    public var present = true
    public var dpl: UInt8 = 0
    /// D/B: 32-bit default operand size (must be clear for a 64-bit code segment).
    public var db = false
    /// S: code/data (true) or system (false, e.g. a TSS).
    public var s = true
    /// L: 64-bit code segment.
    public var l = false
    public var g = false
    public var avl = false
    public var unusable = false

    public init() {}

    /// Decodes an 8-byte GDT descriptor (Intel SDM vol. 3, 3.4.5), the way Firecracker's
    /// kvm_segment_from_gdt does. A non-present descriptor yields an unusable segment.
    public init(gdtEntry entry: UInt64, selector: UInt16) {
        self.selector = selector
        base = ((entry >> 16) & 0xFF_FFFF) | (((entry >> 56) & 0xFF) << 24)
        let rawLimit = UInt32(truncatingIfNeeded: (entry & 0xFFFF) | (((entry >> 48) & 0xF) << 16))
        type = UInt8(truncatingIfNeeded: (entry >> 40) & 0xF)
        s = (entry >> 44) & 1 == 1
        dpl = UInt8(truncatingIfNeeded: (entry >> 45) & 3)
        present = (entry >> 47) & 1 == 1
        avl = (entry >> 52) & 1 == 1
        l = (entry >> 53) & 1 == 1
        db = (entry >> 54) & 1 == 1
        g = (entry >> 55) & 1 == 1
        limit = g ? (rawLimit << 12) | 0xFFF : rawLimit
        unusable = !present
    }

    init(_ raw: kvm_segment) {
        base = raw.base; limit = raw.limit; selector = raw.selector; type = raw.type
        present = raw.present != 0; dpl = raw.dpl; db = raw.db != 0; s = raw.s != 0
        l = raw.l != 0; g = raw.g != 0; avl = raw.avl != 0; unusable = raw.unusable != 0
    }

    var raw: kvm_segment {
        kvm_segment(base: base, limit: limit, selector: selector, type: type, present: present ? 1 : 0, dpl: dpl,
                    db: db ? 1 : 0, s: s ? 1 : 0, l: l ? 1 : 0, g: g ? 1 : 0, avl: avl ? 1 : 0,
                    unusable: unusable ? 1 : 0, padding: 0)
    }
}

/// GDTR/IDTR contents (struct kvm_dtable).
public struct DescriptorTable: Equatable, Sendable {
    public var base: UInt64
    public var limit: UInt16

    public init(base: UInt64, limit: UInt16) {
        self.base = base
        self.limit = limit
    }
}
