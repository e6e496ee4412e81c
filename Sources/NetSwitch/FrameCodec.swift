/// QEMU's `-netdev stream` framing: each Ethernet frame is preceded by its length as a 4-byte big-endian integer.
public struct FrameDecoder: Sendable {
    public static let maxFrame = 65_550
    private var buffer: [UInt8] = []

    public enum Failure: Error, Equatable { case oversize(Int) }

    public init() {}

    /// Appends bytes read from the socket and returns every complete frame.
    public mutating func feed(_ bytes: ArraySlice<UInt8>) throws(Failure) -> [[UInt8]] {
        buffer.append(contentsOf: bytes)
        var frames: [[UInt8]] = []
        var start = 0
        while buffer.count - start >= 4 {
            let length = Int(buffer[start]) << 24 | Int(buffer[start + 1]) << 16 | Int(buffer[start + 2]) << 8 | Int(buffer[start + 3])
            guard length <= Self.maxFrame else { throw .oversize(length) }
            guard buffer.count - start - 4 >= length else { break }
            frames.append(Array(buffer[(start + 4)..<(start + 4 + length)]))
            start += 4 + length
        }
        if start > 0 { buffer.removeFirst(start) }
        return frames
    }

    public static func encode(_ frame: [UInt8]) -> [UInt8] {
        let n = UInt32(frame.count)
        return [UInt8(n >> 24), UInt8(n >> 16 & 0xFF), UInt8(n >> 8 & 0xFF), UInt8(n & 0xFF)] + frame
    }
}
