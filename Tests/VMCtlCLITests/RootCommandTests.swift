import Foundation
import Testing

@Suite("vmctl root, help and schema")
struct RootCommandTests {
    static let golden = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Golden")
    static let updating = ProcessInfo.processInfo.environment["VMCTL_UPDATE_GOLDEN"] == "1"

    @Test("--version prints the version")
    func version() throws {
        let result = try VMCtlProcess.run(["--version"])
        #expect(result.status == 0)
        #expect(result.stdout == "0.1.0\n")
    }

    @Test("help text matches its golden file", arguments: [
        (["--help"], "help.txt"),
        (["validate", "--help"], "help-validate.txt"),
        (["schema", "--help"], "help-schema.txt"),
        (["plan", "--help"], "help-plan.txt"),
        (["guest", "--help"], "help-guest.txt"),
        (["guest", "build", "--help"], "help-guest-build.txt"),
        (["guest", "info", "--help"], "help-guest-info.txt"),
        (["exec", "--help"], "help-exec.txt"),
    ])
    func help(_ arguments: [String], _ file: String) throws {
        let result = try VMCtlProcess.run(arguments)
        #expect(result.status == 0)
        let url = Self.golden.appendingPathComponent(file)
        if Self.updating { try result.stdout.write(to: url, atomically: true, encoding: .utf8) }
        let expected = try String(contentsOf: url, encoding: .utf8)
        #expect(result.stdout == expected)
    }

    @Test("vmctl schema prints schemas/vmctl-stack.v1.json byte for byte")
    func schemaMatchesFile() throws {
        let result = try VMCtlProcess.run(["schema"])
        #expect(result.status == 0)
        let file = try String(contentsOf: VMCtlProcess.repoRoot.appendingPathComponent("schemas/vmctl-stack.v1.json"), encoding: .utf8)
        #expect(result.stdout == file, "run scripts/embed-schema after editing the schema")
        let parsed = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any]
        #expect(parsed?["$schema"] as? String == "https://json-schema.org/draft/2020-12/schema")
    }
}
