import Foundation
import Testing
import VMCtlModel
@testable import Images

@Suite("Overlays: a VM's own qcow2 on a stored base", .enabled(if: Host.hasQEMUImg))
struct OverlayTests {
    /// A store with one imported image: a 32 MiB raw disk with a pattern at its start.
    func withBase(_ format: ImageFormat = .raw, storeFolder: String = "state/images") throws -> (Scratch, StoredImage) {
        let scratch = try Scratch(storeFolder: storeFolder)
        let source = scratch.path("base.\(format.rawValue)")
        try Host.qemuImg("create", "-q", "-f", format.rawValue, source, "32M")
        if format == .raw { try Host.patch(source, at: 0, count: 1 << 20, byte: 0x11) }
        return (scratch, try scratch.store.import(path: source))
    }

    @Test("an overlay of the base's size by default, backed by the stored base with its format", arguments: [ImageFormat.raw, .qcow2])
    func create(format: ImageFormat) throws {
        let (scratch, base) = try withBase(format)
        defer { scratch.remove() }
        let disk = scratch.path("vm/disk.qcow2")
        try FileManager.default.createDirectory(atPath: scratch.path("vm"), withIntermediateDirectories: true)
        try scratch.store.createOverlay(base: base, at: disk, size: nil)
        let info = try scratch.store.overlayInfo(at: disk)
        #expect(info.virtualSize == .mib(32))
        #expect(info.backingFile == base.path)
        #expect(info.backingFormat == format)
        #expect(info.actualSize.bytes > 0 && info.actualSize.bytes < 1 << 20)
        #expect(try FileManager.default.contentsOfDirectory(atPath: scratch.path("vm")) == ["disk.qcow2"], "no temporary file left")
    }

    @Test("a larger size is the overlay's virtual size; a smaller one than the base is refused, and nothing is created")
    func sizes() throws {
        let (scratch, base) = try withBase()
        defer { scratch.remove() }
        let big = scratch.path("big.qcow2")
        try scratch.store.createOverlay(base: base, at: big, size: .gib(2))
        #expect(try scratch.store.overlayInfo(at: big).virtualSize == .gib(2))
        let small = scratch.path("small.qcow2")
        #expect(throws: ImageError.overlayTooSmall(path: small, requested: 16 << 20, baseVirtualSize: 32 << 20)) {
            try scratch.store.createOverlay(base: base, at: small, size: .mib(16))
        }
        #expect(!FileManager.default.fileExists(atPath: small))
    }

    @Test("an existing disk is never overwritten")
    func existingKept() throws {
        let (scratch, base) = try withBase()
        defer { scratch.remove() }
        let disk = try scratch.write("disk.qcow2", Data("a VM's data".utf8))
        #expect(throws: ImageError.overlayExists(path: disk)) { try scratch.store.createOverlay(base: base, at: disk, size: nil) }
        #expect(FileManager.default.contents(atPath: disk) == Data("a VM's data".utf8))
    }

    @Test("grow: a larger size grows the overlay; the same size is a no-op; a smaller one is refused")
    func grow() throws {
        let (scratch, base) = try withBase()
        defer { scratch.remove() }
        let disk = scratch.path("disk.qcow2")
        try scratch.store.createOverlay(base: base, at: disk, size: .mib(64))
        try scratch.store.growOverlay(at: disk, to: .mib(128))
        #expect(try scratch.store.overlayInfo(at: disk).virtualSize == .mib(128))
        try scratch.store.growOverlay(at: disk, to: .mib(128))
        #expect(throws: ImageError.overlayShrink(path: disk, current: 128 << 20, requested: 64 << 20)) {
            try scratch.store.growOverlay(at: disk, to: .mib(64))
        }
        #expect(try scratch.store.overlayInfo(at: disk).virtualSize == .mib(128))
    }

    @Test("writes to the overlay land in the overlay; the base's bytes and digest are unchanged; the overlay reads them",
          .enabled(if: Host.hasQEMUIO))
    func copyOnWrite() throws {
        let (scratch, base) = try withBase()
        defer { scratch.remove() }
        let before = try Host.sha256sum(base.path)
        let disk = scratch.path("disk.qcow2")
        try scratch.store.createOverlay(base: base, at: disk, size: nil)
        try Host.run(Host.qemuIO, ["-f", "qcow2", "-c", "write -P 0xab 0 1M", disk])
        #expect(try Host.sha256sum(base.path) == before)
        #expect(before == base.digest)
        // The overlay has the new bytes at 0 and the base's beyond what was written.
        let read = try Host.run(Host.qemuIO, ["-f", "qcow2", "-c", "read -P 0xab 0 1M", "-c", "read -P 0 1M 1M", disk])
        #expect(!read.contains("Pattern verification failed"), "\(read)")
        #expect(try scratch.store.overlayInfo(at: disk).actualSize.bytes >= 1 << 20)
    }

    @Test("a store under a path with a comma still gives overlays the right backing file")
    func commaInPath() throws {
        let (scratch, base) = try withBase(storeFolder: "st,ate/images")
        defer { scratch.remove() }
        let disk = scratch.path("disk.qcow2")
        try scratch.store.createOverlay(base: base, at: disk, size: nil)
        #expect(try scratch.store.overlayInfo(at: disk).backingFile == base.path)
        #expect(base.path.contains("st,ate"))
    }

    @Test("a raw base and sizes that are not whole sectors: the overlay matches the base, growing to the same size is a no-op")
    func unalignedSizes() throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let base = try scratch.store.import(path: try scratch.write("odd.raw", Data(repeating: 0x42, count: 3_000_000)))
        #expect(base.virtualSize == ByteSize(bytes: 3_000_320))
        let disk = scratch.path("disk.qcow2")
        try scratch.store.createOverlay(base: base, at: disk, size: nil)
        #expect(try scratch.store.overlayInfo(at: disk).virtualSize == base.virtualSize)
        try scratch.store.growOverlay(at: disk, to: ByteSize(bytes: 5_000_000))
        #expect(try scratch.store.overlayInfo(at: disk).virtualSize == ByteSize(bytes: 5_000_192))
        try scratch.store.growOverlay(at: disk, to: ByteSize(bytes: 5_000_000))
        let other = scratch.path("other.qcow2")
        try scratch.store.createOverlay(base: base, at: other, size: ByteSize(bytes: 3_000_001))
        #expect(try scratch.store.overlayInfo(at: other).virtualSize == base.virtualSize)
    }

    @Test("an overlay on a base that is no longer stored is refused")
    func missingBase() throws {
        let (scratch, base) = try withBase()
        defer { scratch.remove() }
        try scratch.store.remove(digest: base.digest, inUse: Set<String>())
        #expect(throws: ImageError.imageNotFound(digest: base.digest)) {
            try scratch.store.createOverlay(base: base, at: scratch.path("disk.qcow2"), size: nil)
        }
    }
}
