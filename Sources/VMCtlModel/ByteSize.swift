/// A number of bytes. Written in manifests as a plain integer or with an IEC unit (`512MiB`).
public struct ByteSize: Hashable, Sendable, Comparable, Codable, CustomStringConvertible {
    public var bytes: UInt64

    public init(bytes: UInt64) { self.bytes = bytes }

    // Encoded as a plain number of bytes: state files and JSON output stay easy to read.
    public init(from decoder: Decoder) throws {
        bytes = try decoder.singleValueContainer().decode(UInt64.self)
    }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(bytes)
    }

    public static let kib: UInt64 = 1 << 10
    public static let mib: UInt64 = 1 << 20
    public static let gib: UInt64 = 1 << 30
    public static let tib: UInt64 = 1 << 40
    public static let pib: UInt64 = 1 << 50

    public static func mib(_ n: UInt64) -> ByteSize { ByteSize(bytes: n * mib) }
    public static func gib(_ n: UInt64) -> ByteSize { ByteSize(bytes: n * gib) }

    public static func < (a: ByteSize, b: ByteSize) -> Bool { a.bytes < b.bytes }

    /// The largest exact IEC form: `2GiB`, `1536MiB`, `1000B`.
    public var description: String {
        let units: [(UInt64, String)] = [(Self.tib, "TiB"), (Self.gib, "GiB"), (Self.mib, "MiB"), (Self.kib, "KiB")]
        for (size, name) in units where bytes >= size && bytes % size == 0 {
            return "\(bytes / size)\(name)"
        }
        return "\(bytes)B"
    }

    /// A rounded form for messages about totals: `6.5GiB`.
    public var approximate: String {
        let units: [(UInt64, String)] = [(Self.tib, "TiB"), (Self.gib, "GiB"), (Self.mib, "MiB"), (Self.kib, "KiB")]
        for (size, name) in units where bytes >= size {
            if bytes % size == 0 { return "\(bytes / size)\(name)" }
            let tenths = (bytes * 10 + size / 2) / size
            return "\(tenths / 10).\(tenths % 10)\(name)"
        }
        return "\(bytes)B"
    }
}

extension ByteSize {
    public enum ParseError: Error, Equatable, Sendable {
        case empty
        case notANumber(String)
        case ambiguousUnit(String)
        case unknownUnit(String)
        case fractionalBytes
        case tooLarge
    }

    static let iecUnits: [String: UInt64] = [
        "": 1, "B": 1,
        "KiB": kib, "MiB": mib, "GiB": gib, "TiB": tib, "PiB": pib,
        "Ki": kib, "Mi": mib, "Gi": gib, "Ti": tib,
    ]
    static let siUnits: Set<String> = ["K", "k", "KB", "kB", "Kb", "M", "MB", "Mb", "G", "GB", "Gb", "T", "TB", "Tb", "P", "PB"]

    /// Parses `512MiB`, `1.5GiB`, `4096`, `64Ki`. Rejects SI units: `MB` is 10^6 bytes to some tools and 2^20 to others.
    public static func parse(_ text: String) -> Result<ByteSize, ParseError> {
        let trimmed = text.trimmingSpaces
        guard !trimmed.isEmpty else { return .failure(.empty) }
        let numberEnd = trimmed.firstIndex { !($0.isASCII && ($0.isNumber || $0 == ".")) } ?? trimmed.endIndex
        let number = String(trimmed[..<numberEnd])
        let unit = String(trimmed[numberEnd...]).trimmingSpaces
        guard !number.isEmpty else { return .failure(.notANumber(trimmed)) }
        if siUnits.contains(unit) {
            return .failure(.ambiguousUnit(unit))
        }
        guard let multiplier = iecUnits[unit] else { return .failure(.unknownUnit(unit)) }
        let parts = number.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count <= 2, let wholePart = parts.first, !wholePart.isEmpty || parts.count == 2 else {
            return .failure(.notANumber(trimmed))
        }
        guard let whole = UInt64(wholePart.isEmpty ? "0" : wholePart) else {
            return wholePart.allSatisfy(\.isNumber) ? .failure(.tooLarge) : .failure(.notANumber(trimmed))
        }
        var (total, overflow) = whole.multipliedReportingOverflow(by: multiplier)
        guard !overflow else { return .failure(.tooLarge) }
        if parts.count == 2 {
            let fraction = parts[1]
            guard !fraction.isEmpty, fraction.count <= 18, let digits = UInt64(fraction) else {
                return .failure(.notANumber(trimmed))
            }
            var scale: UInt64 = 1
            for _ in 0..<fraction.count { scale *= 10 }
            // digits/scale * multiplier must be a whole number of bytes.
            let (product, productOverflow) = digits.multipliedReportingOverflow(by: multiplier)
            guard !productOverflow else { return .failure(.tooLarge) }
            guard product % scale == 0 else { return .failure(.fractionalBytes) }
            (total, overflow) = total.addingReportingOverflow(product / scale)
            guard !overflow else { return .failure(.tooLarge) }
        }
        guard total <= pib else { return .failure(.tooLarge) }
        return .success(ByteSize(bytes: total))
    }
}

extension StringProtocol {
    var trimmingSpaces: String {
        let start = firstIndex { $0 != " " && $0 != "\t" } ?? endIndex
        let end = lastIndex { $0 != " " && $0 != "\t" }.map { index(after: $0) } ?? start
        return String(self[start..<Swift.max(start, end)])
    }
}
