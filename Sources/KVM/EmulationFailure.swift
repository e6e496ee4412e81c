/// What KVM says about an instruction it could not emulate (KVM_EXIT_INTERNAL_ERROR, suberror 1). With
/// KVM_INTERNAL_ERROR_EMULATION_FLAG_INSTRUCTION_BYTES in the flags word (Linux 5.14 and later) the debug words carry
/// the instruction: `data[0]` is the flags, then `insn_size` (one byte) and up to 15 instruction bytes (struct
/// kvm_run's `emulation_failure`, which overlays `internal.data`).
public struct EmulationFailure: Equatable, Sendable {
    public static let suberror: UInt32 = 1
    static let instructionBytesFlag: UInt64 = 1

    /// The instruction's bytes from its first, as KVM fetched them; empty when KVM did not report them.
    public let instruction: [UInt8]

    /// Nil unless the exit is an emulation failure.
    public init?(suberror: UInt32, data: [UInt64]) {
        guard suberror == Self.suberror else { return nil }
        guard data.count >= 3, data[0] & Self.instructionBytesFlag != 0 else {
            instruction = []
            return
        }
        var bytes: [UInt8] = []
        for word in data[1...2] { for shift in stride(from: 0, to: 64, by: 8) { bytes.append(UInt8(truncatingIfNeeded: word >> UInt64(shift))) } }
        let size = min(Int(bytes[0]), 15)
        instruction = Array(bytes[1..<(1 + size)])
    }

    /// The bytes as `cc 48 8d …`, for logs.
    public var hex: String { instruction.map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined(separator: " ") }
}
