import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Child processes by posix_spawn rather than Foundation's Process: on Linux a long-running Process child keeps
/// corelibs-foundation from reaping the test's other children (a later `waitUntilExit` hangs); see ImpostorSSHD.
public enum Spawned {
    public struct Failure: Error, CustomStringConvertible {
        public var description: String
    }

    /// The tool's path on PATH (or in /usr/bin, /usr/sbin), or a failure saying what to install.
    public static func locate(_ tool: String, package: String) throws -> String {
        let folders = (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":").map(String.init)
            + ["/usr/bin", "/usr/sbin"]
        for folder in folders where access(folder + "/" + tool, X_OK) == 0 { return folder + "/" + tool }
        throw Failure(description: "\(tool) not found: install Debian's \(package) (scripts/setup does)")
    }

    /// Starts `path` with stdin from /dev/null and stdout and stderr to `log`; returns its pid.
    public static func start(_ path: String, _ arguments: [String], log: String) throws -> pid_t {
        try spawn(path, arguments, stdin: "/dev/null", output: log)
    }

    /// Runs `path` to its end with `input` on stdin; returns its exit status and what it wrote to stdout and stderr.
    public static func run(_ path: String, _ arguments: [String], input: String) throws -> (status: Int32, output: String) {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("telemetry-run-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try input.write(toFile: folder + "/stdin", atomically: true, encoding: .utf8)
        let pid = try spawn(path, arguments, stdin: folder + "/stdin", output: folder + "/output")
        let status = wait(pid)
        return (status, (try? String(contentsOfFile: folder + "/output", encoding: .utf8)) ?? "")
    }

    /// SIGTERM, then SIGKILL if it has not ended after `grace`; reaps it.
    public static func stop(_ pid: pid_t, grace: Duration = .seconds(10)) {
        kill(pid, SIGTERM)
        let deadline = ContinuousClock.now + grace
        var status: Int32 = 0
        while ContinuousClock.now < deadline {
            let reaped = waitpid(pid, &status, WNOHANG)
            if reaped == pid || (reaped < 0 && errno == ECHILD) { return }
            usleep(20_000)
        }
        kill(pid, SIGKILL)
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
    }

    /// Whether the child has ended (and then reaps it).
    public static func hasEnded(_ pid: pid_t) -> Bool {
        var status: Int32 = 0
        let reaped = waitpid(pid, &status, WNOHANG)
        return reaped == pid || (reaped < 0 && errno == ECHILD)
    }

    /// The exit status, or 128 + N for signal N.
    public static func wait(_ pid: pid_t) -> Int32 {
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        return status & 0x7f == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
    }

    private static func spawn(_ path: String, _ arguments: [String], stdin: String, output: String) throws -> pid_t {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, stdin, O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, output, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        closeInheritedDescriptors(&actions)
        // strdup' C strings, NULL-terminated, freed once the spawn has copied them.
        let argv = ([path] + arguments).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, path, &actions, nil, argv, environ)
        guard spawned == 0 else { throw Failure(description: "cannot start \(path): \(String(cString: strerror(spawned)))") }
        return pid
    }

    /// A child must not inherit the test process's other descriptors: a Prometheus holding a copy of a MetricsServer's
    /// listening socket keeps that port open after the server stopped. As Runtime's VMProcess does.
    private static func closeInheritedDescriptors(_ actions: inout posix_spawn_file_actions_t) {
        typealias CloseFrom = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32
        // glibc 2.34+: closes everything from 3 up, with no race against descriptors opened meanwhile.
        if let symbol = dlsym(nil, "posix_spawn_file_actions_addclosefrom_np"),
           unsafeBitCast(symbol, to: CloseFrom.self)(&actions, 3) == 0 { return }
        for entry in (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")) ?? [] {
            if let fd = Int32(entry), fd > 2 { posix_spawn_file_actions_addclose(&actions, fd) }
        }
    }
}
