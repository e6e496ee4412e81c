import Foundation
import Testing
@testable import Runtime

/// How `cloud-init status --wait --long` over SSH (cloud-init 22.4's output) reads as readiness.
@Suite("Image VM readiness from cloud-init's status")
struct GuestSSHReadinessTests {
    static func result(_ status: Int32, _ out: String, _ err: String = "", timedOut: Bool = false) -> GuestSSH.Result {
        GuestSSH.Result(status: status, stdout: Data(out.utf8), stderr: Data(err.utf8), timedOut: timedOut)
    }

    @Test("done is ready")
    func done() {
        let out = "\nstatus: done\ntime: Mon, 07 Dec 2026 18:38:12 +0000\ndetail:\nDataSourceNoCloud [seed=/dev/vdb][dsmode=net]\n"
        #expect(GuestSSH.readiness(of: Self.result(0, out)) == .ready)
    }

    @Test("an error is final, with cloud-init's detail")
    func error() {
        let out = "\nstatus: error\ntime: Mon, 07 Dec 2026 18:38:12 +0000\ndetail:\n('scripts-user', RuntimeError('Runparts: 1 failures (runcmd) in 1 attempted commands'))\n"
        guard case .failed(let reason) = GuestSSH.readiness(of: Self.result(1, out)) else {
            Issue.record("not a failure")
            return
        }
        #expect(reason.hasPrefix("cloud-init reported error: "))
        #expect(reason.contains("Runparts: 1 failures (runcmd)"))
    }

    @Test("a different host key is final; no answer, no user yet, or still running is not")
    func notYet() {
        let mitm = "@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@\n@    WARNING: REMOTE HOST IDENTIFICATION HAS CHANGED!     @\nHost key verification failed.\n"
        #expect({ if case .failed = GuestSSH.readiness(of: Self.result(255, "", mitm)) { return true }; return false }())
        #expect({ if case .notYet = GuestSSH.readiness(of: Self.result(255, "", "kex_exchange_identification: read: Connection reset by peer")) { return true }; return false }())
        #expect({ if case .notYet = GuestSSH.readiness(of: Self.result(255, "", "vmctl@127.0.0.1: Permission denied (publickey).")) { return true }; return false }())
        #expect({ if case .notYet = GuestSSH.readiness(of: Self.result(0, "status: running\n", timedOut: true)) { return true }; return false }())
    }
}
