import Foundation
import Testing
import VMMControl
@testable import VMM

/// Runs a control request on its own thread (as a control connection does) and hands back its outcome.
private final class Waiter: @unchecked Sendable {
    private let done = NSCondition()
    private var outcome: ControlError??

    init(_ supervisor: Supervisor, _ request: Supervisor.Request) {
        Thread {
            var result: ControlError?
            do throws(ControlError) { try supervisor.perform(request) } catch { result = error }
            self.done.lock()
            self.outcome = .some(result)
            self.done.broadcast()
            self.done.unlock()
        }.start()
    }

    /// The request's error (nil: it succeeded); waits at most 5 s.
    var value: ControlError? {
        done.lock()
        defer { done.unlock() }
        let deadline = Date().addingTimeInterval(5)
        while outcome == nil, done.wait(until: deadline) {}
        return outcome ?? ControlError(.failed, "the request never completed")
    }
}

@Suite("supervisor requests and the run gate (no /dev/kvm needed)")
struct SupervisorTests {
    @Test("requests come out in order with their transition; control requests wait for their outcome")
    func order() throws {
        let supervisor = Supervisor()
        supervisor.post(.pause)
        supervisor.post(.reset(reason: "test"))
        var next = supervisor.next()
        #expect(next.request == .pause && next.action == .parkVCPUs)
        next = supervisor.next()
        #expect(next.action == .rebuild(paused: true))
        #expect(supervisor.runState == .paused)

        let waiter = Waiter(supervisor, .resume)
        next = supervisor.next()   // blocks until the task queued its request
        #expect(next.request == .resume && next.action == .releaseVCPUs)
        supervisor.complete(next.ticket)
        #expect(waiter.value == nil)
        #expect(supervisor.runState == .running)
    }

    @Test("a failed request's error reaches the waiting client; after finish, waiting and new requests get invalid-state")
    func failures() throws {
        let supervisor = Supervisor()
        let failing = Waiter(supervisor, .reset(reason: "control"))
        let next = supervisor.next()
        supervisor.complete(next.ticket, ControlError(.failed, "reset: boom"))
        #expect(failing.value?.message == "reset: boom")

        let stranded = Waiter(supervisor, .pause)
        // End the machine without taking the queued pause (give the thread time to queue it first).
        Thread.sleep(forTimeInterval: 0.05)
        supervisor.finish()
        #expect(stranded.value?.code == .invalidState)
        #expect(throws: ControlError.self) { try supervisor.perform(.resume) }
        #expect(supervisor.runState == .stopping)
    }

    @Test("a guest reboot is a reset, unless a shutdown was requested: then it ends the VMM with 0")
    func rebootAfterShutdown() {
        let supervisor = Supervisor()
        supervisor.resetRequested(by: .keyboardController)
        #expect(supervisor.next().request == .reset(reason: "guest reboot (i8042)"))
        supervisor.noteShutdownRequested()
        supervisor.resetRequested(by: .acpi)
        guard case .stop(let code, let message) = supervisor.next().request else { Issue.record("no stop"); return }
        #expect(code == .guestPowerOff)
        #expect(message?.contains("after a shutdown request") == true)
        supervisor.shutdownRequested(by: .acpi)
        #expect(supervisor.next().request == .stop(.guestPowerOff, message: nil))
    }

    @Test("a guest request holds the gate: the vCPUs stay parked even when told to run")
    func holdsGate() {
        let gate = RunGate(vcpus: 1, target: .running)
        let supervisor = Supervisor()
        supervisor.attach(gate)
        #expect(gate.current == .running)
        supervisor.post(.reset(reason: "guest"))
        #expect(gate.current == .paused)
        gate.set(.running)
        #expect(gate.current == .paused)
        gate.set(.stopping)
        #expect(gate.current == .stopping)
    }
}
