extension LaunchSpec {
    private struct VersionProbe: Decodable { var version: Int }

    private struct AnyKey: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    private struct KeyProbe: Decodable {
        var keys: [String]
        var diskKeys: [[String]]
        var netKeys: [[String]]
        var descriptorKeys: [String]

        init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: AnyKey.self)
            keys = container.allKeys.map(\.stringValue)
            func elementKeys(_ field: String) -> [[String]] {
                var result: [[String]] = []
                if container.contains(AnyKey(stringValue: field)),
                   var list = try? container.nestedUnkeyedContainer(forKey: AnyKey(stringValue: field)) {
                    while !list.isAtEnd {
                        guard let element = try? list.nestedContainer(keyedBy: AnyKey.self) else { break }
                        result.append(element.allKeys.map(\.stringValue))
                    }
                }
                return result
            }
            diskKeys = elementKeys("disks")
            netKeys = elementKeys("nets")
            descriptorKeys = (try? container.nestedContainer(keyedBy: AnyKey.self, forKey: AnyKey(stringValue: "descriptors")))?
                .allKeys.map(\.stringValue) ?? []
        }
    }

    static let fieldNames: Set<String> = ["version", "name", "vcpus", "memoryMiB", "kernel", "initrd", "cmdline", "disks",
                                          "nets", "consoleLog", "controlSocket", "serialInput", "consoleSocket",
                                          "agentSocket", "descriptors"]
    static let diskFieldNames: Set<String> = ["path", "readOnly"]
    static let netFieldNames: Set<String> = ["mac", "tap", "switchSocket"]

    /// Decodes and validates a launch spec: the version first (so a newer spec gets a version error, not
    /// field errors), then unknown fields, types, and every range check (all problems at once). The text is
    /// parsed once, without Foundation (`JSONParser`, `JSONValueDecoder`).
    public static func load(_ bytes: [UInt8]) throws(VMMControlError) -> LaunchSpec {
        let data: JSONValue
        do { data = try JSONParser.parse(bytes) } catch { throw .specMalformed("not valid JSON") }
        let probe: VersionProbe
        do { probe = try JSONValueDecoder.decode(VersionProbe.self, from: data) } catch {
            throw .specMalformed(message(error, otherwise: "expected a JSON object with \"version\": \(currentVersion)"))
        }
        guard probe.version == currentVersion else { throw .specUnsupportedVersion(probe.version) }
        var unknown: [String] = []
        if let keys = try? JSONValueDecoder.decode(KeyProbe.self, from: data) {
            unknown += keys.keys.filter { !fieldNames.contains($0) }.sorted()
            for (index, disk) in keys.diskKeys.enumerated() {
                unknown += disk.filter { !diskFieldNames.contains($0) }.sorted().map { "disks[\(index)].\($0)" }
            }
            unknown += keys.descriptorKeys.filter { !Descriptors.fieldNames.contains($0) }.sorted().map { "descriptors.\($0)" }
            for (index, net) in keys.netKeys.enumerated() {
                unknown += net.filter { !netFieldNames.contains($0) }.sorted().map { "nets[\(index)].\($0)" }
            }
        }
        guard unknown.isEmpty else {
            throw .specMalformed("unknown field\(unknown.count == 1 ? "" : "s") " + unknown.map { "\"\($0)\"" }.joined(separator: ", "))
        }
        let spec: LaunchSpec
        do { spec = try JSONValueDecoder.decode(LaunchSpec.self, from: data) } catch {
            throw .specMalformed(message(error, otherwise: "not valid JSON"))
        }
        let problems = spec.problems()
        guard problems.isEmpty else { throw .specInvalid(problems) }
        return spec
    }

    private static func message(_ error: any Error, otherwise: String) -> String {
        guard let decoding = error as? DecodingError else { return otherwise }
        if case .dataCorrupted(let context) = decoding, context.codingPath.isEmpty { return "not valid JSON" }
        return DecodingErrorText.describe(decoding)
    }
}
