import Foundation
import Testing

/// A state folder written by hand, for commands that need no real VM: VM records (`vm.json`), damaged ones, and a
/// stand-in VMM process started the way vmctl starts one (under the same wrapper, so it writes `pid` and `exit`).
final class FakeStateFolder {
    let dir: String
    private var fakeVMMs: [Int32] = []

    init() throws {
        // Short: VM folders end up in socket paths and process command lines.
        dir = "/tmp/vmctl-fake-" + UUID().uuidString.prefix(8).lowercased()
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    }

    deinit {
        for pid in fakeVMMs { kill(pid, SIGKILL) }
        try? FileManager.default.removeItem(atPath: dir)
    }

    func vmFolder(_ stack: String, _ vm: String) -> String { "\(dir)/stacks/\(stack)/vms/\(vm)" }

    /// A stopped VM's record, as apply writes it.
    func addVM(_ stack: String, _ vm: String, cpus: Int = 1, memoryMiB: Int = 128, dependsOn: [String] = []) throws {
        let depends = dependsOn.map { "\"\($0)\"" }.joined(separator: ", ")
        try addRecord(stack, vm, """
            {"name": "\(vm)", "stack": "\(stack)", "backend": "qemu", "backendReason": "backend: qemu in the manifest",
             "spec": {"name": "\(vm)", "cpus": \(cpus), "memory": \(memoryMiB << 20), "dependsOn": [\(depends)]}}
            """)
    }

    /// Any text as a VM's `vm.json` (a damaged record: a hand edit, half a file).
    func addRecord(_ stack: String, _ vm: String, _ text: String) throws {
        try FileManager.default.createDirectory(atPath: vmFolder(stack, vm), withIntermediateDirectories: true)
        try text.write(toFile: vmFolder(stack, vm) + "/vm.json", atomically: true, encoding: .utf8)
    }

    func record(_ stack: String, _ vm: String) -> String? {
        try? String(contentsOfFile: vmFolder(stack, vm) + "/vm.json", encoding: .utf8)
    }

    /// Starts a process that stands for the VM's VMM: detached under vmctl's wrapper (which writes `pid`, then `exit`),
    /// its command line naming the VM's folder as QEMU's does. Returns its pid once the wrapper has written it.
    func startFakeVMM(_ stack: String, _ vm: String) throws -> Int32 {
        let folder = vmFolder(stack, vm)
        let wrapper = """
            dir=$1; shift
            "$@" </dev/null >>"$dir/vmm.log" 2>&1 &
            child=$!
            echo $child >"$dir/pid.tmp" && mv "$dir/pid.tmp" "$dir/pid"
            wait $child
            echo $? >"$dir/exit.tmp" && mv "$dir/exit.tmp" "$dir/exit"
            """
        _ = try Self.spawnDetached(["/usr/bin/setsid", "-f", "/bin/sh", "-c", wrapper, "vmctl-vm", folder,
                                    "/usr/bin/python3", "-c", "import time; time.sleep(600)", folder + "/qmp.sock"])
        let deadline = ContinuousClock.now + .seconds(10)
        while ContinuousClock.now < deadline {
            if let text = try? String(contentsOfFile: folder + "/pid", encoding: .utf8),
               let pid = Int32(text.trimmingCharacters(in: .whitespacesAndNewlines)),
               let argv = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline"),
               String(decoding: argv, as: UTF8.self).contains("qmp.sock") {
                fakeVMMs.append(pid)
                return pid
            }
            Thread.sleep(forTimeInterval: 0.02)
        }
        throw FakeStateError("the fake VMM of \(vm) did not start")
    }

    /// Starts `argv` in a session of its own with no descriptor of this process but /dev/null (tests run in
    /// parallel: an inherited pipe of another test's vmctl would keep that test reading until this process ends).
    /// Returns its pid; it is not this process's child.
    static func spawnDetached(_ argv: [String]) throws -> Int32 {
        let script = """
            import subprocess, sys
            p = subprocess.Popen(sys.argv[1:], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                 stderr=subprocess.DEVNULL, close_fds=True, start_new_session=True)
            print(p.pid)
            """
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        process.arguments = ["-c", script] + argv
        let out = Pipe()
        process.standardOutput = out
        process.standardInput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        guard let pid = Int32(text.trimmingCharacters(in: .whitespacesAndNewlines)) else { throw FakeStateError("cannot start \(argv)") }
        return pid
    }

    /// Whether `pid` still runs (and is not a zombie).
    static func isAlive(_ pid: Int32) -> Bool {
        guard kill(pid, 0) == 0, let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")") else { return false }
        return stat[stat.index(after: close)...].split(separator: " ").first != "Z"
    }

    func vmctl(_ arguments: String...) throws -> VMCtlProcess.Output {
        try VMCtlProcess.run(arguments.prefix(1) + ["--state-dir", dir] + arguments.dropFirst())
    }

    func write(_ text: String, to name: String) throws -> String {
        let path = dir + "/" + name
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    /// Checks JSON documents against a schema with Tests/SchemaTests/check_json.py; returns its output and status.
    static func checkJSON(schema: String, documents: [String]) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "Tests/SchemaTests/check_json.py", schema] + documents
        process.currentDirectoryURL = VMCtlProcess.repoRoot
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let text = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        return (process.terminationStatus, text)
    }
}

struct FakeStateError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
