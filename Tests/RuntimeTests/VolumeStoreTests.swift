import Foundation
import Testing
import VMCtlModel
@testable import Runtime

@Suite("VolumeStore")
struct VolumeStoreTests {
    let folder: String
    let store: VolumeStore

    init() throws {
        folder = try GuestTestSupport.temporaryFolder("volumes")
        store = VolumeStore(paths: StackPaths(stateDirectory: StateDirectory(path: folder), stack: "s"))
    }

    func size(_ path: String) -> UInt64 {
        ((try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? UInt64) ?? 0
    }

    /// Blocks really allocated on disk, in bytes.
    func allocated(_ path: String) -> Int {
        var info = stat()
        return stat(path, &info) == 0 ? Int(info.st_blocks) * 512 : -1
    }

    @Test("a sized volume is a sparse image of exactly that size, with a record; observe reports it")
    func createsSparse() throws {
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let spec = VolumeSpec(size: .gib(4))
        try store.create("data", spec: spec)
        let image = store.paths.volumeImage("data")
        #expect(size(image) == 4 << 30)
        #expect(allocated(image) < 1 << 20, "a new volume writes no blocks")
        #expect(!FileManager.default.fileExists(atPath: image + ".partial"))
        #expect(try store.observe() == ["data": ObservedVolume(name: "data", spec: spec, size: .gib(4))])
    }

    @Test("filesystem: ext4 formats the image (superblock magic 0xEF53) labelled with the volume's name",
          .enabled(if: GuestTestSupport.tool("mke2fs") != nil, "needs mke2fs (e2fsprogs)"))
    func formatsExt4() throws {
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try store.create("pgdata", spec: VolumeSpec(size: .mib(16), filesystem: .ext4))
        let handle = try #require(FileHandle(forReadingAtPath: store.paths.volumeImage("pgdata")))
        defer { try? handle.close() }
        try handle.seek(toOffset: 1024)
        let superblock = try #require(try handle.read(upToCount: 1024))
        #expect(superblock[56] == 0x53 && superblock[57] == 0xEF)
        #expect(String(decoding: superblock[120..<126], as: UTF8.self) == "pgdata")
    }

    @Test("an imported image keeps its content and is grown to the size asked for")
    func importsAndGrows() throws {
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let source = folder + "/seed.img"
        try Data("seed content".utf8).write(to: URL(fileURLWithPath: source))
        try store.create("seeded", spec: VolumeSpec(size: .mib(1), source: source))
        let image = store.paths.volumeImage("seeded")
        #expect(size(image) == 1 << 20)
        #expect(try Data(contentsOf: URL(fileURLWithPath: image)).prefix(12) == Data("seed content".utf8))
        #expect(try String(contentsOfFile: source, encoding: .utf8) == "seed content", "the source is left as it was")
    }

    @Test("importing a sparse image copies its data and keeps its holes")
    func importKeepsHoles() throws {
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let source = folder + "/sparse.img"
        FileManager.default.createFile(atPath: source, contents: nil)
        let handle = try #require(FileHandle(forWritingAtPath: source))
        try handle.write(contentsOf: Data("head".utf8))
        try handle.seek(toOffset: 64 << 20)
        try handle.write(contentsOf: Data(repeating: 0xA5, count: 1 << 20))
        try handle.truncate(atOffset: 128 << 20)
        try handle.close()
        try store.create("big", spec: VolumeSpec(source: source))
        let image = store.paths.volumeImage("big")
        #expect(size(image) == 128 << 20)
        #expect(allocated(image) < 8 << 20, "holes stay holes: \(allocated(image)) bytes allocated")
        let copy = try #require(FileHandle(forReadingAtPath: image))
        defer { try? copy.close() }
        #expect(try copy.read(upToCount: 4) == Data("head".utf8))
        try copy.seek(toOffset: 64 << 20)
        #expect(try copy.read(upToCount: 1 << 20) == Data(repeating: 0xA5, count: 1 << 20))
        try copy.seek(toOffset: 32 << 20)
        #expect(try copy.read(upToCount: 4096) == Data(count: 4096))
    }

    @Test("grow extends the image and its record; a smaller size never shrinks it")
    func growsNeverShrinks() throws {
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try store.create("data", spec: VolumeSpec(size: .mib(8)))
        try store.grow("data", spec: VolumeSpec(size: .mib(32)))
        #expect(size(store.paths.volumeImage("data")) == 32 << 20)
        #expect(try store.observe()["data"]?.spec.size == .mib(32))
        try store.grow("data", spec: VolumeSpec(size: .mib(4)))
        #expect(size(store.paths.volumeImage("data")) == 32 << 20)
    }

    @Test("delete removes the image and its record")
    func deletes() throws {
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try store.create("data", spec: VolumeSpec(size: .mib(1)))
        try store.delete("data")
        #expect(try store.observe().isEmpty)
        #expect((try? FileManager.default.contentsOfDirectory(atPath: store.paths.volumes)) == [])
        try store.delete("data")   // deleting what is gone is not an error
    }

    @Test("a failed import names the source and leaves no image, partial file or record")
    func failedImportLeavesNothing() throws {
        defer { try? FileManager.default.removeItem(atPath: folder) }
        #expect {
            try store.create("data", spec: VolumeSpec(size: .mib(1), source: folder + "/missing.img"))
        } throws: { "\($0)".contains("missing.img") }
        #expect((try? FileManager.default.contentsOfDirectory(atPath: store.paths.volumes)) == [])
        #expect(try store.observe().isEmpty)
    }
}
