import Foundation
import Testing
import VMCtlModel
@testable import Runtime

/// Reading state files: a damaged one is an error naming the file and saying why in words; a VM record that
/// cannot be read is listed as damaged, and the other records of the stack are still read.
@Suite("State files")
final class StateFileTests {
    let folder: String
    let runtime: StackRuntime

    init() throws {
        folder = try GuestTestSupport.temporaryFolder("state")
        runtime = StackRuntime(stateDirectory: StateDirectory(path: folder), stack: "s", backends: [])
    }

    deinit { try? FileManager.default.removeItem(atPath: folder) }

    func write(_ text: String, vm: String) throws {
        try FileManager.default.createDirectory(atPath: runtime.paths.vm(vm).directory, withIntermediateDirectories: true)
        try text.write(toFile: runtime.paths.vm(vm).record, atomically: true, encoding: .utf8)
    }

    func reason(_ text: String) throws -> String {
        try write(text, vm: "x")
        do {
            _ = try AtomicFile.readJSON(VMRecord.self, from: runtime.paths.vm("x").record)
            return "(read)"
        } catch RuntimeError.unreadableState(let file, let reason) {
            #expect(file == runtime.paths.vm("x").record)
            return reason
        }
    }

    static let valid = """
        {"name": "x", "stack": "s", "backend": "qemu", "backendReason": "test", "spec": {"name": "x", "cpus": 1, "memory": 134217728}}
        """

    @Test("why a record cannot be read, in words: empty, truncated, NUL bytes, a missing field, a wrong type")
    func reasons() throws {
        #expect(try reason("") == "the file is empty")
        #expect(try reason("\n") == "the file is empty")
        #expect(try reason("{\"name\": \"x\", \"st") == "it is not valid JSON (Unexpected end of file during JSON parse)")
        #expect(try reason("{ not json") == "it is not valid JSON (Invalid value around character 2)")
        #expect(try reason(String(repeating: "\0", count: 16)).hasPrefix("it holds NUL bytes"))
        #expect(try reason(Self.valid.replacingOccurrences(of: "\"backend\": \"qemu\", ", with: "")) == "the field 'backend' is missing")
        #expect(try reason(Self.valid.replacingOccurrences(of: "\"cpus\": 1", with: "\"cpus\": \"one\"")) == "the field 'spec.cpus' is not an integer")
        #expect(try reason(Self.valid.replacingOccurrences(of: "\"qemu\"", with: "\"xen\"")).hasPrefix("the field 'backend' is invalid"))
        #expect(try reason(Self.valid) == "(read)")
    }

    @Test("a record that exists but cannot be opened is not taken for a missing one")
    func unreadableIsNotMissing() throws {
        #expect(try AtomicFile.readJSON(VMRecord.self, from: folder + "/nothing.json") == nil)
        try FileManager.default.createDirectory(atPath: folder + "/dir.json", withIntermediateDirectories: true)
        #expect(throws: RuntimeError.self) { try AtomicFile.readJSON(VMRecord.self, from: folder + "/dir.json") }
    }

    @Test("one damaged record: the others are read, it is listed with its file and why, and it is left as it is")
    func scan() throws {
        try write(Self.valid, vm: "x")
        try write(Self.valid.replacingOccurrences(of: "\"x\"", with: "\"y\""), vm: "y")
        try write("{\"name\": \"d", vm: "d")
        let scan = runtime.scanRecords()
        #expect(scan.records.keys.sorted() == ["x", "y"])
        let damaged = try #require(scan.damaged["d"])
        #expect(damaged.file == runtime.paths.vm("d").record)
        #expect(damaged.folder == runtime.paths.vm("d").directory)
        #expect(damaged.reason.hasPrefix("it is not valid JSON"))
        #expect(damaged.pid == nil)
        let observed = try runtime.observe()
        #expect(observed.vms.keys.sorted() == ["x", "y"])
        #expect(observed.damagedVMs.keys.sorted() == ["d"])
        #expect(try String(contentsOfFile: damaged.file, encoding: .utf8) == "{\"name\": \"d")
    }

    @Test("the start time and pid a damaged record still holds are found in what is left of it")
    func salvage() {
        let text = "{\"pid\" : 4242,\n \"processStartTime\": 123456, \"spec\": {"
        #expect(StackRuntime.number(after: "pid", in: text) == 4242)
        #expect(StackRuntime.number(after: "processStartTime", in: text) == 123456)
        #expect(StackRuntime.number(after: "launchedAt", in: text) == nil)
    }

    @Test("a stack record: written and read back; missing is nil; damaged is an error naming the file")
    func stackRecord() throws {
        #expect(try runtime.stackRecord() == nil)
        let stack = Stack(name: "s", host: HostBudget(cpus: 2, memory: .gib(1), cpuOvercommit: 2))
        try runtime.saveStackRecord(stack)
        #expect(try runtime.stackRecord()?.host == stack.host)
        try "{".write(toFile: runtime.paths.stackRecord, atomically: true, encoding: .utf8)
        #expect(throws: RuntimeError.self) { try runtime.stackRecord() }
    }
}
