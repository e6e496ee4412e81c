import Glibc

/// Builds `sockaddr_un` for a filesystem path and runs a call that takes it as `sockaddr`.
enum UnixAddress {
    /// sun_path holds 108 bytes including the NUL.
    static let maxPathBytes = 107

    static func with<T>(_ path: String, _ body: (UnsafePointer<sockaddr>, socklen_t) -> T) throws(VMMControlError) -> T {
        let bytes = Array(path.utf8)
        guard bytes.count <= maxPathBytes else { throw .socketPathTooLong(path) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        // sun_path is a fixed C array of 108 bytes, zeroed by the initializer; the path fits (checked above).
        withUnsafeMutableBytes(of: &address.sun_path) { buffer in
            for (index, byte) in bytes.enumerated() { buffer[index] = byte }
        }
        return withUnsafePointer(to: &address) { pointer in
            // sockaddr_un starts with the same family field as sockaddr, as bind(2)/connect(2) expect.
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { body($0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
    }
}
