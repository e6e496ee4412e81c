import Foundation

/// Runs a short-lived command in a new process group, collecting its output; at the deadline the whole group gets
/// SIGKILL. Foundation's `Process` cannot put a child in its own group, and killing only git leaves its transport
/// helpers (and the pipes they hold) behind.
enum GroupProcess {
    struct Result {
        var status: Int32
        var stdout: String
        var stderr: String
        var timedOut: Bool
    }

    static func run(_ argv: [String], environment: [String: String], timeout: Duration) throws -> Result {
        var out: [Int32] = [0, 0], err: [Int32] = [0, 0]
        // pipe2 is not in Glibc's Swift overlay; close-on-exec right after, so other children never inherit these.
        guard pipe(&out) == 0, pipe(&err) == 0 else {
            throw ReconcileError.source("cannot run \(argv[0]): \(String(cString: strerror(errno)))")
        }
        for fd in out + err { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, out[1], 1)
        posix_spawn_file_actions_adddup2(&actions, err[1], 2)
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        posix_spawnattr_setpgroup(&attributes, 0)
        var noSignals = sigset_t(), allSignals = sigset_t()
        sigemptyset(&noSignals)
        sigfillset(&allSignals)
        posix_spawnattr_setsigmask(&attributes, &noSignals)
        posix_spawnattr_setsigdefault(&attributes, &allSignals)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
        let cArgs = argv.map { strdup($0) } + [nil]
        let cEnv = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { (cArgs + cEnv).forEach { free($0) } }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, argv[0], &actions, &attributes, cArgs, cEnv)
        close(out[1])
        close(err[1])
        guard spawned == 0 else {
            close(out[0])
            close(err[0])
            throw ReconcileError.source("cannot run \(argv[0]): \(String(cString: strerror(spawned)))")
        }
        let killer = DispatchWorkItem { kill(-pid, SIGKILL) }
        DispatchQueue.global().asyncAfter(deadline: .now() + .milliseconds(Int(Backoff.seconds(timeout) * 1000)), execute: killer)
        let errors = ErrorDrain(FileHandle(fileDescriptor: err[0], closeOnDealloc: true))
        let output = FileHandle(fileDescriptor: out[0], closeOnDealloc: true).readDataToEndOfFile()
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        killer.cancel()
        // Whatever of the group is left (a helper that outlived git) goes now, so its pipe closes.
        kill(-pid, SIGKILL)
        let stderr = errors.wait()
        let signaled = status & 0x7f != 0
        return Result(status: signaled ? 128 + (status & 0x7f) : (status >> 8) & 0xff, stdout: String(decoding: output, as: UTF8.self),
                      stderr: stderr, timedOut: signaled && status & 0x7f == SIGKILL)
    }
}
