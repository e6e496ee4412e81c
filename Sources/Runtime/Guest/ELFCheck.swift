import Foundation

/// Reads just enough of an ELF file to tell whether it runs without a dynamic loader, so a
/// dynamically linked busybox is refused at build time instead of failing inside the guest.
enum ELFCheck {
    enum Verdict: Equatable {
        case staticExecutable
        /// Carries the interpreter path from PT_INTERP, e.g. `/lib64/ld-linux-x86-64.so.2`.
        case dynamic(interpreter: String)
        case notELF64
    }

    static func inspect(_ data: Data) -> Verdict {
        let bytes = [UInt8](data.prefix(1 << 20))
        // e_ident: 0x7f 'E' 'L' 'F', class 2 (64-bit), data 1 (little-endian): all x86-64 binaries.
        guard bytes.count >= 64, bytes[0] == 0x7f, bytes[1] == 0x45, bytes[2] == 0x4c, bytes[3] == 0x46,
              bytes[4] == 2, bytes[5] == 1 else { return .notELF64 }
        // Offsets are clamped before use: a corrupt header must give `.notELF64`, not a trap.
        let limit = UInt64(bytes.count)
        guard read64(bytes, 0x20) < limit else { return .notELF64 }
        let programHeaders = Int(read64(bytes, 0x20))
        let entrySize = Int(read16(bytes, 0x36))
        let count = Int(read16(bytes, 0x38))
        guard entrySize >= 56 else { return .notELF64 }
        for index in 0..<count {
            let header = programHeaders + index * entrySize
            guard header + 56 <= bytes.count else { return .notELF64 }
            let pInterp: UInt32 = 3
            guard read32(bytes, header) == pInterp else { continue }
            let offset = read64(bytes, header + 8), size = read64(bytes, header + 32)
            guard offset < limit, size <= limit - offset else { return .dynamic(interpreter: "?") }
            let start = Int(offset), end = Int(offset + size)
            let path = bytes[start..<end].prefix { $0 != 0 }
            return .dynamic(interpreter: String(decoding: path, as: UTF8.self))
        }
        return .staticExecutable
    }

    private static func read16(_ bytes: [UInt8], _ at: Int) -> UInt16 {
        UInt16(bytes[at]) | UInt16(bytes[at + 1]) << 8
    }

    private static func read32(_ bytes: [UInt8], _ at: Int) -> UInt32 {
        (0..<4).reduce(UInt32(0)) { $0 | UInt32(bytes[at + $1]) << (8 * UInt32($1)) }
    }

    private static func read64(_ bytes: [UInt8], _ at: Int) -> UInt64 {
        (0..<8).reduce(UInt64(0)) { $0 | UInt64(bytes[at + $1]) << (8 * UInt64($1)) }
    }
}
