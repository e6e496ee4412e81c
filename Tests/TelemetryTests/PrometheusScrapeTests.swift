import Foundation
import Logging
import ServiceLifecycle
import Testing
import TestServers
@testable import Telemetry

/// A real Prometheus scrapes the MetricsServer and the values come back through PromQL, as a user's dashboards would
/// read them. Fails, not skips, without prometheus: scripts/setup installs Debian's.
@Suite(.timeLimit(.minutes(3))) struct PrometheusScrapeTests {
    @Test func prometheusReadsVMRunningPerVM() async throws {
        let metrics = VMCtlMetrics()
        metrics.observeVMs(stack: "web", [
            VMSample(vm: "db", backend: "qemu", runStrategy: "Always", running: true, ready: true),
            VMSample(vm: "app", backend: "kvm", runStrategy: "Always", running: false, ready: false),
        ])
        metrics.observeVMs(stack: "batch", [VMSample(vm: "worker", backend: "qemu", runStrategy: "Manual", running: true, ready: false)])
        let server = try MetricsServer(address: "127.0.0.1:0", metrics: metrics, logger: Logger(label: "TelemetryTests"))
        let group = ServiceGroup(services: [server], logger: Logger(label: "TelemetryTests"))
        let serving = Task { try await group.run() }
        defer { serving.cancel() }
        let port = try await server.listeningPort()

        let prometheus = try await PrometheusServer(scraping: ["127.0.0.1:\(port)"])
        defer { prometheus.stop() }
        try await prometheus.waitUntilTargetsUp()
        #expect(try await Self.runningByVM(prometheus) == ["web/db": "1", "web/app": "0", "batch/worker": "1"])

        // Later scrapes see a change: app starts, worker goes.
        metrics.observeVMs(stack: "web", [
            VMSample(vm: "db", backend: "qemu", runStrategy: "Always", running: true, ready: true),
            VMSample(vm: "app", backend: "kvm", runStrategy: "Always", running: true, ready: false),
        ])
        metrics.observeVMs(stack: "batch", [])
        let expected = ["web/db": "1", "web/app": "1"]
        let deadline = ContinuousClock.now + .seconds(30)
        var seen = try await Self.runningByVM(prometheus)
        while seen != expected && ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(250))
            seen = try await Self.runningByVM(prometheus)
        }
        #expect(seen == expected, "\(prometheus.log)")

        // Prometheus keeps its scrape connection open between scrapes: graceful shutdown ends it and does not wait.
        await group.triggerGracefulShutdown()
        #expect(await MetricsServerTests.ends(serving, within: .seconds(90)), "the server did not stop while scraped")   // a busy suite may delay the task
    }

    static func runningByVM(_ prometheus: PrometheusServer) async throws -> [String: String] {
        var byVM: [String: String] = [:]
        for sample in try await prometheus.query("vmctl_vm_running") {
            byVM["\(sample.labels["stack"] ?? "?")/\(sample.labels["vm"] ?? "?")"] = sample.value
        }
        return byVM
    }
}
