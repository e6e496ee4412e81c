import Foundation
import Testing
@testable import Runtime

@Suite("ELFCheck: static or dynamic")
struct ELFCheckTests {
    @Test("the busybox-static binary has no interpreter", .enabled(if: FileManager.default.fileExists(atPath: "/bin/busybox")))
    func busybox() throws {
        let data = try Data(contentsOf: URL(fileURLWithPath: "/bin/busybox"))
        // Debian's busybox (dynamic) and busybox-static both install /bin/busybox; this host should have the static one.
        #expect(ELFCheck.inspect(data) == .staticExecutable)
    }

    @Test("a dynamically linked program names its loader", .enabled(if: FileManager.default.fileExists(atPath: "/bin/ls")))
    func dynamic() throws {
        let data = try Data(contentsOf: URL(fileURLWithPath: "/bin/ls"))
        guard case .dynamic(let interpreter) = ELFCheck.inspect(data) else {
            Issue.record("expected /bin/ls to be dynamic")
            return
        }
        #expect(interpreter.contains("ld-linux"))
    }

    @Test("text, empty and truncated files are not executables")
    func garbage() {
        #expect(ELFCheck.inspect(Data("#!/bin/sh\necho hi\n".utf8)) == .notELF64)
        #expect(ELFCheck.inspect(Data()) == .notELF64)
        var header = Data([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0]) + Data(count: 56)
        // Program headers claimed at a huge offset must not trap.
        header.replaceSubrange(0x20..<0x28, with: Data(repeating: 0xff, count: 8))
        #expect(ELFCheck.inspect(header) == .notELF64)
    }
}
