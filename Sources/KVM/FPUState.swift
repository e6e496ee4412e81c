/// The x87/SSE control state set at boot (the rest of struct kvm_fpu is zeroed).
public struct FPUState: Equatable, Sendable {
    /// x87 control word; 0x37F masks all exceptions (the FNINIT value).
    public var fcw: UInt16 = 0x37F
    /// SSE control/status; 0x1F80 masks all exceptions.
    public var mxcsr: UInt32 = 0x1F80

    public init(fcw: UInt16 = 0x37F, mxcsr: UInt32 = 0x1F80) {
        self.fcw = fcw
        self.mxcsr = mxcsr
    }
}
