import Foundation

/// The host's command-line tools as the test targets use them (payload assembly and the like): one copy for the
/// KVM and VMM test targets, which both build their guest payloads with binutils at test time.
public enum HostTools {
    public struct Failure: Error, CustomStringConvertible {
        public var description: String
    }

    /// The executable `name` in /usr/bin, /bin or /usr/local/bin, or nil.
    public static func find(_ name: String) -> String? {
        ["/usr/bin/", "/bin/", "/usr/local/bin/"].map { $0 + name }.first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    /// Runs `program` to its end; a non-zero exit throws with the command line and what it wrote to stderr.
    public static func run(_ program: String, _ arguments: [String]) throws(Failure) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: program)
        process.arguments = arguments
        let errors = Pipe()
        process.standardError = errors
        do { try process.run() } catch {
            throw Failure(description: "\(program): \(error)")
        }
        let message = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw Failure(description: "\(program) \(arguments.joined(separator: " ")): \(String(decoding: message, as: UTF8.self))")
        }
    }
}
