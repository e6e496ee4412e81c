import Planner
@testable import Reconciler
import Testing
import VMCtlModel

/// `Plan.deletesEveryVM` (the guard against an empty or broken checkout) and `Plan.holdingBack` (VMs in back-off).
@Suite struct PlanGuardTests {
    static let host = HostBudget(cpus: 64, memory: .gib(256))

    static func observed(_ vms: [String: PowerState]) -> ObservedState {
        var observed = ObservedState(stack: "demo")
        for (name, state) in vms { observed.vms[name] = ObservedVM(name: name, spec: VMSpec(name: name), state: state, backend: .kvm) }
        return observed
    }

    /// A plan with exactly these changes (the planner builds the rest: capacity and so on).
    static func plan(_ changes: [(ResourceKind, String, Action)]) -> Plan {
        var plan = Planner.plan(desired: Stack(name: "demo", host: host), observed: ObservedState(stack: "demo"))
        plan.changes = changes.map { Change(address: ResourceAddress($0.0, $0.1), action: $0.2, impact: .none, reasons: [], wave: 1) }
        return plan
    }

    // MARK: deletesEveryVM

    @Test func deletingEveryObservedVMIsCaught() {
        let plan = Self.plan([(.vm, "web", .delete), (.vm, "db", .delete), (.network, "front", .delete)])
        #expect(plan.deletesEveryVM(observedVMs: 2) == ["db", "web"])
    }

    @Test func deletingSomeVMsIsAllowed() {
        let plan = Self.plan([(.vm, "web", .delete), (.vm, "db", .noop)])
        #expect(plan.deletesEveryVM(observedVMs: 2) == nil)
        // Fewer deletes than VMs on the host (the plan does not list a VM it keeps).
        #expect(Self.plan([(.vm, "web", .delete)]).deletesEveryVM(observedVMs: 2) == nil)
    }

    @Test func replacingTheStackIsAllowed() {
        // Every old VM goes, but the revision brings new ones: a rename, not an empty checkout.
        let plan = Self.plan([(.vm, "web", .delete), (.vm, "db", .delete), (.vm, "web2", .create)])
        #expect(plan.deletesEveryVM(observedVMs: 2) == nil)
    }

    @Test func nothingToDeleteOnAnEmptyHost() {
        #expect(Self.plan([]).deletesEveryVM(observedVMs: 0) == nil)
        #expect(Self.plan([(.vm, "web", .create)]).deletesEveryVM(observedVMs: 0) == nil)
        // Deleting networks and volumes is not deleting VMs.
        #expect(Self.plan([(.network, "front", .delete), (.volume, "data", .delete)]).deletesEveryVM(observedVMs: 0) == nil)
    }

    @Test func plannerPruningAnEmptyManifestIsCaught() {
        let observed = Self.observed(["web": .running, "db": .stopped])
        let empty = Stack(name: "demo", host: Self.host)
        let pruned = Planner.plan(desired: empty, observed: observed, options: PlanOptions(prune: true))
        #expect(pruned.deletesEveryVM(observedVMs: 2) == ["db", "web"])
        // Without --prune nothing is deleted: no guard needed.
        let kept = Planner.plan(desired: empty, observed: observed, options: PlanOptions(prune: false))
        #expect(kept.deletesEveryVM(observedVMs: 2) == nil)
        // A manifest that keeps one VM.
        let one = Stack(name: "demo", host: Self.host, vms: ["web": VMSpec(name: "web")])
        #expect(Planner.plan(desired: one, observed: observed, options: PlanOptions(prune: true)).deletesEveryVM(observedVMs: 2) == nil)
    }

    // MARK: holdingBack

    @Test func heldVMsAreNotStartedResetOrCreated() {
        // A create held back: a VM whose create failed has no folder, and the next plan creates it again.
        let plan = Self.plan([(.vm, "web", .start), (.vm, "db", .start), (.vm, "cache", .reset), (.vm, "api", .reset),
                              (.vm, "new", .create), (.vm, "other", .create)])
        let held = plan.holdingBack(["web", "cache", "new"])
        #expect(held.changes.map(\.address.name) == ["db", "api", "other"])
    }

    @Test func otherChangesOfHeldVMsStay() {
        let plan = Self.plan([(.vm, "web", .update), (.vm, "web", .stop), (.vm, "db", .delete), (.network, "web", .start)])
        let held = plan.holdingBack(["web", "db"])
        #expect(held == plan)
    }

    @Test func nothingHeldIsTheSamePlan() {
        let plan = Self.plan([(.vm, "web", .start), (.vm, "db", .reset)])
        #expect(plan.holdingBack([]) == plan)
        #expect(plan.holdingBack(["other"]) == plan)
    }

    @Test func plannerStartsOfCrashedVMsAreHeldBack() {
        let desired = Stack(name: "demo", host: Self.host, vms: ["web": VMSpec(name: "web"), "db": VMSpec(name: "db")])
        let plan = Planner.plan(desired: desired, observed: Self.observed(["web": .crashed, "db": .crashed]))
        let starts = plan.changes.filter { $0.action == .start || $0.action == .reset }.map(\.address.name).sorted()
        #expect(starts == ["db", "web"])
        let held = plan.holdingBack(["web"])
        #expect(held.changes.filter { $0.action == .start || $0.action == .reset }.map(\.address.name) == ["db"])
    }
}
