import Testing
@testable import VMM

@Suite("vCPU run-state machine (no /dev/kvm needed)")
struct RunStateTests {
    @Test("pause/resume/reset/stop transitions and the supervisor's action for each")
    func transitions() {
        #expect(RunState.running.on(.pause) == (.paused, .parkVCPUs))
        #expect(RunState.paused.on(.pause) == (.paused, .none))
        #expect(RunState.paused.on(.resume) == (.running, .releaseVCPUs))
        #expect(RunState.running.on(.resume) == (.running, .none))
        #expect(RunState.running.on(.reset) == (.running, .rebuild(paused: false)))
        #expect(RunState.paused.on(.reset) == (.paused, .rebuild(paused: true)))
        #expect(RunState.running.on(.stop) == (.stopping, .stopVCPUs))
        #expect(RunState.paused.on(.stop) == (.stopping, .stopVCPUs))
        for event in [RunEvent.pause, .resume, .reset, .stop] {
            #expect(RunState.stopping.on(event) == (.stopping, .none))
        }
    }
}
