import Foundation
import Testing
@testable import VMMControl

/// docs/control-protocol.md, schemas/control.v1.json, schemas/launch-spec.v1.json and the Swift types
/// must agree: every documented line validates and behaves as documented, and everything Swift encodes
/// validates. The validator is Python's jsonschema via Tests/SchemaTests/check_json.py.
@Suite("Control protocol docs and schemas")
struct SchemaTests {
    static let root = URL(fileURLWithPath: #filePath).resolvingSymlinksInPath()
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// Runs the schema checker on `documents`, one file each; returns its exit status and output.
    static func check(_ documents: [String], schema: String) throws -> (status: Int32, output: String) {
        let folder = try TempFolder()
        defer { folder.cleanup() }
        var files: [String] = []
        for (index, document) in documents.enumerated() {
            let file = folder.file("\(index).json")
            try document.write(toFile: file, atomically: true, encoding: .utf8)
            files.append(file)
        }
        let checker = root.appendingPathComponent("Tests/SchemaTests/check_json.py").path
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        if FileManager.default.fileExists(atPath: checker) {
            process.arguments = ["python3", checker, schema] + files
        } else {
            // Same contract, inline, for checkouts without the shared checker.
            let script = """
                import json, sys, jsonschema
                v = jsonschema.Draft202012Validator(json.load(open(sys.argv[1])))
                bad = [f for f in sys.argv[2:] if list(v.iter_errors(json.load(open(f))))]
                for f in bad: print("FAIL", f)
                print(f"{len(sys.argv) - 2 - len(bad)} passed, {len(bad)} failed"); sys.exit(1 if bad else 0)
                """
            process.arguments = ["python3", "-c", script, schema] + files
        }
        process.currentDirectoryURL = root
        let out = Pipe()
        process.standardOutput = out
        process.standardError = out
        try process.run()
        let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        return (process.terminationStatus, text)
    }

    static var controlSchema: String { root.appendingPathComponent("schemas/control.v1.json").path }
    static var launchSchema: String { root.appendingPathComponent("schemas/launch-spec.v1.json").path }

    /// The fenced blocks of the doc with the given info string.
    static func blocks(_ language: String) throws -> [String] {
        let text = try String(contentsOf: root.appendingPathComponent("docs/control-protocol.md"), encoding: .utf8)
        var blocks: [String] = []
        var current: [Substring]?
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            if let lines = current {
                if line == "```" { blocks.append(lines.joined(separator: "\n")); current = nil } else { current = lines + [line] }
            } else if line == "```" + language {
                current = []
            }
        }
        return blocks
    }

    static func docLines() throws -> [String] {
        try blocks("jsonl").flatMap { $0.split(separator: "\n").map(String.init) }
    }

    static func expectValid(_ documents: [String], schema: String) throws {
        let (status, output) = try check(documents, schema: schema)
        #expect(status != 3, "python3 lacks jsonschema: pip install jsonschema")
        #expect(status == 0, "\(output)")
        #expect(output.contains("\(documents.count) passed, 0 failed"), "\(output)")
    }

    /// The doc's lines, split into those the schema must accept and the requests it must refuse (a
    /// request followed by an error response, e.g. version 2 or an unknown command).
    static func docLinesByValidity() throws -> (valid: [String], invalid: [String]) {
        let lines = try docLines()
        var valid: [String] = [], invalid: [String] = []
        for (index, line) in lines.enumerated() {
            let next = index + 1 < lines.count ? lines[index + 1] : ""
            let isRequest = line.contains(#""command":"#)
            if isRequest, next.contains(#""ok":false"#) { invalid.append(line) } else { valid.append(line) }
        }
        return (valid, invalid)
    }

    @Test("the doc's protocol lines validate against control.v1.json; its refused requests do not")
    func docLinesValidate() throws {
        let (valid, invalid) = try Self.docLinesByValidity()
        #expect(valid.count == 23)   // 9 commands with their responses, 5 error responses
        try Self.expectValid(valid, schema: Self.controlSchema)
        #expect(invalid.count == 3)
        for line in invalid {
            let (status, output) = try Self.check([line], schema: Self.controlSchema)
            #expect(status == 1, "schema accepted \(line): \(output)")
        }
    }

    @Test("every request in the doc gets the documented response from the Swift code")
    func docLinesBehave() throws {
        var pending: String?
        var checked = 0
        for line in try Self.docLines() {
            let object = try #require(JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            if object["command"] != nil {
                pending = line
                continue
            }
            defer { pending = nil }
            guard let request = pending else { continue }
            let parsed = ControlRequest.parse(Array(request.utf8))
            if object["ok"] as? Bool == true {
                let parsedRequest = try parsed.get()
                let response = try ControlResponse.decode(Array(line.utf8), for: parsedRequest.command.name)
                #expect(response.id == parsedRequest.id)
                // What Swift would send for this result is the documented line, up to key order.
                let encoded = try JSONSerialization.jsonObject(with: Data(ControlCodec.line(response))) as? NSDictionary
                #expect(encoded == (object as NSDictionary), "\(line)")
            } else {
                guard case .failure(let failure) = parsed else { Issue.record("\(request) parsed; the doc says it fails"); continue }
                let error = try #require(object["error"] as? [String: Any])
                #expect(failure.error.code.rawValue == error["code"] as? String, "\(line)")
                #expect(failure.error.message == error["message"] as? String, "\(line)")
                #expect(failure.id == object["id"] as? Int)
            }
            checked += 1
        }
        #expect(checked >= 12)
    }

    @Test("everything the Swift types encode validates")
    func swiftMessagesValidate() throws {
        var lines = try MessageRoundTripTests.commands.enumerated().map { index, command in
            String(decoding: try ControlCodec.line(ControlRequest(id: index, command: command)), as: UTF8.self)
        }
        lines += try MessageRoundTripTests.responses.map { String(decoding: try ControlCodec.line($0.1), as: UTF8.self) }
        let maxInput = ControlRequest(id: 1, command: .consoleInput([UInt8](repeating: 0xAB, count: ControlProtocol.maxConsoleInputBytes)))
        lines.append(String(decoding: try ControlCodec.line(maxInput), as: UTF8.self))
        try Self.expectValid(lines, schema: Self.controlSchema)
    }

    @Test("the schema rejects what the server rejects")
    func schemaRejects() throws {
        let bad = [
            #"{"version":1,"id":1,"command":"pause","method":"acpi"}"#,
            #"{"version":1,"command":"describe"}"#,
            #"{"version":2,"id":1,"command":"describe"}"#,
            #"{"version":1,"id":1,"command":"shutdown","method":"halt"}"#,
            #"{"version":1,"id":1,"command":"console-input","data":"%%%"}"#,
            #"{"version":1,"id":1,"command":"console-input","data":""}"#,
            #"{"id":1,"ok":true,"error":{"code":"failed","message":"x"}}"#,
            #"{"id":1,"ok":true,"result":{"state":"running"}}"#,
            #"{"id":1,"ok":false,"error":{"code":"Bad Code","message":"x"}}"#,
        ]
        for line in bad {
            let (status, output) = try Self.check([line], schema: Self.controlSchema)
            #expect(status == 1, "schema accepted \(line): \(output)")
        }
    }

    @Test("stats nets: optional (older VMMs), one strict object per NIC, known drop reasons with counts ≥ 1")
    func statsNets() throws {
        let head = #"{"id":1,"ok":true,"result":{"vcpus":[],"exitsByReason":{},"unknownPortIO":0,"residentBytes":0"#
        let nic = #"{"index":0,"backend":"switch","framesIn":1,"bytesIn":60,"framesOut":1,"bytesOut":60,"invalidChains":0,"drops":"#
        try Self.expectValid([head + "}}", head + #","nets":[]}}"#, head + #","nets":["# + nic + #"{"tx-oversize":1}}]}}"#],
                             schema: Self.controlSchema)
        let bad = [
            head + #","nets":["# + nic + #"{"tx-future":1}}]}}"#,                      // not a documented reason
            head + #","nets":["# + nic + #"{"rx-undersize":0}}]}}"#,                   // reasons that did not occur are absent
            head + #","nets":["# + nic + #"{},"mac":"52:54:00:00:00:01"}]}}"#,         // no fields beyond the documented ones
            head + #","nets":[{"index":0,"backend":"switch","framesIn":1,"drops":{}}]}}"#,  // every counter is required
            head + #","nets":["# + nic.replacingOccurrences(of: "switch", with: "vde") + "{}}]}}",
            head + #","nets":{}}}"#,
        ]
        for line in bad {
            let (status, output) = try Self.check([line], schema: Self.controlSchema)
            #expect(status == 1, "schema accepted \(line): \(output)")
        }
    }

    @Test("the doc's launch spec is valid for the schema and for LaunchSpec.load")
    func launchSpec() throws {
        let specs = try Self.blocks("json")
        #expect(specs.count == 1)
        try Self.expectValid(specs, schema: Self.launchSchema)
        for spec in specs { #expect(throws: Never.self) { try LaunchSpec.load(Array(spec.utf8)) } }
        let encoded = String(decoding: try JSONEncoder().encode(LaunchSpecTests.valid), as: UTF8.self)
        try Self.expectValid([encoded], schema: Self.launchSchema)
        // A confined VMM's spec: descriptors for everything it has.
        var confined = LaunchSpecTests.valid
        confined.descriptors = LaunchSpec.Descriptors(kernel: 3, initrd: confined.initrd == nil ? nil : 4, consoleLog: 5, controlSocket: 6,
                                                      consoleSocket: confined.consoleSocket == nil ? nil : 7,
                                                      agentSocket: confined.agentSocket == nil ? nil : 8,
                                                      disks: confined.disks.indices.map { Int32(10 + $0) },
                                                      nets: confined.nets.indices.map { Int32(30 + $0) })
        let withDescriptors = String(decoding: try JSONEncoder().encode(confined), as: UTF8.self)
        try Self.expectValid([withDescriptors], schema: Self.launchSchema)
        #expect(try LaunchSpec.load(Array(withDescriptors.utf8)) == confined)
        let (status, output) = try Self.check([withDescriptors.replacingOccurrences(of: "\"kernel\":3", with: "\"kernel\":2")], schema: Self.launchSchema)
        #expect(status == 1, "schema accepted descriptor 2: \(output)")
    }
}
