/// Why an AML term or ACPI table cannot be built; each case names the value at fault.
public enum ACPIError: Error, Equatable, Sendable, CustomStringConvertible {
    case invalidName(String, reason: String)
    case invalidString(String, reason: String)
    case invalidEisaID(String)
    case tooLong(what: String, length: Int, maximum: Int)
    case invalidArgument(what: String, reason: String)
    case doesNotFit(what: String, size: Int, space: Int)

    public var description: String {
        switch self {
        case let .invalidName(name, reason): return "AML name \"\(name)\": \(reason)"
        case let .invalidString(text, reason): return "AML string \"\(text)\": \(reason)"
        case let .invalidEisaID(text): return "EISA id \"\(text)\": expected three letters A-Z and four hex digits (e.g. PNP0501)"
        case let .tooLong(what, length, maximum): return "\(what): \(length) bytes exceed the maximum of \(maximum)"
        case let .invalidArgument(what, reason): return "\(what): \(reason)"
        case let .doesNotFit(what, size, space): return "\(what): \(size) bytes do not fit in the \(space) bytes available"
        }
    }
}
