import Foundation
import Testing
import VMCtlModel
@testable import Images

@Suite("list, remove and prune honour the images VMs use")
struct RemovalTests {
    /// A store with three raw images; returns them in import order.
    func threeImages() throws -> (Scratch, [StoredImage]) {
        let scratch = try Scratch()
        let images = try (1...3).map { n in
            try scratch.store.import(path: try scratch.write("disk\(n).img", Data(repeating: UInt8(n), count: 8192)))
        }
        return (scratch, images)
    }

    @Test("list shows every image with its metadata; an empty or absent store lists nothing")
    func list() throws {
        let empty = try Scratch()
        defer { empty.remove() }
        #expect(try empty.store.list().isEmpty)
        let (scratch, images) = try threeImages()
        defer { scratch.remove() }
        let listed = try scratch.store.list()
        #expect(Set(listed.map(\.image)) == Set(images))
        #expect(listed.allSatisfy { $0.metadata.sources.count == 1 && $0.metadata.virtualSize == ByteSize(bytes: 8192) })
    }

    @Test("remove by a 12-digit prefix removes that image only")
    func removeByPrefix() throws {
        let (scratch, images) = try threeImages()
        defer { scratch.remove() }
        let removed = try scratch.store.remove(digest: String(images[1].digest.prefix(12)), inUse: Set<String>())
        #expect(removed == images[1].digest)
        #expect(Set(try scratch.store.list().map(\.digest)) == [images[0].digest, images[2].digest])
        #expect(scratch.storeEntries() == [images[0].digest, images[2].digest].sorted(), "no .remove- folder is left")
    }

    @Test("an image in use is not removed; the error names its users")
    func removeInUse() throws {
        let (scratch, images) = try threeImages()
        defer { scratch.remove() }
        let digest = images[0].digest
        #expect(throws: ImageError.inUse(digest: digest, users: ["web/a", "web/b"])) {
            try scratch.store.remove(digest: digest, inUse: [digest: ["web/b", "web/a"]])
        }
        #expect(throws: ImageError.inUse(digest: digest, users: [])) {
            try scratch.store.remove(digest: digest, inUse: Set([digest]))
        }
        #expect(FileManager.default.fileExists(atPath: images[0].path))
    }

    @Test("short, ambiguous, unknown and non-hex digests are refused")
    func badDigests() throws {
        let (scratch, images) = try threeImages()
        defer { scratch.remove() }
        // Two folders sharing a 12-digit prefix (no real content collides, so they are made by hand).
        let twin1 = "abcdefabcdef" + String(repeating: "1", count: 52)
        let twin2 = "abcdefabcdef" + String(repeating: "2", count: 52)
        for twin in [twin1, twin2] { try FileManager.default.createDirectory(atPath: scratch.store.root + "/sha256/" + twin, withIntermediateDirectories: false) }
        #expect(throws: ImageError.ambiguousDigest(prefix: "abcdefabcdef", matches: [twin1, twin2])) {
            try scratch.store.remove(digest: "abcdefabcdef", inUse: Set<String>())
        }
        #expect(throws: ImageError.digestPrefixTooShort("abcdefabcde")) { try scratch.store.remove(digest: "abcdefabcde", inUse: Set<String>()) }
        #expect(throws: ImageError.imageNotFound(digest: "0123456789ab")) { try scratch.store.remove(digest: "0123456789ab", inUse: Set<String>()) }
        #expect(throws: ImageError.invalidDigest("not-a-digest")) { try scratch.store.remove(digest: "not-a-digest", inUse: Set<String>()) }
        // A folder without its image.json (damaged by hand) can still be removed by its digest.
        #expect(try scratch.store.remove(digest: "sha256:" + twin1, inUse: Set<String>()) == twin1)
        #expect(try scratch.store.remove(digest: twin2.uppercased(), inUse: Set<String>()) == twin2)
        #expect(Set(try scratch.store.list().map(\.image)) == Set(images))
    }

    @Test("prune removes exactly the images not in use, and leftovers of interrupted imports and removals")
    func prune() throws {
        let (scratch, images) = try threeImages()
        defer { scratch.remove() }
        // A staging folder of a process that is gone (pid 2^22 + 1 is above pid_max's default) and a half removal.
        for leftover in [".import-4194305-1", ".remove-4194305-\(images[0].digest)"] {
            try FileManager.default.createDirectory(atPath: scratch.store.root + "/sha256/" + leftover, withIntermediateDirectories: false)
        }
        // And one of this process: still importing, kept.
        let live = ".import-\(getpid())-7"
        try FileManager.default.createDirectory(atPath: scratch.store.root + "/sha256/" + live, withIntermediateDirectories: false)
        let removed = try scratch.store.prune(inUse: [images[1].digest: ["s/vm"]])
        #expect(Set(removed.map(\.digest)) == [images[0].digest, images[2].digest])
        #expect(try scratch.store.list().map(\.digest) == [images[1].digest])
        #expect(scratch.storeEntries() == [live, images[1].digest].sorted())
        #expect(try scratch.store.prune(inUse: Set([images[1].digest])).isEmpty)
    }

    @Test("remove and prune refuse at once while a use lease is held; they work again once it is released")
    func lease() throws {
        let (scratch, images) = try threeImages()
        defer { scratch.remove() }
        let lease = try scratch.store.holdForUse()
        let second = try scratch.store.holdForUse()   // leases are shared
        #expect(throws: ImageError.busy(path: scratch.store.root + "/use.lock")) { try scratch.store.prune(inUse: Set<String>()) }
        #expect(throws: ImageError.busy(path: scratch.store.root + "/use.lock")) {
            try scratch.store.remove(digest: images[0].digest, inUse: Set<String>())
        }
        lease.release()
        second.release()
        #expect(try scratch.store.prune(inUse: Set<String>()).count == 3)
    }

    @Test("users are read under the lock: an error they throw removes nothing")
    func usersErrorRemovesNothing() throws {
        let (scratch, images) = try threeImages()
        defer { scratch.remove() }
        let failure = ImageError.unreadableVMRecord(path: "/s/vm.json", reason: "not JSON")
        #expect(throws: failure) { try scratch.store.prune(users: { throw failure }) }
        #expect(throws: failure) { try scratch.store.remove(digest: images[0].digest, users: { throw failure }) }
        #expect(try scratch.store.list().count == 3)
    }
}
