import Testing
import VMMDevices

@Suite("AML encoder")
struct AMLTests {
    @Test("integers use the shortest encoding; fixed-width forms stay as asked")
    func integers() {
        #expect(AML.integer(0).encoded == [0x00])
        #expect(AML.integer(1).encoded == [0x01])
        #expect(AML.integer(.max).encoded == [0xFF])
        #expect(AML.integer(2).encoded == [0x0A, 0x02])
        #expect(AML.integer(0xFF).encoded == [0x0A, 0xFF])
        #expect(AML.integer(0x100).encoded == [0x0B, 0x00, 0x01])
        #expect(AML.integer(0x1_0000).encoded == [0x0C, 0x00, 0x00, 0x01, 0x00])
        #expect(AML.integer(0xFEC0_0000).encoded == [0x0C, 0x00, 0x00, 0xC0, 0xFE])
        #expect(AML.integer(0x1_0000_0000).encoded == [0x0E, 0, 0, 0, 0, 1, 0, 0, 0])
        #expect(AML.byte(0).encoded == [0x0A, 0x00])
        #expect(AML.word(5).encoded == [0x0B, 0x05, 0x00])
        #expect(AML.dword(5).encoded == [0x0C, 0x05, 0, 0, 0])
        #expect(AML.qword(5).encoded == [0x0E, 0x05, 0, 0, 0, 0, 0, 0, 0])
    }

    @Test("names: padded segments, dual and multi prefixes, root and parent prefixes; invalid names refused")
    func names() throws {
        #expect(try AMLName("_HID").encoded == Array("_HID".utf8))
        #expect(try AMLName("S5").encoded == Array("S5__".utf8))
        #expect(try AMLName("\\_SB_").encoded == [0x5C] + Array("_SB_".utf8))
        #expect(try AMLName("\\_SB.COM1").encoded == [0x5C, 0x2E] + Array("_SB_COM1".utf8))
        #expect(try AMLName("_SB.PCI0.ISA_").encoded == [0x2F, 3] + Array("_SB_PCI0ISA_".utf8))
        #expect(try AMLName("^^FOO").encoded == [0x5E, 0x5E] + Array("FOO_".utf8))
        #expect(try AMLName("\\").encoded == [0x5C, 0x00])
        #expect(throws: ACPIError.invalidName("TOOLONG", reason: "segment \"TOOLONG\" must have 1 to 4 characters")) { try AMLName("TOOLONG") }
        #expect(throws: ACPIError.invalidName("1ABC", reason: "segment \"1ABC\" starts with a digit")) { try AMLName("1ABC") }
        #expect(throws: ACPIError.invalidName("ab", reason: "segment \"ab\" may only use A-Z, 0-9 and _")) { try AMLName("ab") }
        #expect(throws: ACPIError.self) { try AMLName("") }
        #expect(throws: ACPIError.self) { try AMLName("A..B") }
    }

    @Test("strings, buffers and packages")
    func dataObjects() throws {
        #expect(AML.string("COM1").encoded == [0x0D, 0x43, 0x4F, 0x4D, 0x31, 0x00])
        #expect(throws: ACPIError.self) { try AML.string(checked: "a\0b") }
        #expect(throws: ACPIError.self) { try AML.string(checked: "é") }
        #expect(AML.buffer([1, 2, 3]).encoded == [0x11, 0x06, 0x0A, 0x03, 1, 2, 3])  // PkgLength counts itself
        #expect(AML.package([.integer(5), .integer(5), .zero, .zero]).encoded == [0x12, 0x08, 0x04, 0x0A, 0x05, 0x0A, 0x05, 0x00, 0x00])
        // The _S5_ package as Firecracker/cloud-hypervisor emit it (BytePrefix forms), vmm-facts §4.
        let s5 = AML.name(try AMLName("_S5_"), .package([.byte(5), .byte(5), .byte(0), .byte(0)]))
        #expect(s5.encoded == [0x08, 0x5F, 0x53, 0x35, 0x5F, 0x12, 0x0A, 0x04, 0x0A, 0x05, 0x0A, 0x05, 0x0A, 0x00, 0x0A, 0x00])
    }

    @Test("PkgLength: one byte up to 63 in total, then 2, 3 and 4 byte forms")
    func packageLength() {
        #expect(AML.packageLength(body: 0) == [0x01])
        #expect(AML.packageLength(body: 62) == [0x3F])
        #expect(AML.packageLength(body: 63) == [0x41, 0x04])  // total 65 = 0x41
        #expect(AML.packageLength(body: 64) == [0x42, 0x04])  // total 66: the virtio device below
        #expect(AML.packageLength(body: 0xFFD) == [0x4F, 0xFF])  // total 0xFFF, the largest 2-byte form
        #expect(AML.packageLength(body: 0xFFE) == [0x81, 0x00, 0x01])  // total 0x1001
        #expect(AML.packageLength(body: 0xFFFFC) == [0x8F, 0xFF, 0xFF])  // total 0xFFFFF
        #expect(AML.packageLength(body: 0xFFFFD) == [0xC1, 0x00, 0x00, 0x01])
        #expect(AML.buffer([UInt8](repeating: 7, count: 100)).encoded.prefix(4) == [0x11, 0x48, 0x06, 0x0A])  // total 2 + 2 + 100 = 0x68
    }

    @Test("EISA ids compress to the DWords iasl produces")
    func eisaIDs() throws {
        #expect(AML.eisaID(try EisaID("PNP0501")).encoded == [0x0C, 0x41, 0xD0, 0x05, 0x01])
        #expect(AML.eisaID(try EisaID("PNP0303")).encoded == [0x0C, 0x41, 0xD0, 0x03, 0x03])
        #expect(AML.eisaID(try EisaID("PNP0C0C")).encoded == [0x0C, 0x41, 0xD0, 0x0C, 0x0C])
        #expect(throws: ACPIError.invalidEisaID("PNP05")) { try EisaID("PNP05") }
        #expect(throws: ACPIError.invalidEisaID("pnp0501")) { try EisaID("pnp0501") }
        #expect(throws: ACPIError.invalidEisaID("PNP+501")) { try EisaID("PNP+501") }
    }

    @Test("resource descriptors and the End Tag, with and without a computed checksum")
    func resources() {
        #expect(ResourceTemplate.Descriptor.memory32Fixed(writable: true, base: 0xC000_1000, length: 0x1000).encoded
            == [0x86, 0x09, 0x00, 0x01, 0x00, 0x10, 0x00, 0xC0, 0x00, 0x10, 0x00, 0x00])
        #expect(ResourceTemplate.Descriptor.io(minimum: 0x3F8, maximum: 0x3F8, alignment: 1, length: 8).encoded
            == [0x47, 0x01, 0xF8, 0x03, 0xF8, 0x03, 0x01, 0x08])
        #expect(ResourceTemplate.Descriptor.edgeInterrupt(5).encoded == [0x89, 0x06, 0x00, 0x03, 0x01, 0x05, 0x00, 0x00, 0x00])
        #expect(ResourceTemplate.Descriptor.interrupt(consumer: true, edgeTriggered: false, activeLow: true, shared: true, gsis: [9, 10]).encoded
            == [0x89, 0x0A, 0x00, 0x0D, 0x02, 0x09, 0, 0, 0, 0x0A, 0, 0, 0])
        #expect(ResourceTemplate([]).encoded == [0x79, 0x00])
        let summed = ResourceTemplate([.io(minimum: 0x60, maximum: 0x60, alignment: 1, length: 1)], computeChecksum: true).encoded
        #expect(summed.reduce(UInt8(0)) { $0 &+ $1 } == 0)
        #expect(summed.suffix(2).first == 0x79)
    }

    @Test("Device, Method, Name and Scope; the virtio device matches the bytes verified with iasl (vmm-facts §4)")
    func blocks() throws {
        let device = AML.device(try AMLName("V000"), [
            .name(try AMLName("_HID"), .string("LNRO0005")),
            .name(try AMLName("_UID"), .byte(0)),
            .name(try AMLName("_CCA"), .one),
            .name(try AMLName("_CRS"), .resourceTemplate(ResourceTemplate([
                .memory32Fixed(writable: true, base: 0xC000_1000, length: 0x1000),
                .edgeInterrupt(5),
            ]))),
        ])
        let expected: [UInt8] = [0x5B, 0x82, 0x42, 0x04, 0x56, 0x30, 0x30, 0x30,
                                 0x08, 0x5F, 0x48, 0x49, 0x44, 0x0D, 0x4C, 0x4E, 0x52, 0x4F, 0x30, 0x30, 0x30, 0x35, 0x00,
                                 0x08, 0x5F, 0x55, 0x49, 0x44, 0x0A, 0x00,
                                 0x08, 0x5F, 0x43, 0x43, 0x41, 0x01,
                                 0x08, 0x5F, 0x43, 0x52, 0x53, 0x11, 0x1A, 0x0A, 0x17,
                                 0x86, 0x09, 0x00, 0x01, 0x00, 0x10, 0x00, 0xC0, 0x00, 0x10, 0x00, 0x00,
                                 0x89, 0x06, 0x00, 0x03, 0x01, 0x05, 0x00, 0x00, 0x00,
                                 0x79, 0x00]
        #expect(device.encoded == expected)
        #expect(expected.count == 68)
        // The DSDT's generator uses the shortest integer: _UID 0 becomes ZeroOp, one byte less.
        let generated = try DSDT.virtioDevice(.init(base: 0xC000_1000, gsi: 5), index: 0).encoded
        #expect(generated.count == 67 && generated[2...3] == [0x41, 0x04])
        #expect(AML.method(try AMLName("_STA"), returning: .integer(0x0F)).encoded == [0x14, 0x09, 0x5F, 0x53, 0x54, 0x41, 0x00, 0xA4, 0x0A, 0x0F])
        #expect(AML.method(try AMLName("TEST"), argumentCount: 2, serialized: true, []).encoded == [0x14, 0x06] + Array("TEST".utf8) + [0x0A])
        #expect(AML.scope(try AMLName("\\_SB_"), []).encoded == [0x10, 0x06, 0x5C] + Array("_SB_".utf8))
        #expect(AML.name(try AMLName("_UID"), .nameReference(try AMLName("\\_SB.COM1"))).encoded.suffix(10) == [0x5C, 0x2E] + Array("_SB_COM1".utf8))
    }
}
