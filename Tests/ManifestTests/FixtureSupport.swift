import Foundation
import Manifest
import VMCtlModel

/// One fixture case: a folder of inputs and golden outputs.
///
/// - inputs: every `*.yaml`/`*.yml` in the folder (in name order), or the names listed one per line in `inputs`
///   (a name may be a sub-folder, read as a folder input would be);
/// - `env.json`: the environment for `${VAR}` substitution (default: empty);
/// - `host.json`: other host facts for this case, `{"cpus": 16, "memory": BYTES}` (default: `Fixture.host`);
/// - `schema-rejects`: an empty marker; the JSON Schema alone must reject the case's inputs (see SchemaTests);
/// - `expected.txt`: the diagnostics in human form; `stack.json`: for valid cases, the resulting stack.
/// Set VMCTL_UPDATE_GOLDEN=1 to rewrite the golden files (then review the diff).
struct Fixture: Sendable {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")
    /// Fixed host facts so goldens do not depend on the machine running the tests.
    static let host = HostFacts(cpus: 8, memory: .gib(16))
    static let updating = ProcessInfo.processInfo.environment["VMCTL_UPDATE_GOLDEN"] == "1"

    let folder: URL
    var name: String { folder.lastPathComponent }

    static func all(_ group: String) -> [Fixture] {
        let dir = root.appendingPathComponent(group)
        let names = (try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? []
        return names.sorted().map { Fixture(folder: dir.appendingPathComponent($0)) }
    }

    func file(_ name: String) -> URL { folder.appendingPathComponent(name) }

    func read(_ name: String) -> String? { try? String(contentsOf: file(name), encoding: .utf8) }

    func sources() throws -> [ManifestSource] {
        let listed = read("inputs")?.split(separator: "\n").map(String.init).filter { !$0.isEmpty }
        let names = try listed ?? FileManager.default.contentsOfDirectory(atPath: folder.path)
            .filter { $0.hasSuffix(".yaml") || $0.hasSuffix(".yml") }.sorted()
        var sources: [ManifestSource] = []
        for name in names {
            var isDirectory: ObjCBool = false
            FileManager.default.fileExists(atPath: file(name).path, isDirectory: &isDirectory)
            let files = isDirectory.boolValue
                ? try FileManager.default.contentsOfDirectory(atPath: file(name).path).filter { $0.hasSuffix(".yaml") || $0.hasSuffix(".yml") }.sorted().map { "\(name)/\($0)" }
                : [name]
            for path in files {
                let bytes = try [UInt8](Data(contentsOf: file(path)))
                let base = "/fixtures/\(self.name)" + (isDirectory.boolValue ? "/\(name)" : "")
                sources.append(ManifestSource(name: path, baseDirectory: base, bytes: bytes))
            }
        }
        return sources
    }

    func environment() throws -> [String: String] {
        guard let data = read("env.json")?.data(using: .utf8) else { return [:] }
        return try JSONDecoder().decode([String: String].self, from: data)
    }

    func hostFacts() throws -> HostFacts {
        guard let data = read("host.json")?.data(using: .utf8) else { return Self.host }
        return try JSONDecoder().decode(HostFacts.self, from: data)
    }

    func load() throws -> ManifestResult {
        ManifestLoader.load(try sources(), env: try environment(), host: try hostFacts())
    }

    /// Compares with a golden file, or writes it when updating. Returns the golden text (nil if missing).
    func golden(_ name: String, actual: String) -> String? {
        if Self.updating { try? actual.write(to: file(name), atomically: true, encoding: .utf8) }
        return read(name)
    }
}

enum GoldenFormat {
    /// Same shape as `vmctl validate` prints on stderr.
    static func diagnostics(_ diagnostics: [Diagnostic]) -> String {
        diagnostics.map { d in
            var line = "\(d.location.file):\(d.location.line):\(d.location.column): \(d.severity.rawValue): \(d.message) [\(d.path)]\n"
            if let hint = d.hint { line += "    hint: \(hint)\n" }
            return line
        }.joined()
    }

    static func stack(_ stack: Stack) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(stack), as: UTF8.self) + "\n"
    }
}
