import Foundation
import Testing
@testable import Images

@Suite("HashingCopier: one pass of read, SHA-256 (on a second thread) and sparse write")
struct HashingCopierTests {
    func open(_ path: String, _ flags: Int32) throws -> FileDescriptor {
        try FileDescriptor.open(path, flags: flags, mode: 0o644)
    }

    @Test("many buffers, holes, zero blocks and an unaligned tail: sha256sum's digest, the same bytes, only data written")
    func digestAndContent() throws {
        let scratch = try Scratch("copier")
        defer { scratch.remove() }
        let source = scratch.path("mixed.img")
        let size = 3 * HashingCopier.bufferSize + 5 * 4096 + 123
        try Host.sparseRaw(source, size: size, data: [0, HashingCopier.bufferSize - 2048, 2 * HashingCopier.bufferSize + 8192], count: 4096)
        try Host.patch(source, at: size - 100, count: 100, byte: 0x77)
        try Host.patch(source, at: 4 << 20 + 65536, count: 1 << 20, byte: 0)   // written zeros: data to SEEK_DATA, not to the copy
        let destination = scratch.path("copy.img")
        let result = try HashingCopier.copy(from: try open(source, O_RDONLY), length: Int64(size),
                                            to: try open(destination, O_RDWR | O_CREAT | O_EXCL))
        #expect(result.digest == (try Host.sha256sum(source)))
        #expect(FileManager.default.contents(atPath: destination) == FileManager.default.contents(atPath: source))
        // Blocks with data: the one at 0, the two straddling bufferSize - 2048, the one at 2 × bufferSize + 8192, the 123-byte tail.
        #expect(result.bytesWritten == 4096 + 8192 + 4096 + 123)
    }

    @Test("a source shorter than promised (it shrank while being copied) is an error, and the hasher thread ends")
    func shrank() throws {
        let scratch = try Scratch("copier")
        defer { scratch.remove() }
        let source = try scratch.write("short.img", Data(repeating: 1, count: 6 << 20))
        let destination = scratch.path("copy.img")
        #expect(throws: ImageError.sourceChanged(path: source)) {
            try HashingCopier.copy(from: try open(source, O_RDONLY), length: 64 << 20, to: try open(destination, O_RDWR | O_CREAT))
        }
    }

    @Test("a write error is an error naming the copy, and the hasher thread ends")
    func writeFails() throws {
        let scratch = try Scratch("copier")
        defer { scratch.remove() }
        let source = try scratch.write("disk.img", Data(repeating: 1, count: 9 << 20))
        let destination = try scratch.write("readonly.img", Data())
        #expect(throws: ImageError.io(operation: "write", path: destination, code: EBADF)) {
            try HashingCopier.copy(from: try open(source, O_RDONLY), length: 9 << 20, to: try open(destination, O_RDONLY))
        }
    }
}
