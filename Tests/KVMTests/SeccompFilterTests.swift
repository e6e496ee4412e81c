import KVM
import Testing

/// vmctl-vmm's seccomp program, run here by a small classic-BPF interpreter as the kernel would run it: the
/// decisions without installing anything (a filter cannot be taken off the test process again).
@Suite("SeccompFilter (no /dev/kvm needed)")
struct SeccompFilterTests {
    static let x86_64: UInt32 = 0xC000003E
    // x86-64 syscall numbers (a stable ABI).
    static let ioctl: UInt32 = 16, socket: UInt32 = 41, clone: UInt32 = 56, fork: UInt32 = 57, execve: UInt32 = 59
    static let ptrace: UInt32 = 101, openat: UInt32 = 257, clone3: UInt32 = 435
    static let threadCloneFlags: UInt64 = 0x3d0f00   // glibc's pthread_create: CLONE_VM | … | CLONE_THREAD | …
    static let kvmRun: UInt64 = 0xAE80

    let program: [SeccompFilter.Instruction]

    init() throws { program = try SeccompFilter.program() }

    @Test("every listed call is allowed; the list holds no duplicates and fits the program")
    func listed() throws {
        #expect(program.count < 256)
        let names = SeccompFilter.allowedSyscalls
        #expect(Set(names).count == names.count)
        #expect(names.contains("futex") && names.contains("read") && !names.contains("openat") && !names.contains("ioctl"))
        for number in SeccompFilter.allowedNumbers {
            #expect(decide(nr: number) == SeccompFilter.allow, "syscall \(number)")
        }
    }

    @Test("calls the VMM never makes kill the process: open, exec, socket, fork, ptrace")
    func forbidden() {
        for number in [Self.openat, Self.execve, Self.socket, Self.fork, Self.ptrace, 2 /* open */, 322 /* execveat */] {
            #expect(decide(nr: number) == SeccompFilter.killProcess, "syscall \(number)")
        }
    }

    @Test("another architecture or an x32 number is killed, even for read")
    func architecture() {
        #expect(decide(nr: 0) == SeccompFilter.allow)
        #expect(decide(nr: 0, arch: 0x40000003) == SeccompFilter.killProcess)   // i386
        #expect(decide(nr: 0x4000_0000) == SeccompFilter.killProcess)           // x32 read
    }

    @Test("clone3 answers ENOSYS so glibc falls back to clone; clone starts threads only, without namespaces")
    func cloning() {
        #expect(decide(nr: Self.clone3) == SeccompFilter.errno | 38)
        #expect(decide(nr: Self.clone, args: [Self.threadCloneFlags]) == SeccompFilter.allow)
        #expect(decide(nr: Self.clone, args: [17]) == SeccompFilter.killProcess)   // fork: SIGCHLD only
        #expect(decide(nr: Self.clone, args: [Self.threadCloneFlags | 0x4000_0000]) == SeccompFilter.killProcess)  // CLONE_NEWNET
    }

    @Test("ioctl takes the VMM's KVM requests only, judged on the 32 bits the kernel reads")
    func ioctls() {
        #expect(SeccompFilter.allowedIoctls.contains("KVM_RUN"))
        #expect(decide(nr: Self.ioctl, args: [5, Self.kvmRun]) == SeccompFilter.allow)
        #expect(decide(nr: Self.ioctl, args: [5, 0xFFFF_FFFF_0000_0000 | Self.kvmRun]) == SeccompFilter.allow)
        #expect(decide(nr: Self.ioctl, args: [0, 0x5412]) == SeccompFilter.killProcess)   // TIOCSTI
        #expect(decide(nr: Self.ioctl, args: [5, 0x400454CA]) == SeccompFilter.killProcess)  // TUNSETIFF
        #expect(decide(nr: Self.ioctl, args: [5, 0xAE03]) == SeccompFilter.killProcess)   // KVM_CHECK_EXTENSION: first build only
    }

    @Test("the log variant (VMCTL_VMM_SECCOMP=log) lets violations through to the kernel's log; the rest is the same")
    func logVariant() throws {
        let logging = try SeccompFilter.program(violation: .log)
        #expect(logging.count == program.count)
        #expect(decide(nr: Self.openat, in: logging) == SeccompFilter.log)
        #expect(decide(nr: Self.clone, args: [17], in: logging) == SeccompFilter.log)
        #expect(decide(nr: 0, in: logging) == SeccompFilter.allow)
        #expect(decide(nr: Self.clone3, in: logging) == SeccompFilter.errno | 38)
    }

    /// The filter's answer for one call: struct seccomp_data is nr, arch, instruction pointer, six arguments.
    private func decide(nr: UInt32, arch: UInt32 = x86_64, args: [UInt64] = [],
                        in program: [SeccompFilter.Instruction]? = nil) -> UInt32 {
        let program = program ?? self.program
        var words: [UInt32] = [nr, arch, 0, 0]
        for index in 0..<6 {
            let value = index < args.count ? args[index] : 0
            words += [UInt32(truncatingIfNeeded: value), UInt32(truncatingIfNeeded: value >> 32)]
        }
        var accumulator: UInt32 = 0
        var pc = 0
        while pc < program.count {
            let instruction = program[pc]
            pc += 1
            let taken: Bool
            switch instruction.code {
            case 0x20:   // BPF_LD | BPF_W | BPF_ABS
                accumulator = words[Int(instruction.k) / 4]
                continue
            case 0x06: return instruction.k                     // BPF_RET | BPF_K
            case 0x15: taken = accumulator == instruction.k     // BPF_JMP | BPF_JEQ | BPF_K
            case 0x35: taken = accumulator >= instruction.k     // BPF_JGE
            case 0x45: taken = accumulator & instruction.k != 0 // BPF_JSET
            default:
                Issue.record("unexpected BPF opcode \(instruction.code) at \(pc - 1)")
                return 0
            }
            pc += Int(taken ? instruction.jumpIfTrue : instruction.jumpIfFalse)
        }
        Issue.record("the program ran off its end")
        return 0
    }
}
