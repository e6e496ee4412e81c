import Foundation
import Testing

/// Tests, scripts and fixtures find the installed Debian cloud kernel (HostTools.debianCloudKernel, GuestHost) instead
/// of naming a version: when the archive moved from 6.1.0-56 to 6.1.0-57, the tests that named the old one were
/// skipped on every fresh machine ("… is missing") while the kernel was installed.
@Suite("No hard-coded Debian kernel version")
struct KernelVersionTests {
    /// A real host path or package of one kernel version: /boot/vmlinuz-VERSION-…, linux-image-VERSION-…. Paths under a
    /// fake root (`root + "/boot/vmlinuz-…"`, GuestTestSupport.fakeHost) are the fake hosts' own and do not count.
    static var versioned: Regex<AnyRegexOutput> { try! Regex(#"/boot/vmlinuz-[0-9]|linux-image-[0-9]"#) }
    /// Logs of earlier runs quote what those runs printed.
    static let exempt = ["Tests/ProjectTests/SkipLogs/", "bench/results/"]

    @Test("Sources, Tests, scripts, bench, fuzz, examples and CI name no kernel version")
    func noVersions() throws {
        var offenders: [String] = []
        for folder in ["Sources", "Tests", "scripts", "bench", "fuzz", "examples", ".ci"] {
            for file in ProjectFiles.files(under: folder) where !Self.exempt.contains(where: { file.hasPrefix($0) }) {
                guard let text = try? ProjectFiles.text(file), text.contains("vmlinuz-") || text.contains("linux-image-") else {
                    continue  // binary, or nothing to look at
                }
                for (number, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated()
                where line.replacing(#"+ "/boot/vmlinuz-"#, with: "").contains(Self.versioned) {
                    offenders.append("\(file):\(number + 1): \(line.trimmingCharacters(in: .whitespaces))")
                }
            }
        }
        #expect(offenders.isEmpty, "find the newest installed kernel instead (HostTools.debianCloudKernel, or sort -V in scripts):\n\(offenders.joined(separator: "\n"))")
    }
}
