/// The Multiple APIC Description Table "APIC" (ACPI §5.2.12): the local APIC of each vCPU (APIC id =
/// processor UID = vCPU index, matching CPUID and the KVM vCPU id) and the IOAPIC with GSI base 0.
public enum MADT {
    public struct InterruptOverride: Equatable, Sendable {
        public var source: UInt8
        public var gsi: UInt32
        /// MPS INTI flags: polarity bits 1:0, trigger mode bits 3:2 (0 = conforms to the bus).
        public var flags: UInt16

        public init(source: UInt8, gsi: UInt32, flags: UInt16 = 0) {
            self.source = source
            self.gsi = gsi
            self.flags = flags
        }
    }

    public static let maximumVCPUs = 255

    public static func build(vcpus: Int, ioapicAddress: UInt64 = BootLayout.ioapic,
                             overrides: [InterruptOverride] = []) throws(ACPIError) -> [UInt8] {
        guard (1...maximumVCPUs).contains(vcpus) else {
            throw .invalidArgument(what: "MADT vCPU count \(vcpus)", reason: "must be 1 to \(maximumVCPUs) (xAPIC ids are 8-bit)")
        }
        var body: [UInt8] = []
        ByteFields.append(UInt32(BootLayout.localAPIC), to: &body)
        ByteFields.append(UInt32(0), to: &body)  // flags: no dual 8259 (hardware-reduced)
        for index in 0..<vcpus {
            body += [0, 8, UInt8(index), UInt8(index)]  // type 0 Processor Local APIC: UID, APIC id
            ByteFields.append(UInt32(1), to: &body)  // enabled
        }
        body += [1, 12, 0, 0]  // type 1 I/O APIC: id 0, reserved
        ByteFields.append(UInt32(truncatingIfNeeded: ioapicAddress), to: &body)
        ByteFields.append(UInt32(0), to: &body)  // GSI base
        for entry in overrides {
            body += [2, 10, 0, entry.source]  // type 2 Interrupt Source Override: bus ISA
            ByteFields.append(entry.gsi, to: &body)
            ByteFields.append(entry.flags, to: &body)
        }
        return ACPITableHeader(signature: "APIC", revision: 5, oemTableID: "VMCTLMAD").table(body: body)
    }
}
