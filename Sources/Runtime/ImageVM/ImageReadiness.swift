import Foundation
import VMCtlModel

/// An image VM is ready when vmctl logs in over SSH (its pinned host key checked) and cloud-init has finished
/// without error. A cloud-init error, or a host key that does not match, ends the wait at once with the reason
/// (recorded in the VM's `not-ready` file for `vmctl status --wide`).
extension StackRuntime {
    func awaitImageReadiness(_ launch: VMLaunch, record: VMRecord, cancelled: @Sendable () -> Bool) throws {
        let name = launch.name
        let deadline = ContinuousClock.now + launch.spec.readiness.timeout
        var last = "SSH did not answer"
        while ContinuousClock.now < deadline {
            let status = inspect(record)
            if !status.state.holdsResources {
                throw RuntimeError.vm(name: name, operation: "boot", reason: "the VM \(status.state.rawValue) before it was ready\(status.exitReason.map { " (\($0))" } ?? ""); console: \(VMProcess.lastLines(of: launch.paths.consoleLog, count: 3))")
            }
            if cancelled() {
                throw RuntimeError.vm(name: name, operation: "boot", reason: "interrupted while waiting for readiness (the VM keeps booting)")
            }
            let remaining = deadline - ContinuousClock.now
            // A short connect timeout: while the guest boots, QEMU's user network accepts the connection and then
            // waits for a guest that does not answer yet; a long timeout would add its length to the boot time.
            let ssh = try sshCommand(for: name, connectTimeout: 2)
            // `--wait` returns once cloud-init is done or failed; bounded by what is left of the timeout.
            let result = GuestSSH.run(ssh, ["cloud-init", "status", "--wait", "--long"], timeout: min(remaining, Duration.seconds(600)))
            switch GuestSSH.readiness(of: result) {
            case .ready:
                unlink(launch.paths.notReady)
                FileManager.default.createFile(atPath: launch.paths.ready, contents: nil)
                return
            case .failed(let reason):
                try? AtomicFile.write(Data(reason.utf8), to: launch.paths.notReady, mode: 0o644)
                throw RuntimeError.vm(name: name, operation: "boot", reason: reason)
            case .notYet(let why):
                last = why
                Thread.sleep(forTimeInterval: 0.5)
            }
        }
        throw RuntimeError.vm(name: name, operation: "boot", reason: "not ready within \(DurationParser.format(launch.spec.readiness.timeout)) (\(last)); last console lines: \(VMProcess.lastLines(of: launch.paths.consoleLog, count: 3))")
    }
}
