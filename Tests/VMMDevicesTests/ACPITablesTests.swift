import Foundation
import Testing
import VMMDevices

@Suite("ACPI tables")
struct ACPITablesTests {
    func le(_ bytes: [UInt8], _ offset: Int, _ width: Int) -> UInt64 {
        (0..<width).reversed().reduce(UInt64(0)) { $0 << 8 | UInt64(bytes[offset + $1]) }
    }

    static let virtio = [DSDT.VirtioMMIO(base: 0xC000_1000, gsi: 5), DSDT.VirtioMMIO(base: 0xC000_2000, gsi: 6)]

    func tables(vcpus: Int = 2) throws -> ACPITables {
        try ACPITables(vcpus: vcpus, dsdt: DSDT(virtio: Self.virtio))
    }

    @Test("RSDP v2: signature, both checksums, length 36, XSDT address")
    func rsdp() throws {
        let rsdp = RSDP.build(xsdtAddress: 0x9FD40)
        #expect(rsdp.count == 36)
        #expect(Array(rsdp[0..<8]) == Array("RSD PTR ".utf8))
        #expect(ACPIChecksum.isValid(rsdp[0..<20]))
        #expect(ACPIChecksum.isValid(rsdp))
        #expect(rsdp[15] == 2)
        #expect(le(rsdp, 16, 4) == 0)
        #expect(le(rsdp, 20, 4) == 36)
        #expect(le(rsdp, 24, 8) == 0x9FD40)
    }

    @Test("every table's header: signature, length, checksum; the layout of §2/§4")
    func layout() throws {
        let acpi = try tables()
        #expect(acpi.tables.map(\.signature) == ["DSDT", "FACP", "APIC", "XSDT", "RSD PTR "])
        #expect(acpi.tables.first?.address == GuestAddress(0x9FC00))
        for table in acpi.tables.dropLast() {
            #expect(Array(table.bytes[0..<4]) == Array(table.signature.utf8))
            #expect(le(table.bytes, 4, 4) == UInt64(table.bytes.count))
            #expect(ACPIChecksum.isValid(table.bytes), "\(table.signature) checksum")
            #expect(table.address.value % 8 == 0 && table.address.value + UInt64(table.bytes.count) <= 0xE0000)
        }
        let pairs = zip(acpi.tables.dropLast(), acpi.tables.dropLast().dropFirst())
        #expect(pairs.allSatisfy { $0.address.value + UInt64($0.bytes.count) <= $1.address.value })
        let rsdp = try #require(acpi.table("RSD PTR "))
        let xsdt = try #require(acpi.table("XSDT"))
        #expect(rsdp.address == GuestAddress(0xE0000))
        #expect(le(rsdp.bytes, 24, 8) == xsdt.address.value)
        #expect(xsdt.bytes.count == 36 + 16)
        #expect(le(xsdt.bytes, 36, 8) == acpi.table("FACP")?.address.value)
        #expect(le(xsdt.bytes, 44, 8) == acpi.table("APIC")?.address.value)
        let memory = ByteGuestMemory(size: 1 << 20)
        try acpi.write(to: memory)
        #expect(try memory.readBytes(GuestAddress(0xE0000), count: 8) == Array("RSD PTR ".utf8))
        #expect(throws: ACPIError.self) { try acpi.write(to: ByteGuestMemory(size: 0x80000)) }
    }

    @Test("FADT: hardware-reduced, reset and sleep registers on port 0x600, RESET_VALUE 1, X_DSDT")
    func fadt() throws {
        let acpi = try tables()
        let fadt = try #require(acpi.table("FACP")).bytes
        #expect(fadt.count == 276 && fadt[8] == 6 && fadt[131] == 5)
        let flags = le(fadt, 112, 4)
        #expect(flags & (1 << 20) != 0)  // HW_REDUCED_ACPI
        #expect(flags & (1 << 10) != 0)  // RESET_REG_SUP
        #expect(flags & (1 << 8) != 0)  // TMR_VAL_EXT
        let port: [UInt8] = [1, 8, 0, 1, 0x00, 0x06, 0, 0, 0, 0, 0, 0]
        #expect(Array(fadt[116..<128]) == port)  // RESET_REG
        #expect(fadt[128] == 1)  // RESET_VALUE
        #expect(Array(fadt[244..<256]) == port)  // SLEEP_CONTROL_REG
        #expect(Array(fadt[256..<268]) == port)  // SLEEP_STATUS_REG
        #expect(le(fadt, 140, 8) == acpi.table("DSDT")?.address.value)
        #expect(le(fadt, 109, 2) & 0x02 == 0)  // no 8042 flag: PNP0303 in the DSDT
        #expect(le(fadt, 109, 2) & 0x04 != 0)  // no VGA
        #expect(ACPIPowerPort.shutdownValue == 0x34)
    }

    @Test("MADT: one enabled local APIC per vCPU with APIC id = index, the IOAPIC at 0xFEC00000")
    func madt() throws {
        let madt = try MADT.build(vcpus: 3)
        #expect(le(madt, 36, 4) == 0xFEE0_0000)
        #expect(madt.count == 44 + 3 * 8 + 12)
        for index in 0..<3 {
            let entry = Array(madt[(44 + 8 * index)..<(52 + 8 * index)])
            #expect(entry == [0, 8, UInt8(index), UInt8(index), 1, 0, 0, 0])
        }
        #expect(Array(madt[68..<80]) == [1, 12, 0, 0, 0x00, 0x00, 0xC0, 0xFE, 0, 0, 0, 0])
        let withOverride = try MADT.build(vcpus: 1, overrides: [.init(source: 0, gsi: 2)])
        #expect(Array(withOverride.suffix(10)) == [2, 10, 0, 0, 2, 0, 0, 0, 0, 0])
        #expect(throws: ACPIError.self) { try MADT.build(vcpus: 0) }
        #expect(throws: ACPIError.self) { try MADT.build(vcpus: 256) }
    }

    @Test("DSDT: virtio windows below 4 GiB only; at most 1000 devices")
    func dsdtLimits() throws {
        #expect(throws: ACPIError.self) { try DSDT(virtio: [.init(base: 0x1_0000_0000, gsi: 5)]).build() }
        #expect(throws: ACPIError.self) { try DSDT.virtioDevice(.init(base: 0xC000_1000, gsi: 5), index: 1000) }
        let names = try DSDT(virtio: Self.virtio).build()
        #expect(names.count > 36 && ACPIChecksum.isValid(names))
    }

    // MARK: iasl

    static let iasl = ["/usr/bin/iasl", "/usr/local/bin/iasl"].first { FileManager.default.isExecutableFile(atPath: $0) }

    /// Disassembles `bytes` with `iasl -d`; returns (iasl's output, the .dsl text).
    func disassemble(_ bytes: [UInt8], name: String, in folder: URL) throws -> (log: String, dsl: String) {
        let input = folder.appendingPathComponent(name + ".dat")
        try Data(bytes).write(to: input)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try #require(Self.iasl))
        process.arguments = ["-d", input.path]
        process.currentDirectoryURL = folder
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let log = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus == 0, "iasl -d \(name): \(log)")
        let dsl = (try? String(contentsOf: folder.appendingPathComponent(name + ".dsl"), encoding: .utf8)) ?? ""
        return (log, dsl)
    }

    @Test("iasl -d disassembles every table without errors; the DSDT has the devices, the MADT 4 LAPICs",
          .enabled(if: iasl != nil, "iasl is not installed (apt-get install acpica-tools; scripts/setup does)"))
    func iaslDisassembly() throws {
        let acpi = try tables(vcpus: 4)
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("vmctl-acpi-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        var dsl: [String: String] = [:]
        // iasl 20200925 refuses a lone RSDP ("does not contain a valid ACPI table"); the rsdp() test checks it.
        for table in acpi.tables where table.signature != "RSD PTR " {
            let name = table.signature.lowercased()
            let (log, text) = try disassemble(table.bytes, name: name, in: folder)
            for bad in ["Error", "error ", "Invalid", "Incorrect checksum", "terminates in the middle", "Unknown"] {
                #expect(!log.contains(bad) && !text.contains(bad), "iasl on \(name) reports \"\(bad)\":\n\(log)\n\(text)")
            }
            #expect(!text.isEmpty, "iasl wrote no \(name).dsl:\n\(log)")
            dsl[name] = text
        }
        let dsdt = dsl["dsdt"] ?? ""
        #expect(dsdt.components(separatedBy: "\"LNRO0005\"").count - 1 == 2)
        #expect(dsdt.contains("EisaId (\"PNP0501\")"))
        #expect(dsdt.contains("EisaId (\"PNP0303\")"))
        #expect(dsdt.contains("Name (_S5, Package (0x04)"))
        #expect(dsdt.contains("0xC0002000,         // Address Base"))
        #expect(dsdt.contains("0x03F8,             // Range Minimum"))
        let madt = dsl["apic"] ?? ""
        #expect(madt.components(separatedBy: "Subtable Type : 00 [Processor Local APIC]").count - 1 == 4)
        #expect(madt.contains("Subtable Type : 01 [I/O APIC]"))
        #expect(madt.contains("Address : FEC00000"))
        let fadt = dsl["facp"] ?? ""
        #expect(fadt.contains("Hardware Reduced (V5) : 1"))
        #expect(fadt.contains("Reset Register Supported (V2) : 1"))
        #expect(fadt.contains("Value to cause reset : 01"))
        #expect(fadt.components(separatedBy: "Address : 0000000000000600").count - 1 == 3)  // reset, sleep control, status
        let xsdt = dsl["xsdt"] ?? ""
        #expect(xsdt.components(separatedBy: "ACPI Table Address").count - 1 == 2)
    }

    /// Golden/dsdt-reference.asl says in ASL what DSDT(virtio: two windows) means; dsdt-reference.hex is
    /// iasl's compilation of it. Our AML body (after the 36-byte header, whose creator fields differ)
    /// must equal iasl's byte for byte.
    @Test("the DSDT body equals iasl's compilation of the reference ASL")
    func dsdtMatchesReference() throws {
        let reference = try DeviceGolden.load("dsdt-reference.hex")
        let ours = try DSDT(virtio: Self.virtio).build()
        #expect(ours.count == reference.count)
        #expect(Array(ours[36...]) == Array(reference[36...]))
        #expect(Array(ours[0..<8]) == Array(reference[0..<8]))  // signature, length
    }

    @Test("dsdt-reference.hex is what iasl compiles from dsdt-reference.asl",
          .enabled(if: iasl != nil, "iasl is not installed (apt-get install acpica-tools; scripts/setup does)"))
    func referenceIsIasl() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("vmctl-asl-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let source = folder.appendingPathComponent("ref.asl")
        try FileManager.default.copyItem(at: DeviceGolden.folder.appendingPathComponent("dsdt-reference.asl"), to: source)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try #require(Self.iasl))
        process.arguments = ["-p", folder.appendingPathComponent("ref").path, source.path]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        let compiled = [UInt8](try Data(contentsOf: folder.appendingPathComponent("ref.aml")))
        let golden = try DeviceGolden.load("dsdt-reference.hex")
        // The header's compiler revision (offset 32) follows the iasl version; the rest must match.
        #expect(Array(compiled[36...]) == Array(golden[36...]))
    }
}
