import Foundation

/// Writes an uncompressed cpio archive in the "newc" format (magic 070701), the format the Linux kernel
/// unpacks as an initramfs. Entries carry fixed owners (root) and a fixed mtime, so the same inputs
/// always give the same bytes and the same cache hash.
public struct CPIOWriter {
    public private(set) var data = Data()
    private var nextInode: UInt32 = 1
    private var finished = false

    public init() {}

    public enum EntryKind {
        case directory
        case file(Data)
        case symlink(target: String)
        case characterDevice(major: UInt32, minor: UInt32)
    }

    /// Mode bits of each kind, as stat(2) spells them.
    private static func typeBits(_ kind: EntryKind) -> UInt32 {
        switch kind {
        case .directory: return 0o040000
        case .file: return 0o100000
        case .symlink: return 0o120000
        case .characterDevice: return 0o020000
        }
    }

    public mutating func directory(_ path: String, mode: UInt32 = 0o755) {
        append(path, kind: .directory, permissions: mode)
    }

    public mutating func file(_ path: String, contents: Data, mode: UInt32 = 0o644) {
        append(path, kind: .file(contents), permissions: mode)
    }

    public mutating func symlink(_ path: String, target: String) {
        append(path, kind: .symlink(target: target), permissions: 0o777)
    }

    public mutating func characterDevice(_ path: String, major: UInt32, minor: UInt32, mode: UInt32 = 0o600) {
        append(path, kind: .characterDevice(major: major, minor: minor), permissions: mode)
    }

    /// Adds the `TRAILER!!!` entry that ends the archive and returns the archive.
    public mutating func finish() -> Data {
        if !finished {
            writeHeader(name: "TRAILER!!!", inode: 0, mode: 0, links: 1, size: 0, rdevMajor: 0, rdevMinor: 0)
            finished = true
        }
        return data
    }

    /// Paths are stored relative ("bin/sh", not "/bin/sh"): the kernel accepts both, and `cpio -i` then
    /// extracts into the current folder instead of over the host's root.
    public mutating func append(_ path: String, kind: EntryKind, permissions: UInt32) {
        precondition(!finished, "CPIOWriter: append after finish")
        let name = String(path.drop { $0 == "/" })
        let body: Data
        var rdev: (UInt32, UInt32) = (0, 0)
        switch kind {
        case .directory: body = Data()
        case .file(let contents): body = contents
        case .symlink(let target): body = Data(target.utf8)
        case .characterDevice(let major, let minor):
            body = Data()
            rdev = (major, minor)
        }
        let links: UInt32
        if case .directory = kind { links = 2 } else { links = 1 }
        writeHeader(name: name, inode: nextInode, mode: Self.typeBits(kind) | (permissions & 0o7777), links: links,
                    size: UInt32(body.count), rdevMajor: rdev.0, rdevMinor: rdev.1)
        nextInode += 1
        data.append(body)
        pad()
    }

    private mutating func writeHeader(name: String, inode: UInt32, mode: UInt32, links: UInt32, size: UInt32,
                                      rdevMajor: UInt32, rdevMinor: UInt32) {
        let nameBytes = Data(name.utf8)
        // Fields in order: ino, mode, uid, gid, nlink, mtime, filesize, devmajor, devminor, rdevmajor,
        // rdevminor, namesize (with its NUL), check (always 0 in newc).
        let fields: [UInt32] = [inode, mode, 0, 0, links, 0, size, 0, 0, rdevMajor, rdevMinor, UInt32(nameBytes.count + 1), 0]
        var header = "070701"
        for field in fields {
            let hex = String(field, radix: 16, uppercase: true)
            header += String(repeating: "0", count: 8 - hex.count) + hex
        }
        data.append(Data(header.utf8))
        data.append(nameBytes)
        data.append(0)
        pad()
    }

    /// newc aligns every header and every body to 4 bytes.
    private mutating func pad() {
        let remainder = data.count % 4
        if remainder != 0 { data.append(Data(count: 4 - remainder)) }
    }
}
