/// Turns a DecodingError into one line naming the field, e.g. `disks[0].path: expected a string`.
enum DecodingErrorText {
    static func describe(_ error: DecodingError) -> String {
        switch error {
        case .typeMismatch(let type, let context): return "\(path(context.codingPath)): expected \(typeName(type))"
        case .valueNotFound(let type, let context): return "\(path(context.codingPath)): expected \(typeName(type)), found null"
        case .keyNotFound(let key, let context): return "\(path(context.codingPath + [key])): required field is missing"
        case .dataCorrupted(let context):
            let detail = context.debugDescription.isEmpty ? "invalid value" : context.debugDescription
            return context.codingPath.isEmpty ? detail : "\(path(context.codingPath)): \(detail)"
        @unknown default: return "\(error)"
        }
    }

    static func path(_ keys: [any CodingKey]) -> String {
        var text = ""
        for key in keys {
            if let index = key.intValue { text += "[\(index)]" } else { text += (text.isEmpty ? "" : ".") + key.stringValue }
        }
        return text.isEmpty ? "(document)" : text
    }

    private static func typeName(_ type: Any.Type) -> String {
        switch type {
        case is String.Type: return "a string"
        case is Bool.Type: return "a boolean"
        case is Int.Type, is Int32.Type, is UInt64.Type, is Double.Type: return "a number"
        default:
            let name = String(describing: type)
            if name.hasPrefix("Array") { return "an array" }
            if name.hasPrefix("Dictionary") { return "an object" }
            return name
        }
    }
}
