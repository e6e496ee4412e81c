import Prometheus

/// The name and HELP text of each metric vmctl exposes (docs/metrics.md lists them with their types and labels).
struct MetricFamily: Sendable {
    let name: String
    let help: String

    /// The whole name as the metric part, so that a search for it finds it here.
    var descriptor: MetricNameDescriptor { MetricNameDescriptor(metricName: name, unitName: "", helpText: help) }

    static let vmInfo = MetricFamily(
        name: "vmctl_vm_info", help: "A VM of the stack, with its backend and run strategy as labels; always 1.")
    static let vmRunning = MetricFamily(
        name: "vmctl_vm_running", help: "1 if the VM's VMM process runs, else 0.")
    static let vmReady = MetricFamily(
        name: "vmctl_vm_ready", help: "1 if the VM reached readiness in its current boot, else 0.")
    static let vmRestarts = MetricFamily(
        name: "vmctl_vm_restarts_total", help: "Restarts of the VM by the reconciler.")
    static let vmStartFailures = MetricFamily(
        name: "vmctl_vm_start_failures_total", help: "Failed attempts of the reconciler to start the VM.")
    static let vmCPUSeconds = MetricFamily(
        name: "vmctl_vm_cpu_seconds_total", help: "CPU time (user and system) of the VM's VMM process, in seconds.")
    static let vmResidentMemory = MetricFamily(
        name: "vmctl_vm_resident_memory_bytes", help: "Resident set size of the VM's VMM process, in bytes.")
    static let reconcileDuration = MetricFamily(
        name: "vmctl_reconcile_duration_seconds", help: "Duration of reconcile passes, by result (success or failure).")
    static let reconcileLastSuccess = MetricFamily(
        name: "vmctl_reconcile_last_success_timestamp_seconds",
        help: "When the last successful reconcile pass of the stack finished, in seconds since the Unix epoch.")
    static let stackSuspended = MetricFamily(
        name: "vmctl_stack_suspended", help: "1 if reconciliation of the stack is suspended, else 0.")
    static let stackAppliedRevision = MetricFamily(
        name: "vmctl_stack_applied_revision_info", help: "The git revision last applied to the stack, as a label; always 1.")
    static let reconcileChanges = MetricFamily(
        name: "vmctl_reconcile_changes_total",
        help: "Changes applied by the reconciler, by action (create, start, stop, restart, replace, update, delete).")
}

extension PrometheusCollectorRegistry {
    func gauge(_ family: MetricFamily, _ labels: [(String, String)]) -> Gauge {
        makeGauge(descriptor: family.descriptor, labels: labels)
    }

    func counter(_ family: MetricFamily, _ labels: [(String, String)]) -> Counter {
        makeCounter(descriptor: family.descriptor, labels: labels)
    }
}
