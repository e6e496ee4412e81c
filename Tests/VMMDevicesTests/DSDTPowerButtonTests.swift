import Foundation
import Testing
import VMMDevices

@Suite("DSDT power button (Generic Event Device)")
struct DSDTPowerButtonTests {
    static let dsdt = DSDT(virtio: [DSDT.VirtioMMIO(base: 0xC000_1000, gsi: 5)], powerButtonGSI: 6)

    @Test("the DSDT with a power button equals iasl's compilation of Golden/dsdt-power-button.asl")
    func matchesReference() throws {
        let reference = try DeviceGolden.load("dsdt-power-button.hex")
        let ours = try Self.dsdt.build()
        #expect(ours.count == reference.count)
        #expect(Array(ours[36...]) == Array(reference[36...]))
    }

    @Test("without powerButtonGSI there is no GED and no power button")
    func absentByDefault() throws {
        let plain = try DSDT(virtio: []).build()
        #expect(!plain.windows(of: Array("ACPI0013".utf8)))
        #expect(try Self.dsdt.build().windows(of: Array("ACPI0013".utf8)))
    }

    @Test("dsdt-power-button.hex is what iasl compiles from dsdt-power-button.asl",
          .enabled(if: ACPITablesTests.iasl != nil, "iasl is not installed (apt-get install acpica-tools; scripts/setup does)"))
    func referenceIsIasl() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("vmctl-asl-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let source = folder.appendingPathComponent("ref.asl")
        try FileManager.default.copyItem(at: DeviceGolden.folder.appendingPathComponent("dsdt-power-button.asl"), to: source)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try #require(ACPITablesTests.iasl))
        process.arguments = ["-p", folder.appendingPathComponent("ref").path, source.path]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        let compiled = [UInt8](try Data(contentsOf: folder.appendingPathComponent("ref.aml")))
        #expect(Array(compiled[36...]) == Array(try DeviceGolden.load("dsdt-power-button.hex")[36...]))
    }
}

private extension [UInt8] {
    func windows(of needle: [UInt8]) -> Bool {
        guard count >= needle.count else { return false }
        return (0...(count - needle.count)).contains { Array(self[$0..<$0 + needle.count]) == needle }
    }
}
