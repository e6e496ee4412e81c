#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import VMCtlModel

/// A saved plan: what to do, the desired stack it came from, and a fingerprint of the observed state it was
/// computed against. Applying it later is refused when the host has changed since ("stale plan").
public struct SavedPlan: Hashable, Sendable, Codable {
    public var plan: Plan
    public var desired: Stack
    public var observedFingerprint: String

    public init(plan: Plan, desired: Stack, observed: ObservedState) {
        self.plan = plan
        self.desired = desired
        self.observedFingerprint = Fingerprint.of(observed)
    }

    public struct StalePlan: Error, CustomStringConvertible {
        public var expected: String
        public var actual: String
        public var description: String {
            "stale plan: the host changed since the plan was made (observed state \(actual), plan made against \(expected)); run vmctl plan again"
        }
    }

    public func verify(against observed: ObservedState) throws(StalePlan) {
        let actual = Fingerprint.of(observed)
        guard actual == observedFingerprint else { throw StalePlan(expected: observedFingerprint, actual: actual) }
    }
}

public enum Fingerprint {
    /// FNV-1a (64-bit) of the canonical JSON (sorted keys): equal states give equal fingerprints.
    /// It detects change, it does not resist tampering.
    public static func of<T: Encodable>(_ value: T) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let bytes = (try? encoder.encode(value)) ?? Data()
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in bytes {
            hash ^= UInt64(byte)
            hash = hash &* 0x0000_0100_0000_01b3
        }
        let hex = String(hash, radix: 16)
        return "fnv1a64:" + String(repeating: "0", count: 16 - hex.count) + hex
    }
}
