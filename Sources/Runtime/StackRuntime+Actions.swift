import Foundation
import Images
import Planner
import VMCtlModel

/// The single actions the executor and the per-VM commands use.
extension StackRuntime {
    /// Records the spec and starts the VMM, then waits for the guest's readiness marker. `progress` hears the phases
    /// (image import and provisioning for image VMs, booting, waiting for readiness, ready).
    public func start(_ name: String, spec: VMSpec, cancelled: @escaping @Sendable () -> Bool = { false },
                      progress: PhaseReport = { _ in }) throws {
        let existing = try AtomicFile.readJSON(VMRecord.self, from: paths.vm(name).record)
        let (kind, reason) = try existing.map { ($0.backend, $0.backendReason) } ?? backendChoice(for: spec)
        var record = VMRecord(name: name, stack: stack, backend: kind, backendReason: reason, spec: spec)
        record.lastStop = existing?.lastStop
        record.imageDigest = existing?.imageDigest
        record.instanceID = existing?.instanceID
        record.sshPort = existing?.sshPort
        var launch = try launch(name: name, spec: spec)
        let backend = try backend(kind, for: name)
        if let existing, case let status = inspect(existing), status.state.holdsResources {
            // Never a second VMM for one VM: this happens when an interrupted apply is re-run.
            record.pid = existing.pid ?? status.pid
            record.processStartTime = existing.processStartTime ?? status.pid.flatMap(ProcessProbe.startTime)
            record.launchedAt = existing.launchedAt
            record.bootLogOffset = existing.bootLogOffset
            record.readinessMarker = existing.readinessMarker
            record.confinement = existing.confinement
            try save(record)
            // It may still be booting: ready means ready, whoever started it.
            if let offset = existing.bootLogOffset, !FileManager.default.fileExists(atPath: launch.paths.ready) {
                progress(.waitingForReadiness)
                try awaitReadiness(launch, record: record, from: offset, cancelled: cancelled)
            }
            progress(.ready)
        } else {
            try backend.create(launch)
            // A VMM no record knows of (vmctl was killed between spawning it and recording it) must go first.
            VMProcess.endAll(referencing: launch.paths)
            // Image VMs: base, root disk, firmware and seed; the lease keeps the base from being pruned until saved.
            let imageLease: ImageUseLease?
            do { imageLease = try prepareImageBoot(&launch, record: &record, progress: progress) } catch {
                // A VM that never started leaves nothing behind (a bad image, a wrong digest, a taken port).
                if existing == nil { try? FileManager.default.removeItem(atPath: launch.paths.directory) }
                throw error
            }
            let logStart = fileSize(launch.paths.consoleLog)
            record.bootLogOffset = logStart
            record.readinessMarker = launch.readinessMarker
            record.guestKernel = launch.guestKernel
            record.launchedAt = Date().timeIntervalSince1970
            launch.confinement = Confinement.choose(for: launch, launcher: backend.launcher, previous: existing?.confinement)
            record.confinement = launch.confinement
            unlink(launch.paths.notReady)
            // The cgroup exists with its limits before the VMM does: the launch wrapper joins it first.
            (launch.cgroupProcs, record.cgroupProblem) = try confine(name, spec: spec, backend: backend)
            try save(record)   // the spec (and the uid) is on disk before the process exists
            imageLease?.release()
            progress(.booting)
            let identity = try backend.start(launch)
            record.pid = identity.pid
            record.processStartTime = identity.startTime
            record.launchedAt = Date().timeIntervalSince1970
            try save(record)
            progress(.waitingForReadiness)
            try awaitReadiness(launch, record: record, from: logStart, cancelled: cancelled)
            progress(.ready)
        }
    }

    /// Creates the VM's record without starting it (runStrategy Halted or Manual).
    public func define(_ name: String, spec: VMSpec) throws {
        let (kind, reason) = try backendChoice(for: spec)
        let launch = try launch(name: name, spec: spec)
        try backend(kind, for: name).create(launch)
        try save(VMRecord(name: name, stack: stack, backend: kind, backendReason: reason, spec: spec))
    }

    @discardableResult
    public func stop(_ name: String, newSpec: VMSpec? = nil, timeout: Duration = .seconds(30)) throws -> StopOutcome {
        let found: VMRecord?
        do { found = try AtomicFile.readJSON(VMRecord.self, from: paths.vm(name).record) } catch RuntimeError.unreadableState {
            // Its VMM can still be stopped; the record stays as it is, for the user to fix or for destroy to remove.
            return try stopDamaged(name, timeout: timeout)
        }
        guard var record = found else {
            throw RuntimeError.vm(name: name, operation: "stop", reason: "no such VM in stack '\(stack)'")
        }
        let outcome = try backend(record.backend, for: name).stop(record, paths: paths.vm(name), timeout: timeout)
        releaseCgroup(name)   // also a crashed VM's leftover
        unlink(paths.vm(name).ready)
        if outcome != .alreadyStopped { record.lastStop = outcome.rawValue }
        record.pid = nil
        record.processStartTime = nil
        if let newSpec { record.spec = newSpec }
        try save(record)
        return outcome
    }

    public func reset(_ name: String, cancelled: @escaping @Sendable () -> Bool = { false }, progress: PhaseReport = { _ in }) throws {
        var record = try requireRecord(name, operation: "reset")
        let launch = try launch(name: name, spec: record.spec)
        let logStart = fileSize(launch.paths.consoleLog)
        unlink(launch.paths.ready)
        record.bootLogOffset = logStart
        record.readinessMarker = launch.readinessMarker
        try save(record)
        progress(.booting)
        try backend(record.backend, for: name).reset(record, paths: launch.paths)
        progress(.waitingForReadiness)
        try awaitReadiness(launch, record: record, from: logStart, cancelled: cancelled)
        progress(.ready)
    }

    public func pause(_ name: String) throws {
        let record = try requireRecord(name, operation: "pause")
        try backend(record.backend, for: name).pause(record, paths: paths.vm(name))
    }

    public func resume(_ name: String) throws {
        let record = try requireRecord(name, operation: "resume")
        try backend(record.backend, for: name).resume(record, paths: paths.vm(name))
    }

    /// Records a spec change that needs no restart (labels, runStrategy, readiness, dependsOn) or that a
    /// stopped VM takes at its next start.
    public func update(_ name: String, spec: VMSpec) throws {
        var record = try requireRecord(name, operation: "update")
        record.spec = spec
        try save(record)
        try updateCgroup(record)
    }

    /// Removes the VM, its folder and taps. Its addresses are released unless `keepAddresses` (a replace: the new
    /// VM gets the same addresses, which the other VMs' /etc/hosts already list).
    public func destroy(_ name: String, keepAddresses: Bool = false) throws {
        let paths = self.paths.vm(name)
        let found: VMRecord?
        do { found = try AtomicFile.readJSON(VMRecord.self, from: paths.record) } catch RuntimeError.unreadableState {
            try destroyDamaged(name)
            return
        }
        guard let record = found else {
            if FileManager.default.fileExists(atPath: paths.directory) { try FileManager.default.removeItem(atPath: paths.directory) }
            return
        }
        try backend(record.backend, for: name).destroy(record, paths: paths)
        // The wrapper (and any VMM no record knew of) must not outlive the VM's folder.
        VMProcess.endAll(referencing: paths)
        releaseCgroup(name)
        removeTaps(of: name, spec: record.spec)
        if !keepAddresses { releaseAddresses(of: name, spec: record.spec) }
    }

    /// Waits until a VM that is starting (maybe launched by a vmctl that was killed) reaches readiness.
    public func awaitReady(_ name: String, cancelled: @escaping @Sendable () -> Bool = { false }) throws {
        let record = try requireRecord(name, operation: "wait for readiness")
        guard let offset = record.bootLogOffset, inspect(record).state == .starting else { return }
        try awaitReadiness(try launch(name: name, spec: record.spec), record: record, from: offset, cancelled: cancelled)
    }

    /// Whether the guest printed its readiness marker since the current boot began; marks it ready if so.
    func reachedReadiness(_ record: VMRecord, paths: VMPaths) -> Bool {
        guard let offset = record.bootLogOffset else { return false }
        if let marker = record.readinessMarker {
            guard let handle = FileHandle(forReadingAtPath: paths.consoleLog) else { return false }
            defer { try? handle.close() }
            guard (try? handle.seek(toOffset: offset)) != nil,
                  let output = try? handle.readToEnd(), output.range(of: Data(marker.utf8)) != nil else { return false }
        }
        return FileManager.default.createFile(atPath: paths.ready, contents: nil)
    }


    public func createVolume(_ name: String, spec: VolumeSpec) throws { try volumes.create(name, spec: spec) }
    public func growVolume(_ name: String, spec: VolumeSpec) throws { try volumes.grow(name, spec: spec) }
    public func deleteVolume(_ name: String) throws { try volumes.delete(name) }

    // MARK: Helpers

    func requireRecord(_ name: String, operation: String) throws -> VMRecord {
        guard let record = try AtomicFile.readJSON(VMRecord.self, from: paths.vm(name).record) else {
            throw RuntimeError.vm(name: name, operation: operation, reason: "no such VM in stack '\(stack)'")
        }
        return record
    }

    func save(_ record: VMRecord) throws {
        try AtomicFile.makeDirectory(paths.vm(record.name).directory)
        try AtomicFile.writeJSON(record, to: paths.vm(record.name).record)
    }

    func fileSize(_ path: String) -> UInt64 {
        ((try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? UInt64) ?? 0
    }

    /// Waits for the marker in console output written since `offset`; fails early if the VMM dies.
    func awaitReadiness(_ launch: VMLaunch, record: VMRecord, from offset: UInt64, cancelled: @Sendable () -> Bool) throws {
        if launch.spec.image != nil {
            try awaitImageReadiness(launch, record: record, cancelled: cancelled)
            return
        }
        guard let marker = launch.readinessMarker else {
            FileManager.default.createFile(atPath: launch.paths.ready, contents: nil)
            return
        }
        let needle = Array(marker.utf8)
        let deadline = ContinuousClock.now + launch.spec.readiness.timeout
        var seen = Data()
        var position = offset
        while ContinuousClock.now < deadline {
            if let handle = FileHandle(forReadingAtPath: launch.paths.consoleLog) {
                try? handle.seek(toOffset: position)
                let chunk = (try? handle.readToEnd()) ?? Data()
                try? handle.close()
                position += UInt64(chunk.count)
                seen.append(chunk)
                if seen.count > 1 << 20 { seen = seen.suffix(needle.count + 4096) }
                if seen.range(of: Data(needle)) != nil {
                    FileManager.default.createFile(atPath: launch.paths.ready, contents: nil)
                    return
                }
            }
            let status = inspect(record)
            if !status.state.holdsResources {
                throw RuntimeError.vm(name: launch.name, operation: "boot", reason: "the VM \(status.state.rawValue) before it was ready\(status.exitReason.map { " (\($0))" } ?? ""); console: \(VMProcess.lastLines(of: launch.paths.consoleLog, count: 3))")
            }
            if cancelled() {
                throw RuntimeError.vm(name: launch.name, operation: "boot", reason: "interrupted while waiting for readiness (the VM keeps booting)")
            }
            Thread.sleep(forTimeInterval: 0.05)
        }
        throw RuntimeError.vm(name: launch.name, operation: "boot", reason: "'\(marker)' did not appear on the console within \(DurationParser.format(launch.spec.readiness.timeout)); last lines: \(VMProcess.lastLines(of: launch.paths.consoleLog, count: 3))")
    }
}
