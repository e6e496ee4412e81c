import Foundation

/// Bytes a file really takes on disk (allocated blocks), not its apparent size: a sparse overlay is small.
public enum DiskUsage {
    public static func allocatedBytes(_ path: String) -> UInt64? {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        return UInt64(info.st_blocks) * 512
    }
}
