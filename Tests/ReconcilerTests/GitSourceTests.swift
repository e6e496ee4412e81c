import Foundation
import Reconciler
import Testing

/// A bare repository (the "server") and a working clone that commits and pushes to it, in a temporary folder.
final class GitFixture {
    let folder: TemporaryFolder
    var bare: String { folder.file("server.git") }
    var work: String { folder.file("work") }
    var checkouts: String { folder.file("state/reconcile/git") }

    init() throws {
        folder = try TemporaryFolder()
        try git(["init", "--quiet", "--bare", bare])
        try git(["init", "--quiet", "--initial-branch=main", work])
    }

    @discardableResult
    func git(_ arguments: [String]) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/git")
        process.arguments = ["-c", "user.name=vmctl tests", "-c", "user.email=tests@vmctl.invalid", "-c", "commit.gpgsign=false",
                             "-c", "tag.gpgsign=false", "-c", "init.defaultBranch=main"] + arguments
        var environment = ProcessInfo.processInfo.environment
        environment["GIT_CONFIG_NOSYSTEM"] = "1"
        environment["GIT_CONFIG_GLOBAL"] = "/dev/null"
        process.environment = environment
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw ReconcileError.source("git \(arguments.joined(separator: " ")) failed (\(process.terminationStatus))")
        }
        return String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Writes the files (nil deletes one), commits them and returns the commit id.
    @discardableResult
    func commit(_ files: [String: String?], message: String = "change") throws -> String {
        for (name, text) in files {
            let path = work + "/" + name
            if let text {
                try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
                try Data(text.utf8).write(to: URL(fileURLWithPath: path))
            } else {
                try FileManager.default.removeItem(atPath: path)
            }
        }
        try git(["-C", work, "add", "--all"])
        try git(["-C", work, "commit", "--quiet", "--allow-empty", "-m", message])
        return try git(["-C", work, "rev-parse", "HEAD"])
    }

    func push(_ ref: String = "refs/heads/main", force: Bool = false) throws {
        try git(["-C", work, "push", "--quiet"] + (force ? ["--force"] : []) + [bare, "HEAD:" + ref])
    }

    func source(ref: String = "main", path: String = ".") -> GitSource {
        GitSource(url: bare, ref: ref, path: path, checkoutsFolder: checkouts, timeout: .seconds(60))
    }
}

@Suite struct GitSourceTests {
    func text(_ file: String) -> String? { try? String(contentsOfFile: file, encoding: .utf8) }

    @Test func fetchChecksOutTheBranchHead() throws {
        let repo = try GitFixture()
        let head = try repo.commit(["stack.yaml": "name: one\n"])
        try repo.push()
        let source = repo.source()
        #expect(source.folder.hasPrefix(repo.checkouts + "/"))
        let snapshot = try source.fetch()
        #expect(snapshot.revision == head)
        #expect(snapshot.root == source.folder + "/trees/" + head)
        #expect(snapshot.manifests == snapshot.root)
        // The tree is the commit's files only: no .git to run hooks from or to rewrite.
        #expect(!FileManager.default.fileExists(atPath: snapshot.root + "/.git"))
        #expect(text(snapshot.manifests + "/stack.yaml") == "name: one\n")
        #expect(source.peek() == head)
    }

    @Test func peekSeesANewCommitBeforeFetch() throws {
        let repo = try GitFixture()
        let first = try repo.commit(["stack.yaml": "name: one\n"])
        try repo.push()
        let source = repo.source()
        let old = try source.fetch()
        #expect(old.revision == first)
        let second = try repo.commit(["stack.yaml": "name: two\n"])
        try repo.push()
        #expect(source.peek() == second)
        let snapshot = try source.fetch()
        #expect(snapshot.revision == second)
        #expect(text(snapshot.manifests + "/stack.yaml") == "name: two\n")
        // The older revision's files stay as they were (a VM of it may still read them) until released.
        #expect(text(old.manifests + "/stack.yaml") == "name: one\n")
        source.retain([second])
        #expect(!FileManager.default.fileExists(atPath: old.root))
        #expect(text(snapshot.manifests + "/stack.yaml") == "name: two\n")
    }

    @Test func followsAForcePushedBranch() throws {
        let repo = try GitFixture()
        let base = try repo.commit(["stack.yaml": "name: base\n"])
        try repo.commit(["stack.yaml": "name: doomed\n"])
        try repo.push()
        let source = repo.source()
        _ = try source.fetch()
        try repo.git(["-C", repo.work, "reset", "--quiet", "--hard", base])
        let rewritten = try repo.commit(["stack.yaml": "name: rewritten\n"])
        try repo.push(force: true)
        #expect(source.peek() == rewritten)
        let snapshot = try source.fetch()
        #expect(snapshot.revision == rewritten)
        #expect(text(snapshot.manifests + "/stack.yaml") == "name: rewritten\n")
    }

    @Test func deletedAndStrayFilesAreNotInTheNextTree() throws {
        let repo = try GitFixture()
        try repo.commit(["a.yaml": "a\n", "b.yaml": "b\n"])
        try repo.push()
        let source = repo.source()
        let first = try source.fetch()
        #expect(FileManager.default.fileExists(atPath: first.manifests + "/b.yaml"))
        // Something left in a tree (by hand) never reaches the next revision's.
        try Data("stray\n".utf8).write(to: URL(fileURLWithPath: first.manifests + "/stray.yaml"))
        try Data("changed\n".utf8).write(to: URL(fileURLWithPath: first.manifests + "/a.yaml"))
        try repo.commit(["b.yaml": nil])
        try repo.push()
        let second = try source.fetch()
        #expect(!FileManager.default.fileExists(atPath: second.manifests + "/b.yaml"))
        #expect(!FileManager.default.fileExists(atPath: second.manifests + "/stray.yaml"))
        #expect(text(second.manifests + "/a.yaml") == "a\n")
    }

    @Test func pathSelectsASubfolder() throws {
        let repo = try GitFixture()
        try repo.commit(["README.md": "docs\n", "deploy/prod/stack.yaml": "name: prod\n"])
        try repo.push()
        let source = repo.source(path: "deploy/prod")
        let snapshot = try source.fetch()
        #expect(snapshot.root == source.folder + "/trees/" + snapshot.revision)
        #expect(snapshot.manifests == snapshot.root + "/deploy/prod")
        #expect(text(snapshot.manifests + "/stack.yaml") == "name: prod\n")
        #expect(source.description.contains("path deploy/prod"))
    }

    @Test(arguments: ["../..", "..", "deploy/../../..", "/etc"])
    func pathOutsideTheRepositoryIsRefused(_ path: String) throws {
        let repo = try GitFixture()
        try repo.commit(["deploy/stack.yaml": "name: prod\n"])
        try repo.push()
        #expect {
            try repo.source(path: path).fetch()
        } throws: { error in
            guard case ReconcileError.source(let message) = error else { return false }
            return message.contains("leaves the repository")
        }
    }

    @Test func missingBranchNamesTheBranchAndURL() throws {
        let repo = try GitFixture()
        try repo.commit(["stack.yaml": "name: one\n"])
        try repo.push()
        let source = repo.source(ref: "no-such-branch")
        #expect(source.peek() == nil)
        #expect {
            try source.fetch()
        } throws: { error in
            guard case ReconcileError.source(let message) = error else { return false }
            return message.contains("no-such-branch") && message.contains(repo.bare)
        }
    }

    @Test func missingRepositoryGivesAnError() throws {
        let repo = try GitFixture()
        let source = GitSource(url: repo.folder.file("nothing.git"), checkoutsFolder: repo.checkouts, timeout: .seconds(60))
        #expect(source.peek() == nil)
        #expect(throws: ReconcileError.self) { try source.fetch() }
    }

    @Test(arguments: [false, true])
    func tagAsRef(annotated: Bool) throws {
        let repo = try GitFixture()
        let tagged = try repo.commit(["stack.yaml": "name: v1\n"])
        if annotated {
            try repo.git(["-C", repo.work, "tag", "--annotate", "--message", "release 1", "v1"])
        } else {
            try repo.git(["-C", repo.work, "tag", "v1"])
        }
        try repo.push()
        try repo.git(["-C", repo.work, "push", "--quiet", repo.bare, "refs/tags/v1"])
        try repo.commit(["stack.yaml": "name: later\n"])
        try repo.push()

        let source = repo.source(ref: "refs/tags/v1")
        let snapshot = try source.fetch()
        #expect(snapshot.revision == tagged)
        #expect(text(snapshot.manifests + "/stack.yaml") == "name: v1\n")
        // peek names the same revision as fetch, or the loop would see a new revision at every poll.
        #expect(source.peek() == tagged)
    }

    @Test func symlinksInTheRepositoryStaySymlinks() throws {
        let repo = try GitFixture()
        try repo.commit(["stack.yaml": "name: one\n"])
        try FileManager.default.createSymbolicLink(atPath: repo.work + "/disk.img", withDestinationPath: "/etc/shadow")
        try repo.commit([:])
        try repo.push()
        let snapshot = try repo.source().fetch()
        // Unpacked as a link (path confinement then refuses it), never as a copy of what it points to.
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: snapshot.root + "/disk.img") == "/etc/shadow")
    }

    @Test func aHungServerIsCutOffAtTheTimeout() throws {
        let repo = try GitFixture()
        // A "server" that never answers: git's ssh transport through a local command that sleeps (no network at all).
        let sleeper = repo.folder.file("slow-ssh")
        try "#!/bin/sh\nsleep 60\n".write(toFile: sleeper, atomically: true, encoding: .utf8)
        chmod(sleeper, 0o755)
        setenv("GIT_SSH_COMMAND", sleeper, 1)
        defer { unsetenv("GIT_SSH_COMMAND") }
        let source = GitSource(url: "ssh://example.invalid/repo.git", checkoutsFolder: repo.checkouts, timeout: .seconds(2))
        let started = ContinuousClock.now
        #expect(throws: ReconcileError.self) { try source.fetch() }
        #expect(ContinuousClock.now - started < .seconds(10), "the fetch was not cut off: \(ContinuousClock.now - started)")
    }

    @Test func sourcesOfOtherRefsUseOtherCheckouts() throws {
        let repo = try GitFixture()
        let main = try repo.commit(["stack.yaml": "name: main\n"])
        try repo.push()
        let other = try repo.commit(["stack.yaml": "name: other\n"])
        try repo.push("refs/heads/other")
        let mainSource = repo.source(), otherSource = repo.source(ref: "other")
        #expect(mainSource.folder != otherSource.folder)
        // Two stacks from one branch (different paths) never share a repository either.
        #expect(repo.source(path: "a").folder != repo.source(path: "b").folder)
        let mainSnapshot = try mainSource.fetch()
        #expect(mainSnapshot.revision == main)
        #expect(try otherSource.fetch().revision == other)
        #expect(text(mainSnapshot.manifests + "/stack.yaml") == "name: main\n")
    }
}
