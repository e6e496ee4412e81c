/// How long a VM that keeps failing waits before its next start. The first failure in a row is retried at once (one
/// crash is not a loop); from the second on the wait doubles from `initial`, capped at `maximum`, with up to 20% jitter
/// so VMs that failed together do not retry in lockstep (as KubeVirt's crash-loop back-off, capped at 5 minutes too).
/// The jitter shortens the wait, so it still spreads VMs that reached the cap.
public struct Backoff: Sendable, Hashable {
    public var initial: Duration
    public var maximum: Duration
    /// A VM that has run this long since its last start has recovered: its failures are forgotten.
    public var resetAfter: Duration

    public init(initial: Duration = .seconds(10), maximum: Duration = .seconds(300), resetAfter: Duration = .seconds(600)) {
        self.initial = initial
        self.maximum = maximum
        self.resetAfter = resetAfter
    }

    /// The wait after `failures` failures in a row (1 → none, 2 → initial, 3 → 2 × initial …, at most `maximum`);
    /// `jitter` in 0...1 takes up to 20% off.
    public func delay(failures: Int, jitter: Double) -> Duration {
        guard failures > 1 else { return .zero }
        let base = Self.seconds(initial) * pow2(min(failures - 2, 30))
        let capped = min(base, Self.seconds(maximum))
        let jittered = capped * (1 - 0.2 * max(0, min(jitter, 1)))
        return .milliseconds(Int64(jittered * 1000))
    }

    private func pow2(_ n: Int) -> Double { Double(1 << n) }

    static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }
}
