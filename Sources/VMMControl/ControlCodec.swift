/// JSON lines as the protocol writes them: compact, keys sorted, one object per line ending in "\n" (the bytes
/// JSONEncoder writes with `[.sortedKeys, .withoutEscapingSlashes]`, without loading Foundation).
public enum ControlCodec {
    public static func line(_ value: some Encodable) throws(VMMControlError) -> [UInt8] {
        do { return try JSONValueEncoder.encode(value).serialized() + [UInt8(ascii: "\n")] } catch {
            throw .protocolViolation("encode \(type(of: value)): \(error)")
        }
    }
}
