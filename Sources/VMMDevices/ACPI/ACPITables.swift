/// The complete ACPI table set for a VM and where each table goes (vmm-facts §2, §4): DSDT, FADT, MADT
/// and XSDT first-fit from 0x9FC00 (e820-reserved), 8-byte aligned, below 0xE0000; the RSDP at 0xE0000
/// (inside the BIOS area the kernel scans) and in boot_params.acpi_rsdp_addr.
public struct ACPITables: Equatable, Sendable {
    public struct Placed: Equatable, Sendable {
        public var signature: String
        public var address: GuestAddress
        public var bytes: [UInt8]
    }

    /// In placement order: DSDT, FACP, APIC, XSDT, then the RSDP.
    public let tables: [Placed]
    public var rsdpAddress: GuestAddress { BootLayout.rsdp }

    public init(vcpus: Int, dsdt: DSDT, overrides: [MADT.InterruptOverride] = []) throws(ACPIError) {
        var placed: [Placed] = []
        var next = BootLayout.systemMemoryStart
        func place(_ signature: String, _ bytes: [UInt8]) throws(ACPIError) -> UInt64 {
            let address = (next + 7) & ~7
            guard address + UInt64(bytes.count) <= BootLayout.systemMemoryEnd else {
                throw .doesNotFit(what: "ACPI table \(signature) at \(HexText.short(address))", size: bytes.count,
                                  space: Int(BootLayout.systemMemoryEnd - min(address, BootLayout.systemMemoryEnd)))
            }
            placed.append(Placed(signature: signature, address: GuestAddress(address), bytes: bytes))
            next = address + UInt64(bytes.count)
            return address
        }
        let dsdtAddress = try place("DSDT", try dsdt.build())
        let fadtAddress = try place("FACP", FADT.build(dsdtAddress: dsdtAddress))
        let madtAddress = try place("APIC", try MADT.build(vcpus: vcpus, overrides: overrides))
        let xsdtAddress = try place("XSDT", XSDT.build(entries: [fadtAddress, madtAddress]))
        placed.append(Placed(signature: "RSD PTR ", address: BootLayout.rsdp, bytes: RSDP.build(xsdtAddress: xsdtAddress)))
        tables = placed
    }

    public func table(_ signature: String) -> Placed? { tables.first { $0.signature == signature } }

    public func write(to memory: any GuestMemory) throws(ACPIError) {
        for table in tables {
            do { try memory.writeBytes(table.address, table.bytes) } catch {
                throw .doesNotFit(what: "ACPI table \(table.signature) at \(table.address) in guest RAM", size: table.bytes.count, space: 0)
            }
        }
    }
}
