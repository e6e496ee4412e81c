import Foundation
import Logging
import ServiceLifecycle
import Synchronization
import Testing
import TestServers
@testable import Telemetry

@Suite(.timeLimit(.minutes(3))) struct MetricsServerTests {
    static let logger = Logger(label: "TelemetryTests")

    @Test func servesMetricsAnd404AndStopsOnGracefulShutdown() async throws {
        let metrics = VMCtlMetricsTests.exercised()
        let server = try MetricsServer(address: "127.0.0.1:0", metrics: metrics, logger: Self.logger)
        let group = ServiceGroup(services: [server], logger: Self.logger)
        let running = Task { try await group.run() }
        defer { running.cancel() }
        let port = try await server.listeningPort()

        let scrape = try await LoopbackHTTP.get(port: port, path: "/metrics")
        #expect(scrape.status == 200)
        #expect(scrape.headers["content-type"] == "text/plain; version=0.0.4; charset=utf-8")
        #expect(scrape.body == metrics.exposition())
        metrics.setSuspended(stack: "web", false)
        #expect(try await LoopbackHTTP.get(port: port, path: "/metrics").body.contains(#"vmctl_stack_suspended{stack="web"} 0.0"#))
        #expect(try await LoopbackHTTP.get(port: port, path: "/other").status == 404)
        #expect(try await LoopbackHTTP.get(port: port, path: "/").status == 404)

        await group.triggerGracefulShutdown()
        #expect(await Self.ends(running, within: .seconds(90)), "the server did not stop on graceful shutdown")   // see below: a busy suite
        await #expect(throws: Never.self) { try await running.value }
        #expect(Self.refusal(port: port).contains("Connection refused"))
    }

    @Test func headOtherMethodsQueriesAndGarbage() async throws {
        let metrics = VMCtlMetricsTests.exercised()
        let server = try MetricsServer(address: "127.0.0.1:0", metrics: metrics, logger: Self.logger)
        let running = Task { try await ServiceGroup(services: [server], logger: Self.logger).run() }
        defer { running.cancel() }
        let port = try await server.listeningPort()
        let head = try LoopbackHTTP.exchange(port: port, request: "HEAD /metrics HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(head.status == 200 && head.body.isEmpty && Int(head.headers["content-length"] ?? "") == metrics.exposition().utf8.count)
        let post = try LoopbackHTTP.exchange(port: port, request: "POST /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n")
        #expect(post.status == 405 && post.headers["allow"] == "GET, HEAD")
        #expect(try LoopbackHTTP.exchange(port: port, request: "GET /metrics?name[]=vmctl_vm_running HTTP/1.0\r\n\r\n").status == 200)
        #expect(try LoopbackHTTP.exchange(port: port, request: "hello\r\n\r\n").status == 400)
        // The bad requests did not stop it.
        #expect(try await LoopbackHTTP.get(port: port, path: "/metrics").status == 200)
    }

    @Test func aTakenPortFailsNamingTheAddress() async throws {
        let first = try MetricsServer(address: "127.0.0.1:0", metrics: VMCtlMetrics(), logger: Self.logger)
        let running = Task { try await ServiceGroup(services: [first], logger: Self.logger).run() }
        defer { running.cancel() }
        let port = try await first.listeningPort()
        #expect {
            try MetricsServer(address: "127.0.0.1:\(port)", metrics: VMCtlMetrics(), logger: Self.logger)
        } throws: { error in
            error is MetricsListenError && "\(error)".contains("127.0.0.1:\(port)") && "\(error)".contains("Address already in use")
        }
    }

    @Test func stopsWhenItsTaskIsCancelled() async throws {
        let server = try MetricsServer(address: "127.0.0.1:0", metrics: VMCtlMetrics(), logger: Self.logger)
        let running = Task { try await server.run() }
        let port = try await server.listeningPort()
        #expect(try await LoopbackHTTP.get(port: port, path: "/metrics").status == 200)
        running.cancel()
        // Generous for the same reason as below: the cancelled task may wait for a cooperative thread while the
        // suite's synchronous tests hold both; a hang still fails.
        #expect(await Self.ends(running, within: .seconds(90)), "the server did not stop on cancellation")
        #expect(Self.refusal(port: port).contains("Connection refused"))
    }

    /// Shutdown before the socket listens must still stop it (not leave it serving forever).
    @Test func stopsOnShutdownThatComesFirst() async throws {
        let server = try MetricsServer(address: "127.0.0.1:0", metrics: VMCtlMetrics(), logger: Self.logger)
        let group = ServiceGroup(services: [server], logger: Self.logger)
        let running = Task { try await group.run() }
        await group.triggerGracefulShutdown()
        // Generous: at the start of the whole suite, synchronous tests hold the cooperative pool for tens of seconds and
        // the group's task may not even have started; a hang still fails.
        #expect(await Self.ends(running, within: .seconds(90)), "the server did not stop")
    }

    @Test(arguments: ["127.0.0.1:9464", "[::1]:9464", "0.0.0.0:0", "[::]:80"])
    func acceptsNumericAddresses(_ address: String) throws {
        _ = try ListenAddress(address)
    }

    @Test(arguments: ["localhost:9464", "127.0.0.1", "127.0.0.1:65536", "127.0.0.1:x", "::1:9464", "[::1]9464", "[::1]", ""])
    func refusesOtherAddresses(_ address: String) {
        #expect(throws: MetricsAddressError.self) { try ListenAddress(address) }
    }

    /// Whether the task ended within `limit`, without waiting longer if it hangs.
    static func ends(_ task: Task<Void, any Error>, within limit: Duration) async -> Bool {
        let ended = Flag()
        Task { _ = await task.result; ended.set() }
        let deadline = ContinuousClock.now + limit
        while ContinuousClock.now < deadline {
            if ended.isSet { return true }
            try? await Task.sleep(for: .milliseconds(20))
        }
        return ended.isSet
    }

    /// Why a GET on the port fails ("" if it does not).
    static func refusal(port: UInt16) -> String {
        do {
            _ = try LoopbackHTTP.blockingGet(port: port, path: "/metrics", timeoutSeconds: 2)
            return ""
        } catch {
            return "\(error)"
        }
    }

    final class Flag: Sendable {
        private let value = Atomic(false)
        func set() { value.store(true, ordering: .releasing) }
        var isSet: Bool { value.load(ordering: .acquiring) }
    }
}
