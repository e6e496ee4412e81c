import Foundation
import Synchronization
import Testing
import VMCtlModel
@testable import Images

/// An `ImageTool` whose `info` answers what a test says, as a qemu-img that sees more than the header would.
final class StubTool: ImageTool {
    let answer: ImageToolInfo
    let calls = Mutex<[String]>([])

    init(_ answer: ImageToolInfo) { self.answer = answer }

    func info(path: String, format: ImageFormat) throws -> ImageToolInfo {
        calls.withLock { $0.append("info \(format.rawValue)") }
        return answer
    }

    func createOverlay(path: String, backingFile: String, backingFormat: ImageFormat, size: UInt64) throws {
        calls.withLock { $0.append("create") }
    }

    func resize(path: String, format: ImageFormat, to size: UInt64) throws {
        calls.withLock { $0.append("resize") }
    }
}

/// A `ProcessRunner` that records the command lines and answers with a fixed output.
final class RecordingRunner: ProcessRunner {
    let output: ProcessOutput
    let commands = Mutex<[[String]]>([])

    init(_ output: ProcessOutput = ProcessOutput(status: 0, stdout: Data(), stderr: Data())) { self.output = output }

    func run(_ executable: String, _ arguments: [String]) throws -> ProcessOutput {
        commands.withLock { $0.append([executable] + arguments) }
        return output
    }
}

@Suite("The qemu-img cross-check and the ImageTool command lines")
struct ImageToolTests {
    /// A clean qcow2 of 16 MiB, imported through a tool that reports `answer`.
    func importReporting(_ answer: ImageToolInfo) throws -> (Scratch, String, Result<StoredImage, Error>) {
        let scratch = try Scratch(tool: StubTool(answer))
        let source = scratch.path("clean.qcow2")
        try Host.qemuImg("create", "-q", "-f", "qcow2", source, "16M")
        return (scratch, source, Result { try scratch.store.import(path: source) })
    }

    @Test("qemu-img's view is checked too: a backing file, a data file, encryption or another size it reports is refused",
          .enabled(if: Host.hasQEMUImg), arguments: [
              (ImageToolInfo(format: "qcow2", virtualSize: 16 << 20, backingFile: "/etc/shadow"), "backing file (/etc/shadow)"),
              (ImageToolInfo(format: "qcow2", virtualSize: 16 << 20, fullBackingFile: "/etc/shadow"), "backing file (/etc/shadow)"),
              (ImageToolInfo(format: "qcow2", virtualSize: 16 << 20, dataFile: "/dev/sda"), "external data file (/dev/sda)"),
              (ImageToolInfo(format: "qcow2", virtualSize: 16 << 20, encrypted: true), "encrypted"),
              (ImageToolInfo(format: "qcow2", virtualSize: 32 << 20), "virtual size of 33554432 bytes"),
              (ImageToolInfo(format: "raw", virtualSize: 16 << 20), "as raw"),
          ])
    func crossCheck(answer: ImageToolInfo, phrase: String) throws {
        let (scratch, source, result) = try importReporting(answer)
        defer { scratch.remove() }
        #expect {
            try result.get()
        } throws: { error in
            guard case .refusedQCOW2(let path, let reason)? = error as? ImageError else { return false }
            return path == source && reason.contains(phrase)
        }
        #expect(scratch.storeEntries().isEmpty)
    }

    @Test("when qemu-img agrees, the qcow2 is stored; the check asked for format qcow2", .enabled(if: Host.hasQEMUImg))
    func crossCheckPasses() throws {
        let tool = StubTool(ImageToolInfo(format: "qcow2", virtualSize: 16 << 20))
        let scratch = try Scratch(tool: tool)
        defer { scratch.remove() }
        let source = scratch.path("clean.qcow2")
        try Host.qemuImg("create", "-q", "-f", "qcow2", source, "16M")
        #expect(try scratch.store.import(path: source).format == .qcow2)
        #expect(tool.calls.withLock { $0 } == ["info qcow2"])
    }

    @Test("a raw image is not given to qemu-img at all")
    func rawNeedsNoTool() throws {
        let tool = StubTool(ImageToolInfo(format: "qcow2", virtualSize: 0))
        let scratch = try Scratch(tool: tool)
        defer { scratch.remove() }
        let source = try scratch.write("raw.img", Data(repeating: 7, count: 4096))
        #expect(try scratch.store.import(path: source).format == .raw)
        #expect(tool.calls.withLock { $0 }.isEmpty)
    }

    @Test("every qemu-img command line names the format; paths are absolute; a comma in the backing path is doubled")
    func commandLines() throws {
        let info = #"{"format": "qcow2", "virtual-size": 1024, "actual-size": 512}"#
        let runner = RecordingRunner(ProcessOutput(status: 0, stdout: Data(info.utf8), stderr: Data()))
        let tool = QEMUImg(executable: "/bin/true", runner: runner)
        _ = try tool.info(path: "/s/a.qcow2", format: .qcow2)
        try tool.createOverlay(path: "/vm/disk.qcow2", backingFile: "/st,ate/base.raw", backingFormat: .raw, size: 4096)
        try tool.resize(path: "/vm/disk.qcow2", format: .qcow2, to: 8192)
        #expect(runner.commands.withLock { $0 } == [
            ["/bin/true", "info", "--output=json", "-U", "-f", "qcow2", "/s/a.qcow2"],
            ["/bin/true", "create", "-q", "-f", "qcow2", "-o", "backing_file=/st,,ate/base.raw,backing_fmt=raw", "/vm/disk.qcow2", "4096"],
            ["/bin/true", "resize", "-q", "-f", "qcow2", "/vm/disk.qcow2", "8192"],
        ])
    }

    @Test("a missing qemu-img is an error naming the Debian package qemu-utils")
    func missingTool() throws {
        let tool = QEMUImg(executable: "/nonexistent/qemu-img", runner: RecordingRunner())
        #expect {
            _ = try tool.info(path: "/x.qcow2", format: .qcow2)
        } throws: { error in
            error as? ImageError == .missingTool(tool: "qemu-img", package: "qemu-utils") && "\(error)".contains("apt-get install qemu-utils")
        }
    }

    @Test("a failing qemu-img is an error with its exit status and stderr")
    func toolFails() throws {
        let runner = RecordingRunner(ProcessOutput(status: 1, stdout: Data(), stderr: Data("qemu-img: Could not open 'x'\n".utf8)))
        let tool = QEMUImg(executable: "/bin/true", runner: runner)
        #expect {
            try tool.resize(path: "/x.qcow2", format: .qcow2, to: 1)
        } throws: { error in
            "\(error)".contains("exit status 1") && "\(error)".contains("Could not open 'x'")
        }
    }

    @Test("qemu-img info's JSON: sizes, backing file and format, data file", .enabled(if: Host.hasQEMUImg))
    func parsesRealInfo() throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let base = scratch.path("base.raw")
        try Host.qemuImg("create", "-q", "-f", "raw", base, "8M")
        let child = scratch.path("child.qcow2")
        try Host.qemuImg("create", "-q", "-f", "qcow2", "-b", base, "-F", "raw", child, "16M")
        let info = try QEMUImg().info(path: child, format: .qcow2)
        #expect(info == ImageToolInfo(format: "qcow2", virtualSize: 16 << 20, actualSize: info.actualSize, backingFile: base,
                                      fullBackingFile: base, backingFormat: "raw"))
        let external = scratch.path("external.qcow2")
        try Host.qemuImg("create", "-q", "-f", "qcow2", "-o", "data_file=\(scratch.path("data.raw"))", external, "8M")
        #expect(try QEMUImg().info(path: external, format: .qcow2).dataFile == scratch.path("data.raw"))
    }
}
