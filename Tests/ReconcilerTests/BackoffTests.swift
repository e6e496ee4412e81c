import Reconciler
import Testing

@Suite struct BackoffTests {
    let backoff = Backoff(initial: .seconds(10), maximum: .seconds(300))

    @Test func firstFailureIsRetriedAtOnce() {
        #expect(backoff.delay(failures: 1, jitter: 0) == .zero)
        #expect(backoff.delay(failures: 1, jitter: 1) == .zero)
        #expect(backoff.delay(failures: 0, jitter: 1) == .zero)
    }

    @Test func secondFailureWaitsInitial() {
        #expect(backoff.delay(failures: 2, jitter: 0) == .seconds(10))
    }

    @Test func waitDoublesUntilTheCap() {
        let waits = (2...8).map { backoff.delay(failures: $0, jitter: 0) }
        #expect(waits == [.seconds(10), .seconds(20), .seconds(40), .seconds(80), .seconds(160), .seconds(300), .seconds(300)])
    }

    @Test func jitterTakesOffAtMostTwentyPercent() {
        #expect(backoff.delay(failures: 2, jitter: 1) == .seconds(8))
        #expect(backoff.delay(failures: 3, jitter: 0.5) == .seconds(18))
        // Out-of-range jitter is clamped to 0...1.
        #expect(backoff.delay(failures: 2, jitter: 7) == .seconds(8))
        #expect(backoff.delay(failures: 2, jitter: -3) == .seconds(10))
    }

    @Test func neverPastTheCapAndStillSpreadAtIt() {
        #expect(backoff.delay(failures: 6, jitter: 0) == .seconds(160))
        #expect(backoff.delay(failures: 7, jitter: 0) == .seconds(300))
        // At the cap, VMs that failed together still retry at different times.
        #expect(backoff.delay(failures: 7, jitter: 1) == .seconds(240))
        #expect(backoff.delay(failures: 9, jitter: 0.5) == .seconds(270))
        let tight = Backoff(initial: .seconds(280), maximum: .seconds(300))
        #expect(tight.delay(failures: 3, jitter: 0) == .seconds(300))
    }

    @Test func hugeFailureCountsDoNotOverflow() {
        for failures in [40, 63, 64, 1000, Int.max] {
            #expect(backoff.delay(failures: failures, jitter: 1) == .seconds(240))
            #expect(backoff.delay(failures: failures, jitter: 0) == .seconds(300))
        }
    }

    @Test func fractionalDurations() {
        let fast = Backoff(initial: .milliseconds(250), maximum: .seconds(1))
        #expect(fast.delay(failures: 2, jitter: 0) == .milliseconds(250))
        #expect(fast.delay(failures: 3, jitter: 0) == .milliseconds(500))
        #expect(fast.delay(failures: 4, jitter: 0) == .seconds(1))
        #expect(fast.delay(failures: 4, jitter: 1) == .milliseconds(800))
    }
}
