import VMMControl
import VMMDevices

/// The serial port's output: always appended to the console log, and also sent to the console socket's
/// client when there is one (never blocking: `SocketChannel.send` drops what a slow client leaves).
final class SerialConsoleOutput: SerialOutput, Sendable {
    let log: ConsoleLog
    let channel: SocketChannel?

    init(log: ConsoleLog, channel: SocketChannel?) {
        self.log = log
        self.channel = channel
    }

    func write(_ byte: UInt8) {
        log.write(byte)
        channel?.send([byte])
    }
}

/// The output of the virtio-console's port `vmctl.agent`: to the agent socket's client only, not the log (the
/// agent's protocol would bury the console output).
final class AgentChannelOutput: VirtioConsoleOutput, Sendable {
    let channel: SocketChannel

    init(channel: SocketChannel) {
        self.channel = channel
    }

    func write(_ bytes: [UInt8]) {
        channel.send(bytes)
    }
}

extension SocketChannel {
    /// Binds the spec's socket for `what` ("console socket"), naming it in the error.
    static func bind(_ path: String, descriptor: Int32?, what: String, outputLimit: Int) throws(VMMError) -> SocketChannel {
        do { return try SocketChannel(path: path, descriptor: descriptor, outputLimit: outputLimit) } catch {
            throw .device("\(what) \(path): \(error)")
        }
    }

    /// Starts the channel's thread, naming the socket in the error.
    func start(_ what: String, deliver: @escaping @Sendable ([UInt8]) -> Int,
               connected: @escaping @Sendable (Bool) -> Void = { _ in }) throws(VMMError) {
        do { try start(deliver: deliver, connected: connected) } catch {
            throw .device("\(what) \(path): \(error)")
        }
    }
}

extension SerializedDevice {
    /// Runs `body` on the virtio-console behind this transport, under the transport's lock; nil when this is
    /// not a virtio-console transport.
    func withVirtioConsole<Result: Sendable>(_ body: (VirtioConsole) -> Result) -> Result? {
        withDevice { device in
            guard let console = (device as? VirtioMMIOTransport)?.device as? VirtioConsole else { return nil }
            return body(console)
        }
    }
}
