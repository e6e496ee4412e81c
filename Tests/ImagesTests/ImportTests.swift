import Foundation
import Synchronization
import Testing
import VMCtlModel
@testable import Images

@Suite("ImageStore.import: formats, digests, sparseness, layout")
struct ImportTests {
    @Test("a raw image: digest as sha256sum's, format raw, virtual size = length rounded up to 512, base 0444, image.json and folders not group/world-writable")
    func raw() throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        var content = Data((0..<(3 << 20)).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ $0 >> 11) })
        content.append(contentsOf: Array("tail".utf8))
        let source = try scratch.write("disk.img", content)
        let stored = try scratch.store.import(path: source)
        #expect(stored.digest == (try Host.sha256sum(source)))
        #expect(stored.format == .raw)
        #expect(stored.virtualSize == ByteSize(bytes: UInt64(content.count - 4 + 512)), "rounded up to whole sectors, as QEMU shows it")
        #expect(stored.path == "\(scratch.store.root)/sha256/\(stored.digest)/base.raw")
        #expect(FileManager.default.contents(atPath: stored.path) == content)
        #expect(Host.mode(stored.path) == 0o444)
        let record = "\(scratch.store.root)/sha256/\(stored.digest)/image.json"
        #expect(Host.mode(record) & 0o022 == 0)
        #expect(Host.mode("\(scratch.store.root)/sha256/\(stored.digest)") & 0o022 == 0)
        #expect(Host.mode(scratch.store.root) & 0o022 == 0)
        #expect(Host.mode(scratch.path("state")) == 0o700, "a missing state folder is made 0700, like the runtime makes it")
        let metadata = try FileSystem.readJSON(ImageMetadata.self, from: record)
        #expect(metadata.digest == stored.digest)
        #expect(metadata.format == .raw)
        #expect(metadata.virtualSize == stored.virtualSize)
        #expect(metadata.sources == [source])
        #expect(metadata.actualSize.bytes > 0)
        #expect(scratch.storeEntries() == [stored.digest], "no staging folder or temporary file is left")
    }

    @Test("qcow2 images (version 3 and compat=0.10 version 2) are detected from the header, with the header's virtual size",
          .enabled(if: Host.hasQEMUImg), arguments: ["1.1", "0.10"])
    func qcow2(compat: String) throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let source = scratch.path("cloud.qcow2")
        try Host.qemuImg("create", "-q", "-f", "qcow2", "-o", "compat=\(compat)", source, "96M")
        let stored = try scratch.store.import(path: source)
        #expect(stored.format == .qcow2)
        #expect(stored.virtualSize == .mib(96))
        #expect(stored.digest == (try Host.sha256sum(source)))
        #expect(stored.path.hasSuffix("/base.qcow2"))
        #expect(FileManager.default.contents(atPath: stored.path) == FileManager.default.contents(atPath: source))
    }

    @Test("a sparse raw image stays sparse: holes and written zero blocks are not allocated; content is identical")
    func sparse() throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let source = scratch.path("sparse.img")
        try Host.sparseRaw(source, size: 64 << 20, data: [0, 32 << 20, (64 << 20) - 4096])
        // 4 MiB of explicit zeros: allocated in the source, must not be in the copy.
        try Host.patch(source, at: 8 << 20, count: 4 << 20, byte: 0)
        #expect(Host.allocated(source) >= 4 << 20)
        let stored = try scratch.store.import(path: source)
        #expect(Host.size(stored.path) == 64 << 20)
        #expect(Host.allocated(stored.path) <= 256 << 10, "only the three 4 KiB data blocks (and metadata) are allocated")
        #expect(FileManager.default.contents(atPath: stored.path) == FileManager.default.contents(atPath: source))
        #expect(stored.digest == (try Host.sha256sum(source)))
    }

    @Test("a wrong sha256 is refused naming the path and both digests, and nothing is left in the store")
    func wrongDigest() throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let source = try scratch.write("disk.img", Data(repeating: 1, count: 1 << 20))
        let actual = try Host.sha256sum(source)
        let expected = String(repeating: "ab", count: 32)
        #expect {
            try scratch.store.import(path: source, expectedSHA256: expected)
        } throws: { error in
            let text = "\(error)"
            return error as? ImageError == .digestMismatch(path: source, expected: expected, actual: actual)
                && text.contains(source) && text.contains(expected) && text.contains(actual)
        }
        #expect(scratch.storeEntries().isEmpty)
        #expect(try scratch.store.list().isEmpty)
    }

    @Test("the right sha256 is accepted, in upper case or with a sha256: prefix too")
    func rightDigest() throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let source = try scratch.write("disk.img", Data(repeating: 2, count: 1 << 20))
        let digest = try Host.sha256sum(source)
        #expect(try scratch.store.import(path: source, expectedSHA256: digest).digest == digest)
        #expect(try scratch.store.import(path: source, expectedSHA256: "sha256:" + digest.uppercased()).digest == digest)
    }

    @Test("an expected sha256 that is not 64 hex digits is refused before anything is read")
    func malformedDigest() throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let source = try scratch.write("disk.img", Data(repeating: 2, count: 4096))
        #expect(throws: ImageError.invalidDigest("abc123")) { try scratch.store.import(path: source, expectedSHA256: "abc123") }
        #expect(scratch.storeEntries().isEmpty)
    }

    @Test("identical content from two paths is stored once; image.json lists both sources")
    func reuse() throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let content = Data(repeating: 0x33, count: 2 << 20)
        let first = try scratch.write("a.img", content)
        let second = try scratch.write("b.img", content)
        let one = try scratch.store.import(path: first)
        let two = try scratch.store.import(path: second)
        #expect(one == two)
        #expect(scratch.storeEntries() == [one.digest])
        let entries = try scratch.store.list()
        #expect(entries.count == 1)
        #expect(entries.first?.metadata.sources == [first, second])
    }

    @Test("concurrent imports of the same content: one stored copy, every source recorded, no staging folder left")
    func concurrentImports() throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let content = Data((0..<(6 << 20)).map { UInt8(truncatingIfNeeded: $0 >> 9) })
        let sources = try (0..<4).map { try scratch.write("copy\($0).img", content) }
        let results = Mutex<[Result<StoredImage, ImageError>]>([])
        DispatchQueue.concurrentPerform(iterations: sources.count) { n in
            let result = Result { try scratch.store.import(path: sources[n]) }.mapError { $0 as? ImageError ?? .invalidDigest("\($0)") }
            results.withLock { $0.append(result) }
        }
        let images = try results.withLock { $0 }.map { try $0.get() }
        #expect(Set(images).count == 1)
        let digest = try #require(images.first?.digest)
        #expect(scratch.storeEntries() == [digest])
        #expect(Set(try scratch.store.list().first?.metadata.sources ?? []) == Set(sources))
    }

    @Test("a relative path is recorded as an absolute one")
    func relativePath() throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let source = try scratch.write("rel.img", Data(repeating: 9, count: 4096))
        let relative = String(repeating: "../", count: FileManager.default.currentDirectoryPath.split(separator: "/").count) + String(source.dropFirst())
        let stored = try scratch.store.import(path: relative)
        #expect(try scratch.store.list().first?.metadata.sources == [source])
        #expect(stored.path.hasPrefix("/"))
    }
}
