import Foundation
import Testing

/// contrib/systemd/vmctl-reconcile@.service as systemd reads it. PID 1 is not systemd on the test hosts, so the unit is
/// checked with `systemd-analyze verify` (Debian's systemd package, which scripts/setup installs), not started.
@Suite("contrib/systemd: the reconcile unit")
struct SystemdUnitTests {
    static let unit = VMCtlProcess.repoRoot.appendingPathComponent("contrib/systemd/vmctl-reconcile@.service").path

    @Test("systemd-analyze verify finds nothing to say about an instance of the unit")
    func verifies() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("unit-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        // verify needs ExecStart's program to exist: point it at the vmctl this build made.
        let text = try String(contentsOfFile: Self.unit, encoding: .utf8)
            .replacingOccurrences(of: "/usr/local/bin/vmctl", with: VMCtlProcess.binary.path)
        try text.write(toFile: folder + "/vmctl-reconcile@ci.service", atomically: true, encoding: .utf8)
        let result = try Self.run("/usr/bin/systemd-analyze", ["verify", folder + "/vmctl-reconcile@ci.service"])
        #expect(result.status == 0 && result.output.isEmpty, "systemd-analyze verify: \(result.output)")

        // The check is real: a misspelt setting is reported.
        try text.replacingOccurrences(of: "KillMode=process", with: "KillMode=procss")
            .write(toFile: folder + "/vmctl-reconcile@ci.service", atomically: true, encoding: .utf8)
        let broken = try Self.run("/usr/bin/systemd-analyze", ["verify", folder + "/vmctl-reconcile@ci.service"])
        let line = (text.split(separator: "\n", omittingEmptySubsequences: false).firstIndex { $0 == "KillMode=process" } ?? -2) + 1
        #expect(broken.output.contains(":\(line): Failed to parse kill mode"), "\(broken.output)")
    }

    @Test("stopping the service ends the reconciler only, and its command line parses")
    func keepsVMsAndParses() throws {
        let text = try String(contentsOfFile: Self.unit, encoding: .utf8)
        let settings = text.split(separator: "\n").filter { !$0.hasPrefix("#") }
        // control-group (the default) would kill every VMM the reconciler started when it stops.
        #expect(settings.contains("KillMode=process"))
        #expect(settings.contains("Restart=on-failure"))
        let exec = try #require(settings.first { $0.hasPrefix("ExecStart=") })
        var arguments = exec.dropFirst("ExecStart=".count).split(separator: " ").map(String.init).dropFirst()
        arguments = arguments.filter { $0 != "$VMCTL_RECONCILE_ARGS" }
        let help = try VMCtlProcess.run(Array(arguments) + ["--source", "/nonexistent", "--help"])
        #expect(help.status == 0, "\(help.stderr)")
    }

    static func run(_ tool: String, _ arguments: [String]) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: tool)
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let output = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: output, as: UTF8.self))
    }
}
