import Foundation

/// Runs host networking tools (ip, iptables) and turns failures into errors naming the command.
enum HostCommand {
    @discardableResult
    static func run(_ arguments: [String], allowFailure: Bool = false) throws -> (status: Int32, output: String) {
        let tool = arguments[0]
        let path = ["/usr/sbin/", "/sbin/", "/usr/bin/", "/bin/"].map { $0 + tool }.first { FileManager.default.isExecutableFile(atPath: $0) }
        guard let path else {
            throw RuntimeError.missingTool(tool: tool, package: tool == "iptables" ? "iptables" : "iproute2")
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = Array(arguments.dropFirst())
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        if process.terminationStatus != 0 && !allowFailure {
            throw RuntimeError.io(operation: "run '\(arguments.joined(separator: " "))': \(output.trimmingCharacters(in: .whitespacesAndNewlines))", code: EIO)
        }
        return (process.terminationStatus, output)
    }

    static func interfaceExists(_ name: String) -> Bool { FileManager.default.fileExists(atPath: "/sys/class/net/\(name)") }
}
