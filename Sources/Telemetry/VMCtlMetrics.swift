import CoreMetrics
import Foundation
import Prometheus
import Synchronization

/// vmctl's Prometheus metrics for one host (docs/metrics.md). Every instance has a registry of its own and never touches
/// swift-metrics' global `MetricsSystem`, so tests can make as many as they like. Safe to call from any thread.
///
/// The vmctl_ metrics go through swift-prometheus' registry rather than swift-metrics' `Counter`/`Gauge`/`Timer`:
/// swift-prometheus' `PrometheusMetricsFactory` registers every swift-metrics metric without HELP text (and traps if the
/// same name is later registered with one), and swift-metrics can neither remove one series of a family nor set a
/// counter to a value read from /proc. `metricsFactory` is there for code instrumented with swift-metrics.
public final class VMCtlMetrics: Sendable {
    /// `vmctl_reconcile_duration_seconds`' buckets: a pass that changes nothing takes well under a second, one that
    /// imports an image and boots VMs minutes.
    public static let reconcileDurationBuckets: [Duration] =
        [50, 100, 250, 500, 1_000, 2_500, 5_000, 10_000, 30_000, 60_000, 120_000, 300_000, 600_000].map { .milliseconds($0) }

    private let registry = PrometheusCollectorRegistry()
    private let state = Mutex(State())

    /// A swift-metrics factory over this instance's registry: pass it as `factory:` to swift-metrics' initialisers
    /// (or bootstrap `MetricsSystem` with it in a daemon) and those metrics appear in `exposition()` too, without HELP
    /// text. Their names must not be one of the vmctl_ metrics'.
    public var metricsFactory: any MetricsFactory { PrometheusMetricsFactory(registry: registry) }

    public init() {}

    /// Replaces the stack's per-VM series with these samples': the series of a VM that is not in the list go, its
    /// restart and start-failure counters included; those of a new VM start at 0.
    public func observeVMs(stack: String, _ samples: [VMSample]) {
        state.withLock { state in
            var previous = state.vms[stack] ?? [:]
            var current: [String: VMSeries] = [:]
            for sample in samples {
                var series = current[sample.vm] ?? previous.removeValue(forKey: sample.vm) ?? VMSeries()
                series.update(with: sample, labels: Self.vmLabels(stack, sample.vm), in: registry)
                current[sample.vm] = series
            }
            for series in previous.values { series.unregister(from: registry) }
            state.vms[stack] = current
        }
    }

    public func vmRestarted(stack: String, vm: String) {
        state.withLock { state in
            state.vms[stack, default: [:]][vm, default: VMSeries()]
                .eventCounters(labels: Self.vmLabels(stack, vm), in: registry).restarts.increment()
        }
    }

    public func vmStartFailed(stack: String, vm: String) {
        state.withLock { state in
            state.vms[stack, default: [:]][vm, default: VMSeries()]
                .eventCounters(labels: Self.vmLabels(stack, vm), in: registry).startFailures.increment()
        }
    }

    /// Records one reconcile pass of `stack` that took `duration` and ended at `at`.
    public func reconciled(stack: String, duration: Duration, succeeded: Bool, at: Date) {
        registry.makeDurationHistogram(descriptor: MetricFamily.reconcileDuration.descriptor,
                                       labels: [("stack", stack), ("result", succeeded ? "success" : "failure")],
                                       buckets: Self.reconcileDurationBuckets).record(duration)
        if succeeded {
            registry.gauge(.reconcileLastSuccess, [("stack", stack)]).set(to: at.timeIntervalSince1970)
        }
    }

    public func setSuspended(stack: String, _ suspended: Bool) {
        registry.gauge(.stackSuspended, [("stack", stack)]).set(to: suspended ? 1 : 0)
    }

    /// One series per stack: the previous revision's goes.
    public func setAppliedRevision(stack: String, revision: String) {
        state.withLock { state in
            if let old = state.revisions[stack] {
                guard old.revision != revision else { return }
                registry.unregisterGauge(old.gauge)
            }
            let info = registry.gauge(.stackAppliedRevision, [("stack", stack), ("revision", revision)])
            info.set(to: 1)
            state.revisions[stack] = (revision, info)
        }
    }

    /// Counts `count` changes of one kind (create, start, stop, restart, replace, update, delete); 0 makes the series
    /// exist, a negative count is ignored (a counter never goes down).
    public func changesApplied(stack: String, action: String, count: Int) {
        registry.counter(.reconcileChanges, [("stack", stack), ("action", action)]).increment(by: Int64(max(0, count)))
    }

    /// The Prometheus text exposition format, version 0.0.4.
    public func exposition() -> String {
        registry.emitToString()
    }

    private static func vmLabels(_ stack: String, _ vm: String) -> [(String, String)] {
        [("stack", stack), ("vm", vm)]
    }

    private struct State {
        var vms: [String: [String: VMSeries]] = [:]
        var revisions: [String: (revision: String, gauge: Prometheus.Gauge)] = [:]
    }
}
