import Foundation
import Manifest
import Testing
import VMCtlModel

@Suite("Manifest fixtures")
struct FixtureTests {
    @Test("invalid fixture reports exactly its golden diagnostics", arguments: Fixture.all("invalid"))
    func invalid(_ fixture: Fixture) throws {
        let result = try fixture.load()
        #expect(!result.isValid, "\(fixture.name) should be invalid")
        #expect(result.stack == nil)
        #expect(result.diagnostics.hasErrors)
        let actual = GoldenFormat.diagnostics(result.diagnostics)
        let expected = fixture.golden("expected.txt", actual: actual)
        #expect(expected != nil, "\(fixture.name) has no expected.txt (run with VMCTL_UPDATE_GOLDEN=1 and review)")
        #expect(actual == expected, "\(fixture.name): diagnostics differ from expected.txt")
    }

    @Test("valid fixture loads into its golden stack", arguments: Fixture.all("valid"))
    func valid(_ fixture: Fixture) throws {
        let result = try fixture.load()
        #expect(result.isValid, "\(fixture.name): \(GoldenFormat.diagnostics(result.diagnostics))")
        #expect(!result.diagnostics.hasErrors)
        let stack = try #require(result.stack)
        let actual = try GoldenFormat.stack(stack)
        let expected = fixture.golden("stack.json", actual: actual)
        #expect(expected != nil, "\(fixture.name) has no stack.json (run with VMCTL_UPDATE_GOLDEN=1 and review)")
        #expect(actual == expected, "\(fixture.name): stack differs from stack.json")
        let warnings = GoldenFormat.diagnostics(result.diagnostics)
        if !warnings.isEmpty || fixture.read("expected.txt") != nil {
            #expect(warnings == fixture.golden("expected.txt", actual: warnings))
        }
    }

    @Test("there are enough invalid fixtures to cover the rules")
    func coverage() {
        #expect(Fixture.all("invalid").count >= 45)
        #expect(Fixture.all("valid").count >= 6)
    }
}

extension Fixture: CustomTestStringConvertible {
    var testDescription: String { name }
}
