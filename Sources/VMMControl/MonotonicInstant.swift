import Glibc

/// A point in time on CLOCK_MONOTONIC, for deadlines and uptime in the VMM stack. `ContinuousClock` would do
/// the same but lives in the _Concurrency library, which the VMM process does not load (Package.swift,
/// `vmmStack`). Differences and offsets are the standard library's `Duration`.
public struct MonotonicInstant: Comparable, Hashable, Sendable {
    /// Time since an arbitrary start (boot), as CLOCK_MONOTONIC counts it.
    public let sinceStart: Duration

    public static var now: MonotonicInstant {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC, &time)
        return MonotonicInstant(sinceStart: .seconds(time.tv_sec) + .nanoseconds(time.tv_nsec))
    }

    public static func < (lhs: MonotonicInstant, rhs: MonotonicInstant) -> Bool { lhs.sinceStart < rhs.sinceStart }

    public static func + (instant: MonotonicInstant, duration: Duration) -> MonotonicInstant {
        MonotonicInstant(sinceStart: instant.sinceStart + duration)
    }

    public static func - (later: MonotonicInstant, earlier: MonotonicInstant) -> Duration {
        later.sinceStart - earlier.sinceStart
    }
}
