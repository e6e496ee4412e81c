import Foundation
import VMCtlModel

/// A VM's process as /proc and the wrapper's files tell it, without asking the VMM anything.
public struct VMLiveness: Sendable, Equatable {
    /// `.running` while the VMM is alive (whatever the guest does), else `.stopped` or `.crashed` from its exit status.
    public var state: PowerState
    public var exitStatus: Int?
    public var pid: Int32?
    /// When the VMM started, seconds since 1970.
    public var startedAt: Double?
    /// The VMM's user + system CPU time, and its resident memory.
    public var cpuSeconds: Double?
    public var residentBytes: UInt64?
    /// This boot reached readiness (the `ready` file).
    public var ready: Bool
    public var backend: BackendKind
    public var spec: VMSpec
}

extension StackRuntime {
    /// Every readable VM record's liveness. Cheap enough to poll every few seconds for many VMs: no control socket
    /// is opened (a QMP round trip per VM would wake every QEMU), only /proc and the VM's folder are read.
    public func liveness() -> [String: VMLiveness] {
        var result: [String: VMLiveness] = [:]
        for (name, record) in scanRecords().records {
            let vmPaths = paths.vm(name)
            var entry = VMLiveness(state: .stopped, ready: false, backend: record.backend, spec: record.spec)
            if let (pid, startTime) = VMProcess.currentPid(record, paths: vmPaths),
               VMProcess.isOurs(pid: pid, startTime: startTime, paths: vmPaths) {
                entry.state = .running
                entry.pid = pid
                entry.startedAt = ProcessProbe.startedAt(pid)
                entry.cpuSeconds = ProcessProbe.cpuSeconds(of: pid)
                entry.residentBytes = ProcessProbe.residentBytes(of: pid)
                entry.ready = FileManager.default.fileExists(atPath: vmPaths.ready)
            } else {
                let ended = VMProcess.endedState(paths: vmPaths, launched: record.pid != nil)
                entry.state = ended.state
                entry.exitStatus = ended.exitStatus
            }
            result[name] = entry
        }
        return result
    }
}
