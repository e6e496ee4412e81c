import Foundation
import Testing
import TestServers
@testable import Telemetry

/// Prometheus's own linter on the exposition (`promtool check metrics`): format, HELP, TYPE, naming conventions
/// (`_total` counters, base units). Fails, not skips, without promtool: scripts/setup installs Debian's prometheus.
@Suite struct PromtoolTests {
    @Test func exposedMetricsPassPromtool() throws {
        let promtool = try Spawned.locate("promtool", package: "prometheus")
        let metrics = VMCtlMetricsTests.exercised()
        metrics.observeVMs(stack: "odd \"names\"", [VMSample(vm: "a\\b\nc", backend: "qemu", runStrategy: "Always",
                                                             running: true, ready: false, cpuSeconds: 0, residentBytes: 0)])
        let text = metrics.exposition()
        let result = try Spawned.run(promtool, ["check", "metrics"], input: text)
        #expect(result.status == 0 && result.output.isEmpty, "promtool: \(result.output)\n\(text)")
    }
}
