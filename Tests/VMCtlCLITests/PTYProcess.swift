import Foundation

/// The built `vmctl` run on a pseudo-terminal this test creates (openpty), as a user at a terminal runs it:
/// its standard input, output and error are the terminal; the test types into it and reads the screen.
final class PTYProcess {
    private let process = Process()
    private let master: Int32
    private(set) var output: [UInt8] = []
    var text: String { String(decoding: output, as: UTF8.self) }

    /// `environment` changes vmctl's environment (NO_COLOR=1 and TERM=xterm unless it says otherwise; nil unsets).
    init(_ arguments: [String], columns: UInt16 = 80, rows: UInt16 = 24, environment changes: [String: String?] = [:]) throws {
        var master: Int32 = -1, slave: Int32 = -1
        var size = winsize(ws_row: rows, ws_col: columns, ws_xpixel: 0, ws_ypixel: 0)
        guard openpty(&master, &slave, nil, nil, &size) == 0 else { throw E2EFailure("openpty: \(String(cString: strerror(errno)))") }
        self.master = master
        defer { close(slave) }   // the child has its copies; the test reads EIO at the master once it exits
        process.executableURL = VMCtlProcess.binary
        process.arguments = arguments
        var environment = ProcessInfo.processInfo.environment
        environment["NO_COLOR"] = "1"
        environment["TERM"] = "xterm"
        for (key, value) in changes { environment[key] = value }
        process.environment = environment
        let terminal = FileHandle(fileDescriptor: slave, closeOnDealloc: false)
        process.standardInput = terminal
        process.standardOutput = terminal
        process.standardError = terminal
        try process.run()
    }

    deinit {
        if process.isRunning { kill(process.processIdentifier, SIGKILL); process.waitUntilExit() }
        close(master)
    }

    func type(_ text: String) { type(Array(text.utf8)) }

    /// Sends vmctl a signal, as Ctrl-C at its terminal would (the pty is not its controlling terminal here).
    func signal(_ number: Int32) { kill(process.processIdentifier, number) }

    func type(_ bytes: [UInt8]) { _ = bytes.withUnsafeBytes { write(master, $0.baseAddress, $0.count) } }

    /// Reads until the screen shows `text` (true) or the time is up (false).
    func waitFor(_ text: String, timeout: Duration = .seconds(30)) -> Bool {
        let deadline = ContinuousClock.now + timeout
        while !self.text.contains(text) {
            guard readSome(until: deadline) else { return false }
        }
        return true
    }

    /// Reads to the end and returns vmctl's exit status (nil: still running after `timeout`).
    func finish(timeout: Duration = .seconds(30)) -> Int32? {
        let deadline = ContinuousClock.now + timeout
        while readSome(until: deadline) {}
        while process.isRunning, ContinuousClock.now < deadline { Thread.sleep(forTimeInterval: 0.05) }
        return process.isRunning ? nil : process.terminationStatus
    }

    /// One read before the deadline; false once the terminal is closed (EIO) or the time is up.
    private func readSome(until deadline: ContinuousClock.Instant) -> Bool {
        let remaining = deadline - ContinuousClock.now
        guard remaining > .zero else { return false }
        var descriptor = pollfd(fd: master, events: Int16(POLLIN), revents: 0)
        guard poll(&descriptor, 1, Int32(min(remaining.components.seconds * 1000 + 1, 1000))) >= 0 else { return false }
        guard descriptor.revents != 0 else { return ContinuousClock.now < deadline }
        var buffer = [UInt8](repeating: 0, count: 4096)
        let count = read(master, &buffer, buffer.count)
        guard count > 0 else { return false }
        output += buffer[..<count]
        return true
    }
}
