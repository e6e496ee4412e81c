import FoundationEssentials

/// JSON lines as the protocol writes them: compact, keys sorted, one object per line ending in "\n".
public enum ControlCodec {
    public static func line(_ value: some Encodable) throws(VMMControlError) -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        do { return [UInt8](try encoder.encode(value)) + [UInt8(ascii: "\n")] } catch {
            throw .protocolViolation("encode \(type(of: value)): \(error)")
        }
    }
}
