import CoreMetrics
import Foundation
import Testing
@testable import Telemetry

@Suite struct VMCtlMetricsTests {
    static let db = VMSample(vm: "db", backend: "qemu", runStrategy: "Always", running: true, ready: true,
                             cpuSeconds: 1.5, residentBytes: 1_048_576)
    static let app = VMSample(vm: "app", backend: "kvm", runStrategy: "Manual", running: false, ready: false)

    /// Every call of the API, as a reconciler makes them; shared with the promtool test.
    static func exercised() -> VMCtlMetrics {
        let metrics = VMCtlMetrics()
        metrics.observeVMs(stack: "web", [db, app])
        metrics.vmRestarted(stack: "web", vm: "db")
        metrics.vmRestarted(stack: "web", vm: "db")
        metrics.vmStartFailed(stack: "web", vm: "app")
        metrics.reconciled(stack: "web", duration: .milliseconds(300), succeeded: true, at: Date(timeIntervalSince1970: 1_700_000_000))
        metrics.reconciled(stack: "web", duration: .seconds(2), succeeded: false, at: Date(timeIntervalSince1970: 1_700_000_060))
        metrics.setSuspended(stack: "web", true)
        metrics.setAppliedRevision(stack: "web", revision: "4f2a9c1")
        metrics.changesApplied(stack: "web", action: "create", count: 2)
        metrics.changesApplied(stack: "web", action: "create", count: 1)
        metrics.changesApplied(stack: "web", action: "delete", count: 0)
        return metrics
    }

    @Test func seriesAndValuesAfterACycle() {
        let text = Self.exercised().exposition()
        let exposition = Exposition(text)
        let expected: [String: Double] = [
            #"vmctl_vm_info{stack="web",vm="db",backend="qemu",run_strategy="Always"}"#: 1,
            #"vmctl_vm_info{stack="web",vm="app",backend="kvm",run_strategy="Manual"}"#: 1,
            #"vmctl_vm_running{stack="web",vm="db"}"#: 1,
            #"vmctl_vm_running{stack="web",vm="app"}"#: 0,
            #"vmctl_vm_ready{stack="web",vm="db"}"#: 1,
            #"vmctl_vm_ready{stack="web",vm="app"}"#: 0,
            #"vmctl_vm_restarts_total{stack="web",vm="db"}"#: 2,
            #"vmctl_vm_restarts_total{stack="web",vm="app"}"#: 0,
            #"vmctl_vm_start_failures_total{stack="web",vm="db"}"#: 0,
            #"vmctl_vm_start_failures_total{stack="web",vm="app"}"#: 1,
            #"vmctl_vm_cpu_seconds_total{stack="web",vm="db"}"#: 1.5,
            #"vmctl_vm_resident_memory_bytes{stack="web",vm="db"}"#: 1_048_576,
            #"vmctl_reconcile_duration_seconds_bucket{stack="web",result="success",le="0.25"}"#: 0,
            #"vmctl_reconcile_duration_seconds_bucket{stack="web",result="success",le="0.5"}"#: 1,
            #"vmctl_reconcile_duration_seconds_bucket{stack="web",result="success",le="+Inf"}"#: 1,
            #"vmctl_reconcile_duration_seconds_sum{stack="web",result="success"}"#: 0.3,
            #"vmctl_reconcile_duration_seconds_count{stack="web",result="success"}"#: 1,
            #"vmctl_reconcile_duration_seconds_bucket{stack="web",result="failure",le="1.0"}"#: 0,
            #"vmctl_reconcile_duration_seconds_bucket{stack="web",result="failure",le="2.5"}"#: 1,
            #"vmctl_reconcile_duration_seconds_bucket{stack="web",result="failure",le="600.0"}"#: 1,
            #"vmctl_reconcile_duration_seconds_count{stack="web",result="failure"}"#: 1,
            #"vmctl_reconcile_last_success_timestamp_seconds{stack="web"}"#: 1_700_000_000,
            #"vmctl_stack_suspended{stack="web"}"#: 1,
            #"vmctl_stack_applied_revision_info{stack="web",revision="4f2a9c1"}"#: 1,
            #"vmctl_reconcile_changes_total{stack="web",action="create"}"#: 3,
            #"vmctl_reconcile_changes_total{stack="web",action="delete"}"#: 0,
        ]
        for (series, value) in expected {
            #expect(exposition.series[series] == value, "\(series) in:\n\(text)")
        }
        // The app VM's CPU time and memory are not known: no series rather than a made-up 0.
        #expect(exposition.series[#"vmctl_vm_cpu_seconds_total{stack="web",vm="app"}"#] == nil)
        #expect(exposition.series[#"vmctl_vm_resident_memory_bytes{stack="web",vm="app"}"#] == nil)
        let types = ["vmctl_vm_info": "gauge", "vmctl_vm_running": "gauge", "vmctl_vm_ready": "gauge",
                     "vmctl_vm_restarts_total": "counter", "vmctl_vm_start_failures_total": "counter",
                     "vmctl_vm_cpu_seconds_total": "counter", "vmctl_vm_resident_memory_bytes": "gauge",
                     "vmctl_reconcile_duration_seconds": "histogram", "vmctl_reconcile_last_success_timestamp_seconds": "gauge",
                     "vmctl_stack_suspended": "gauge", "vmctl_stack_applied_revision_info": "gauge",
                     "vmctl_reconcile_changes_total": "counter"]
        #expect(exposition.type == types)
        #expect(exposition.names == Set(types.keys))
        for name in types.keys { #expect(!(exposition.help[name] ?? "").isEmpty, "HELP of \(name)") }
    }

    @Test func vmsGoneFromTheListDisappear() {
        let metrics = Self.exercised()
        metrics.observeVMs(stack: "other", [VMSample(vm: "db", backend: "qemu", runStrategy: "Always", running: true, ready: false)])
        metrics.observeVMs(stack: "web", [Self.app])
        let exposition = Exposition(metrics.exposition())
        let perVM = ["vmctl_vm_info", "vmctl_vm_running", "vmctl_vm_ready", "vmctl_vm_restarts_total",
                     "vmctl_vm_start_failures_total", "vmctl_vm_cpu_seconds_total", "vmctl_vm_resident_memory_bytes"]
        for name in perVM {
            #expect(exposition.seriesNamed(name).keys.filter { $0.contains(#"stack="web",vm="db""#) }.isEmpty, "\(name)")
        }
        #expect(exposition.series[#"vmctl_vm_start_failures_total{stack="web",vm="app"}"#] == 1)  // kept, not reset
        #expect(exposition.series[#"vmctl_vm_running{stack="other",vm="db"}"#] == 1)  // another stack's VM of that name

        metrics.observeVMs(stack: "web", [])
        metrics.observeVMs(stack: "other", [])
        let empty = Exposition(metrics.exposition())
        for name in perVM { #expect(empty.seriesNamed(name).isEmpty, "\(name)") }
    }

    @Test func aNewBackendOrRunStrategyReplacesTheInfoSeries() {
        let metrics = VMCtlMetrics()
        metrics.observeVMs(stack: "web", [Self.db])
        var moved = Self.db
        moved.backend = "kvm"
        metrics.observeVMs(stack: "web", [moved])
        #expect(Exposition(metrics.exposition()).seriesNamed("vmctl_vm_info")
                == [#"vmctl_vm_info{stack="web",vm="db",backend="kvm",run_strategy="Always"}"#: 1])
    }

    @Test func aNewAppliedRevisionReplacesTheOldSeries() {
        let metrics = VMCtlMetrics()
        metrics.setAppliedRevision(stack: "web", revision: "aaa111")
        metrics.setAppliedRevision(stack: "batch", revision: "ccc333")
        metrics.setAppliedRevision(stack: "web", revision: "bbb222")
        metrics.setAppliedRevision(stack: "web", revision: "bbb222")
        #expect(Exposition(metrics.exposition()).seriesNamed("vmctl_stack_applied_revision_info") == [
            #"vmctl_stack_applied_revision_info{stack="web",revision="bbb222"}"#: 1,
            #"vmctl_stack_applied_revision_info{stack="batch",revision="ccc333"}"#: 1,
        ])
    }

    /// The counter follows the value read from /proc; a smaller one (a new VMM process) is a reset, unknown is absent.
    @Test func cpuSecondsFollowTheProcValue() {
        let metrics = VMCtlMetrics()
        let key = #"vmctl_vm_cpu_seconds_total{stack="web",vm="db"}"#
        var sample = Self.db
        for (seconds, expected) in [(1.5, 1.5), (2.25, 2.25), (2.25, 2.25), (0.5, 0.5), (nil, nil), (0.75, 0.75)] as [(Double?, Double?)] {
            sample.cpuSeconds = seconds
            metrics.observeVMs(stack: "web", [sample])
            #expect(Exposition(metrics.exposition()).series[key] == expected, "after \(String(describing: seconds))")
        }
    }

    @Test func stateChangesAndLastSuccessAreUpdated() {
        let metrics = Self.exercised()
        var db = Self.db
        db.running = false
        db.ready = false
        db.residentBytes = nil
        metrics.observeVMs(stack: "web", [db, Self.app])
        metrics.setSuspended(stack: "web", false)
        metrics.reconciled(stack: "web", duration: .seconds(700), succeeded: true, at: Date(timeIntervalSince1970: 1_700_000_120))
        let exposition = Exposition(metrics.exposition())
        #expect(exposition.series[#"vmctl_vm_running{stack="web",vm="db"}"#] == 0)
        #expect(exposition.series[#"vmctl_vm_ready{stack="web",vm="db"}"#] == 0)
        #expect(exposition.series[#"vmctl_vm_resident_memory_bytes{stack="web",vm="db"}"#] == nil)
        #expect(exposition.series[#"vmctl_vm_restarts_total{stack="web",vm="db"}"#] == 2)
        #expect(exposition.series[#"vmctl_stack_suspended{stack="web"}"#] == 0)
        #expect(exposition.series[#"vmctl_reconcile_last_success_timestamp_seconds{stack="web"}"#] == 1_700_000_120)
        #expect(exposition.series[#"vmctl_reconcile_duration_seconds_bucket{stack="web",result="success",le="600.0"}"#] == 1)
        #expect(exposition.series[#"vmctl_reconcile_duration_seconds_bucket{stack="web",result="success",le="+Inf"}"#] == 2)
    }

    /// Label values go through as given, escaped as the text format requires (backslash, double quote, newline).
    @Test func labelValuesAreEscaped() {
        let metrics = VMCtlMetrics()
        metrics.observeVMs(stack: "we b", [VMSample(vm: "a\"b\\c\nd", backend: "qemu", runStrategy: "Always", running: true, ready: true)])
        #expect(metrics.exposition().contains(#"vmctl_vm_running{stack="we b",vm="a\"b\\c\nd"} 1.0"#))
    }

    /// Each instance has its own registry; swift-metrics metrics made with its factory land in its exposition only.
    @Test func instancesAreIndependentAndTakeSwiftMetrics() {
        let first = VMCtlMetrics()
        let second = VMCtlMetrics()
        first.setSuspended(stack: "web", true)
        CoreMetrics.Counter(label: "vmctl_test_events_total", factory: first.metricsFactory).increment(by: 3)
        #expect(Exposition(first.exposition()).series["vmctl_test_events_total"] == 3)
        #expect(second.exposition().isEmpty)
    }

    /// A reconciler reports from several tasks at once.
    @Test func concurrentCallsAreSafe() async {
        let metrics = VMCtlMetrics()
        await withTaskGroup(of: Void.self) { group in
            for index in 0..<8 {
                group.addTask {
                    for round in 0..<200 {
                        metrics.observeVMs(stack: "s\(index % 2)", (0..<(round % 5)).map {
                            VMSample(vm: "vm\($0)", backend: "qemu", runStrategy: "Always", running: true, ready: true, cpuSeconds: Double(round))
                        })
                        metrics.vmRestarted(stack: "s\(index % 2)", vm: "vm0")
                        metrics.changesApplied(stack: "s\(index % 2)", action: "start", count: 1)
                        _ = metrics.exposition()
                    }
                }
            }
        }
        #expect(Exposition(metrics.exposition()).series[#"vmctl_reconcile_changes_total{stack="s0",action="start"}"#] == 800)
    }
}
