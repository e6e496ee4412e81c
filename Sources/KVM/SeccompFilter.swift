import CKVM
import Glibc

/// vmctl-vmm's seccomp allow-list (built by ckvm_seccomp.c; the list and its reasons in docs/vmm.md, "Seccomp"):
/// x86-64 only, no x32, `clone3` answered ENOSYS, `clone` for threads only, `ioctl` for the VMM's KVM requests
/// only, and every other call kills the whole process with SIGSYS.
public enum SeccompFilter {
    /// One classic BPF instruction (struct sock_filter).
    public struct Instruction: Equatable, Sendable {
        public var code: UInt16
        public var jumpIfTrue: UInt8
        public var jumpIfFalse: UInt8
        public var k: UInt32
    }

    /// What happens to a call the list does not allow.
    public enum Violation: Sendable {
        /// The whole process dies with SIGSYS (SECCOMP_RET_KILL_PROCESS).
        case kill
        /// The call goes through and the kernel logs it (SECCOMP_RET_LOG: dmesg, audit): for finding what a change needs.
        case log

        var action: UInt32 { self == .kill ? CKVM_SECCOMP_RET_KILL_PROCESS : CKVM_SECCOMP_RET_LOG }
    }

    /// What the program returns (SECCOMP_RET_*).
    public static let allow = CKVM_SECCOMP_RET_ALLOW
    public static let killProcess = CKVM_SECCOMP_RET_KILL_PROCESS
    public static let log = CKVM_SECCOMP_RET_LOG
    public static let errno = CKVM_SECCOMP_RET_ERRNO

    /// The BPF program the kernel runs on every system call.
    public static func program(violation: Violation = .kill) throws(KVMError) -> [Instruction] {
        try built(violation).map { Instruction(code: $0.code, jumpIfTrue: $0.jt, jumpIfFalse: $0.jf, k: $0.k) }
    }

    private static func built(_ violation: Violation) throws(KVMError) -> [sock_filter] {
        var instructions = [sock_filter](repeating: sock_filter(), count: Int(CKVM_SECCOMP_MAX_INSTRUCTIONS))
        let length = try checkSystem(ckvm_seccomp_build(&instructions, instructions.count, violation.action),
                                     "build the seccomp filter")
        return Array(instructions.prefix(Int(length)))
    }

    /// The system calls allowed without an argument rule (clone and ioctl have theirs).
    public static var allowedSyscalls: [String] {
        (0..<ckvm_seccomp_allowed_count()).compactMap { ckvm_seccomp_allowed_name($0).map { String(cString: $0) } }
    }

    /// Their x86-64 numbers, in the same order.
    public static var allowedNumbers: [UInt32] {
        (0..<ckvm_seccomp_allowed_count()).map { UInt32(ckvm_seccomp_allowed_number($0)) }
    }

    /// The ioctl requests allowed, by their KVM names.
    public static var allowedIoctls: [String] {
        (0..<ckvm_seccomp_ioctl_count()).compactMap { ckvm_seccomp_ioctl_name($0).map { String(cString: $0) } }
    }

    /// Confines every thread of the calling process, and every thread it starts later; it cannot be undone.
    /// Sets no_new_privs first (the kernel requires it of an unprivileged caller, and it is wanted anyway).
    public static func install(violation: Violation = .kill) throws(KVMError) {
        let instructions = try built(violation)
        let result = instructions.withUnsafeBufferPointer { buffer -> Int32 in
            // `buffer` holds `instructions.count` (< 256) instructions and outlives the call, which copies them.
            guard let first = buffer.baseAddress else { return -EINVAL }
            return ckvm_seccomp_install(first, UInt16(buffer.count))
        }
        _ = try checkSystem(result, "seccomp(SECCOMP_SET_MODE_FILTER, TSYNC)")
    }
}
