/// A validated kernel command line. Linux splits it at unquoted spaces and knows no escapes, so a value
/// with spaces is wrapped in double quotes and a value cannot contain a double quote (kernel/params.c
/// next_arg). The length limit is the kernel's cmdline_size, which excludes the terminating NUL.
public struct KernelCmdline: Equatable, Sendable, CustomStringConvertible {
    /// Debian's cmdline_size (0x7FF), also Firecracker's 2048-byte limit including the NUL.
    public static let defaultCapacity = 2047

    /// The longest text allowed, NUL excluded.
    public let capacity: Int
    public private(set) var text: String = ""

    public init(capacity: Int = KernelCmdline.defaultCapacity) {
        self.capacity = min(capacity, BootLayout.cmdlineCapacity - 1)
    }

    /// The limit the kernel declares in its setup header.
    public init(for header: SetupHeader) {
        self.init(capacity: Int(header.cmdlineSize))
    }

    /// Parses an existing command line: each space-separated fragment must be valid.
    public init(_ text: String, capacity: Int = KernelCmdline.defaultCapacity) throws(BootError) {
        self.init(capacity: capacity)
        try append(raw: text)
    }

    public var description: String { text }

    /// The bytes to place in guest memory: the text and its NUL.
    public var bytes: [UInt8] { Array(text.utf8) + [0] }

    /// Appends `key=value`, quoting the value when it contains spaces.
    public mutating func append(key: String, value: String) throws(BootError) {
        try Self.checkKey(key)
        try Self.checkCharacters(value, what: "value of \(key)")
        if value.contains("\"") { throw .cmdlineInvalid(reason: "value of \(key) contains a double quote, which Linux cannot escape") }
        let quoted = value.contains(where: \.isWhitespace) ? "\"\(value)\"" : value
        try appendFragment("\(key)=\(quoted)")
    }

    /// Appends a flag such as `quiet`.
    public mutating func append(flag: String) throws(BootError) {
        try Self.checkKey(flag)
        try appendFragment(flag)
    }

    /// Appends text as written (for user-supplied extra arguments): no control characters, balanced quotes.
    public mutating func append(raw: String) throws(BootError) {
        try Self.checkCharacters(raw, what: "argument \"\(raw)\"")
        guard raw.filter({ $0 == "\"" }).count % 2 == 0 else {
            throw .cmdlineInvalid(reason: "unbalanced double quote in \"\(raw)\"")
        }
        let trimmed = raw.drop(while: { $0 == " " }).reversed().drop(while: { $0 == " " }).reversed()
        guard !trimmed.isEmpty else { return }
        try appendFragment(String(trimmed))
    }

    private mutating func appendFragment(_ fragment: String) throws(BootError) {
        let joined = text.isEmpty ? fragment : text + " " + fragment
        let length = joined.utf8.count
        guard length <= capacity else { throw .cmdlineTooLong(length: length, maximum: capacity) }
        text = joined
    }

    private static func checkKey(_ key: String) throws(BootError) {
        guard !key.isEmpty else { throw .cmdlineInvalid(reason: "empty parameter name") }
        try checkCharacters(key, what: "parameter name \"\(key)\"")
        if let bad = key.first(where: { $0.isWhitespace || $0 == "=" || $0 == "\"" }) {
            throw .cmdlineInvalid(reason: "parameter name \"\(key)\" contains \(bad == "=" ? "'='" : bad == "\"" ? "a double quote" : "a space")")
        }
    }

    private static func checkCharacters(_ text: String, what: String) throws(BootError) {
        for scalar in text.unicodeScalars where scalar.value < 0x20 || scalar.value == 0x7F {
            let name = scalar.value == 0 ? "a NUL byte" : "control character \(HexText.short(scalar.value))"
            throw .cmdlineInvalid(reason: "\(what) contains \(name)")
        }
    }
}
