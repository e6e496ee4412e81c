import Glibc
import Synchronization

/// Serves the control protocol on a unix socket: an accept loop on its own thread and one thread per
/// connection, so a slow or broken client only ever holds its own thread. Requests on one connection are
/// answered in order; the handler may be called from several connections at once.
public final class ControlServer: Sendable {
    public struct Options: Sendable {
        /// Connections served at once; more are answered `too-many-connections` and closed.
        public var maxConnections = 32
        /// A connection with no request for this long is closed.
        public var idleTimeout: Duration = .seconds(60)
        /// Once a line has started, it must end within this time.
        public var lineTimeout: Duration = .seconds(5)
        /// A client that does not read its response within this time is dropped.
        public var writeTimeout: Duration = .seconds(5)

        public init() {}
    }

    private enum Phase {
        /// Between binding and recording the accept thread (which may already run).
        case starting
        case serving(acceptThread: pthread_t)
        case stopping
        case stopped
    }

    private struct State {
        var phase: Phase
        var nextConnection = 0
        var connections: [Int: UnixStreamSocket] = [:]
    }

    public let path: String
    let handler: any ControlHandler
    let options: Options
    private let listener: UnixListener
    /// Written once by `stop()` to wake the accept loop.
    private let wakeRead: Int32
    private let wakeWrite: Int32
    private let state: Mutex<State>

    /// Binds `path` (or adopts `descriptor`, a socket already listening there) and starts serving at once.
    public init(path: String, descriptor: Int32? = nil, handler: any ControlHandler, options: Options = Options()) throws(VMMControlError) {
        self.path = path
        self.handler = handler
        self.options = options
        if let descriptor { listener = try UnixListener(adopting: descriptor, path: path) } else { listener = try UnixListener(path: path) }
        var fds: [Int32] = [-1, -1]
        guard pipe(&fds) == 0 else { throw .socket(operation: "pipe for", path: path, errno: errno) }
        for fd in fds { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
        wakeRead = fds[0]
        wakeWrite = fds[1]
        state = Mutex(State(phase: .starting))
        do {
            let thread = try ThreadLauncher.start("start the control server's accept thread", joinable: true) { [self] in acceptLoop() }
            state.withLock { $0.phase = .serving(acceptThread: thread) }
        } catch {
            close(wakeRead)
            close(wakeWrite)
            throw error
        }
    }

    deinit {
        close(wakeRead)
        close(wakeWrite)
    }

    /// Number of connections being served now.
    public var connectionCount: Int { state.withLock { $0.connections.count } }

    /// Stops accepting, closes every connection (a handler call in progress finishes first), waits for the
    /// connection threads up to `timeout`, and removes the socket file. Idempotent; never call it from a
    /// handler (use `responseSent`, then stop from another thread or exit the process).
    public func stop(timeout: Duration = .seconds(2)) {
        let thread: pthread_t? = state.withLock { state in
            guard case .serving(let thread) = state.phase else { return nil }
            state.phase = .stopping
            return thread
        }
        guard let thread else { return }
        var byte: UInt8 = 1
        _ = write(wakeWrite, &byte, 1)
        pthread_join(thread, nil)
        let deadline = MonotonicInstant.now + timeout
        while MonotonicInstant.now < deadline {
            let open = state.withLock { state in
                state.connections.values.forEach { $0.shutdownBoth() }
                return state.connections.count
            }
            if open == 0 { break }
            usleep(1_000)
        }
        listener.removeFile()
        state.withLock { $0.phase = .stopped }
    }

    private var isServing: Bool {
        state.withLock { state in
            switch state.phase {
            case .starting, .serving: return true
            case .stopping, .stopped: return false
            }
        }
    }

    private func acceptLoop() {
        while isServing {
            let fd: Int32?
            do { fd = try listener.accept(wake: wakeRead, timeoutMs: 1_000) } catch {
                usleep(10_000)   // an unexpected accept failure: keep the loop alive, slowly
                continue
            }
            guard let fd else { continue }
            admit(UnixStreamSocket(adopting: fd, path: path))
        }
    }

    private func admit(_ socket: UnixStreamSocket) {
        let id: Int? = state.withLock { state in
            guard state.connections.count < options.maxConnections else { return nil }
            state.nextConnection += 1
            state.connections[state.nextConnection] = socket
            return state.nextConnection
        }
        guard let id else {
            let error = ControlError(.tooManyConnections, "the VMM serves \(options.maxConnections) control connections already; retry later")
            if let line = try? ControlCodec.line(ControlResponse.failure(id: nil, error)) {
                try? socket.write(line, deadline: .now + .milliseconds(100))
            }
            return
        }
        do {
            _ = try ThreadLauncher.start("start a control connection thread", joinable: false) { [self] in
                serve(socket)
                _ = state.withLock { $0.connections.removeValue(forKey: id) }
            }
        } catch {
            _ = state.withLock { $0.connections.removeValue(forKey: id) }
        }
    }
}
