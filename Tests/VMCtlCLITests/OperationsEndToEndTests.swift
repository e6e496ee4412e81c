import Foundation
import Testing

/// End-to-end for the commands an operator uses on a running stack: pause/resume, the console, status
/// output against its JSON Schema, and Ctrl-C during an apply. Nested in `RealVMTests` (serialized).
extension RealVMTests {
@Suite("End to end: pause/resume, console, status schema, Ctrl-C")
struct OperationsEndToEndTests {
    static let pair = """
        apiVersion: vmctl/v1
        kind: Stack
        metadata: {name: ops}
        vms:
          first: {cpus: 1, memory: 128MiB}
          second: {cpus: 1, memory: 128MiB, dependsOn: [first]}

        """

    @Test("Ctrl-C during apply starts nothing new, leaves a consistent state, and the next apply converges",
          .timeLimit(.minutes(3)))
    func interruptedApply() throws {
        let env = try E2EStack(stack: "ops")
        defer { env.tearDown() }
        let manifest = try env.write(Self.pair)
        let apply = try env.spawn("apply", "--auto-approve", manifest)
        // Interrupt while `first` boots: its pid file exists, its readiness has not been reached.
        let pidFile = env.stackFolder + "/vms/first/pid"
        let deadline = ContinuousClock.now + .seconds(60)
        while !FileManager.default.fileExists(atPath: pidFile), ContinuousClock.now < deadline { Thread.sleep(forTimeInterval: 0.02) }
        kill(apply.processIdentifier, SIGINT)
        apply.waitUntilExit()
        let log = (try? String(contentsOfFile: env.dir + "/spawned-0.log", encoding: .utf8)) ?? ""
        #expect(apply.terminationStatus == 1, "apply after Ctrl-C: \(log)")
        #expect(log.contains("interrupted"), "\(log)")
        #expect(!FileManager.default.fileExists(atPath: env.stackFolder + "/vms/second/vm.json"), "second was started after Ctrl-C")
        // The VM that was booting keeps running: Ctrl-C never reaches a VMM.
        let afterInterrupt = try env.status()
        #expect(afterInterrupt.vms.first { $0.name == "first" }.map { ["starting", "running"].contains($0.state) } == true)

        let again = try env.vmctl("apply", "--auto-approve", manifest)
        #expect(again.status == 0, "\(again.stdout)\(again.stderr)")
        let status = try env.status(manifest)
        #expect(status.vms.map(\.state) == ["running", "running"], "\(status.vms)")
        #expect(env.qemuProcesses().count == 2)
    }

    @Test("pause and resume change status; the console answers; status -o json matches schemas/status.v1.json",
          .timeLimit(.minutes(3)))
    func pauseResumeConsoleAndSchema() throws {
        let env = try E2EStack(stack: "ops")
        defer { env.tearDown() }
        let manifest = try env.write(Self.pair)
        let apply = try env.vmctl("apply", "--auto-approve", manifest)
        #expect(apply.status == 0, "\(apply.stdout)\(apply.stderr)")

        #expect(try env.vmctl("pause", "--stack", "ops", "first").status == 0)
        #expect(try env.status().vms.first { $0.name == "first" }?.state == "paused")
        try checkSchema(env, manifest: manifest)
        #expect(try env.vmctl("resume", "--stack", "ops", "first").status == 0)
        #expect(try env.status().vms.first { $0.name == "first" }?.state == "running")

        let console = try VMCtlProcess.run(["console", "--state-dir", env.dir, "--stack", "ops", "second"],
                                           stdin: "echo console-$((6*7))\n")
        #expect(console.status == 0, "\(console.stderr)")
        #expect(console.stdout.contains("console-42"), "\(console.stdout)")
        #expect(console.stderr.contains("Ctrl-]"), "the escape key is announced: \(console.stderr)")
    }

    /// Writes `status -o json` (with and without manifests) to files and validates them with jsonschema.
    private func checkSchema(_ env: E2EStack, manifest: String) throws {
        var files: [String] = []
        for (index, arguments) in [["--stack", "ops"], [manifest]].enumerated() {
            let out = try VMCtlProcess.run(["status", "--state-dir", env.dir, "-o", "json"] + arguments)
            #expect(out.status == 0)
            let file = env.dir + "/status-\(index).json"
            try out.stdout.write(toFile: file, atomically: true, encoding: .utf8)
            files.append(file)
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "Tests/SchemaTests/check_json.py", "schemas/status.v1.json"] + files
        process.currentDirectoryURL = VMCtlProcess.repoRoot
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let text = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus == 0, "status output does not match schemas/status.v1.json: \(text)")
    }
}
}
