@testable import Manifest
import Testing

@Suite("Environment substitution")
struct EnvSubstitutionTests {
    let env = ["CPUS": "4", "EMPTY": "", "NAME": "web"]

    @Test("forms of ${VAR}", arguments: [
        ("${CPUS}", "4"), ("x${NAME}y", "xweby"), ("${MISSING:-2}", "2"), ("${EMPTY:-dflt}", "dflt"),
        ("${EMPTY-dflt}", ""), ("${MISSING-dflt}", "dflt"), ("$$HOME", "$HOME"), ("cost $5", "cost $5"),
        ("${NAME}-${CPUS}", "web-4"), ("${MISSING:-}", ""), ("plain", "plain"),
    ])
    func substitutes(_ input: String, _ output: String) {
        #expect(EnvSubstitution.apply(input, env: env) == .success(output))
    }

    @Test("errors name the problem")
    func errors() {
        #expect(EnvSubstitution.apply("${MISSING}", env: env) == .failure(.unset("MISSING")))
        #expect(EnvSubstitution.apply("${CPUS", env: env) == .failure(.unterminated))
        #expect(EnvSubstitution.apply("${1X}", env: env) == .failure(.badName("1X")))
        #expect(EnvSubstitution.apply("${}", env: env) == .failure(.badName("")))
    }

    @Test("a value is substituted once: no recursive expansion")
    func notRecursive() {
        #expect(EnvSubstitution.apply("${A}", env: ["A": "${B}", "B": "x"]) == .success("${B}"))
    }
}

@Suite("Suggestions")
struct SuggestionTests {
    @Test("typos, swaps and case get a suggestion; unrelated words do not")
    func suggestions() {
        #expect(Suggestions.closest(to: "memroy", in: ["cpus", "memory"]) == "memory")
        #expect(Suggestions.closest(to: "lna", in: ["lan", "storage"]) == "lan")
        #expect(Suggestions.closest(to: "CPUS", in: ["cpus"]) == "cpus")
        #expect(Suggestions.closest(to: "dependson", in: ["dependsOn"]) == "dependsOn")
        #expect(Suggestions.closest(to: "zzz", in: ["cpus", "memory"]) == nil)
        #expect(Suggestions.editDistance("abc", "acb") == 1)
        #expect(Suggestions.editDistance("kitten", "sitting") == 3)
    }
}
