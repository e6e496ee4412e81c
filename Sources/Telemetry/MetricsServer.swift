import Foundation
import Logging
import ServiceLifecycle

/// Serves `GET /metrics` (the exposition of a `VMCtlMetrics`) over HTTP/1.1, and 404 for anything else. A
/// swift-service-lifecycle `Service`: it stops on the group's graceful shutdown or when its task is cancelled.
///
/// Its own few lines of HTTP rather than an HTTP package: one read-only endpoint scraped every few seconds needs a
/// request line and a response, and the package used before (FlyingFox) linked FoundationNetworking — libcurl, gnutls
/// and libcrypto, ~4 MiB resident in a daemon meant to stay small, and no static link of vmctl (bench/README.md).
public struct MetricsServer: Service {
    public static let contentType = "text/plain; version=0.0.4; charset=utf-8"
    /// Loopback only: the metrics name the host's stacks and VMs, so serving them further is the operator's choice.
    public static let defaultAddress = "127.0.0.1:9464"

    /// What `address` was: `127.0.0.1:9464`, `[::1]:9464`; port 0 lets the kernel pick one (see `listeningPort()`).
    public let address: String
    private let endpoint: ListenAddress
    private let listener: HTTPListener
    private let logger: Logger

    /// Throws `MetricsAddressError` unless `address` is a numeric IPv4 or bracketed IPv6 address with a port, and
    /// `MetricsListenError` when it cannot listen there (the port is taken). It listens and serves from here on, on a
    /// thread of its own: scrapes never wait for Swift's cooperative pool, which blocking work elsewhere may hold.
    public init(address: String, metrics: VMCtlMetrics, logger: Logger) throws {
        self.address = address
        self.logger = logger
        endpoint = try ListenAddress(address)
        listener = HTTPListener { method, path in
            guard path == "/metrics" else { return HTTPAnswer(status: 404, reason: "Not Found", body: "not found\n") }
            guard method == "GET" || method == "HEAD" else {
                return HTTPAnswer(status: 405, reason: "Method Not Allowed", body: "only GET\n", headOnly: false, allow: "GET, HEAD")
            }
            return HTTPAnswer(status: 200, reason: "OK", contentType: Self.contentType, body: metrics.exposition(), headOnly: method == "HEAD")
        }
        do { try listener.bind(endpoint) } catch {
            throw MetricsListenError(address: address, reason: "\(error)")
        }
        let listener = self.listener
        Thread.detachNewThread { listener.serve() }
        logger.info("serving metrics", metadata: ["address": "\(address)", "path": "/metrics"])
    }

    /// Serves until the group's graceful shutdown or the task's cancellation, then closes the socket.
    public func run() async throws {
        try? await gracefulShutdown()
        listener.stop()
        logger.debug("metrics server stopped")
    }

    /// The port the server listens on (the kernel's pick for port 0).
    public func listeningPort(timeout: Duration = .seconds(5)) async throws -> UInt16 {
        guard let port = listener.port else { throw MetricsAddressError(address: address, reason: "the server does not listen on it") }
        return port
    }
}

public struct MetricsListenError: Error, CustomStringConvertible {
    public var address: String
    public var reason: String
    public var description: String { "cannot serve metrics on \(address): \(reason)" }
}

public struct MetricsAddressError: Error, CustomStringConvertible {
    public var address: String
    public var reason: String
    public var description: String { "invalid metrics address '\(address)': \(reason)" }
}
