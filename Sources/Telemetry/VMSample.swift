/// What the reconciler saw of one VM in one pass: the input of `VMCtlMetrics.observeVMs(stack:_:)`.
public struct VMSample: Sendable, Hashable {
    public var vm: String
    /// `qemu` or `kvm`: the backend the VM runs on (label `backend` of `vmctl_vm_info`).
    public var backend: String
    /// The manifest's run strategy (label `run_strategy` of `vmctl_vm_info`).
    public var runStrategy: String
    public var running: Bool
    public var ready: Bool
    /// The VMM process's utime + stime in seconds (/proc/PID/stat), where known; nil leaves the series out.
    public var cpuSeconds: Double?
    /// The VMM process's resident set size in bytes (/proc/PID/statm), where known; nil leaves the series out.
    public var residentBytes: UInt64?

    public init(vm: String, backend: String, runStrategy: String, running: Bool, ready: Bool,
                cpuSeconds: Double? = nil, residentBytes: UInt64? = nil) {
        self.vm = vm
        self.backend = backend
        self.runStrategy = runStrategy
        self.running = running
        self.ready = ready
        self.cpuSeconds = cpuSeconds
        self.residentBytes = residentBytes
    }
}
