import Prometheus

/// The series of one VM, kept so that they can be updated and removed when the VM goes (the registry removes a
/// series only given its object).
struct VMSeries {
    private var info: (gauge: Gauge, backend: String, runStrategy: String)?
    private var running: Gauge?
    private var ready: Gauge?
    private var restarts: Counter?
    private var startFailures: Counter?
    private var cpu: (counter: Counter, seconds: Double)?
    private var residentMemory: Gauge?

    mutating func update(with sample: VMSample, labels: [(String, String)], in registry: PrometheusCollectorRegistry) {
        if let info, info.backend != sample.backend || info.runStrategy != sample.runStrategy {
            registry.unregisterGauge(info.gauge)
            self.info = nil
        }
        if info == nil {
            let gauge = registry.gauge(.vmInfo, labels + [("backend", sample.backend), ("run_strategy", sample.runStrategy)])
            gauge.set(to: 1)
            info = (gauge, sample.backend, sample.runStrategy)
        }
        Self.gauge(&running, .vmRunning, labels, registry).set(to: sample.running ? 1 : 0)
        Self.gauge(&ready, .vmReady, labels, registry).set(to: sample.ready ? 1 : 0)
        _ = eventCounters(labels: labels, in: registry)
        updateCPU(sample.cpuSeconds, labels: labels, in: registry)
        if let bytes = sample.residentBytes {
            Self.gauge(&residentMemory, .vmResidentMemory, labels, registry).set(to: Double(bytes))
        } else if let residentMemory {
            registry.unregisterGauge(residentMemory)
            self.residentMemory = nil
        }
    }

    /// The restart and start-failure counters, made (at 0) if they are not yet.
    mutating func eventCounters(labels: [(String, String)], in registry: PrometheusCollectorRegistry)
        -> (restarts: Counter, startFailures: Counter) {
        let restarts = self.restarts ?? registry.counter(.vmRestarts, labels)
        let startFailures = self.startFailures ?? registry.counter(.vmStartFailures, labels)
        self.restarts = restarts
        self.startFailures = startFailures
        return (restarts, startFailures)
    }

    /// The counter follows the absolute value read from /proc by adding the difference; a smaller value is a new VMM
    /// process, which Prometheus reads as a counter reset.
    private mutating func updateCPU(_ seconds: Double?, labels: [(String, String)], in registry: PrometheusCollectorRegistry) {
        guard let seconds, seconds >= 0 else {
            if let cpu { registry.unregisterCounter(cpu.counter) }
            cpu = nil
            return
        }
        let counter = cpu?.counter ?? registry.counter(.vmCPUSeconds, labels)
        let previous = cpu?.seconds ?? 0
        if seconds >= previous {
            counter.increment(by: seconds - previous)
        } else {
            counter.reset()
            counter.increment(by: seconds)
        }
        cpu = (counter, seconds)
    }

    func unregister(from registry: PrometheusCollectorRegistry) {
        for gauge in [info?.gauge, running, ready, residentMemory].compactMap({ $0 }) { registry.unregisterGauge(gauge) }
        for counter in [restarts, startFailures, cpu?.counter].compactMap({ $0 }) { registry.unregisterCounter(counter) }
    }

    private static func gauge(_ slot: inout Gauge?, _ family: MetricFamily, _ labels: [(String, String)],
                              _ registry: PrometheusCollectorRegistry) -> Gauge {
        if let slot { return slot }
        let gauge = registry.gauge(family, labels)
        slot = gauge
        return gauge
    }
}
