import Foundation
import Planner
@testable import VMCtlCLI
import Testing
import VMCtlModel

/// Runs a real JSON Schema validator (Python's jsonschema) over plan JSON, so schemas/plan.v1.json describes exactly
/// what `vmctl plan -o json` prints.
@Suite("schemas/plan.v1.json")
struct PlanSchemaTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    static func checkJSON(_ files: [String]) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "Tests/SchemaTests/check_json.py", "schemas/plan.v1.json"] + files
        process.currentDirectoryURL = root
        let out = Pipe()
        process.standardOutput = out
        process.standardError = out
        try process.run()
        let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        return (process.terminationStatus, text)
    }

    @Test("every golden plan.json validates against the schema")
    func goldenPlans() throws {
        let cases = Self.root.appendingPathComponent("Tests/PlannerTests/Cases")
        let files = try FileManager.default.contentsOfDirectory(atPath: cases.path).sorted()
            .map { "Tests/PlannerTests/Cases/\($0)/plan.json" }
            .filter { FileManager.default.fileExists(atPath: Self.root.appendingPathComponent($0).path) }
        #expect(!files.isEmpty)
        let (status, text) = try Self.checkJSON(files)
        #expect(status != 3, "python3 lacks jsonschema: pip install jsonschema (scripts/setup does it)")
        #expect(status == 0, "\(text)")
        #expect(text.contains("\(files.count) passed, 0 failed"), "\(text)")
    }

    @Test("plans of random scenarios validate; a plan with an unknown key or a bad action does not")
    func randomPlans() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("vmctl-plan-schema-\(getpid())")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        var files: [String] = []
        for seed in ConvergenceTests.seeds(150, offset: 1 << 40) {
            var rng = SplitMix64(seed: seed)
            let host = rng.chance(0.5) ? ScenarioGenerator.hugeBudget : HostBudget(cpus: rng.int(1...4), memory: .gib(2))
            let scenario = ScenarioGenerator.scenario(seed: seed, host: host)
            let plan = Planner.plan(desired: scenario.desired, observed: scenario.observed, options: scenario.options)
            let url = folder.appendingPathComponent("\(seed).json")
            try PlanJSON.encode(PlanJSON(plan, fingerprint: Fingerprint.of(scenario.observed))).write(to: url, atomically: true, encoding: .utf8)
            files.append(url.path)
        }
        let (status, text) = try Self.checkJSON(files)
        #expect(status != 3, "python3 lacks jsonschema: pip install jsonschema")
        #expect(status == 0 && text.contains("\(files.count) passed, 0 failed"), "\(text)")

        // The schema is strict: what the planner never prints is rejected.
        let sample = try String(contentsOfFile: files[0], encoding: .utf8)
        let broken = [
            "extra-key": sample.replacingOccurrences(of: "\"applicable\" :", with: "\"extra\" : 1,\n  \"applicable\" :"),
            "bad-action": sample.replacingOccurrences(of: "\"action\" : \"", with: "\"action\" : \"x"),
            "no-capacity": sample.replacingOccurrences(of: "\"capacity\" :", with: "\"capacityX\" :"),
        ]
        var brokenFiles: [String] = []
        for (name, text) in broken.sorted(by: { $0.key < $1.key }) {
            #expect(text != sample, "\(name): the sample plan has nothing to break")
            let url = folder.appendingPathComponent("broken-\(name).json")
            try text.write(to: url, atomically: true, encoding: .utf8)
            brokenFiles.append(url.path)
        }
        let rejected = try Self.checkJSON(brokenFiles)
        #expect(rejected.status == 1 && rejected.output.contains("0 passed, \(brokenFiles.count) failed"), "\(rejected.output)")
    }
}
