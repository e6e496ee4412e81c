import Foundation

/// Runs host tools as child processes (Foundation's `Process`), reading stdout and stderr concurrently.
public struct SystemCommandRunner: CommandRunning {
    /// Where tools are looked for, in order, besides `PATH`.
    static let folders = ["/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin"]

    public init() {}

    /// The absolute path of `tool`, or nil when it is not installed.
    public static func locate(_ tool: String) -> String? {
        if tool.hasPrefix("/") { return FileManager.default.isExecutableFile(atPath: tool) ? tool : nil }
        let path = ProcessInfo.processInfo.environment["PATH"]?.split(separator: ":").map(String.init) ?? []
        return (path + folders).map { $0 + "/" + tool }.first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    public func run(_ tool: String, _ arguments: [String], package: String, directory: String?) throws -> CommandResult {
        guard let executable = Self.locate(tool) else { throw ProvisioningError.toolMissing(tool: tool, package: package) }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        if let directory { process.currentDirectoryURL = URL(fileURLWithPath: directory) }
        process.standardInput = FileHandle.nullDevice
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        do { try process.run() } catch {
            throw ProvisioningError.commandFailed(command: ([tool] + arguments).joined(separator: " "), status: -1, output: "\(error)")
        }
        // stderr is drained on another thread so a chatty tool never blocks on a full pipe while stdout is read.
        let errors = PipeDrain(err.fileHandleForReading)
        let output = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return CommandResult(status: process.terminationStatus, stdout: String(decoding: output, as: UTF8.self),
                             stderr: String(decoding: errors.wait(), as: UTF8.self))
    }
}

/// Reads a pipe to its end on a background thread.
private final class PipeDrain: @unchecked Sendable {
    private let done = DispatchSemaphore(value: 0)
    // Written once by the reading thread before `done` is signalled, read only after waiting on it.
    private var data = Data()

    init(_ handle: FileHandle) {
        DispatchQueue.global().async {
            self.data = handle.readDataToEndOfFile()
            self.done.signal()
        }
    }

    func wait() -> Data {
        done.wait()
        return data
    }
}
