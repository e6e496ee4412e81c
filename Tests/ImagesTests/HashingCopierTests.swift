import Foundation
import Testing
@testable import Images

@Suite("HashingCopier: one pass of read, SHA-256 (on a second thread) and sparse write")
struct HashingCopierTests {
    func open(_ path: String, _ flags: Int32) throws -> FileDescriptor {
        try FileDescriptor.open(path, flags: flags, mode: 0o644)
    }

    @Test("many buffers, holes, zero blocks and an unaligned tail: sha256sum's digest, the same bytes, only data written",
          arguments: [true, false])
    func digestAndContent(direct: Bool) throws {
        let scratch = try Scratch("copier")
        defer { scratch.remove() }
        let source = scratch.path("mixed.img")
        let size = 3 * HashingCopier.bufferSize + 5 * 4096 + 123
        try Host.sparseRaw(source, size: size, data: [0, HashingCopier.bufferSize - 2048, 2 * HashingCopier.bufferSize + 8192], count: 4096)
        try Host.patch(source, at: size - 100, count: 100, byte: 0x77)
        try Host.patch(source, at: 4 << 20 + 65536, count: 1 << 20, byte: 0)   // written zeros: data to SEEK_DATA, not to the copy
        let destination = scratch.path("copy.img")
        let result = try HashingCopier.copy(from: try open(source, O_RDONLY), length: Int64(size),
                                            to: try open(destination, O_RDWR | O_CREAT | O_EXCL), direct: direct)
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
            // Buffered: a descriptor opened read-only fails its writes (O_DIRECT would open the path again, writable).
            try HashingCopier.copy(from: try open(source, O_RDONLY), length: 9 << 20, to: try open(destination, O_RDONLY), direct: false)
        }
    }

    @Test("CopyDestination: aligned whole blocks go through O_DIRECT where the file system takes it, the rest buffered; both land")
    func directAndBuffered() throws {
        let scratch = try Scratch("copier")
        defer { scratch.remove() }
        let path = scratch.path("out.img")
        var destination = CopyDestination(try open(path, O_RDWR | O_CREAT | O_EXCL))
        try #require(destination.direct != nil, "O_DIRECT is available on \(scratch.folder)'s file system")
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 3 * 4096, alignment: 4096)
        defer { buffer.deallocate() }
        buffer.initializeMemory(as: UInt8.self, repeating: 0xC3)
        let aligned = UnsafeRawBufferPointer(rebasing: buffer[0..<8192])
        let unaligned = UnsafeRawBufferPointer(rebasing: buffer[100..<(100 + 4096)])
        #expect(CopyDestination.isAligned(aligned, at: 4096))
        #expect(!CopyDestination.isAligned(aligned, at: 100))
        #expect(!CopyDestination.isAligned(unaligned, at: 16384))
        #expect(!CopyDestination.isAligned(UnsafeRawBufferPointer(rebasing: buffer[0..<123]), at: 0))
        try destination.write(aligned, at: 4096)
        try destination.write(unaligned, at: 16384)
        try destination.write(UnsafeRawBufferPointer(rebasing: buffer[0..<123]), at: 20480)
        #expect(destination.direct != nil, "aligned writes did not make it give up O_DIRECT")
        let content = try #require(FileManager.default.contents(atPath: path))
        #expect(content.count == 20480 + 123)
        #expect(content[0..<4096].allSatisfy { $0 == 0 } && content[4096..<12288].allSatisfy { $0 == 0xC3 })
        #expect(content[12288..<16384].allSatisfy { $0 == 0 } && content[16384...].allSatisfy { $0 == 0xC3 })
    }
}
