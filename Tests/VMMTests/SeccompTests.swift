import Foundation
import Testing
import VMMControl

/// vmctl-vmm's own seccomp filter on a running payload (docs/vmm.md, "Seccomp"). The other payload suites run under
/// it too: console, disk, net, sockets, pause/resume, reset and power-off all pass with the filter on.
@Suite("vmctl-vmm seccomp filter on /dev/kvm", .enabled(if: VMMTestSupport.canRun, VMMTestSupport.skipComment))
struct SeccompTests {
    @Test("every thread of a running VMM is filtered with no_new_privs; control commands and a reset still work")
    func confinedThreads() throws {
        let vm = try VMMRun(payload: "ticker", vcpus: 2, serialInput: true, sockets: true)
        let client = try vm.client()
        #expect(VMMTestSupport.eventually { vm.console.count > 10 }, "no ticks: \(vm.console)")
        let threads = Self.threadStatus(of: vm.process.processIdentifier)
        #expect(threads.count >= 5, "main, 2 vCPUs, notifier, control accept, console/agent sockets: \(threads.count)")
        for (thread, status) in threads {
            #expect(Self.field("Seccomp", in: status) == "2", "thread \(thread)")
            #expect(Self.field("NoNewPrivs", in: status) == "1", "thread \(thread)")
        }
        try client.pause()
        #expect(try client.describe().state == .paused)
        try client.resume()
        #expect(try client.stats().residentBytes > 0)   // /proc/self/statm, opened before the filter
        #expect(try client.consoleInput(Array("x".utf8)) == 1)
        let ticks = vm.console.components(separatedBy: "tick\n").count
        try client.reset()   // a new KVM VM and vCPUs under the filter
        #expect(VMMTestSupport.eventually { vm.console.components(separatedBy: "tick\n").count > ticks }, "\(vm.console)")
        #expect(Self.threadStatus(of: vm.process.processIdentifier).allSatisfy { Self.field("Seccomp", in: $0.value) == "2" })
        try client.powerOff()
        let (status, stderr) = vm.wait()
        #expect(status == VMMExitCode.poweredOff.rawValue, "\(stderr)")
    }

    @Test("a forbidden call on any thread kills the whole VMM with SIGSYS (the runtime's wrapper records 159: crashed)")
    func violationKills() throws {
        let vm = try VMMRun(payload: "ticker", environment: ["VMCTL_VMM_TEST_SECCOMP_VIOLATION": "1"])
        let (status, stderr) = vm.wait(timeout: .seconds(20))
        #expect(vm.process.terminationReason == .uncaughtSignal, "\(stderr)")
        #expect(status == SIGSYS, "\(stderr)")
    }

    @Test("VMCTL_VMM_SECCOMP=off runs unconfined; --capabilities says whether the filter is on")
    func switchedOff() throws {
        let vm = try VMMRun(payload: "ticker", environment: ["VMCTL_VMM_SECCOMP": "off"])
        let client = try vm.client()
        #expect(Self.field("Seccomp", in: Self.threadStatus(of: vm.process.processIdentifier).first?.value ?? "") == "0")
        try client.powerOff()
        #expect(vm.wait().status == VMMExitCode.poweredOff.rawValue)

        #expect(try Self.capabilities([:]).seccomp == true)
        #expect(try Self.capabilities(["VMCTL_VMM_SECCOMP": "off"]).seccomp == false)
    }

    /// /proc/PID/task/TID/status for every thread, by thread id.
    static func threadStatus(of pid: Int32) -> [String: String] {
        let tasks = "/proc/\(pid)/task"
        let ids = (try? FileManager.default.contentsOfDirectory(atPath: tasks)) ?? []
        return Dictionary(uniqueKeysWithValues: ids.compactMap { id in
            (try? String(contentsOfFile: "\(tasks)/\(id)/status", encoding: .utf8)).map { (id, $0) }
        })
    }

    static func field(_ name: String, in status: String) -> String? {
        status.split(separator: "\n").first { $0.hasPrefix(name + ":") }
            .map { $0.dropFirst(name.count + 1).trimmingCharacters(in: .whitespaces) }
    }

    static func capabilities(_ environment: [String: String]) throws -> VMMCapabilities {
        let process = Process()
        process.executableURL = VMMTestSupport.binary
        process.arguments = ["--capabilities"]
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        let bytes = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return try VMMCapabilities.decode(Array(bytes))
    }
}
