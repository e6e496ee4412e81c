import Foundation
import Manifest
import Testing
import VMCtlModel

/// Size and encoding limits, and odd YAML that must end in diagnostics, never in a crash or a hang.
@Suite("Manifest loader limits")
struct LoaderTests {
    static func load(_ bytes: [UInt8]) -> ManifestResult {
        ManifestLoader.load([ManifestSource(name: "stack.yaml", baseDirectory: "/t", bytes: bytes)], env: [:], host: ComposerTests.host)
    }

    static func load(_ text: String) -> ManifestResult { load(Array(text.utf8)) }

    @Test("a file of 8 MiB + 1 byte is refused before it is parsed", .timeLimit(.minutes(1)))
    func tooLarge() {
        let bytes = Array(ComposerTests.envelope.utf8) + [UInt8](repeating: UInt8(ascii: "#"), count: ManifestLoader.maxFileSize + 1 - ComposerTests.envelope.utf8.count)
        #expect(bytes.count == 8 * 1024 * 1024 + 1)
        let result = Self.load(bytes)
        #expect(!result.isValid)
        #expect(result.diagnostics.map(\.message) == ["the file is larger than 8 MiB, the limit for a manifest"])
        #expect(result.diagnostics.first?.location == SourceLocation(file: "stack.yaml", line: 1, column: 1))
    }

    @Test("a file of exactly 8 MiB is read")
    func atTheLimit() {
        var text = ComposerTests.envelope + "vms:\n  api: {}\n# "
        text += String(repeating: "x", count: ManifestLoader.maxFileSize - text.utf8.count)
        #expect(text.utf8.count == ManifestLoader.maxFileSize)
        let result = Self.load(text)
        #expect(result.isValid, "\(result.diagnostics)")
    }

    @Test("invalid UTF-8 is reported at its line and column, with the byte")
    func notUTF8() {
        let bytes = Array((ComposerTests.envelope + "vms:\n  caf").utf8) + [0xE9] + Array(": {}\n".utf8)
        let result = Self.load(bytes)
        #expect(result.diagnostics.count == 1)
        #expect(result.diagnostics.first?.message == "the file is not valid UTF-8: byte 0xE9 at offset 66 cannot be decoded")
        #expect(result.diagnostics.first?.location == SourceLocation(file: "stack.yaml", line: 5, column: 6))
    }

    @Test("a UTF-8 byte order mark is accepted")
    func byteOrderMark() {
        let result = Self.load([0xEF, 0xBB, 0xBF] + Array((ComposerTests.envelope + "vms: {api: {}}\n").utf8))
        #expect(result.isValid, "\(result.diagnostics)")
    }

    static let nested = String(repeating: "- ", count: 300) + "x\n"

    /// Inputs that are not manifests at all; each must give diagnostics with real positions.
    static let oddInputs: [String] = [
        "", "\n\n", "# only a comment\n", "---\n", "...\n", "--- ~\n", "~\n", "- a\n- b\n", "just text\n", "42\n",
        "[a, {b: c}]\n", "{apiVersion: vmctl/v1, kind: Stack}\n", "? [a, b]\n: c\n", "? {a: b}\n: c\n", "[a]: b\n",
        nested, String(repeating: "[", count: 300) + String(repeating: "]", count: 300) + "\n",
        String(repeating: "[", count: 5000) + "\n", String(repeating: "{a: ", count: 2000) + "\n",
        "a: &x [*x]\n", "a: *x\n", "&a\n", "!!binary aGVsbG8=\n", "a: !!python/object:os.system ls\n",
        "\t- a\n", "a:\r\n  b: c\r\n", "\"unterminated\n", "a: 'x\n", "%YAML 1.2\n---\na: b\n", "%FOO bar\n--- a\n",
        ComposerTests.envelope + "vms: [a, b]\n", ComposerTests.envelope + "vms: {? [a, b] : {}}\n",
        ComposerTests.envelope + "vms:\n  api:\n    ? [cpus]\n    : 1\n", ComposerTests.envelope + "vms:\n  api:\n    cpus: 99999999999999999999999\n",
        ComposerTests.envelope + "vms:\n  api:\n    memory: 99999999999999999999999999GiB\n", ComposerTests.envelope + "networks: {n: {subnet: 10.0.0.0/99}}\n",
        ComposerTests.envelope + "vms:\n  \"\": {}\n", ComposerTests.envelope + "vms:\n  ~: {}\n", ComposerTests.envelope + "metadata: {name: x}\n",
    ]

    @Test("odd YAML gives diagnostics, never a crash", .timeLimit(.minutes(1)), arguments: oddInputs.indices)
    func oddYAML(_ index: Int) {
        let result = Self.load(Self.oddInputs[index])
        #expect(!result.isValid, "input \(index) should be invalid")
        #expect(!result.diagnostics.isEmpty)
        for diagnostic in result.diagnostics {
            #expect(diagnostic.location.line >= 1 && diagnostic.location.column >= 1)
            #expect(!diagnostic.message.isEmpty)
        }
    }
}
