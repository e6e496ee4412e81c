import Glibc

/// The switch process's event loop: a listening unix socket, one port per connected VM, poll(2) over all.
/// Output is non-blocking with a bounded queue per port: a VM that stops reading loses frames, and never
/// stalls the others.
public final class SwitchServer {
    /// A class, so the buffers are changed in place: a struct copied out of the dictionary and written back
    /// copied its whole output queue (up to 1 MiB) for every frame.
    final class Connection {
        let fd: Int32
        let name: String
        var decoder = FrameDecoder()
        var pending: [UInt8] = []
        var counters = PortCounters()

        init(fd: Int32, name: String) {
            self.fd = fd
            self.name = name
        }
    }

    public static let maxPending = 1 << 20
    let listener: Int32
    let statsPath: String?
    var switchCore = EthernetSwitch()
    var connections: [Int32: Connection] = [:]
    var nextStatsWrite: UInt64 = 0
    var statsDirty = true

    public struct Failure: Error, CustomStringConvertible {
        public var description: String
    }

    public init(socketPath: String, statsPath: String?) throws {
        self.statsPath = statsPath
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(socketPath.utf8)
        guard bytes.count < MemoryLayout.size(ofValue: address.sun_path) else { throw Failure(description: "socket path too long: \(socketPath)") }
        // Copies the checked path into the fixed-size sun_path array.
        withUnsafeMutableBytes(of: &address.sun_path) { buffer in for (i, b) in bytes.enumerated() { buffer[i] = b } }
        unlink(socketPath)
        listener = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0)
        guard listener >= 0 else { throw Failure(description: "socket(): \(String(cString: strerror(errno)))") }
        let bound = withUnsafePointer(to: &address) {
            // sockaddr_un is layout-compatible with sockaddr.
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(listener, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard bound == 0, listen(listener, 64) == 0 else {
            let message = String(cString: strerror(errno))
            close(listener)
            throw Failure(description: "cannot listen on \(socketPath): \(message)")
        }
    }

    deinit {
        close(listener)
        for connection in connections.values { close(connection.fd) }
    }

    /// Runs until the process is killed.
    public func run() -> Never {
        var buffer = [UInt8](repeating: 0, count: 65_536)
        while true {
            var fds = [pollfd(fd: listener, events: Int16(POLLIN), revents: 0)]
            for connection in connections.values {
                let events = Int16(POLLIN) | (connection.pending.isEmpty ? 0 : Int16(POLLOUT))
                fds.append(pollfd(fd: connection.fd, events: events, revents: 0))
            }
            let ready = poll(&fds, nfds_t(fds.count), 1000)
            if ready < 0 && errno != EINTR { fatalError("poll: \(String(cString: strerror(errno)))") }
            for entry in fds where entry.revents != 0 {
                if entry.fd == listener { accept(); continue }
                if entry.revents & Int16(POLLOUT) != 0 { flush(entry.fd) }
                if entry.revents & Int16(POLLIN | POLLHUP | POLLERR) != 0 { receive(entry.fd, buffer: &buffer) }
            }
            writeStatsIfDue()
        }
    }

    private func accept() {
        while true {
            let fd = Glibc.accept(listener, nil, nil)
            guard fd >= 0 else { return }
            _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
            _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
            // struct ucred is {pid, uid, gid} as three 32-bit ints; SO_PEERCRED is 17 on Linux (not exported to Swift).
            var credentials = [Int32](repeating: 0, count: 3)
            var length = socklen_t(12)
            let name = getsockopt(fd, SOL_SOCKET, 17, &credentials, &length) == 0 ? "pid:\(credentials[0])" : "fd:\(fd)"
            connections[fd] = Connection(fd: fd, name: name)
            switchCore.connect(Int(fd))
            statsDirty = true
        }
    }

    private func receive(_ fd: Int32, buffer: inout [UInt8]) {
        let count = read(fd, &buffer, buffer.count)
        if count < 0, errno == EAGAIN || errno == EINTR { return }
        guard count > 0, let connection = connections[fd] else { return drop(fd) }
        let frames: [[UInt8]]
        do { frames = try connection.decoder.feed(buffer[..<count]) } catch { return drop(fd) }   // not our protocol
        var targets: Set<Int32> = []   // one write per port for all the frames of this read
        let now = UInt64(time(nil))
        for frame in frames {
            connection.counters.rxFrames += 1
            connection.counters.rxBytes += UInt64(frame.count)
            for target in switchCore.forward(frame, from: Int(fd), now: now) where enqueue(frame, to: Int32(target)) {
                targets.insert(Int32(target))
            }
        }
        for target in targets { flush(target) }
        statsDirty = statsDirty || !frames.isEmpty
    }

    /// Queues a frame for a port; false when the port is gone or its queue is full (the frame is dropped).
    private func enqueue(_ frame: [UInt8], to fd: Int32) -> Bool {
        guard let connection = connections[fd] else { return false }
        if connection.pending.count + frame.count + 4 > Self.maxPending {
            connection.counters.dropped += 1
        } else {
            let n = UInt32(frame.count)
            connection.pending.append(contentsOf: [UInt8(n >> 24), UInt8(n >> 16 & 0xFF), UInt8(n >> 8 & 0xFF), UInt8(n & 0xFF)])
            connection.pending.append(contentsOf: frame)
            connection.counters.txFrames += 1
            connection.counters.txBytes += UInt64(frame.count)
            return true
        }
        return false
    }

    private func flush(_ fd: Int32) {
        guard let connection = connections[fd], !connection.pending.isEmpty else { return }
        let written = connection.pending.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        if written == connection.pending.count {
            connection.pending.removeAll(keepingCapacity: true)
        } else if written > 0 {
            connection.pending.removeFirst(written)
        }
        if written < 0, errno != EAGAIN, errno != EINTR { drop(fd) }
    }

    private func drop(_ fd: Int32) {
        close(fd)
        connections[fd] = nil
        switchCore.disconnect(Int(fd))
        statsDirty = true
    }

    private func writeStatsIfDue() {
        let now = UInt64(time(nil))
        guard let statsPath, statsDirty, now >= nextStatsWrite else { return }
        nextStatsWrite = now + 1
        statsDirty = false
        let stats = SwitchStats(ports: Dictionary(connections.values.map { ($0.name, $0.counters) }, uniquingKeysWith: { a, _ in a }),
                                learned: switchCore.learnedCount, pid: getpid())
        let data = stats.json
        let temporary = statsPath + ".tmp"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard fd >= 0 else { return }
        _ = data.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        close(fd)
        rename(temporary, statsPath)
    }
}
