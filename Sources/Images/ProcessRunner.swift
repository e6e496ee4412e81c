import Foundation

/// What a finished process left: its exit status and everything it wrote.
public struct ProcessOutput: Sendable, Equatable {
    public var status: Int32
    public var stdout: Data
    public var stderr: Data

    public init(status: Int32, stdout: Data, stderr: Data) {
        self.status = status
        self.stdout = stdout
        self.stderr = stderr
    }
}

/// Runs a program to completion. The real one is `SystemProcessRunner`; tests record the arguments instead.
public protocol ProcessRunner: Sendable {
    /// Runs `executable` with `arguments` (no shell), stdin from /dev/null; throws only when it cannot start.
    func run(_ executable: String, _ arguments: [String]) throws -> ProcessOutput
}

/// Foundation's `Process`, with stdout and stderr each drained on its own thread so neither pipe can fill and
/// stall the child.
public struct SystemProcessRunner: ProcessRunner {
    public init() {}

    public func run(_ executable: String, _ arguments: [String]) throws -> ProcessOutput {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.standardInput = FileHandle.nullDevice
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let errors = PipeDrain(err.fileHandleForReading)
        let output = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return ProcessOutput(status: process.terminationStatus, stdout: output, stderr: errors.wait())
    }
}

/// Reads a pipe to its end on a thread of its own.
private final class PipeDrain: @unchecked Sendable {
    // Sound as @unchecked: `data` is written once by the thread before it signals `done`, and read only after `wait`.
    private var data = Data()
    private let done = DispatchSemaphore(value: 0)

    init(_ handle: FileHandle) {
        Thread.detachNewThread { [self] in
            data = handle.readDataToEndOfFile()
            done.signal()
        }
    }

    func wait() -> Data {
        done.wait()
        return data
    }
}
