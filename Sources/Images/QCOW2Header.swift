/// The fields of a qcow2 header (docs/interop/qcow2.txt in QEMU) that decide whether an image is safe to store:
/// all big-endian, at fixed offsets.
struct QCOW2Header: Equatable, Sendable {
    static let magic: [UInt8] = [0x51, 0x46, 0x49, 0xFB]   // "QFI\xfb"
    /// Version 2 ends after the snapshots offset; version 3 adds the feature words and header_length.
    static let version2Length = 72
    static let version3Length = 104

    /// Incompatible feature bits (offset 72, version 3).
    enum IncompatibleFeature {
        static let dirty: UInt64 = 1 << 0
        static let corrupt: UInt64 = 1 << 1
        static let externalDataFile: UInt64 = 1 << 2
        static let compressionType: UInt64 = 1 << 3
        static let extendedL2: UInt64 = 1 << 4
        /// Bits QEMU 7 and later define and that are harmless for a read-only base; any other bit is refused.
        static let accepted: UInt64 = dirty | compressionType | extendedL2
    }

    var version: UInt32
    var backingFileOffset: UInt64
    var backingFileSize: UInt32
    var clusterBits: UInt32
    /// The virtual size in bytes.
    var size: UInt64
    var cryptMethod: UInt32
    var incompatibleFeatures: UInt64
    var headerLength: UInt32

    /// True when `bytes` start with the qcow2 magic: such a file is qcow2 and nothing else.
    static func hasMagic(_ bytes: [UInt8]) -> Bool {
        bytes.count >= magic.count && Array(bytes[0..<magic.count]) == magic
    }

    /// Parses the header from the file's first bytes (at least `version3Length` of them when the file is that long).
    init(parsing bytes: [UInt8], path: String) throws {
        guard Self.hasMagic(bytes) else { throw ImageError.malformedQCOW2(path: path, reason: "no qcow2 magic") }
        guard bytes.count >= Self.version2Length else {
            throw ImageError.malformedQCOW2(path: path, reason: "the header is truncated (\(bytes.count) bytes)")
        }
        version = Self.uint32(bytes, at: 4)
        backingFileOffset = Self.uint64(bytes, at: 8)
        backingFileSize = Self.uint32(bytes, at: 16)
        clusterBits = Self.uint32(bytes, at: 20)
        size = Self.uint64(bytes, at: 24)
        cryptMethod = Self.uint32(bytes, at: 32)
        switch version {
        case 2:
            incompatibleFeatures = 0
            headerLength = UInt32(Self.version2Length)
        case 3:
            guard bytes.count >= Self.version3Length else {
                throw ImageError.malformedQCOW2(path: path, reason: "the version 3 header is truncated (\(bytes.count) bytes)")
            }
            incompatibleFeatures = Self.uint64(bytes, at: 72)
            headerLength = Self.uint32(bytes, at: 100)
            guard headerLength >= UInt32(Self.version3Length) else {
                throw ImageError.malformedQCOW2(path: path, reason: "header_length \(headerLength) is below 104")
            }
        default:
            throw ImageError.malformedQCOW2(path: path, reason: "version \(version) (only 2 and 3 exist)")
        }
        guard (9...21).contains(clusterBits) else {
            throw ImageError.malformedQCOW2(path: path, reason: "cluster_bits \(clusterBits) is outside 9…21")
        }
    }

    /// Refuses what would make the VMM touch another host file or that it cannot open safely as a base.
    func check(path: String) throws {
        if backingFileOffset != 0 || backingFileSize != 0 {
            throw ImageError.refusedQCOW2(path: path, reason: "its header names a backing file (a base image must be self-contained; flatten it with qemu-img convert -O qcow2)")
        }
        if incompatibleFeatures & IncompatibleFeature.externalDataFile != 0 {
            throw ImageError.refusedQCOW2(path: path, reason: "it keeps its data in an external data file (incompatible feature bit 2)")
        }
        if cryptMethod != 0 {
            let method = cryptMethod == 1 ? "AES" : cryptMethod == 2 ? "LUKS" : "method \(cryptMethod)"
            throw ImageError.refusedQCOW2(path: path, reason: "it is encrypted (\(method))")
        }
        if incompatibleFeatures & IncompatibleFeature.corrupt != 0 {
            throw ImageError.refusedQCOW2(path: path, reason: "it is marked corrupt (repair it with qemu-img check -r all)")
        }
        let unknown = incompatibleFeatures & ~(IncompatibleFeature.accepted | IncompatibleFeature.corrupt | IncompatibleFeature.externalDataFile)
        if unknown != 0 {
            let bits = (0..<64).filter { unknown & (1 << UInt64($0)) != 0 }.map(String.init).joined(separator: ", ")
            throw ImageError.refusedQCOW2(path: path, reason: "it uses incompatible feature bits vmctl does not know (\(bits))")
        }
    }

    private static func uint32(_ bytes: [UInt8], at offset: Int) -> UInt32 {
        (offset..<offset + 4).reduce(UInt32(0)) { $0 << 8 | UInt32(bytes[$1]) }
    }

    private static func uint64(_ bytes: [UInt8], at offset: Int) -> UInt64 {
        (offset..<offset + 8).reduce(UInt64(0)) { $0 << 8 | UInt64(bytes[$1]) }
    }
}
