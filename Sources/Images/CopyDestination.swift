import Foundation

/// Where `HashingCopier` writes: whole aligned blocks go through an O_DIRECT descriptor when the file system takes
/// one, straight from the copier's buffer to the disk, and everything else (a file's last partial block, a file
/// system without O_DIRECT) through the page cache.
///
/// The copy is flushed before it is published anyway, so an import is bound by the disk either way; going around
/// the page cache saves copying every byte into it (the largest cost of a buffered import, measured with perf) and
/// leaves the host's cache to the VMs. Direct and buffered writes never cover the same block, and the final fsync
/// on the file covers both.
struct CopyDestination {
    let buffered: FileDescriptor
    private(set) var direct: FileDescriptor?

    /// O_DIRECT differs between architectures and Glibc's Swift module does not export it.
    static let directFlag: Int32? = {
        #if arch(x86_64)
        return 0o40000
        #elseif arch(arm64)
        return 0o200000
        #else
        return nil
        #endif
    }()

    /// The alignment O_DIRECT needs of offsets, lengths and buffers (a page covers 512- and 4096-byte sectors).
    static let alignment = 4096

    init(_ file: FileDescriptor, direct: Bool = true) {
        buffered = file
        if direct, let flag = Self.directFlag {
            self.direct = try? FileDescriptor.open(file.path, flags: O_WRONLY | flag)
        }
    }

    /// Writes all of `bytes` at `offset`.
    mutating func write(_ bytes: UnsafeRawBufferPointer, at offset: off_t) throws {
        if let direct, Self.isAligned(bytes, at: offset) {
            do {
                try direct.write(bytes, at: offset)
                return
            } catch ImageError.io(_, _, let code) where code == EINVAL {
                self.direct = nil   // the file system refused it after all: the page cache from here on
            }
        }
        try buffered.write(bytes, at: offset)
    }

    static func isAligned(_ bytes: UnsafeRawBufferPointer, at offset: off_t) -> Bool {
        guard let base = bytes.baseAddress else { return false }
        return Int(offset) % alignment == 0 && bytes.count % alignment == 0 && Int(bitPattern: base) % alignment == 0
    }
}
