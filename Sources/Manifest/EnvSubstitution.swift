/// `${VAR}`, `${VAR:-default}` (default when unset or empty), `${VAR-default}` (default when unset), `$$` for a
/// literal `$`. Applied to scalar values after parsing, so a variable can never change the YAML structure.
enum EnvSubstitution {
    enum Failure: Error, Equatable {
        case unset(String)
        case unterminated
        case badName(String)
    }

    static func apply(_ text: String, env: [String: String]) -> Result<String, Failure> {
        guard text.contains("$") else { return .success(text) }
        var output = ""
        var index = text.startIndex
        while index < text.endIndex {
            let char = text[index]
            guard char == "$" else {
                output.append(char)
                index = text.index(after: index)
                continue
            }
            let next = text.index(after: index)
            if next < text.endIndex, text[next] == "$" {
                output.append("$")
                index = text.index(after: next)
                continue
            }
            guard next < text.endIndex, text[next] == "{" else {
                output.append("$")
                index = next
                continue
            }
            guard let close = text[next...].firstIndex(of: "}") else { return .failure(.unterminated) }
            let body = text[text.index(after: next)..<close]
            switch expand(body, env: env) {
            case .success(let value): output += value
            case .failure(let failure): return .failure(failure)
            }
            index = text.index(after: close)
        }
        return .success(output)
    }

    private static func expand(_ body: Substring, env: [String: String]) -> Result<String, Failure> {
        var name = body
        var fallback: Substring?
        var useFallbackWhenEmpty = false
        if let dash = body.firstIndex(of: "-") {
            let beforeDash = body[..<dash]
            if beforeDash.hasSuffix(":") {
                name = beforeDash.dropLast()
                useFallbackWhenEmpty = true
            } else {
                name = beforeDash
            }
            fallback = body[body.index(after: dash)...]
        }
        guard isValidName(name) else { return .failure(.badName(String(name))) }
        let value = env[String(name)]
        if let value, !(useFallbackWhenEmpty && value.isEmpty) { return .success(value) }
        if let fallback { return .success(String(fallback)) }
        return .failure(.unset(String(name)))
    }

    static func isValidName(_ name: Substring) -> Bool {
        guard let first = name.unicodeScalars.first, first == "_" || (first.isASCII && first.properties.isAlphabetic) else {
            return false
        }
        return name.unicodeScalars.allSatisfy { $0 == "_" || ($0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0))) }
    }
}
