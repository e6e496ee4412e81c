/// vmctl-switch's framing, the same as QEMU's `-netdev stream`: each Ethernet frame preceded by its length as a
/// 4-byte big-endian integer (Sources/NetSwitch/FrameCodec.swift is the switch's side; the VMM does not link it).
struct StreamFraming {
    /// The switch's own bound: a longer length means the stream is not this protocol.
    static let maxFrame = 65_550

    enum Failure: Error, Equatable {
        case oversize(Int)
    }

    private var buffer: [UInt8] = []

    static func encode(_ frame: [UInt8]) -> [UInt8] {
        let n = UInt32(frame.count)
        return [UInt8(n >> 24), UInt8(truncatingIfNeeded: n >> 16), UInt8(truncatingIfNeeded: n >> 8),
                UInt8(truncatingIfNeeded: n)] + frame
    }

    /// Bytes of an incomplete frame kept between reads (at most 4 + maxFrame).
    var buffered: Int { buffer.count }

    /// Appends bytes read from the socket and returns every frame now complete.
    mutating func feed(_ bytes: ArraySlice<UInt8>) throws(Failure) -> [[UInt8]] {
        buffer.append(contentsOf: bytes)
        var frames: [[UInt8]] = []
        var start = 0
        while buffer.count - start >= 4 {
            let length = buffer[start..<start + 4].reduce(0) { $0 << 8 | Int($1) }
            guard length <= Self.maxFrame else { throw .oversize(length) }
            guard buffer.count - start - 4 >= length else { break }
            frames.append(Array(buffer[(start + 4)..<(start + 4 + length)]))
            start += 4 + length
        }
        if start > 0 { buffer.removeFirst(start) }
        return frames
    }
}
