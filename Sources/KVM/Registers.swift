import CKVM

/// General-purpose registers (struct kvm_regs).
public struct Registers: Equatable, Sendable {
    public var rax: UInt64 = 0, rbx: UInt64 = 0, rcx: UInt64 = 0, rdx: UInt64 = 0
    public var rsi: UInt64 = 0, rdi: UInt64 = 0, rsp: UInt64 = 0, rbp: UInt64 = 0
    public var r8: UInt64 = 0, r9: UInt64 = 0, r10: UInt64 = 0, r11: UInt64 = 0
    public var r12: UInt64 = 0, r13: UInt64 = 0, r14: UInt64 = 0, r15: UInt64 = 0
    public var rip: UInt64 = 0
    /// Bit 1 is reserved and must be set: 0x2 is the value with every flag clear.
    public var rflags: UInt64 = 0x2

    public init() {}

    init(_ raw: kvm_regs) {
        rax = raw.rax; rbx = raw.rbx; rcx = raw.rcx; rdx = raw.rdx
        rsi = raw.rsi; rdi = raw.rdi; rsp = raw.rsp; rbp = raw.rbp
        r8 = raw.r8; r9 = raw.r9; r10 = raw.r10; r11 = raw.r11
        r12 = raw.r12; r13 = raw.r13; r14 = raw.r14; r15 = raw.r15
        rip = raw.rip; rflags = raw.rflags
    }

    var raw: kvm_regs {
        kvm_regs(rax: rax, rbx: rbx, rcx: rcx, rdx: rdx, rsi: rsi, rdi: rdi, rsp: rsp, rbp: rbp,
                 r8: r8, r9: r9, r10: r10, r11: r11, r12: r12, r13: r13, r14: r14, r15: r15,
                 rip: rip, rflags: rflags)
    }
}
