import Planner
import Runtime

/// The reconciler shows no progress while actions run; it reads the report when the apply ends.
struct QuietApplyEvents: ApplyEvents {
    func started(_ change: Change) {}
    func finished(_ change: Change, outcome: ActionOutcome) {}
}

extension Plan {
    /// VMs the plan deletes, and whether that is every VM of the stack: the guard against an empty or broken checkout.
    func deletesEveryVM(observedVMs: Int) -> [String]? {
        let deleted = changes.filter { $0.address.kind == .vm && $0.action == .delete }.map(\.address.name)
        let remaining = changes.filter { $0.address.kind == .vm && $0.action != .delete }.count
        return observedVMs > 0 && deleted.count == observedVMs && remaining == 0 ? deleted.sorted() : nil
    }

    /// Without the starts (and creates) of VMs waiting out a back-off; their turn comes when it ends. A VM whose spec a
    /// new revision changes has its back-off cleared first, so a fix is applied at once.
    func holdingBack(_ held: Set<String>) -> Plan {
        guard !held.isEmpty else { return self }
        var copy = self
        copy.changes.removeAll { change in
            change.address.kind == .vm && held.contains(change.address.name) && [.create, .start, .reset].contains(change.action)
        }
        return copy
    }
}

extension ActionOutcome {
    var succeeded: Bool { if case .done = self { return true } else { return false } }

    var text: String {
        switch self {
        case .done(let detail, _): return detail
        case .failed(let error, _): return error
        case .skipped(let reason): return "skipped: " + reason
        }
    }
}
