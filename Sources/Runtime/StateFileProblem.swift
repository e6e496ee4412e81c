import Foundation

/// Why a state file could not be decoded, in words a user can act on (not `DecodingError.dataCorrupted(…)`).
enum StateFileProblem {
    static func describe(_ error: Error, data: Data) -> String {
        if data.allSatisfy({ $0 == 0x20 || $0 == 0x0a || $0 == 0x0d || $0 == 0x09 }) { return "the file is empty" }
        if data.contains(0) { return "it holds NUL bytes, not JSON (the write that made it did not reach the disk)" }
        guard let error = error as? DecodingError else { return "\(error)" }
        switch error {
        case .dataCorrupted(let context) where context.codingPath.isEmpty:
            let detail = (underlying(context) ?? syntaxError(data)).map { " (\($0))" } ?? ""
            return "it is not valid JSON\(detail)"
        case .dataCorrupted(let context):
            return "the field '\(path(context.codingPath))' is invalid: \(context.debugDescription)"
        case .keyNotFound(let key, let context):
            return "the field '\(path(context.codingPath + [key]))' is missing"
        case .valueNotFound(_, let context):
            return "the field '\(path(context.codingPath))' is null"
        case .typeMismatch(let type, let context):
            return "the field '\(path(context.codingPath))' is not \(typeName(type))"
        @unknown default:
            return "\(error)"
        }
    }

    /// `spec.networks[0].ip`.
    static func path(_ keys: [CodingKey]) -> String {
        var out = ""
        for key in keys {
            if let index = key.intValue { out += "[\(index)]" } else { out += (out.isEmpty ? "" : ".") + key.stringValue }
        }
        return out.isEmpty ? "(the whole file)" : out
    }

    private static func underlying(_ context: DecodingError.Context) -> String? {
        guard let error = context.underlyingError else { return nil }
        let text = (error as NSError).userInfo[NSDebugDescriptionErrorKey] as? String ?? error.localizedDescription
        return text.isEmpty ? nil : text.trimmingCharacters(in: CharacterSet(charactersIn: ". "))
    }

    /// Where the JSON parser stops, e.g. "Unexpected end of file during JSON parse" for a truncated file
    /// (JSONDecoder does not say).
    private static func syntaxError(_ data: Data) -> String? {
        do { _ = try JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed]) } catch {
            let text = (error as NSError).userInfo[NSDebugDescriptionErrorKey] as? String
            return text.map { $0.trimmingCharacters(in: CharacterSet(charactersIn: ". ")) }
        }
        return nil
    }

    private static func typeName(_ type: Any.Type) -> String {
        switch type {
        case is String.Type: return "a string"
        case is Int.Type, is Int32.Type, is UInt64.Type: return "an integer"
        case is Double.Type: return "a number"
        case is Bool.Type: return "true or false"
        default:
            let name = "\(type)"
            if name.hasPrefix("Dictionary") { return "an object" }
            if name.hasPrefix("Array") { return "an array" }
            return "a \(name)"
        }
    }
}
