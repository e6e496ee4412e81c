import Foundation
import Testing
import VMMControl

/// Runs the built `vmctl-vmm` as the runtime will.
@Suite("vmctl-vmm: arguments, spec validation, exit codes")
struct VMMBinaryTests {
    struct Output {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    static var binary: URL {
        let bundleDir = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        let candidates = [bundleDir.appendingPathComponent("vmctl-vmm"),
                          bundleDir.deletingLastPathComponent().appendingPathComponent("vmctl-vmm")]
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0.path) } ?? candidates[0]
    }

    func run(_ arguments: [String], stdin: String = "") throws -> Output {
        let process = Process()
        process.executableURL = Self.binary
        process.arguments = arguments
        let out = Pipe(), err = Pipe(), input = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = input
        try process.run()
        input.fileHandleForWriting.write(Data(stdin.utf8))
        try input.fileHandleForWriting.close()
        let stdout = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        let stderr = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        return Output(status: process.terminationStatus, stdout: stdout, stderr: stderr)
    }

    /// A spec whose files exist in `folder`.
    func spec(in folder: TempFolder) throws -> LaunchSpec {
        let kernel = folder.file("vmlinuz")
        _ = FileManager.default.createFile(atPath: kernel, contents: Data("not really a kernel".utf8))
        return LaunchSpec(name: "t", vcpus: 1, memoryMiB: 64, kernel: kernel, cmdline: "console=ttyS0",
                          consoleLog: folder.file("console.log"), controlSocket: folder.file("control.sock"))
    }

    func json(_ spec: LaunchSpec) throws -> String { String(decoding: try JSONEncoder().encode(spec), as: UTF8.self) }

    @Test("--version names the spec and protocol versions")
    func version() throws {
        let output = try run(["--version"])
        #expect(output.status == 0)
        #expect(output.stdout == "vmctl-vmm 0.1.0 (launch spec 1, control protocol 1)\n")
    }

    @Test("usage errors exit 1 with the usage")
    func usage() throws {
        let output = try run(["--frobnicate"])
        #expect(output.status == VMMExitCode.vmmError.rawValue)
        #expect(output.stderr.hasPrefix("vmctl-vmm: unknown option --frobnicate\nusage: vmctl-vmm"))
    }

    @Test("--check accepts a valid spec from a file or stdin")
    func checkValid() throws {
        let folder = try TempFolder()
        defer { folder.cleanup() }
        let text = try json(spec(in: folder))
        try text.write(toFile: folder.file("spec.json"), atomically: true, encoding: .utf8)
        #expect(try run(["--check", folder.file("spec.json")]).status == 0)
        let piped = try run(["--check", "-"], stdin: text)
        #expect(piped.status == 0, "\(piped.stderr)")
        #expect(piped.stdout == "launch spec for VM t is valid\n")
    }

    @Test("bad specs exit 1 with one clear line on stderr", arguments: [
        ("", "vmctl-vmm: read launch spec (stdin): empty\n"),
        ("{", "vmctl-vmm: decode launch spec: not valid JSON\n"),
        (#"{"version":7}"#, "vmctl-vmm: decode launch spec: version 7 is not supported (this vmctl-vmm reads version 1)\n"),
    ])
    func badSpec(_ input: String, _ message: String) throws {
        let output = try run(["--check"], stdin: input)
        #expect(output.status == 1)
        #expect(output.stderr == message)
    }

    @Test("missing files and range problems are all listed")
    func fileProblems() throws {
        let folder = try TempFolder()
        defer { folder.cleanup() }
        var spec = try spec(in: folder)
        spec.vcpus = 0
        let ranged = try run(["--check"], stdin: json(spec))
        #expect(ranged.stderr == "vmctl-vmm: validate launch spec: vcpus: must be 1 to 8, not 0\n")
        spec.vcpus = 1
        spec.kernel = folder.file("missing")
        spec.disks = [.init(path: folder.file("disk.img"), readOnly: true)]
        spec.controlSocket = folder.file("no-such-folder/control.sock")
        let output = try run(["--check"], stdin: json(spec))
        #expect(output.status == 1)
        #expect(output.stderr.contains("kernel: \(folder.file("missing")) cannot be read: No such file or directory"))
        #expect(output.stderr.contains("disks[0].path: \(folder.file("disk.img")) cannot be read"))
        #expect(output.stderr.contains("controlSocket: \(folder.file("no-such-folder")) cannot be written"))
    }

    @Test("a valid spec whose kernel is not a kernel: exit 1 naming the step, no socket left")
    func notAKernel() throws {
        let folder = try TempFolder()
        defer { folder.cleanup() }
        let spec = try spec(in: folder)
        let output = try run(["-"], stdin: json(spec))
        #expect(output.status == VMMExitCode.vmmError.rawValue)
        #expect(output.stderr.hasPrefix("vmctl-vmm: boot VM t: "), "\(output.stderr)")
        #expect(!FileManager.default.fileExists(atPath: spec.controlSocket))
    }
}
