import KVM

/// Per-vCPU CPUID from KVM_GET_SUPPORTED_CPUID, as Firecracker normalizes it (vmm-facts §1, §9.6–9.7): the
/// APIC id in leaf 1 and the topology leaves equals the vCPU index (which is also the KVM vCPU id and the
/// MADT's APIC id), TSC-deadline and the hypervisor bit are on, and the cache/topology leaves describe
/// `count` single-threaded cores in one package. Everything else passes through. Pure, so it is unit-tested.
public enum CPUIDNormalization {
    public enum Vendor: Equatable, Sendable {
        case intel, amd, other
    }

    /// Bits this code sets or clears, by leaf.
    enum Bits {
        static let leaf1ECXPDCM: UInt32 = 1 << 15
        static let leaf1ECXTSCDeadline: UInt32 = 1 << 24
        static let leaf1ECXHypervisor: UInt32 = 1 << 31
        static let leaf1EDXHTT: UInt32 = 1 << 28
        static let leaf6EAXTurbo: UInt32 = 1 << 1
        static let leaf6ECXEPB: UInt32 = 1 << 3
        static let leaf7EBXFDPExceptionOnly: UInt32 = 1 << 6
        static let leaf7EBXFPUCSDSDeprecated: UInt32 = 1 << 13
        static let leaf7ECXWaitPkg: UInt32 = 1 << 5
        /// KVM_CPUID_FLAG_SIGNIFCANT_INDEX: the subleaf matters.
        static let significantIndex: UInt32 = 1
    }

    /// Leaf 0xB level types.
    static let levelSMT: UInt32 = 1
    static let levelCore: UInt32 = 2
    /// x2APIC id bits reserved for cores (Firecracker: 2^5 ≥ 32 vCPUs).
    static let coreShift: UInt32 = 5

    public static func vendor(of entries: [CPUIDEntry]) -> Vendor {
        guard let leaf0 = entries.first(where: { $0.function == 0 }) else { return .other }
        switch (leaf0.ebx, leaf0.edx, leaf0.ecx) {
        case (0x756E_6547, 0x4965_6E69, 0x6C65_746E): return .intel  // "GenuineIntel"
        case (0x6874_7541, 0x6974_6E65, 0x444D_4163): return .amd  // "AuthenticAMD"
        case (0x6F67_7948, 0x6E65_476E, 0x656E_6975): return .amd  // "HygonGenuine"
        default: return .other
        }
    }

    /// The CPUID table for vCPU `index` of `count`.
    public static func normalize(_ supported: [CPUIDEntry], index: Int, count: Int) -> [CPUIDEntry] {
        let vendor = vendor(of: supported)
        let apicID = UInt32(index)
        let vcpus = UInt32(max(1, count))
        let maxBasic = supported.first { $0.function == 0 }?.eax ?? 0
        var entries: [CPUIDEntry] = []
        for var entry in supported {
            switch entry.function {
            case 0x1:
                let logical = nextPowerOfTwo(vcpus)
                entry.ebx = (entry.ebx & 0xFF) | (8 << 8) | (min(logical, 255) << 16) | (apicID << 24)
                entry.ecx &= ~Bits.leaf1ECXPDCM
                entry.ecx |= Bits.leaf1ECXTSCDeadline | Bits.leaf1ECXHypervisor
                if vcpus > 1 { entry.edx |= Bits.leaf1EDXHTT } else { entry.edx &= ~Bits.leaf1EDXHTT }
            case 0x4 where vendor == .intel:
                entry.eax = intelCacheLeaf(entry.eax, vcpus: vcpus)
            case 0x6 where vendor == .intel:
                entry.eax &= ~Bits.leaf6EAXTurbo
                entry.ecx &= ~Bits.leaf6ECXEPB
            case 0x7 where vendor == .intel && entry.index == 0:
                entry.ebx |= Bits.leaf7EBXFDPExceptionOnly | Bits.leaf7EBXFPUCSDSDeprecated
                entry.ecx &= ~Bits.leaf7ECXWaitPkg
            case 0xA where vendor == .intel:
                entry.eax = 0; entry.ebx = 0; entry.ecx = 0; entry.edx = 0
            case 0xB, 0x1F:
                continue  // rebuilt below
            case 0x8000_0008 where vendor == .amd:
                // NC (cores - 1) in ECX[7:0], ApicIdSize in ECX[15:12].
                entry.ecx = (entry.ecx & ~0xF0FF) | (coreShift << 12) | (vcpus - 1)
            case 0x8000_001E where vendor == .amd:
                entry.eax = apicID
                entry.ebx = (entry.ebx & ~0xFFFF) | (apicID & 0xFF)  // one thread per core; core id
                entry.ecx = 0  // node 0, one node per package
            default:
                break
            }
            entries.append(entry)
        }
        if maxBasic >= 0xB {
            entries += topologyLeaf(0xB, apicID: apicID, vcpus: vcpus)
        }
        if maxBasic >= 0x1F, vendor == .intel {
            entries += topologyLeaf(0x1F, apicID: apicID, vcpus: vcpus)
        }
        return entries
    }

    /// Leaf 0xB (or 0x1F) subleaves: SMT (one thread per core), core (`vcpus` cores), then the invalid level
    /// that ends the enumeration. EDX is the x2APIC id in every subleaf.
    static func topologyLeaf(_ function: UInt32, apicID: UInt32, vcpus: UInt32) -> [CPUIDEntry] {
        let flags = Bits.significantIndex
        return [
            CPUIDEntry(function: function, index: 0, flags: flags, eax: 0, ebx: 1, ecx: (levelSMT << 8) | 0, edx: apicID),
            CPUIDEntry(function: function, index: 1, flags: flags, eax: coreShift, ebx: vcpus, ecx: (levelCore << 8) | 1, edx: apicID),
            CPUIDEntry(function: function, index: 2, flags: flags, eax: 0, ebx: 0, ecx: 2, edx: apicID),
        ]
    }

    /// Leaf 4 EAX: cores per package − 1 in bits 31:26; threads sharing the cache − 1 in bits 25:14 (L1/L2 are
    /// private to a single-threaded core, L3 is shared by all vCPUs).
    static func intelCacheLeaf(_ eax: UInt32, vcpus: UInt32) -> UInt32 {
        guard eax & 0x1F != 0 else { return eax }  // cache type 0: no more caches
        let level = (eax >> 5) & 0x7
        let sharing: UInt32 = level >= 3 ? min(vcpus - 1, 0xFFF) : 0
        let cores = min(vcpus - 1, 0x3F)
        return (eax & 0x3FFF) | (sharing << 14) | (cores << 26)
    }

    static func nextPowerOfTwo(_ value: UInt32) -> UInt32 {
        var result: UInt32 = 1
        while result < value { result <<= 1 }
        return result
    }
}
