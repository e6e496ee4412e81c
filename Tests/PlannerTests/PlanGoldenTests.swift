import Foundation
import Planner
import Testing

@Suite("Plan golden cases")
struct PlanGoldenTests {
    @Test("plan text and JSON match their goldens", arguments: PlanCase.all())
    func golden(_ planCase: PlanCase) throws {
        let (plan, observed, _) = try planCase.plan()
        let text = PlanCase.text(plan)
        let json = PlanCase.json(plan, observed: observed)
        let expectedText = planCase.golden("plan.txt", actual: text)
        let expectedJSON = planCase.golden("plan.json", actual: json)
        #expect(expectedText != nil && expectedJSON != nil, "\(planCase): missing goldens (VMCTL_UPDATE_GOLDEN=1, then review)")
        #expect(text == expectedText, "\(planCase): plan.txt differs")
        #expect(json == expectedJSON, "\(planCase): plan.json differs")
    }

    @Test("the cases cover every action and every impact, and there are at least 30")
    func coverage() throws {
        var actions: Set<Action> = []
        var impacts: Set<Impact> = []
        var refused = false
        for planCase in PlanCase.all() {
            let (plan, _, _) = try planCase.plan()
            actions.formUnion(plan.changes.map(\.action))
            impacts.formUnion(plan.changes.map(\.impact))
            refused = refused || !plan.refusals.isEmpty
        }
        #expect(PlanCase.all().count >= 30)
        #expect(actions == Set(Action.allCases), "missing actions: \(Set(Action.allCases).subtracting(actions))")
        #expect(impacts == Set(Impact.allCases), "missing impacts: \(Set(Impact.allCases).subtracting(impacts))")
        #expect(refused, "no case covers a refused plan")
    }
}
