import Foundation
import Testing

/// End-to-end for the commands an operator uses on a running stack: pause/resume, the console, status
/// output against its JSON Schema, and Ctrl-C during an apply. Nested in `RealVMTests` (serialized).
extension RealVMTests {
@Suite("End to end: pause/resume, console, status schema, Ctrl-C, a damaged vm.json")
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

    @Test("a running VM's vm.json is damaged: status shows it unknown with its QEMU's pid, plan leaves it alone, stop powers it off gracefully, destroy removes it",
          .timeLimit(.minutes(3)))
    func damagedRecordOfARunningVM() throws {
        let env = try E2EStack(stack: "ops")
        defer { env.tearDown() }
        let manifest = try env.write(Self.pair)
        let apply = try env.vmctl("apply", "--auto-approve", manifest)
        #expect(apply.status == 0, "\(apply.stdout)\(apply.stderr)")
        let qemu = try #require(try env.status()["first"]?.pid)
        // No pid or start time left in the file: the VMM is found by the wrapper's pid file alone.
        let record = env.stackFolder + "/vms/first/vm.json"
        try "".write(toFile: record, atomically: true, encoding: .utf8)

        let status = try env.status()
        #expect(status["first"]?.state == "unknown" && status["first"]?.pid == qemu, "\(status.vms)")
        #expect(status["second"]?.state == "running", "\(status.vms)")
        let plan = try env.vmctl("plan", manifest)
        #expect(plan.status == 1, "\(plan.stdout)\(plan.stderr)")
        #expect(plan.stdout.hasPrefix("No changes to make; 1 VM cannot be planned"), "\(plan.stdout)")
        #expect(plan.stderr.contains("vm.first: not touched: cannot read its state file \(record): the file is empty"), "\(plan.stderr)")

        let stop = try env.vmctl("stop", "--stack", "ops", "first")
        #expect(stop.status == 0, "\(stop.stdout)\(stop.stderr)")
        #expect(stop.stdout == "first: stopped (graceful)\n", "QMP powers it off: \(stop.stdout)\(stop.stderr)")
        #expect(!env.qemuProcesses().contains(qemu))
        #expect(try String(contentsOfFile: record, encoding: .utf8) == "", "stop rewrote the damaged file")
        #expect(try env.status()["second"]?.state == "running")

        let destroy = try env.vmctl("destroy", "--stack", "ops", "--auto-approve")
        #expect(destroy.status == 0, "\(destroy.stdout)\(destroy.stderr)")
        #expect(destroy.stdout.contains("cannot read its state file \(record): the file is empty"), "\(destroy.stdout)")
        #expect(env.processes().isEmpty, "\(env.processes())")
        #expect(!FileManager.default.fileExists(atPath: env.stackFolder))
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
