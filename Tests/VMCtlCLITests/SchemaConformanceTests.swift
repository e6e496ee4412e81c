import Foundation
import Testing

/// Runs a real JSON Schema validator (Python's jsonschema) over the examples and the invalid fixtures
/// marked `schema-rejects`, so the schema editors use agrees with `vmctl validate`.
@Suite("JSON Schema conformance")
struct SchemaConformanceTests {
    @Test("examples validate against the schema; marked invalid fixtures are rejected by it")
    func schemaAgrees() throws {
        let root = VMCtlProcess.repoRoot
        let invalidRoot = root.appendingPathComponent("Tests/ManifestTests/Fixtures/invalid")
        let cases = try FileManager.default.contentsOfDirectory(atPath: invalidRoot.path).sorted()
        var rejected: [String] = []
        for name in cases where FileManager.default.fileExists(atPath: invalidRoot.appendingPathComponent("\(name)/schema-rejects").path) {
            let files = try FileManager.default.contentsOfDirectory(atPath: invalidRoot.appendingPathComponent(name).path)
                .filter { $0.hasSuffix(".yaml") }.sorted()
            rejected += files.map { "Tests/ManifestTests/Fixtures/invalid/\(name)/\($0)" }
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        // examples/ci holds a CI workflow, not a manifest; everything else in examples/ is one.
        let examples = try FileManager.default.contentsOfDirectory(atPath: root.appendingPathComponent("examples").path)
            .filter { $0 != "ci" && !$0.hasSuffix(".md") }.sorted().map { "examples/\($0)" }
        var arguments = ["python3", "Tests/SchemaTests/check_schema.py", "schemas/vmctl-stack.v1.json", "--valid"] + examples
            + ["Tests/ManifestTests/Fixtures/valid/three-tier/stack.yaml"]
        if !rejected.isEmpty { arguments += ["--invalid"] + rejected }
        process.arguments = arguments
        process.currentDirectoryURL = root
        let out = Pipe()
        process.standardOutput = out
        process.standardError = out
        try process.run()
        let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus != 3, "python3 lacks jsonschema/PyYAML: pip install jsonschema pyyaml (scripts/setup does it)")
        #expect(process.terminationStatus == 0, "\(text)")
        #expect(text.contains(" passed, 0 failed"), "\(text)")
    }
}
