import KVM
import Testing
@testable import VMM

@Suite("per-vCPU CPUID normalization (no /dev/kvm needed)")
struct CPUIDNormalizationTests {
    // "AuthenticAMD" / "GenuineIntel" in EBX, EDX, ECX.
    static let amd = CPUIDEntry(function: 0, eax: 0x10, ebx: 0x6874_7541, ecx: 0x444D_4163, edx: 0x6974_6E65)
    static let intel = CPUIDEntry(function: 0, eax: 0x1F, ebx: 0x756E_6547, ecx: 0x6C65_746E, edx: 0x4965_6E69)

    static func supported(_ leaf0: CPUIDEntry) -> [CPUIDEntry] {
        [
            leaf0,
            CPUIDEntry(function: 1, eax: 0x00A2_0F12, ebx: 0xFF07_0800 | 0x42, ecx: 0x7ED8_320B | 1 << 15, edx: 0x178B_FBFF & ~(1 << 28)),
            CPUIDEntry(function: 4, index: 0, flags: 1, eax: 0x121 | (7 << 14) | (15 << 26)),
            CPUIDEntry(function: 4, index: 3, flags: 1, eax: 0x163 | (7 << 14) | (15 << 26)),
            CPUIDEntry(function: 0xB, index: 0, flags: 1, eax: 1, ebx: 2, ecx: 0x100, edx: 99),
            CPUIDEntry(function: 0x4000_0001, eax: 0x0100_7AFB),
            CPUIDEntry(function: 0x8000_0008, eax: 0x3030, ecx: 0x7007),
        ]
    }

    @Test("vendor from leaf 0")
    func vendor() {
        #expect(CPUIDNormalization.vendor(of: [Self.amd]) == .amd)
        #expect(CPUIDNormalization.vendor(of: [Self.intel]) == .intel)
        #expect(CPUIDNormalization.vendor(of: []) == .other)
    }

    @Test("leaf 1: APIC id = index, logical count, CLFLUSH 64 B, TSC-deadline and hypervisor on, PDCM off, HTT iff > 1 vCPU")
    func leaf1() throws {
        for (index, count) in [(0, 1), (2, 3), (7, 8)] {
            let entries = CPUIDNormalization.normalize(Self.supported(Self.amd), index: index, count: count)
            let leaf = try #require(entries.first { $0.function == 1 })
            #expect(leaf.ebx >> 24 == UInt32(index))
            #expect((leaf.ebx >> 16) & 0xFF == CPUIDNormalization.nextPowerOfTwo(UInt32(count)))
            #expect((leaf.ebx >> 8) & 0xFF == 8)
            #expect(leaf.ebx & 0xFF == 0x42)  // brand index kept
            #expect(leaf.ecx & (1 << 24) != 0 && leaf.ecx & (1 << 31) != 0 && leaf.ecx & (1 << 15) == 0)
            #expect((leaf.edx & (1 << 28) != 0) == (count > 1))
        }
    }

    @Test("leaf 0xB is rebuilt: SMT level (1 thread), core level (all vCPUs), terminator; EDX = x2APIC id in each")
    func topology() {
        let entries = CPUIDNormalization.normalize(Self.supported(Self.amd), index: 3, count: 4)
        let leaf = entries.filter { $0.function == 0xB }
        #expect(leaf.map(\.index) == [0, 1, 2])
        #expect(leaf.allSatisfy { $0.edx == 3 && $0.flags == 1 })
        #expect(leaf[0].ebx == 1 && (leaf[0].ecx >> 8) & 0xFF == 1)
        #expect(leaf[1].ebx == 4 && (leaf[1].ecx >> 8) & 0xFF == 2 && leaf[1].eax == 5)
        #expect(leaf[2].ebx == 0 && (leaf[2].ecx >> 8) & 0xFF == 0)
        #expect(!entries.contains { $0.function == 0x1F })  // AMD: no 0x1F
    }

    @Test("Intel: leaf 4 cache sharing (L1 private, L3 shared) and cores per package; 0x1F mirrors 0xB")
    func intel() {
        let entries = CPUIDNormalization.normalize(Self.supported(Self.intel), index: 1, count: 4)
        let caches = entries.filter { $0.function == 4 }
        #expect((caches[0].eax >> 14) & 0xFFF == 0 && caches[0].eax >> 26 == 3)
        #expect((caches[1].eax >> 14) & 0xFFF == 3 && caches[1].eax >> 26 == 3)
        #expect(caches[0].eax & 0x3FFF == 0x121)
        #expect(entries.filter { $0.function == 0x1F }.map(\.edx) == [1, 1, 1])
    }

    @Test("AMD: 0x80000008 NC = vCPUs - 1; Intel-only leaves untouched; paravirt leaves pass through")
    func passThrough() {
        let amd = CPUIDNormalization.normalize(Self.supported(Self.amd), index: 0, count: 2)
        let nc: UInt32 = (5 << 12) | 1, cache: UInt32 = 0x121 | (7 << 14) | (15 << 26), paravirt: UInt32 = 0x0100_7AFB
        #expect(amd.first { $0.function == 0x8000_0008 }?.ecx == nc)
        #expect(amd.first { $0.function == 4 }?.eax == cache)
        #expect(amd.first { $0.function == 0x4000_0001 }?.eax == paravirt)
    }
}
