import Foundation
import Planner

/// The JSON form of a plan (schemas/plan.v1.json): the plan plus its waves, summary and fingerprint.
struct PlanJSON: Encodable {
    var formatVersion: Int
    var stack: String
    var observedFingerprint: String
    var options: PlanOptions
    var hasChanges: Bool
    var applicable: Bool
    var summary: [String: Int]
    var waves: [[ResourceAddress]]
    var changes: [Change]
    var kept: [KeptResource]
    var refusals: [Refusal]
    var capacity: CapacityReport

    init(_ plan: Plan, fingerprint: String) {
        formatVersion = plan.formatVersion
        stack = plan.stack
        observedFingerprint = fingerprint
        options = plan.options
        hasChanges = plan.hasChanges
        applicable = plan.isApplicable
        summary = Dictionary(uniqueKeysWithValues: Action.allCases.filter { $0 != .noop }.map { ($0.rawValue, plan.count($0)) })
        waves = plan.waves
        changes = plan.changes
        kept = plan.kept
        refusals = plan.refusals
        capacity = plan.capacity
    }

    static func encode<T: Encodable>(_ value: T) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        guard let data = try? encoder.encode(value) else { return "{}\n" }
        return String(decoding: data, as: UTF8.self) + "\n"
    }
}
