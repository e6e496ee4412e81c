import Foundation

/// An image file opened for import: a regular file (a symlink is followed to one), read-only.
///
/// It is checked with stat(2) before opening, so opening never blocks on a FIFO or has the side effects of
/// opening a device, and again with fstat(2) on the open descriptor, so a path swapped in between is caught.
struct SourceFile {
    let path: String
    let file: FileDescriptor
    let identity: FileIdentity

    static func open(_ path: String) throws -> SourceFile {
        var info = stat()
        guard stat(path, &info) == 0 else { throw ImageError.io(operation: "open the image", path: path, code: errno) }
        try requireRegular(info, path: path)
        let file = try FileDescriptor.open(path, flags: O_RDONLY | O_NONBLOCK | O_NOCTTY, operation: "open the image")
        let opened = try file.status()
        try requireRegular(opened, path: path)
        guard opened.st_size > 0 else { throw ImageError.emptyImage(path: path) }
        return SourceFile(path: path, file: file, identity: FileIdentity(opened))
    }

    /// The file's identity now; differs from `identity` when it was written (or replaced) since it was opened.
    func currentIdentity() throws -> FileIdentity { FileIdentity(try file.status()) }

    private static func requireRegular(_ info: stat, path: String) throws {
        let type = info.st_mode & S_IFMT
        guard type != S_IFREG else { return }
        let kind: String
        switch type {
        case S_IFDIR: kind = "a folder"
        case S_IFCHR: kind = "a character device"
        case S_IFBLK: kind = "a block device (copy it to a file first)"
        case S_IFIFO: kind = "a FIFO"
        case S_IFSOCK: kind = "a socket"
        default: kind = "not a file"
        }
        throw ImageError.notARegularFile(path: path, kind: kind)
    }
}

/// What identifies a file's contents without reading them: any write changes the size, mtime or ctime, and a
/// replaced file has another inode. ctime cannot be set from user space (touch -d sets mtime, and moves ctime to now).
public struct FileIdentity: Hashable, Sendable, Codable {
    public var device: UInt64
    public var inode: UInt64
    public var size: Int64
    public var mtimeNanoseconds: Int64
    public var ctimeNanoseconds: Int64

    init(_ info: stat) {
        device = UInt64(info.st_dev)
        inode = UInt64(info.st_ino)
        size = Int64(info.st_size)
        mtimeNanoseconds = Int64(info.st_mtim.tv_sec) * 1_000_000_000 + Int64(info.st_mtim.tv_nsec)
        ctimeNanoseconds = Int64(info.st_ctim.tv_sec) * 1_000_000_000 + Int64(info.st_ctim.tv_nsec)
    }
}
