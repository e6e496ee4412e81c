import Foundation
import Testing

/// scripts/test fails when a test is skipped for a reason scripts/allowed-skips.txt does not list: scripts/check-skips
/// reads swift test's output. These run the checker on logs in SkipLogs/ (real Swift Testing and XCTest lines).
@Suite("scripts/check-skips: only allowed skips pass")
struct SkipCheckTests {
    struct Run {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    static let python = ["/usr/bin/python3", "/bin/python3"].first { FileManager.default.isExecutableFile(atPath: $0) }

    static func check(_ log: String, allowed: String? = nil) throws -> Run {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try #require(python, "python3 runs scripts/check-skips"))
        process.arguments = [ProjectFiles.root.appendingPathComponent("scripts/check-skips").path,
                             ProjectFiles.root.appendingPathComponent("Tests/ProjectTests/SkipLogs/\(log)").path] + (allowed.map { [$0] } ?? [])
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        let stderr = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Run(status: process.terminationStatus, stdout: String(decoding: stdout, as: UTF8.self),
                   stderr: String(decoding: stderr, as: UTF8.self))
    }

    @Test("skips for missing hardware KVM only (this machine's /dev/kvm is nested through kvm_pvm): passes")
    func allowed() throws {
        let run = try Self.check("allowed.log")
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stdout.contains("2 skip(s), all for reasons"), "\(run.stdout)")
    }

    @Test("the kernel tests skipped because they named an older kernel (6.1.0-56 after 57 came): fails, naming both")
    func kernelMissing() throws {
        let run = try Self.check("kernel-missing.log")
        #expect(run.status == 1)
        #expect(run.stderr.contains("2 unexpected skip(s)"), "\(run.stderr)")
        #expect(run.stderr.contains(#"Suite "Debian cloud kernel on vmctl-vmm"#), "\(run.stderr)")
        #expect(run.stderr.contains(#"Test "the real Debian cloud kernel's header parses to the documented values": "needs /boot/vmlinuz-"#), "\(run.stderr)")
        #expect(!run.stderr.contains("needs hardware KVM"), "allowed skips are not listed: \(run.stderr)")
    }

    @Test("a reason naming hardware KVM and something else that is missing: fails (patterns match whole reasons)")
    func kvmAndMore() throws {
        let run = try Self.check("kvm-and-more.log")
        #expect(run.status == 1)
        #expect(run.stderr.contains("1 unexpected skip(s)") && run.stderr.contains("for the default guest"), "\(run.stderr)")
    }

    @Test("a skip without a reason (.enabled(if:) with no comment): fails")
    func noReason() throws {
        let run = try Self.check("no-reason.log")
        #expect(run.status == 1)
        #expect(run.stderr.contains(#"Test "overlays on a stored base": (no reason given)"#), "\(run.stderr)")
    }

    @Test("an XCTest skip and a test that cancelled itself (a reason over two lines) count as skips")
    func xctestAndCancelled() throws {
        let run = try Self.check("xctest-and-cancelled.log")
        #expect(run.status == 1)
        #expect(run.stderr.contains(#"XCTest HostTests.testTap: "creating tap interfaces needs root""#), "\(run.stderr)")
        #expect(run.stderr.contains("Test \"bridge networks\": \"lz4 is not installed (apt-get install lz4)\nit extracts vmlinux\""), "\(run.stderr)")
        let allowAll = FileManager.default.temporaryDirectory.appendingPathComponent("allow-all-\(getpid()).txt")
        try "# every reason\n(?s).+\n".write(to: allowAll, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: allowAll) }
        let allowed = try Self.check("xctest-and-cancelled.log", allowed: allowAll.path)
        #expect(allowed.status == 0, "\(allowed.stderr)")
        #expect(allowed.stdout.contains("4 skip(s)"), "\(allowed.stdout)")
    }

    @Test("a log without swift test's closing summary (a crash, a wrong file): exit 2")
    func truncated() throws {
        let run = try Self.check("truncated.log")
        #expect(run.status == 2)
        #expect(run.stderr.contains("not a complete swift test log"), "\(run.stderr)")
    }

    @Test("allowed-skips.txt: every pattern compiles and has a comment above it")
    func allowList() throws {
        let lines = try ProjectFiles.text("scripts/allowed-skips.txt").split(separator: "\n", omittingEmptySubsequences: false)
        var commented = false
        var patterns = 0
        for line in lines {
            if line.hasPrefix("#") { commented = true; continue }
            if line.trimmingCharacters(in: .whitespaces).isEmpty { commented = false; continue }
            patterns += 1
            #expect(commented, "no comment above the pattern \(line)")
            #expect(throws: Never.self) { try Regex(String(line)) }
        }
        #expect(patterns >= 1)
    }

    @Test("scripts/test tees swift test's output to the checker and keeps swift test's exit status")
    func script() throws {
        let text = try ProjectFiles.text("scripts/test")
        #expect(text.contains("set -euo pipefail"))
        #expect(text.contains(#"swift test 2>&1 | tee "$log" || status=$?"#))
        #expect(text.contains(#"scripts/check-skips "$log""#))
        #expect(text.contains(#"exit "$status""#))
    }
}
