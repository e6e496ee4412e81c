import Crypto
import Foundation

/// A branch of a git repository (`--git URL --ref BRANCH`), fetched with Debian's `git` into a repository of the
/// reconciler's own under the state folder. Fetches run with a timeout, no hooks, no prompts and no submodules:
/// a repository's content is data, never code run on the host.
///
/// Each revision is unpacked into a tree of its own (`trees/<commit>`, `git archive`) that is never changed afterwards:
/// a VM of the last good revision restarted while a newer one is refused boots that revision's kernel and reads its
/// files, never the newer revision's, whose files (or symlinks) were not accepted.
public struct GitSource: StackSource {
    public let url: String
    public let ref: String
    /// The manifests' folder inside the repository ("." for its top).
    public let path: String
    /// `<checkouts>/<key>`: `repo/` (the fetched objects) and `trees/<commit>/`.
    public let folder: String
    public let timeout: Duration

    public init(url: String, ref: String = "main", path: String = ".", checkoutsFolder: String, timeout: Duration = .seconds(120)) {
        self.url = url
        self.ref = ref
        self.path = path
        self.timeout = timeout
        // Two reconcilers of one repository and branch (different paths: different stacks) never share a folder.
        let key = SHA256.hash(data: Data("\(url)\n\(ref)\n\(path)".utf8)).prefix(8).hex
        folder = checkoutsFolder + "/" + key
    }

    public var description: String { "git \(url) (\(ref))\(path == "." ? "" : " path \(path)")" }
    public var key: String { "git\n\(url)\n\(ref)\n\(path)" }
    var repository: String { folder + "/repo" }
    var trees: String { folder + "/trees" }

    /// `main` means the branch; a full `refs/…` name is taken as written (a tag: `refs/tags/v1`).
    var fullRef: String { ref.hasPrefix("refs/") ? ref : "refs/heads/" + ref }

    public func fetch() throws -> SourceSnapshot {
        let git = GitRunner(timeout: timeout)
        if !FileManager.default.fileExists(atPath: repository + "/HEAD") {
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            try git.run(["init", "--quiet", "--bare", repository])
        }
        try git.run(["-C", repository, "fetch", "--quiet", "--no-tags", "--no-recurse-submodules", "--force", "--end-of-options", url,
                     "+\(fullRef):refs/vmctl/source"], what: "fetch \(ref) from \(url)")
        let revision = try git.run(["-C", repository, "rev-parse", "--verify", "--end-of-options", "refs/vmctl/source^{commit}"])
            .trimmingCharacters(in: .whitespacesAndNewlines)
        let tree = trees + "/" + revision
        if !FileManager.default.fileExists(atPath: tree) {
            let staging = trees + "/.unpacking-" + revision
            try? FileManager.default.removeItem(atPath: staging)
            try FileManager.default.createDirectory(atPath: staging, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            // git archive | tar -x: the commit's files, symlinks as symlinks, nothing of .git.
            try git.run(["archive-into", repository, revision, staging], what: "unpack \(revision.prefix(12))")
            guard rename(staging, tree) == 0 else { throw ReconcileError.source("cannot move \(staging) to \(tree): \(String(cString: strerror(errno)))") }
        }
        let root = URL(fileURLWithPath: tree).standardizedFileURL.path
        let manifests = URL(fileURLWithPath: path, relativeTo: URL(fileURLWithPath: root + "/")).standardizedFileURL.path
        guard manifests == root || manifests.hasPrefix(root + "/") else {
            throw ReconcileError.source("--path \(path) leaves the repository")
        }
        return SourceSnapshot(manifests: manifests, root: root, revision: revision)
    }

    /// The commit `fetch` would check out: for an annotated tag the commit it points to (`^{}`), not the tag object.
    public func peek() -> String? {
        guard let output = try? GitRunner(timeout: .seconds(30)).run(["ls-remote", "--quiet", "--end-of-options", url, fullRef, fullRef + "^{}"]) else { return nil }
        let refs = output.split(separator: "\n").map { $0.split(whereSeparator: \.isWhitespace).map(String.init) }.filter { $0.count == 2 }
        return (refs.first { $0[1] == fullRef + "^{}" } ?? refs.first { $0[1] == fullRef })?[0]
    }

    /// Removes the trees of every other revision (the running stack's, kept by the caller, may be older than the newest).
    public func retain(_ revisions: Set<String>) {
        for entry in (try? FileManager.default.contentsOfDirectory(atPath: trees)) ?? [] where !revisions.contains(entry) {
            try? FileManager.default.removeItem(atPath: trees + "/" + entry)
        }
    }
}

/// Runs git with a deadline, in a process group of its own: at the deadline the whole group is killed, helpers
/// (git-remote-https, ssh) included, so a dead server never stalls the loop. Stalled transfers end sooner still
/// (http.lowSpeedTime, ssh's ConnectTimeout and keep-alives).
struct GitRunner {
    let timeout: Duration

    static var executable: String? {
        ["/usr/bin/git", "/bin/git", "/usr/local/bin/git"].first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    /// No hooks, no prompts or credential helpers waiting on a terminal, no protocol that runs a command.
    static let safety = ["-c", "core.hooksPath=/dev/null", "-c", "protocol.ext.allow=never", "-c", "protocol.fd.allow=never",
                         "-c", "http.lowSpeedLimit=1000", "-c", "http.lowSpeedTime=30", "-c", "advice.detachedHead=false"]

    /// `archive-into REPO COMMIT FOLDER` is `git archive COMMIT | tar -x -C FOLDER`, through sh with the values as
    /// positional parameters (never spliced into the script).
    @discardableResult
    func run(_ arguments: [String], what: String? = nil) throws -> String {
        guard let git = Self.executable else { throw ReconcileError.source("git is not installed (Debian package git)") }
        let argv: [String]
        if arguments.first == "archive-into" {
            let script = "set -o pipefail 2>/dev/null; \"$0\" \"$@\" | tar -x -C \"$DEST\""
            argv = ["/bin/bash", "-c", script, git] + Self.safety + ["-C", arguments[1], "archive", "--format=tar", "--end-of-options", arguments[2]]
                + ["DEST=" + arguments[3]]
        } else {
            argv = [git] + Self.safety + arguments
        }
        var environment = ProcessInfo.processInfo.environment
        environment["GIT_TERMINAL_PROMPT"] = "0"
        environment["GIT_ASKPASS"] = "/bin/false"
        environment["SSH_ASKPASS"] = "/bin/false"
        // The operator's own ssh command (a deploy key: ssh -i …) wins; else one that never prompts and gives up on a dead server.
        if environment["GIT_SSH_COMMAND"] == nil && environment["GIT_SSH"] == nil {
            environment["GIT_SSH_COMMAND"] = "ssh -o BatchMode=yes -o ConnectTimeout=15 -o ServerAliveInterval=15 -o ServerAliveCountMax=2"
        }
        environment["LC_ALL"] = "C"
        var command = argv
        if arguments.first == "archive-into", let dest = command.popLast() { environment["DEST"] = String(dest.dropFirst(5)) }
        let result = try GroupProcess.run(command, environment: environment, timeout: timeout)
        let action = what ?? "git " + arguments.filter { !$0.hasPrefix("-") }.prefix(2).joined(separator: " ")
        if result.timedOut { throw ReconcileError.source("\(action): no answer within \(Int(Backoff.seconds(timeout))) s") }
        guard result.status == 0 else {
            let reason = result.stderr.split(separator: "\n").last.map(String.init) ?? "exit status \(result.status)"
            throw ReconcileError.source("\(action) failed: \(reason)")
        }
        return result.stdout
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
