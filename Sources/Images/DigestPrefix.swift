/// Digests as people type them: the full 64 hex digits or a prefix of at least 12, optionally after `sha256:`.
public enum DigestPrefix {
    public static let minimumLength = 12

    /// A full digest in canonical form (lowercase), or an error naming the text.
    public static func normalizeFull(_ text: String) throws -> String {
        let digest = strip(text)
        guard digest.count == 64, isHex(digest) else { throw ImageError.invalidDigest(text) }
        return digest
    }

    /// The one digest in `digests` that `text` names; refuses short, ambiguous and unknown prefixes.
    public static func resolve(_ text: String, among digests: [String]) throws -> String {
        let prefix = strip(text)
        guard isHex(prefix), prefix.count <= 64, !prefix.isEmpty else { throw ImageError.invalidDigest(text) }
        guard prefix.count >= minimumLength else { throw ImageError.digestPrefixTooShort(text) }
        let matches = Set(digests.filter { $0.hasPrefix(prefix) }).sorted()
        guard !matches.isEmpty else { throw ImageError.imageNotFound(digest: text) }
        guard matches.count == 1 else { throw ImageError.ambiguousDigest(prefix: text, matches: matches) }
        return matches[0]
    }

    static func isHex(_ text: String) -> Bool {
        text.utf8.allSatisfy { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) || (UInt8(ascii: "a")...UInt8(ascii: "f")).contains($0) }
    }

    private static func strip(_ text: String) -> String {
        let lower = text.lowercased()
        return lower.hasPrefix("sha256:") ? String(lower.dropFirst(7)) : lower
    }
}
