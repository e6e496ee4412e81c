import Foundation
import VMCtlModel

extension ImageStore {
    /// Creates a VM's root disk at `path`: a qcow2 overlay whose unwritten clusters read from `base` (by absolute
    /// path, with `backing_fmt` set, so QEMU never probes the base's format). `size` nil: the base's virtual size;
    /// smaller than that is refused; sizes are rounded up to whole 512-byte sectors, as qemu-img does. Created
    /// under a temporary name in the same folder and linked into place, so `path` is either absent or a complete
    /// overlay; an existing `path` (a VM's disk) is never overwritten.
    public func createOverlay(base: StoredImage, at path: String, size: ByteSize?) throws {
        let target = Self.absolute(path)
        let bytes = Self.sectorAligned(size?.bytes ?? base.virtualSize.bytes)
        guard bytes >= base.virtualSize.bytes else {
            throw ImageError.overlayTooSmall(path: target, requested: bytes, baseVirtualSize: base.virtualSize.bytes)
        }
        guard FileManager.default.fileExists(atPath: base.path) else { throw ImageError.imageNotFound(digest: base.digest) }
        guard !FileManager.default.fileExists(atPath: target) else { throw ImageError.overlayExists(path: target) }
        let temporary = target + ".tmp-\(getpid())"
        unlink(temporary)
        defer { unlink(temporary) }
        try tool.createOverlay(path: temporary, backingFile: base.path, backingFormat: base.format, size: bytes)
        try FileDescriptor.open(temporary, flags: O_RDONLY).sync()
        // link(2) fails with EEXIST rather than replacing a disk that appeared meanwhile.
        guard link(temporary, target) == 0 else {
            if errno == EEXIST { throw ImageError.overlayExists(path: target) }
            throw ImageError.io(operation: "link \(temporary) to", path: target, code: errno)
        }
        try FileSystem.syncFolder(of: target)
    }

    /// Grows the overlay's virtual size to `size` (the guest sees the new space after a restart or a rescan).
    /// Shrinking is refused; the same size (after rounding up to 512-byte sectors) is a no-op. Fails while a VMM
    /// has the overlay open for writing.
    public func growOverlay(at path: String, to size: ByteSize) throws {
        let target = Self.absolute(path)
        let current = try overlayInfo(at: target).virtualSize.bytes
        let bytes = Self.sectorAligned(size.bytes)
        guard bytes >= current else {
            throw ImageError.overlayShrink(path: target, current: current, requested: size.bytes)
        }
        guard bytes > current else { return }
        try tool.resize(path: target, format: .qcow2, to: bytes)
    }

    /// Reads the overlay's sizes and backing file (`qemu-img info -U -f qcow2`: works while its VM runs).
    public func overlayInfo(at path: String) throws -> OverlayInfo {
        let target = Self.absolute(path)
        let info = try tool.info(path: target, format: .qcow2)
        var allocated = info.actualSize
        if allocated == nil {
            var status = stat()
            if stat(target, &status) == 0 { allocated = UInt64(status.st_blocks) * 512 }
        }
        return OverlayInfo(virtualSize: ByteSize(bytes: info.virtualSize), actualSize: ByteSize(bytes: allocated ?? 0),
                           backingFile: info.fullBackingFile ?? info.backingFile,
                           backingFormat: info.backingFormat.flatMap(ImageFormat.init(rawValue:)))
    }

    /// `bytes` rounded up to a whole number of 512-byte sectors: the sizes QEMU gives disks.
    public static func sectorAligned(_ bytes: UInt64) -> UInt64 {
        bytes % 512 == 0 ? bytes : bytes + (512 - bytes % 512)
    }
}
