import Glibc

/// The calling process's memory use, for `stats`.
public enum ProcessMemory {
    /// /proc/self/statm, opened once and re-read with pread (a read at offset 0 renders it afresh), so `stats`
    /// opens no file once vmctl-vmm's seccomp filter forbids open. -1 if it could not be opened.
    private static let statm = open("/proc/self/statm", O_RDONLY | O_CLOEXEC)

    /// Opens /proc/self/statm now, before a seccomp filter would forbid it.
    public static func prepare() { _ = statm }

    /// Resident set size in bytes from /proc/self/statm (second field, in pages); nil if unreadable.
    public static func residentBytes() -> Int? {
        guard statm >= 0 else { return nil }
        var buffer = [UInt8](repeating: 0, count: 256)
        let count = pread(statm, &buffer, buffer.count, 0)
        guard count > 0 else { return nil }
        let fields = buffer[..<count].split(separator: UInt8(ascii: " "))
        guard fields.count >= 2, let pages = Int(String(decoding: fields[1], as: UTF8.self)) else { return nil }
        return pages * Int(sysconf(Int32(_SC_PAGESIZE)))
    }
}
