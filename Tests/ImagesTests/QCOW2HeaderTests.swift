import Testing
@testable import Images

@Suite("QCOW2Header: vmctl's own reading of the header, before qemu-img sees the file")
struct QCOW2HeaderTests {
    /// A version 3 header of a 1 GiB image with 64 KiB clusters, with `edit` applied.
    func header(version: UInt32 = 3, _ edit: (inout [UInt8]) -> Void = { _ in }) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: 104)
        bytes.replaceSubrange(0..<4, with: QCOW2Header.magic)
        bytes.replaceSubrange(4..<8, with: Host.bigEndian(version))
        bytes.replaceSubrange(20..<24, with: Host.bigEndian(UInt32(16)))
        bytes.replaceSubrange(24..<32, with: Host.bigEndian(UInt64(1) << 30))
        bytes.replaceSubrange(100..<104, with: Host.bigEndian(UInt32(104)))
        edit(&bytes)
        return bytes
    }

    @Test("the fields are read big-endian at their offsets")
    func fields() throws {
        let parsed = try QCOW2Header(parsing: header { $0.replaceSubrange(72..<80, with: Host.bigEndian(UInt64(0x18))) }, path: "/x")
        #expect(parsed.version == 3 && parsed.backingFileOffset == 0 && parsed.backingFileSize == 0 && parsed.clusterBits == 16)
        #expect(parsed.size == 1 << 30 && parsed.cryptMethod == 0 && parsed.incompatibleFeatures == 0x18 && parsed.headerLength == 104)
        try parsed.check(path: "/x")
    }

    @Test("version 2 has no feature words: bytes past 72 are not read as features")
    func version2() throws {
        let parsed = try QCOW2Header(parsing: Array(header(version: 2) { $0.replaceSubrange(72..<80, with: Host.bigEndian(UInt64.max)) }), path: "/x")
        #expect(parsed.incompatibleFeatures == 0)
        try parsed.check(path: "/x")
    }

    @Test("refusals: a backing file offset or size, the external data file bit, encryption, corrupt, unknown bits",
          arguments: [
              (8, Host.bigEndian(UInt64(0x200)), "names a backing file"),
              (16, Host.bigEndian(UInt32(5)), "names a backing file"),
              (72, Host.bigEndian(UInt64(1) << 2), "external data file (incompatible feature bit 2)"),
              (32, Host.bigEndian(UInt32(1)), "encrypted (AES)"),
              (32, Host.bigEndian(UInt32(2)), "encrypted (LUKS)"),
              (72, Host.bigEndian(UInt64(1) << 1), "marked corrupt"),
              (72, Host.bigEndian(UInt64(1) << 5 | 1 << 40), "does not know (5, 40)"),
          ])
    func refusals(offset: Int, value: [UInt8], phrase: String) throws {
        let parsed = try QCOW2Header(parsing: header { $0.replaceSubrange(offset..<offset + value.count, with: value) }, path: "/img")
        #expect {
            try parsed.check(path: "/img")
        } throws: { error in
            guard case .refusedQCOW2(let path, let reason)? = error as? ImageError else { return false }
            return path == "/img" && reason.contains(phrase)
        }
    }

    @Test("malformed: truncated v2 or v3, header_length below 104, cluster_bits out of range, version 1",
          arguments: [
              (Array(repeating: UInt8(0), count: 0), 72, "truncated"),
              ([], 100, "version 3 header is truncated"),
              (Host.bigEndian(UInt32(96)), 100, "header_length 96"),
              (Host.bigEndian(UInt32(8)), 20, "cluster_bits 8"),
              (Host.bigEndian(UInt32(1)), 4, "version 1"),
          ])
    func malformed(value: [UInt8], offset: Int, phrase: String) throws {
        var bytes = header()
        if value.isEmpty { bytes = Array(bytes.prefix(offset - 1)) } else { bytes.replaceSubrange(offset..<offset + value.count, with: value) }
        #expect {
            try QCOW2Header(parsing: bytes, path: "/img")
        } throws: { error in
            guard case .malformedQCOW2(_, let reason)? = error as? ImageError else { return false }
            return reason.contains(phrase)
        }
    }
}
