import Foundation
import Testing
import VMCtlModel
@testable import Images

@Suite("ImageStore.import refuses what would make the VMM read other host files, and what is not a file")
struct RefusalTests {
    /// Imports `source` and expects a refusal of the qcow2 whose message contains `phrase`; the store stays empty.
    func expectRefused(_ scratch: Scratch, _ source: String, _ phrase: String) {
        #expect {
            try scratch.store.import(path: source)
        } throws: { error in
            guard case .refusedQCOW2(let path, let reason)? = error as? ImageError else { return false }
            return path == source && reason.contains(phrase)
        }
        #expect(scratch.storeEntries().isEmpty, "nothing is left in the store")
    }

    @Test("a qcow2 with a backing file (qemu-img create -b) is refused", .enabled(if: Host.hasQEMUImg))
    func backingFile() throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let secret = scratch.path("secret.raw")
        try Host.qemuImg("create", "-q", "-f", "raw", secret, "16M")
        let source = scratch.path("child.qcow2")
        try Host.qemuImg("create", "-q", "-f", "qcow2", "-b", secret, "-F", "raw", source)
        expectRefused(scratch, source, "backing file")
    }

    @Test("a qcow2 with an external data file (-o data_file=) is refused", .enabled(if: Host.hasQEMUImg))
    func dataFile() throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let source = scratch.path("external.qcow2")
        try Host.qemuImg("create", "-q", "-f", "qcow2", "-o", "data_file=\(scratch.path("data.raw"))", source, "16M")
        expectRefused(scratch, source, "external data file")
    }

    @Test("an encrypted qcow2 (crypt_method 1, AES, or 2, LUKS) is refused", .enabled(if: Host.hasQEMUImg),
          arguments: [(UInt32(1), "encrypted (AES)"), (UInt32(2), "encrypted (LUKS)")])
    func encrypted(method: UInt32, phrase: String) throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        // The header field, set by hand: qemu-img's LUKS creation times its key derivation and fails on a busy machine.
        let source = scratch.path("encrypted.qcow2")
        try Host.qemuImg("create", "-q", "-f", "qcow2", source, "16M")
        try Host.poke(source, at: 32, Host.bigEndian(method))
        expectRefused(scratch, source, phrase)
    }

    @Test("a qcow2 marked corrupt, or with an incompatible feature bit vmctl does not know, is refused",
          .enabled(if: Host.hasQEMUImg), arguments: [(UInt64(1) << 1, "corrupt"), (UInt64(1) << 9, "(9)"), (UInt64(1) << 63, "(63)")])
    func incompatibleBits(bits: UInt64, phrase: String) throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let source = scratch.path("odd.qcow2")
        try Host.qemuImg("create", "-q", "-f", "qcow2", source, "16M")
        try Host.poke(source, at: 72, Host.bigEndian(bits))
        expectRefused(scratch, source, phrase)
    }

    @Test("a dirty qcow2 (incompatible bit 0, lazy refcounts) is accepted", .enabled(if: Host.hasQEMUImg))
    func dirtyAccepted() throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let source = scratch.path("dirty.qcow2")
        try Host.qemuImg("create", "-q", "-f", "qcow2", "-o", "lazy_refcounts=on", source, "16M")
        try Host.poke(source, at: 72, Host.bigEndian(UInt64(1)))
        #expect(try scratch.store.import(path: source).format == .qcow2)
    }

    @Test("a file with the qcow2 magic but a truncated header or an unknown version is refused as malformed",
          arguments: [([0x51, 0x46, 0x49, 0xFB, 0, 0, 0, 3] + [UInt8](repeating: 0, count: 60), "truncated"),
                      ([0x51, 0x46, 0x49, 0xFB, 0, 0, 0, 4] + [UInt8](repeating: 0, count: 200), "version 4")])
    func malformed(bytes: [UInt8], phrase: String) throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let source = try scratch.write("bad.qcow2", Data(bytes))
        #expect {
            try scratch.store.import(path: source)
        } throws: { error in
            guard case .malformedQCOW2(let path, let reason)? = error as? ImageError else { return false }
            return path == source && reason.contains(phrase)
        }
        #expect(scratch.storeEntries().isEmpty)
    }

    @Test("a folder, a character device, a FIFO and a symlink to a device are refused naming the path and what it is",
          arguments: [("folder", "a folder"), ("/dev/zero", "a character device"), ("fifo", "a FIFO"), ("link-to-null", "a character device")])
    func notRegular(name: String, kind: String) throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        var path = name.hasPrefix("/") ? name : scratch.path(name)
        switch name {
        case "folder": try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: false)
        case "fifo": #expect(mkfifo(path, 0o600) == 0)
        case "link-to-null": try FileManager.default.createSymbolicLink(atPath: path, withDestinationPath: "/dev/null")
        default: path = name
        }
        // A FIFO with no writer would block an open(2) without O_NONBLOCK: finishing at all is part of the test.
        #expect(throws: ImageError.notARegularFile(path: path, kind: kind)) { try scratch.store.import(path: path) }
        #expect(scratch.storeEntries().isEmpty)
    }

    @Test("a symlink to a regular file is followed; the link's path is what image.json records")
    func symlinkFollowed() throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let target = try scratch.write("real.img", Data(repeating: 4, count: 8192))
        let link = scratch.path("current.img")
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: target)
        let stored = try scratch.store.import(path: link)
        #expect(stored.digest == (try Host.sha256sum(target)))
        #expect(try scratch.store.list().first?.metadata.sources == [link])
    }

    @Test("an empty file and a missing file are refused with their path")
    func emptyAndMissing() throws {
        let scratch = try Scratch()
        defer { scratch.remove() }
        let empty = try scratch.write("empty.img", Data())
        #expect(throws: ImageError.emptyImage(path: empty)) { try scratch.store.import(path: empty) }
        let missing = scratch.path("missing.img")
        #expect(throws: ImageError.io(operation: "open the image", path: missing, code: ENOENT)) {
            try scratch.store.import(path: missing)
        }
    }
}
