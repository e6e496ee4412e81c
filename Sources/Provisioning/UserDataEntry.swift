import Yams

/// One top-level key of the user-data vmctl generates, with the rule that applies when `userData` has it too.
struct UserDataEntry {
    enum Rule: Equatable {
        /// vmctl's alone: `userData` may not set it.
        case owned
        /// A list: vmctl's items first, then `userData`'s.
        case concatenated
        /// A default: `userData`'s value replaces vmctl's.
        case overridable
    }

    var key: String
    var value: Node
    var rule: Rule
}
