import Foundation
import VMCtlModel

/// The VM records of a stack: those that read, and those whose `vm.json` exists but cannot be read.
public struct VMRecordScan: Sendable {
    public var records: [String: VMRecord] = [:]
    public var damaged: [String: DamagedVM] = [:]
}

/// A damaged `vm.json` blocks only the VM it describes: the others are read as usual, and the damaged VM's process
/// can still be found (the wrapper's pid file, the process's start time and command line), stopped and removed.
/// The file itself is never rewritten or deleted, except with its folder by an explicit destroy.
extension StackRuntime {
    /// Every VM record of the stack, by name; an unreadable one is listed as damaged, with why.
    public func scanRecords() -> VMRecordScan {
        var scan = VMRecordScan()
        for name in ((try? FileManager.default.contentsOfDirectory(atPath: paths.vms)) ?? []).sorted() {
            let file = paths.vm(name).record
            do {
                if let record = try AtomicFile.readJSON(VMRecord.self, from: file) { scan.records[name] = record }
            } catch RuntimeError.unreadableState(_, let reason) {
                scan.damaged[name] = DamagedVM(name: name, file: file, reason: reason, pid: damagedVMProcess(name)?.pid)
            } catch {
                scan.damaged[name] = DamagedVM(name: name, file: file, reason: "\(error)", pid: damagedVMProcess(name)?.pid)
            }
        }
        return scan
    }

    /// The readable VM records, by name (damaged ones are left out: see `scanRecords`).
    public func records() -> [String: VMRecord] { scanRecords().records }

    /// The VMM of a VM whose record cannot be read, if it runs: the pid its wrapper wrote, checked as for any VM
    /// (alive, its command line names the VM's folder) and by start time: the one the damaged record still holds
    /// where that much of it reads, else it must have started before the pid file was written (a pid reused later
    /// started after). Also which VMM it is, from its command line.
    public func damagedVMProcess(_ name: String) -> (pid: Int32, startTime: UInt64, backend: BackendKind?)? {
        let paths = self.paths.vm(name)
        guard let text = try? String(contentsOfFile: paths.pid, encoding: .utf8),
              let pid = Int32(text.trimmingCharacters(in: .whitespacesAndNewlines)), pid > 0 else { return nil }
        let leftover = (try? AtomicFile.read(paths.record)).flatMap { $0 }.map { String(decoding: $0, as: UTF8.self) } ?? ""
        let recordedStart = Self.number(after: "processStartTime", in: leftover).flatMap { start in
            Self.number(after: "pid", in: leftover) == UInt64(pid) ? start : nil
        }
        guard VMProcess.isOurs(pid: pid, startTime: recordedStart, paths: paths), let start = ProcessProbe.startTime(of: pid) else { return nil }
        if recordedStart == nil {
            guard let startedAt = ProcessProbe.startedAt(pid),
                  let written = (try? FileManager.default.attributesOfItem(atPath: paths.pid))?[.modificationDate] as? Date,
                  startedAt <= written.timeIntervalSince1970 + 5 else { return nil }
        }
        let command = ProcessProbe.commandLine(of: pid) ?? ""
        let backend: BackendKind? = command.contains("vmctl-vmm") ? .kvm : command.contains("qemu-system") ? .qemu : nil
        return (pid, start, backend)
    }

    /// Stops a damaged VM's VMM as `stop` does (graceful through its control socket, then forced); its record is
    /// left as it is.
    func stopDamaged(_ name: String, timeout: Duration) throws -> StopOutcome {
        defer { releaseCgroup(name) }
        guard let process = damagedVMProcess(name) else { return .alreadyStopped }
        let graceful = process.backend.flatMap { backends[$0] }
        if let graceful {
            return try graceful.stopProcess(name: name, pid: process.pid, startTime: process.startTime, paths: paths.vm(name), timeout: timeout)
        }
        // A VMM vmctl cannot talk to: end it.
        kill(process.pid, SIGKILL)
        guard VMProcess.waitForExit(pid: process.pid, startTime: process.startTime, paths: paths.vm(name), timeout: .seconds(5)) else {
            throw RuntimeError.vm(name: name, operation: "stop", reason: "process \(process.pid) did not exit after SIGKILL")
        }
        return .forced
    }

    /// Ends a damaged VM's processes and removes its folder, record included (the plan said so first). Its taps and
    /// addresses are released by name: the record that lists its NICs cannot be read.
    func destroyDamaged(_ name: String) throws {
        let paths = self.paths.vm(name)
        if let process = damagedVMProcess(name) {
            kill(process.pid, SIGKILL)
            _ = VMProcess.waitForExit(pid: process.pid, startTime: process.startTime, paths: paths, timeout: .seconds(5))
        }
        VMProcess.endAll(referencing: paths)
        releaseCgroup(name)
        try VMProcess.removeFolder(paths, vm: name)
        releaseAllAddresses(of: name)
    }

    /// `"key": 123` in text that is not valid JSON as a whole.
    static func number(after key: String, in text: String) -> UInt64? {
        guard let range = text.range(of: "\"\(key)\"") else { return nil }
        var rest = text[range.upperBound...].drop { $0 == " " || $0 == "\n" || $0 == "\t" || $0 == "\r" }
        guard rest.first == ":" else { return nil }
        rest = rest.dropFirst().drop { $0 == " " || $0 == "\n" || $0 == "\t" || $0 == "\r" }
        return UInt64(String(rest.prefix { $0.isNumber }))
    }
}
