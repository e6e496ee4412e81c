import Foundation
@testable import Runtime

/// Runs `GuestTerminal.attach` on a thread of its own with pipes for input, output and signals, so a test
/// types, resizes and reads like a user at a terminal. Detach key: Ctrl-].
final class TerminalDriver: @unchecked Sendable {
    private let terminal: GuestTerminal
    private let lock = NSLock()
    private var size: GuestTerminal.WindowSize?
    private var outcome: GuestTerminal.Outcome?
    private let finished = DispatchSemaphore(value: 0)
    private let input: (read: Int32, write: Int32)
    private let outputPipe: (read: Int32, write: Int32)
    private let signals: (read: Int32, write: Int32)
    private(set) var output: [UInt8] = []

    init(client: GuestAgentClient, script: String, size: GuestTerminal.WindowSize?) throws {
        terminal = try client.openTerminal(script: script)
        self.size = size
        input = try Self.pipe()
        outputPipe = try Self.pipe()
        signals = try Self.pipe()
        Thread { [self] in
            let endpoints = GuestTerminal.Endpoints(input: input.read, output: outputPipe.write, signals: signals.read,
                                                    detachKey: 0x1D, windowSize: { [self] in lock.withLock { self.size } })
            let result = try? terminal.attach(endpoints)
            lock.withLock { outcome = result }
            close(outputPipe.write)   // the reader sees the end
            finished.signal()
        }.start()
    }

    deinit {
        for fd in [input.read, input.write, outputPipe.read, signals.read, signals.write] { close(fd) }
    }

    func type(_ bytes: [UInt8]) { _ = bytes.withUnsafeBytes { write(input.write, $0.baseAddress, $0.count) } }

    func resize(to newSize: GuestTerminal.WindowSize) {
        lock.withLock { size = newSize }
        var signal = UInt8(SIGWINCH)
        _ = write(signals.write, &signal, 1)
    }

    /// Reads output until it contains `text` (true) or the time is up (false).
    func waitFor(_ text: String, timeout: Duration = .seconds(20)) -> Bool {
        let needle = Array(text.utf8)
        let deadline = ContinuousClock.now + timeout
        while !AgentScriptTests.contains(output, needle) {
            guard ContinuousClock.now < deadline, readOutput(until: deadline) else { return false }
        }
        return true
    }

    /// Reads the rest of the output and returns how the session ended (nil: it did not end in time, or failed).
    func finish(timeout: Duration = .seconds(20)) -> GuestTerminal.Outcome? {
        let deadline = ContinuousClock.now + timeout
        while readOutput(until: deadline) {}
        guard finished.wait(timeout: .now() + .seconds(2)) == .success else { return nil }
        return lock.withLock { outcome }
    }

    /// One read of output before the deadline; false at its end or when time is up.
    private func readOutput(until deadline: ContinuousClock.Instant) -> Bool {
        let remaining = deadline - ContinuousClock.now
        guard remaining > .zero else { return false }
        var descriptor = pollfd(fd: outputPipe.read, events: Int16(POLLIN), revents: 0)
        guard poll(&descriptor, 1, Int32(remaining.components.seconds * 1000 + 1)) > 0 else { return false }
        var buffer = [UInt8](repeating: 0, count: 4096)
        let count = read(outputPipe.read, &buffer, buffer.count)
        guard count > 0 else { return false }
        output += buffer[..<count]
        return true
    }

    private static func pipe() throws -> (read: Int32, write: Int32) {
        var ends: [Int32] = [-1, -1]
        guard Glibc.pipe(&ends) == 0 else { throw HostAgentError("pipe: \(String(cString: strerror(errno)))") }
        return (ends[0], ends[1])
    }
}
