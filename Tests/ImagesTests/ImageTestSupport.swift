import Foundation
import Testing
import VMCtlModel
@testable import Images

/// A temporary folder per test with a store in it, and the host tools the tests drive (qemu-img, qemu-io).
struct Scratch {
    let folder: String
    let store: ImageStore

    init(_ name: String = "images", storeFolder: String = "state/images", tool: (any ImageTool)? = nil) throws {
        let template = NSTemporaryDirectory() + "vmctl-\(name)-XXXXXX"
        var bytes = Array(template.utf8CString)
        guard let made = mkdtemp(&bytes) else { throw ScratchError.failed("mkdtemp \(template)") }
        folder = String(cString: made)
        store = ImageStore(root: folder + "/" + storeFolder, tool: tool ?? QEMUImg())
    }

    func remove() { try? FileManager.default.removeItem(atPath: folder) }

    func path(_ name: String) -> String { folder + "/" + name }

    /// Writes `data` to a new file in the scratch folder and returns its path.
    @discardableResult
    func write(_ name: String, _ data: Data) throws -> String {
        let path = self.path(name)
        try data.write(to: URL(fileURLWithPath: path))
        return path
    }

    /// Every entry under the store's `sha256` folder, hidden ones included.
    func storeEntries() -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: store.root + "/sha256")) ?? []).sorted()
    }
}

enum ScratchError: Error, CustomStringConvertible {
    case failed(String)
    var description: String { switch self { case .failed(let what): return what } }
}

enum Host {
    static let qemuImg = "/usr/bin/qemu-img"
    static let qemuIO = "/usr/bin/qemu-io"
    static var hasQEMUImg: Bool { FileManager.default.isExecutableFile(atPath: qemuImg) }
    static var hasQEMUIO: Bool { FileManager.default.isExecutableFile(atPath: qemuIO) }

    /// Runs a tool; throws with its stderr when it fails.
    @discardableResult
    static func run(_ executable: String, _ arguments: [String]) throws -> String {
        let output = try SystemProcessRunner().run(executable, arguments)
        guard output.status == 0 else {
            throw ScratchError.failed("\(executable) \(arguments.joined(separator: " ")): \(String(decoding: output.stderr, as: UTF8.self))")
        }
        return String(decoding: output.stdout, as: UTF8.self)
    }

    static func qemuImg(_ arguments: String...) throws { try run(qemuImg, arguments) }

    /// `sha256sum`'s digest of a file: the reference the store must agree with.
    static func sha256sum(_ path: String) throws -> String {
        String(try run("/usr/bin/sha256sum", [path]).prefix(64))
    }

    /// Bytes allocated on disk.
    static func allocated(_ path: String) -> Int {
        var info = stat()
        return stat(path, &info) == 0 ? Int(info.st_blocks) * 512 : -1
    }

    static func size(_ path: String) -> Int {
        var info = stat()
        return stat(path, &info) == 0 ? Int(info.st_size) : -1
    }

    static func mode(_ path: String) -> mode_t {
        var info = stat()
        return stat(path, &info) == 0 ? info.st_mode & 0o7777 : 0
    }

    /// Writes `count` bytes of `byte` at `offset` into an existing file (no truncation).
    static func patch(_ path: String, at offset: Int, count: Int, byte: UInt8) throws {
        let fd = open(path, O_WRONLY)
        guard fd >= 0 else { throw ScratchError.failed("open \(path)") }
        defer { close(fd) }
        let bytes = [UInt8](repeating: byte, count: count)
        guard pwrite(fd, bytes, count, off_t(offset)) == count else { throw ScratchError.failed("pwrite \(path)") }
    }

    /// Overwrites bytes of a file at `offset`.
    static func poke(_ path: String, at offset: Int, _ bytes: [UInt8]) throws {
        let fd = open(path, O_WRONLY)
        guard fd >= 0 else { throw ScratchError.failed("open \(path)") }
        defer { close(fd) }
        guard pwrite(fd, bytes, bytes.count, off_t(offset)) == bytes.count else { throw ScratchError.failed("pwrite \(path)") }
    }

    /// A sparse raw file of `size` bytes with `byte` written in `count`-byte runs at `offsets`.
    static func sparseRaw(_ path: String, size: Int, data offsets: [Int], count: Int = 4096, byte: UInt8 = 0x5A) throws {
        guard FileManager.default.createFile(atPath: path, contents: nil), truncate(path, off_t(size)) == 0 else {
            throw ScratchError.failed("create \(path)")
        }
        for offset in offsets { try patch(path, at: offset, count: count, byte: byte) }
    }

    static func bigEndian(_ value: UInt64) -> [UInt8] { (0..<8).map { UInt8(truncatingIfNeeded: value >> (56 - 8 * UInt64($0))) } }
    static func bigEndian(_ value: UInt32) -> [UInt8] { (0..<4).map { UInt8(truncatingIfNeeded: value >> (24 - 8 * UInt32($0))) } }
}
