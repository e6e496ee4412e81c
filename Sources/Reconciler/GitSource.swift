import Crypto
import Foundation

/// A branch of a git repository (`--git URL --ref BRANCH`), fetched with Debian's `git` into a checkout of the
/// reconciler's own under the state folder. Fetches run with a timeout, no hooks, no prompts and no submodules:
/// a repository's content is data, never code run on the host.
public struct GitSource: StackSource {
    public let url: String
    public let ref: String
    /// The manifests' folder inside the repository ("." for its top).
    public let path: String
    public let checkout: String
    public let timeout: Duration

    public init(url: String, ref: String = "main", path: String = ".", checkoutsFolder: String, timeout: Duration = .seconds(120)) {
        self.url = url
        self.ref = ref
        self.path = path
        self.timeout = timeout
        let key = SHA256.hash(data: Data("\(url)\n\(ref)".utf8)).prefix(8).map { String(format: "%02x", $0) }.joined()
        checkout = checkoutsFolder + "/" + key
    }

    public var description: String { "git \(url) (\(ref))\(path == "." ? "" : " path \(path)")" }

    /// `main` means the branch; a full `refs/…` name is taken as written (a tag: `refs/tags/v1`).
    var fullRef: String { ref.hasPrefix("refs/") ? ref : "refs/heads/" + ref }

    public func fetch() throws -> SourceSnapshot {
        let git = GitRunner(timeout: timeout)
        if !FileManager.default.fileExists(atPath: checkout + "/.git") {
            try FileManager.default.createDirectory(atPath: checkout, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            try git.run(["init", "--quiet", checkout])
        }
        try git.run(["-C", checkout, "fetch", "--quiet", "--no-tags", "--no-recurse-submodules", "--force", url, "+\(fullRef):refs/vmctl/source"],
                    what: "fetch \(ref) from \(url)")
        let revision = try git.run(["-C", checkout, "rev-parse", "--verify", "refs/vmctl/source^{commit}"])
            .trimmingCharacters(in: .whitespacesAndNewlines)
        try git.run(["-C", checkout, "checkout", "--quiet", "--force", "--detach", revision])
        try git.run(["-C", checkout, "clean", "-ffdxq"])
        let root = URL(fileURLWithPath: checkout).standardizedFileURL.path
        let manifests = URL(fileURLWithPath: path, relativeTo: URL(fileURLWithPath: root + "/")).standardizedFileURL.path
        guard manifests == root || manifests.hasPrefix(root + "/") else {
            throw ReconcileError.source("--path \(path) leaves the repository")
        }
        return SourceSnapshot(manifests: manifests, root: root, revision: revision)
    }

    /// The commit `fetch` would check out: for an annotated tag the commit it points to (`^{}`), not the tag object.
    public func peek() -> String? {
        guard let output = try? GitRunner(timeout: .seconds(30)).run(["ls-remote", "--quiet", url, fullRef, fullRef + "^{}"]) else { return nil }
        let refs = output.split(separator: "\n").map { $0.split(whereSeparator: \.isWhitespace).map(String.init) }.filter { $0.count == 2 }
        return (refs.first { $0[1] == fullRef + "^{}" } ?? refs.first { $0[1] == fullRef })?[0]
    }
}

/// Runs git with a deadline; a fetch that hangs on a dead server is ended instead of stalling the loop.
struct GitRunner {
    let timeout: Duration

    static var executable: String? {
        ["/usr/bin/git", "/bin/git", "/usr/local/bin/git"].first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    @discardableResult
    func run(_ arguments: [String], what: String? = nil) throws -> String {
        guard let executable = Self.executable else {
            throw ReconcileError.source("git is not installed (Debian package git)")
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        // No hooks, prompts, credential helpers asking on a terminal, or protocols that run commands.
        process.arguments = ["-c", "core.hooksPath=/dev/null", "-c", "protocol.ext.allow=never", "-c", "advice.detachedHead=false"] + arguments
        var environment = ProcessInfo.processInfo.environment
        environment["GIT_TERMINAL_PROMPT"] = "0"
        environment["GIT_ASKPASS"] = "/bin/false"
        environment["LC_ALL"] = "C"
        process.environment = environment
        process.standardInput = FileHandle.nullDevice
        let output = Pipe(), errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        let timer = DispatchWorkItem { if process.isRunning { kill(process.processIdentifier, SIGKILL) } }
        DispatchQueue.global().asyncAfter(deadline: .now() + .milliseconds(Int(Backoff.seconds(timeout) * 1000)), execute: timer)
        let errorText = ErrorDrain(errors.fileHandleForReading)
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        timer.cancel()
        let stderr = errorText.wait()
        let action = what ?? "git " + arguments.filter { !$0.hasPrefix("-") }.prefix(2).joined(separator: " ")
        if process.terminationReason == .uncaughtSignal && process.terminationStatus == SIGKILL {
            throw ReconcileError.source("\(action): no answer within \(Int(Backoff.seconds(timeout))) s")
        }
        guard process.terminationStatus == 0 else {
            let reason = stderr.split(separator: "\n").last.map(String.init) ?? "exit status \(process.terminationStatus)"
            throw ReconcileError.source("\(action) failed: \(reason)")
        }
        return text
    }
}

/// Reads a pipe to its end on another thread, so a chatty stderr cannot fill and stall the child.
final class ErrorDrain: @unchecked Sendable {
    private var data = Data()
    private let done = DispatchSemaphore(value: 0)

    init(_ handle: FileHandle) {
        Thread.detachNewThread { [self] in
            data = handle.readDataToEndOfFile()
            done.signal()
        }
    }

    func wait() -> String {
        done.wait()
        return String(decoding: data, as: UTF8.self)
    }
}
