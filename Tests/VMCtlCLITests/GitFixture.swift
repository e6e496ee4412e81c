import Foundation

/// A bare repository and a working clone in a test's folder: what a reconciler follows, and how the test commits to it.
struct GitFixture {
    let bare: String
    let work: String

    init(in folder: String) throws {
        bare = folder + "/origin.git"
        work = folder + "/work"
        try Self.git(["init", "--quiet", "--bare", "--initial-branch=main", bare])
        try Self.git(["init", "--quiet", "--initial-branch=main", work])
    }

    /// Writes the files (nil removes one), commits them and pushes main; returns the commit id.
    @discardableResult
    func commit(_ message: String, _ files: [String: String?], symlinks: [String: String] = [:]) throws -> String {
        for (name, content) in files {
            let path = work + "/" + name
            if let content {
                try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
                try content.write(toFile: path, atomically: true, encoding: .utf8)
            } else {
                try? FileManager.default.removeItem(atPath: path)
            }
        }
        for (name, target) in symlinks {
            try? FileManager.default.removeItem(atPath: work + "/" + name)
            try FileManager.default.createSymbolicLink(atPath: work + "/" + name, withDestinationPath: target)
        }
        try Self.git(["-C", work, "add", "-A"])
        try Self.git(["-C", work, "-c", "user.name=test", "-c", "user.email=test@example.invalid", "commit", "--quiet", "--allow-empty", "-m", message])
        try Self.git(["-C", work, "push", "--quiet", bare, "main"])
        return try Self.git(["-C", work, "rev-parse", "HEAD"]).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    @discardableResult
    static func git(_ arguments: [String]) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/git")
        process.arguments = arguments
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let output = out.fileHandleForReading.readDataToEndOfFile()
        let errors = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw E2EFailure("git \(arguments.joined(separator: " ")): \(String(decoding: errors, as: UTF8.self))")
        }
        return String(decoding: output, as: UTF8.self)
    }
}
