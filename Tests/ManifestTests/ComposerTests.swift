import Foundation
import Manifest
import Testing
import VMCtlModel

/// Hostile or odd YAML: the loader must answer quickly with diagnostics, never hang or crash.
@Suite("YAML composer limits")
struct ComposerTests {
    static let host = HostFacts(cpus: 8, memory: .gib(16))
    static let envelope = "apiVersion: vmctl/v1\nkind: Stack\nmetadata: {name: demo}\n"

    static func load(_ text: String, name: String = "stack.yaml") -> ManifestResult {
        ManifestLoader.load([ManifestSource(name: name, baseDirectory: "/t", text: text)], env: [:], host: host)
    }

    static func load(bytes: [UInt8]) -> ManifestResult {
        ManifestLoader.load([ManifestSource(name: "stack.yaml", baseDirectory: "/t", bytes: bytes)], env: [:], host: host)
    }

    /// `levels` anchored lists; each holds nine aliases of the previous one: 9^levels nodes when expanded.
    static func billionLaughs(levels: Int = 9, aliasAsKey: Bool = false) -> String {
        var text = envelope + "vms:\n  api:\n    labels:\n"
        text += "      l0: &l0 [" + Array(repeating: "lol", count: 9).joined(separator: ", ") + "]\n"
        for level in 1..<levels {
            text += "      l\(level): &l\(level) [" + Array(repeating: "*l\(level - 1)", count: 9).joined(separator: ", ") + "]\n"
        }
        if aliasAsKey { text += "      ? *l\(levels - 1)\n      : 1\n" }
        return text
    }

    static func elapsed(_ body: () -> Void) -> Duration {
        let clock = ContinuousClock()
        return clock.measure(body)
    }

    @Test("a billion-laughs document is rejected in well under a second", .timeLimit(.minutes(1)))
    func aliasBomb() {
        var result: ManifestResult?
        let time = Self.elapsed { result = Self.load(Self.billionLaughs()) }
        #expect(time < .milliseconds(500))
        #expect(result?.isValid == false)
        #expect(result?.diagnostics.map(\.message) == ["aliases expand to more than 100000 nodes"])
    }

    @Test("an alias bomb used as a mapping key is rejected quickly", .timeLimit(.minutes(1)))
    func aliasBombAsKey() {
        var result: ManifestResult?
        let time = Self.elapsed { result = Self.load(Self.billionLaughs(aliasAsKey: true)) }
        #expect(time < .milliseconds(500))
        #expect(result?.isValid == false)
        #expect(result?.diagnostics.map(\.message) == ["aliases expand to more than 100000 nodes"])
    }
}

extension ComposerTests {
    @Test("the same alias bomb twice as keys is refused before Yams compares the keys", .timeLimit(.minutes(1)))
    func aliasBombDuplicateKeys() {
        var result: ManifestResult?
        let text = Self.billionLaughs() + "      ? *l8\n      : 1\n      ? *l8\n      : 2\n"
        let time = Self.elapsed { result = Self.load(text) }
        #expect(time < .milliseconds(500))
        // Yams finds the duplicate while the keys are still unresolved placeholders, before any alias expands.
        #expect(result?.diagnostics.map(\.message) == ["duplicate key '*l8' in a mapping"])
    }

    @Test("small aliases still work, as values, merge sources and keys")
    func smallAliases() throws {
        let result = Self.load(Self.envelope + """
            vms:
              web: &base {cpus: 2, labels: {team: &team shop}}
              api:
                <<: *base
                labels: {owner: *team, *team : yes-really}
            """)
        #expect(result.diagnostics.isEmpty, "\(result.diagnostics)")
        let api = try #require(result.stack?.vms["api"])
        #expect(api.cpus == 2)
        #expect(api.labels == ["owner": "shop", "shop": "yes-really"])
    }

    @Test("'*' and '&' in quotes, comments, block scalars and inside plain text are not aliases")
    func starsThatAreText() throws {
        let result = Self.load(Self.envelope + """
            vms:
              api: &api   # *api in a comment
                kernel:
                  image: /boot/vm*linux
                  cmdline: "init=/bin/sh *a &b"
                labels:
                  glob: 'a *b* c'
                  note: 3*4 is 12 & so on
                  block: |
                    *api *api *api
              web: *api
            """)
        #expect(result.diagnostics.isEmpty, "\(result.diagnostics)")
        let web = try #require(result.stack?.vms["web"])
        #expect(web.kernel?.cmdline == "init=/bin/sh *a &b")
        #expect(web.labels["note"] == "3*4 is 12 & so on")
        #expect(web.labels["block"] == "*api *api *api\n")
    }

    @Test("YAML errors found while bounding aliases read as the real parse would report them")
    func preScanErrorsNameAliases() {
        let result = Self.load(Self.envelope + """
            vms:
              api:
                labels:
                  a: &a x
                  ? *a
                  : 1
                  ? *a
                  : 2
            """)
        let messages = result.diagnostics.map(\.message)
        #expect(messages.count == 1)
        #expect(messages.first?.hasPrefix("duplicate key '*a'") == true, "\(messages)")
        #expect(!messages.joined().unicodeScalars.contains("\u{E000}"))
    }

    @Test("an alias bomb in a later document leaves the earlier documents checked")
    func bombInSecondDocument() {
        let bomb = Self.billionLaughs().replacingOccurrences(of: "kind: Stack\nmetadata: {name: demo}\nvms:\n  api:\n    labels:",
                                                              with: "kind: VirtualMachine\nmetadata: {name: api}\nspec:\n    labels:")
        let result = Self.load(Self.envelope + "vms:\n  db: {cpus: 0}\n---\n" + bomb)
        #expect(result.diagnostics.map(\.message) == ["vms.db.cpus must be between 1 and 255, found 0", "aliases expand to more than 100000 nodes"])
    }

    @Test("an alias of an undefined anchor is a syntax error, not a crash")
    func undefinedAlias() {
        let result = Self.load(Self.envelope + "vms:\n  web: &web {}\n  api: *nope\n")
        #expect(result.diagnostics.count == 1)
        #expect(result.diagnostics.first?.message.contains("undefined alias") == true, "\(result.diagnostics)")
    }
}
