import Foundation
@testable import Reconciler
import Testing

@Suite struct ReconcileStatusTests {
    let t0 = Date(timeIntervalSince1970: 1_700_000_000)

    func status() -> ReconcileStatus { ReconcileStatus(stack: "demo", source: "/srv/demo", pid: 42, updatedAt: t0) }

    @Test func sinceStaysWhileStatusAndReasonStay() {
        var status = status()
        status.set("Ready", true, reason: "Applied", message: "revision a", revision: "a", now: t0)
        status.set("Ready", true, reason: "Applied", message: "revision b", revision: "b", now: t0 + 60)
        let ready = status.condition("Ready")
        #expect(ready?.since == t0)
        // The rest of the condition is replaced.
        #expect(ready?.message == "revision b")
        #expect(ready?.revision == "b")
        #expect(status.conditions.count == 1)
    }

    @Test func sinceMovesWhenStatusChanges() {
        var status = status()
        status.set("Ready", true, reason: "Applied", message: "", revision: nil, now: t0)
        status.set("Ready", false, reason: "Applied", message: "", revision: nil, now: t0 + 60)
        #expect(status.condition("Ready")?.since == t0 + 60)
        #expect(status.condition("Ready")?.status == false)
    }

    @Test func sinceMovesWhenReasonChanges() {
        var status = status()
        status.set("Stalled", true, reason: "FetchFailed", message: "", revision: nil, now: t0)
        status.set("Stalled", true, reason: "ValidationFailed", message: "", revision: nil, now: t0 + 60)
        #expect(status.condition("Stalled")?.since == t0 + 60)
        #expect(status.condition("Stalled")?.reason == "ValidationFailed")
    }

    @Test func conditionsAreIndependentAndSorted() {
        var status = status()
        status.set("Stalled", false, reason: "Applied", message: "", revision: nil, now: t0)
        status.set("Ready", true, reason: "Applied", message: "", revision: nil, now: t0 + 1)
        status.set("Reconciling", false, reason: "Applied", message: "", revision: nil, now: t0 + 2)
        status.set("Ready", false, reason: "ApplyFailed", message: "", revision: nil, now: t0 + 3)
        #expect(status.conditions.map(\.type) == ["Ready", "Reconciling", "Stalled"])
        #expect(status.condition("Stalled")?.since == t0)
        #expect(status.condition("Reconciling")?.since == t0 + 2)
        #expect(status.condition("Ready")?.since == t0 + 3)
        #expect(status.condition("Missing") == nil)
    }

    @Test func historyKeepsTheLastTicks() {
        var status = status()
        let count = ReconcileStatus.historyLength + 5
        for index in 0..<count {
            status.record(TickRecord(started: t0 + Double(index), seconds: 1, revision: "r\(index)", result: "applied", summary: "\(index)"))
        }
        #expect(status.history.count == ReconcileStatus.historyLength)
        #expect(status.history.map(\.summary) == (5..<count).map { "\($0)" })
    }

    @Test func jsonRoundTrip() throws {
        let folder = try TemporaryFolder()
        var status = status()
        status.bootID = "boot-1"
        status.lastAttemptedRevision = "abc"
        status.lastAppliedRevision = "abc"
        status.lastAppliedAt = t0 + 5
        status.nextTick = t0 + 65
        status.suspended = true
        status.set("Ready", true, reason: "Applied", message: "applied abc", revision: "abc", now: t0)
        status.record(TickRecord(started: t0, seconds: 1.5, revision: "abc", result: "applied", summary: "1 to start"))
        var web = VMSupervision()
        web.failures = 3
        web.restarts = 2
        web.nextAttempt = t0 + 40
        web.lastExit = "crashed (exit status 1)"
        web.running = true
        web.startedAt = 1_700_000_000.25
        status.vms["web"] = web
        let file = folder.file("status.json")
        try JSONCoding.encoder.encode(status).write(to: URL(fileURLWithPath: file))
        #expect(ReconcileStatus.read(file) == status)
    }

    @Test func readOfMissingOrDamagedFileIsNil() throws {
        let folder = try TemporaryFolder()
        #expect(ReconcileStatus.read(folder.file("none.json")) == nil)
        try folder.write("bad.json", "{\"stack\": ")
        #expect(ReconcileStatus.read(folder.file("bad.json")) == nil)
    }
}

@Suite struct VMSupervisionTests {
    let now = Date(timeIntervalSince1970: 1_700_000_000)

    func supervision(failures: Int, nextAttempt: Date?) -> VMSupervision {
        var supervision = VMSupervision()
        supervision.failures = failures
        supervision.nextAttempt = nextAttempt
        return supervision
    }

    @Test func crashLoopNeedsRepeatedFailuresAndAWait() {
        #expect(supervision(failures: 2, nextAttempt: now + 10).inCrashLoop(at: now))
        #expect(supervision(failures: 9, nextAttempt: now + 1).inCrashLoop(at: now))
    }

    @Test func oneFailureIsNoLoop() {
        #expect(!supervision(failures: 1, nextAttempt: now + 10).inCrashLoop(at: now))
        #expect(!supervision(failures: 0, nextAttempt: now + 10).inCrashLoop(at: now))
    }

    @Test func noLoopOnceTheWaitIsOver() {
        #expect(!supervision(failures: 3, nextAttempt: nil).inCrashLoop(at: now))
        #expect(!supervision(failures: 3, nextAttempt: now).inCrashLoop(at: now))
        #expect(!supervision(failures: 3, nextAttempt: now - 1).inCrashLoop(at: now))
    }
}
