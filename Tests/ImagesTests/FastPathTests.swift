import Foundation
import Testing
import VMCtlModel
@testable import Images

@Suite("The import fast path: (device, inode, size, mtime, ctime) → digest")
struct FastPathTests {
    /// The fast-path index's entries.
    func index(_ scratch: Scratch) throws -> [ImportIndex.Entry] {
        try FileSystem.readJSON(ImportIndex.self, from: scratch.store.root + "/index.json").entries
    }

    @Test("an unchanged file is found in the index without being read again")
    func unchangedIsNotRead() throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let source = try scratch.write("disk.img", Data(repeating: 0x11, count: 1 << 20))
        let first = try scratch.store.import(path: source)
        #expect(try index(scratch).map(\.digest) == [first.digest])
        #expect(try scratch.store.import(path: source) == first)
        // Proof that the file is not read: point its entry at another stored image, and the import believes it.
        let other = try scratch.store.import(path: try scratch.write("other.img", Data(repeating: 0x22, count: 4096)))
        var forged = ImportIndex.load(scratch.store.root + "/index.json")
        forged.entries = forged.entries.map { $0.path == source ? ImportIndex.Entry(path: source, identity: $0.identity, digest: other.digest) : $0 }
        try FileSystem.writeJSON(forged, to: scratch.store.root + "/index.json")
        #expect(try scratch.store.import(path: source) == other)
    }

    @Test("a modification (same size, mtime put back) misses the index and is hashed again")
    func modificationInvalidates() throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let source = try scratch.write("disk.img", Data(repeating: 0x11, count: 1 << 20))
        var before = stat()
        #expect(stat(source, &before) == 0)
        let first = try scratch.store.import(path: source)
        try Host.patch(source, at: 4096, count: 16, byte: 0xEE)
        // Put the mtime back as it was: only the ctime (which user space cannot set) tells.
        var times = [before.st_atim, before.st_mtim]
        #expect(utimensat(AT_FDCWD, source, &times, 0) == 0)
        let second = try scratch.store.import(path: source)
        #expect(second.digest != first.digest)
        #expect(second.digest == (try Host.sha256sum(source)))
        #expect(try index(scratch).filter { $0.path == source }.map(\.digest) == [second.digest], "one entry per path, updated")
    }

    @Test("an index entry whose image was removed is not trusted; the file is imported again")
    func removedImage() throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let source = try scratch.write("disk.img", Data(repeating: 0x11, count: 1 << 20))
        let first = try scratch.store.import(path: source)
        try scratch.store.remove(digest: first.digest, inUse: Set<String>())
        #expect(try index(scratch).isEmpty, "removal forgets the digest")
        #expect(try scratch.store.import(path: source) == first)
        #expect(FileManager.default.fileExists(atPath: first.path))
    }

    @Test("an expected digest that differs from the index's is checked by hashing, not taken from the index")
    func expectedDigestRehashes() throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let source = try scratch.write("disk.img", Data(repeating: 0x11, count: 1 << 20))
        let first = try scratch.store.import(path: source)
        let wrong = String(repeating: "0", count: 64)
        #expect(throws: ImageError.digestMismatch(path: source, expected: wrong, actual: first.digest)) {
            try scratch.store.import(path: source, expectedSHA256: wrong)
        }
    }

    @Test("a fast-path import still adds a new path to image.json and moves lastImportedAt")
    func fastPathRecordsUse() throws {
        let clock = Clock()
        let scratch = try Scratch()
        let store = ImageStore(root: scratch.store.root, now: { clock.now })
        defer { scratch.remove() }
        let source = try scratch.write("disk.img", Data(repeating: 0x11, count: 1 << 20))
        let stored = try store.import(path: source)
        clock.advance(3600)
        _ = try store.import(path: source)
        let metadata = try #require(try store.list().first?.metadata)
        #expect(metadata.lastImportedAt.timeIntervalSince(metadata.importedAt) == 3600)
        #expect(metadata.digest == stored.digest)
    }
}

/// A settable clock for `ImageStore(now:)`.
final class Clock: @unchecked Sendable {
    // @unchecked: tests set and read it from one task.
    private(set) var now = Date(timeIntervalSince1970: 1_700_000_000)
    func advance(_ seconds: TimeInterval) { now += seconds }
}
