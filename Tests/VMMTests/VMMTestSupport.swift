import Foundation
import HostTools
import KVM
import Testing
import VMMControl

/// Payload assembly, launch specs and a running `vmctl-vmm` for the end-to-end VMM tests.
enum VMMTestSupport {
    static let payloadFolder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Payloads").path

    static func tool(_ name: String) -> String? { HostTools.find(name) }

    /// Why the /dev/kvm tests cannot run here, or nil when they can. Stated in the skip, never a silent pass.
    static let unavailableReason: String? = {
        if tool("as") == nil || tool("ld") == nil {
            return "GNU as/ld are not installed (apt-get install binutils): payloads are assembled and linked at test time"
        }
        do {
            let system = try KVMSystem()
            try system.require()
            return nil
        } catch {
            return "/dev/kvm is not usable: \(error)"
        }
    }()

    static var canRun: Bool { unavailableReason == nil }
    static var skipComment: Comment { Comment(rawValue: unavailableReason ?? "") }

    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    /// Every Payloads/*.S assembled and linked once per test process: ELF executables at 0x100000.
    private static let built: Result<String, Failure> = Result { () throws(Failure) in try buildAll() }

    /// The path of payload `name`'s ELF.
    static func payload(_ name: String) throws -> String {
        let path = try built.get() + "/\(name).elf"
        guard FileManager.default.fileExists(atPath: path) else { throw Failure(description: "no payload \(name).S") }
        return path
    }

    private static func buildAll() throws(Failure) -> String {
        guard let assembler = tool("as"), let linker = tool("ld") else { throw Failure(description: "as/ld missing") }
        let output = NSTemporaryDirectory() + "vmctl-vmm-payloads-\(UUID().uuidString.prefix(8))"
        do {
            try FileManager.default.createDirectory(atPath: output, withIntermediateDirectories: true)
            for file in try FileManager.default.contentsOfDirectory(atPath: payloadFolder) where file.hasSuffix(".S") {
                let name = String(file.dropLast(2))
                try run(assembler, ["--64", "-I", payloadFolder, "-o", "\(output)/\(name).o", "\(payloadFolder)/\(file)"])
                try run(linker, ["-m", "elf_x86_64", "-N", "-e", "start", "-Ttext=0x100000", "-o", "\(output)/\(name).elf", "\(output)/\(name).o"])
            }
            return output
        } catch let error as Failure {
            throw error
        } catch {
            throw Failure(description: "building payloads: \(error)")
        }
    }

    private static func run(_ program: String, _ arguments: [String]) throws(Failure) {
        do throws(HostTools.Failure) { try HostTools.run(program, arguments) } catch { throw Failure(description: error.description) }
    }

    static var binary: URL {
        let bundleDir = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        let candidates = [bundleDir.appendingPathComponent("vmctl-vmm"),
                          bundleDir.deletingLastPathComponent().appendingPathComponent("vmctl-vmm")]
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0.path) } ?? candidates[0]
    }

    /// Polls `condition` every 5 ms until it holds or `timeout` passes; returns whether it held.
    static func eventually(within timeout: Duration = .seconds(10), _ condition: () throws -> Bool) rethrows -> Bool {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if try condition() { return true }
            Thread.sleep(forTimeInterval: 0.005)
        }
        return try condition()
    }
}

/// A short temp folder (AF_UNIX paths are limited to 107 bytes), removed by `cleanup`.
struct TempFolder {
    let path: String

    init() throws {
        var template = Array("/tmp/vmmtest-XXXXXX".utf8CString)
        guard let made = mkdtemp(&template) else { throw CocoaError(.fileWriteUnknown) }
        path = String(cString: made)
    }

    func file(_ name: String) -> String { path + "/" + name }
    func cleanup() { try? FileManager.default.removeItem(atPath: path) }
}

/// One `vmctl-vmm` process running a payload, with its console log and control socket in a temp folder.
final class VMMRun {
    let folder: TempFolder
    let spec: LaunchSpec
    let process = Process()
    private let errors = Pipe()
    private var stderrText: String?

    /// - Parameter sockets: serve `console.sock` and `agent.sock` in the folder (the spec's consoleSocket and agentSocket).
    /// - Parameter environment: added to the test process's own for vmctl-vmm.
    convenience init(payload: String, vcpus: Int = 1, memoryMiB: Int = 64, disks: [LaunchSpec.Disk] = [],
                     nets: [LaunchSpec.Net] = [], serialInput: Bool = false, sockets: Bool = false, folder: TempFolder? = nil,
                     environment: [String: String] = [:]) throws {
        try self.init(kernel: try VMMTestSupport.payload(payload), vcpus: vcpus, memoryMiB: memoryMiB, disks: disks,
                      nets: nets, serialInput: serialInput, sockets: sockets, folder: folder, environment: environment)
    }

    init(kernel: String, vcpus: Int = 1, memoryMiB: Int = 64, cmdline: String = "console=ttyS0",
         disks: [LaunchSpec.Disk] = [], nets: [LaunchSpec.Net] = [], serialInput: Bool = false, sockets: Bool = false,
         folder: TempFolder? = nil, environment: [String: String] = [:]) throws {
        let folder = try folder ?? TempFolder()
        self.folder = folder
        spec = LaunchSpec(name: "test", vcpus: vcpus, memoryMiB: memoryMiB, kernel: kernel,
                          cmdline: cmdline, disks: disks, nets: nets, consoleLog: folder.file("console.log"),
                          controlSocket: folder.file("control.sock"), serialInput: serialInput,
                          consoleSocket: sockets ? folder.file("console.sock") : nil,
                          agentSocket: sockets ? folder.file("agent.sock") : nil)
        let specPath = folder.file("launch.json")
        try JSONEncoder().encode(spec).write(to: URL(fileURLWithPath: specPath))
        process.executableURL = VMMTestSupport.binary
        process.arguments = [specPath]
        if !environment.isEmpty { process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 } }
        process.standardError = errors
        process.standardOutput = FileHandle.nullDevice
        try process.run()
    }

    deinit {
        if process.isRunning { process.terminate() }
        folder.cleanup()
    }

    var console: String {
        (try? String(contentsOfFile: spec.consoleLog, encoding: .utf8)) ?? ""
    }

    /// Waits for the process to end (at most `timeout`, then kills it) and returns its status and stderr.
    func wait(timeout: Duration = .seconds(20)) -> (status: Int32, stderr: String) {
        if !VMMTestSupport.eventually(within: timeout, { !process.isRunning }) {
            process.terminate()
        }
        process.waitUntilExit()
        if stderrText == nil {
            stderrText = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        }
        return (process.terminationStatus, stderrText ?? "")
    }

    /// A control client, once the socket answers.
    func client() throws -> ControlClient {
        var last: (any Error)?
        let connected = VMMTestSupport.eventually {
            do {
                _ = try ControlClient(path: spec.controlSocket, timeout: .seconds(5)).describe()
                return true
            } catch {
                last = error
                return false
            }
        }
        guard connected else { throw VMMTestSupport.Failure(description: "control socket never answered: \(String(describing: last))") }
        return try ControlClient(path: spec.controlSocket, timeout: .seconds(5))
    }
}
