import Testing
import VMCtlModel

@Suite("ByteSize")
struct ByteSizeTests {
    @Test("IEC units, plain bytes and exact decimals parse", arguments: [
        ("4096", UInt64(4096)), ("512B", 512), ("1KiB", 1024), ("64Ki", 65_536), ("512MiB", 536_870_912),
        ("2GiB", 2_147_483_648), ("2Gi", 2_147_483_648), ("1.5GiB", 1_610_612_736), ("0.5MiB", 524_288),
        ("1TiB", 1_099_511_627_776), ("1PiB", 1_125_899_906_842_624),
    ])
    func parses(_ text: String, _ bytes: UInt64) {
        #expect(ByteSize.parse(text) == .success(ByteSize(bytes: bytes)))
    }

    @Test("SI units are refused as ambiguous", arguments: ["512MB", "1GB", "10K", "4M", "2G", "1kB", "3TB"])
    func ambiguous(_ text: String) {
        guard case .failure(.ambiguousUnit) = ByteSize.parse(text) else {
            Issue.record("\(text) should be ambiguous")
            return
        }
    }

    @Test("malformed sizes are refused", arguments: ["", "MiB", "1.2.3GiB", "1.GiB", "abc", "12 parsecs", "1e3", "0x10"])
    func malformed(_ text: String) {
        guard case .failure = ByteSize.parse(text) else {
            Issue.record("\(text) should not parse")
            return
        }
    }

    @Test("fractions that are not whole bytes, and overflow, are refused")
    func limits() {
        #expect(ByteSize.parse("1.3B") == .failure(.fractionalBytes))
        #expect(ByteSize.parse("0.1KiB") == .failure(.fractionalBytes))
        #expect(ByteSize.parse("2PiB") == .failure(.tooLarge))
        #expect(ByteSize.parse("99999999999999999999") == .failure(.tooLarge))
        #expect(ByteSize.parse("18446744073709551615TiB") == .failure(.tooLarge))
    }

    @Test("description uses the largest exact unit")
    func description() {
        #expect(ByteSize(bytes: 2 << 30).description == "2GiB")
        #expect(ByteSize(bytes: 1536 << 20).description == "1536MiB")
        #expect(ByteSize(bytes: 1000).description == "1000B")
        #expect(ByteSize(bytes: 1536 << 20).approximate == "1.5GiB")
    }
}
