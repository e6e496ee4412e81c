import FlyingFox
import FlyingSocks
import Foundation
import Logging
import ServiceLifecycle
import Synchronization

/// Serves `GET /metrics` (the exposition of a `VMCtlMetrics`) over HTTP, and 404 for anything else. A
/// swift-service-lifecycle `Service`: it stops on the group's graceful shutdown or when its task is cancelled.
public struct MetricsServer: Service {
    public static let contentType = "text/plain; version=0.0.4; charset=utf-8"
    /// Loopback only: the metrics name the host's stacks and VMs, so serving them further is the operator's choice.
    public static let defaultAddress = "127.0.0.1:9464"

    /// What `address` was: `127.0.0.1:9464`, `[::1]:9464`; port 0 lets the kernel pick one (see `listeningPort()`).
    public let address: String
    private let http: HTTPServer
    private let logger: Logger
    private let stopping = StopFlag()

    /// Throws `MetricsAddressError` unless `address` is a numeric IPv4 or bracketed IPv6 address with a port.
    public init(address: String, metrics: VMCtlMetrics, logger: Logger) throws {
        self.address = address
        self.logger = logger
        let handler = ClosureHTTPHandler { request in
            guard request.path == "/metrics" else { return HTTPResponse(statusCode: .notFound) }
            guard request.method == .GET || request.method == .HEAD else { return HTTPResponse(statusCode: .methodNotAllowed) }
            return HTTPResponse(statusCode: .ok, headers: [.contentType: Self.contentType],
                                body: Data(metrics.exposition().utf8))
        }
        http = HTTPServer(address: try Self.socketAddress(address),
                          logger: FlyingFoxLogger(logger: logger, stopping: stopping), handler: handler)
    }

    public func run() async throws {
        logger.info("serving metrics", metadata: ["address": "\(address)", "path": "/metrics"])
        do {
            try await withTaskCancellationOrGracefulShutdownHandler {
                try await http.run()
            } onCancelOrGracefulShutdown: { [http, stopping] in
                stopping.set()
                // stop() does nothing before the socket listens: wait for that, in case shutdown came first.
                Task { try? await http.waitUntilListening(timeout: 10); await http.stop() }
            }
        } catch where stopping.isSet {
            // The closed listening socket ends FlyingFox's accept loop with an error: that is the stop we asked for.
            logger.debug("metrics server stopped", metadata: ["error": "\(error)"])
        }
    }

    /// The port the server listens on, once it does (the kernel's pick for port 0).
    public func listeningPort(timeout: Duration = .seconds(5)) async throws -> UInt16 {
        let (seconds, attoseconds) = timeout.components
        try await http.waitUntilListening(timeout: Double(seconds) + Double(attoseconds) / 1e18)
        switch await http.listeningAddress {
        case .ip4(_, let port), .ip6(_, let port): return port
        case .unix, nil: throw MetricsAddressError(address: address, reason: "the server does not listen on it")
        }
    }

    static func socketAddress(_ address: String) throws -> any SocketAddress {
        let (host, portText): (Substring, Substring)
        if address.hasPrefix("["), let close = address.firstIndex(of: "]"), address[close...].hasPrefix("]:") {
            host = address[address.index(after: address.startIndex)..<close]
            portText = address[address.index(close, offsetBy: 2)...]
        } else if let colon = address.lastIndex(of: ":"), !address[..<colon].contains(":") {
            host = address[..<colon]
            portText = address[address.index(after: colon)...]
        } else {
            throw MetricsAddressError(address: address, reason: "expected HOST:PORT, e.g. 127.0.0.1:9464 or [::1]:9464")
        }
        guard let port = UInt16(portText) else {
            throw MetricsAddressError(address: address, reason: "the port must be a number from 0 to 65535")
        }
        do {
            return address.hasPrefix("[") ? try sockaddr_in6.inet6(ip6: String(host), port: port)
                                          : try sockaddr_in.inet(ip4: String(host), port: port)
        } catch {
            throw MetricsAddressError(address: address, reason: "'\(host)' is not a numeric IPv4 or IPv6 address")
        }
    }
}

public struct MetricsAddressError: Error, CustomStringConvertible {
    public var address: String
    public var reason: String
    public var description: String { "invalid metrics address '\(address)': \(reason)" }
}

/// FlyingFox's log lines through swift-log. FlyingFox logs every connection and request as info; a scrape every few
/// seconds is not news, so those become debug. Once we stop the server, the "server error" it logs as critical for
/// the closed socket or the cancellation is the stop itself: debug too.
struct FlyingFoxLogger: FlyingSocks.Logging {
    let logger: Logger
    let stopping: StopFlag

    func logDebug(_ debug: @autoclosure () -> String) { logger.trace("\(debug())") }
    func logInfo(_ info: @autoclosure () -> String) { logger.debug("\(info())") }
    func logWarning(_ warning: @autoclosure () -> String) { logger.warning("\(warning())") }
    func logError(_ error: @autoclosure () -> String) { logger.log(level: stopping.isSet ? .debug : .error, "\(error())") }
    func logCritical(_ critical: @autoclosure () -> String) {
        logger.log(level: stopping.isSet ? .debug : .critical, "\(critical())")
    }
}

final class StopFlag: Sendable {
    private let value = Atomic(false)
    func set() { value.store(true, ordering: .releasing) }
    var isSet: Bool { value.load(ordering: .acquiring) }
}
