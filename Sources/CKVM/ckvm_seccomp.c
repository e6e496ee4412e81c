// See include/ckvm_seccomp.h. Classic BPF by hand rather than libseccomp: no new C library in the static release
// build, and the program is a short list of compares (docs/vmm.md, "Seccomp").
#define _GNU_SOURCE
#include "ckvm_seccomp.h"

#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <asm/unistd_64.h>
#include <linux/audit.h>
#include <linux/kvm.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

struct named_number {
    unsigned long number;
    const char *name;
};

#define SYSCALL(name) { __NR_##name, #name }
#define REQUEST(name) { name, #name }

// What vmctl-vmm calls once it runs (found with strace over the payload tests and by reading the code; why each
// one: docs/vmm.md). clone and ioctl are not here: they have argument rules of their own below.
static const struct named_number allowed_syscalls[] = {
    // Device I/O: console log, disks, taps, eventfds, pipes; the kernel and initrd re-read at a reset.
    SYSCALL(read), SYSCALL(write), SYSCALL(pread64), SYSCALL(pwrite64), SYSCALL(lseek), SYSCALL(fsync),
    SYSCALL(close), SYSCALL(poll), SYSCALL(eventfd2), SYSCALL(fcntl),
    // Control, console and agent sockets, the switch socket; the control socket's file goes at exit.
    SYSCALL(accept), SYSCALL(recvfrom), SYSCALL(sendto), SYSCALL(shutdown), SYSCALL(unlink),
    // Memory: malloc, thread stacks, the kvm_run of the vCPUs a reset creates.
    SYSCALL(mmap), SYSCALL(munmap), SYSCALL(mprotect), SYSCALL(madvise), SYSCALL(mremap), SYSCALL(brk),
    // Threads: pthread_create and exit, locks, vCPU kicks (SIGRTMIN), glibc's fatal messages (writev).
    SYSCALL(futex), SYSCALL(set_robust_list), SYSCALL(rseq), SYSCALL(rt_sigprocmask), SYSCALL(rt_sigreturn),
    SYSCALL(tgkill), SYSCALL(gettid), SYSCALL(getpid), SYSCALL(sched_yield), SYSCALL(exit), SYSCALL(exit_group),
    SYSCALL(writev),
    // Time and randomness (the vDSO answers most clock reads; these are its fallbacks).
    SYSCALL(clock_gettime), SYSCALL(gettimeofday), SYSCALL(clock_nanosleep), SYSCALL(getrandom),
};

// The KVM requests a running VMM issues (ckvm.h): the vCPU loop, pause, and a reset, which builds a new VM.
// Those only the first build needs (API version, extensions, supported CPUID, mmap size) are left out.
static const struct named_number allowed_requests[] = {
    REQUEST(KVM_RUN), REQUEST(KVM_KVMCLOCK_CTRL), REQUEST(KVM_GET_REGS),
    REQUEST(KVM_CREATE_VM), REQUEST(KVM_SET_TSS_ADDR), REQUEST(KVM_SET_IDENTITY_MAP_ADDR),
    REQUEST(KVM_CREATE_IRQCHIP), REQUEST(KVM_CREATE_PIT2), REQUEST(KVM_SET_USER_MEMORY_REGION),
    REQUEST(KVM_IRQFD), REQUEST(KVM_IOEVENTFD), REQUEST(KVM_CREATE_VCPU), REQUEST(KVM_SET_CPUID2),
    REQUEST(KVM_SET_MSRS), REQUEST(KVM_SET_REGS), REQUEST(KVM_GET_SREGS), REQUEST(KVM_SET_SREGS),
    REQUEST(KVM_SET_FPU), REQUEST(KVM_GET_LAPIC), REQUEST(KVM_SET_LAPIC),
    // Completing what KVM could not emulate (docs/vmm.md, "Emulation fallbacks"): the x87 status word, #BP injection.
    REQUEST(KVM_GET_FPU), REQUEST(KVM_GET_VCPU_EVENTS), REQUEST(KVM_SET_VCPU_EVENTS),
};

// x32 syscalls are the x86-64 numbers with this bit set (<asm/unistd.h>).
#define X32_SYSCALL_BIT 0x40000000U

#define COUNT(array) (sizeof(array) / sizeof((array)[0]))

// A thread's clone may not make namespaces either (the kernel refuses only some of them with CLONE_THREAD).
#define CLONE_NAMESPACES (CLONE_NEWNS | CLONE_NEWCGROUP | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWUSER | \
                          CLONE_NEWPID | CLONE_NEWNET)

// Offsets into struct seccomp_data; arguments are read as their low 32 bits (little-endian), which is all
// the kernel uses of clone's flags and ioctl's request (both 32-bit in the kernel's own signatures).
#define DATA_NR offsetof(struct seccomp_data, nr)
#define DATA_ARCH offsetof(struct seccomp_data, arch)
#define DATA_ARG_LOW(n) (offsetof(struct seccomp_data, args) + 8 * (n))

// Jumps name their targets by label; `finish` turns labels into the forward offsets BPF wants.
enum label { NEXT, VIOLATION, ALLOW, NO_SYS, CLONE_RULE, IOCTL_RULE, LABELS };

struct builder {
    struct sock_filter *out;
    size_t capacity, length;
    unsigned char targets[CKVM_SECCOMP_MAX_INSTRUCTIONS][2];   // jt, jf as labels
    size_t at[LABELS];
    int overflow;
};

static void emit(struct builder *b, unsigned short code, unsigned int k, enum label jt, enum label jf) {
    if (b->length >= b->capacity || b->length >= CKVM_SECCOMP_MAX_INSTRUCTIONS) {
        b->overflow = 1;
        return;
    }
    b->out[b->length] = (struct sock_filter){ code, 0, 0, k };
    b->targets[b->length][0] = (unsigned char)jt;
    b->targets[b->length][1] = (unsigned char)jf;
    b->length++;
}

static void load(struct builder *b, unsigned int offset) { emit(b, BPF_LD | BPF_W | BPF_ABS, offset, NEXT, NEXT); }
static void jump_if(struct builder *b, unsigned short test, unsigned int k, enum label yes, enum label no) {
    emit(b, BPF_JMP | test | BPF_K, k, yes, no);
}
static void ret(struct builder *b, unsigned int action) { emit(b, BPF_RET | BPF_K, action, NEXT, NEXT); }
static void place(struct builder *b, enum label label) { b->at[label] = b->length; }

static int finish(struct builder *b) {
    if (b->overflow) return -ENOSPC;
    for (size_t i = 0; i < b->length; i++) {
        if (BPF_CLASS(b->out[i].code) != BPF_JMP) continue;
        for (int side = 0; side < 2; side++) {
            enum label label = (enum label)b->targets[i][side];
            size_t offset = label == NEXT ? 0 : b->at[label] - (i + 1);
            if (label != NEXT && (b->at[label] <= i || offset > 255)) return -ENOSPC;
            if (side == 0) b->out[i].jt = (unsigned char)offset; else b->out[i].jf = (unsigned char)offset;
        }
    }
    return (int)b->length;
}

int ckvm_seccomp_build(struct sock_filter *out, size_t capacity, unsigned int violation) {
    struct builder b = { .out = out, .capacity = capacity };
    load(&b, DATA_ARCH);
    jump_if(&b, BPF_JEQ, AUDIT_ARCH_X86_64, NEXT, VIOLATION);
    load(&b, DATA_NR);
    jump_if(&b, BPF_JGE, X32_SYSCALL_BIT, VIOLATION, NEXT);   // x32 numbers reach the same table
    // glibc >= 2.34 tries clone3 first and falls back to clone only on ENOSYS (an EPERM would fail pthread_create).
    jump_if(&b, BPF_JEQ, __NR_clone3, NO_SYS, NEXT);
    jump_if(&b, BPF_JEQ, __NR_clone, CLONE_RULE, NEXT);
    jump_if(&b, BPF_JEQ, __NR_ioctl, IOCTL_RULE, NEXT);
    for (size_t i = 0; i < COUNT(allowed_syscalls); i++) jump_if(&b, BPF_JEQ, allowed_syscalls[i].number, ALLOW, NEXT);
    ret(&b, violation);

    place(&b, CLONE_RULE);   // threads only: the VMM never forks, so a fork-like clone is an attack
    load(&b, DATA_ARG_LOW(0));
    jump_if(&b, BPF_JSET, CLONE_THREAD, NEXT, VIOLATION);
    jump_if(&b, BPF_JSET, CLONE_NAMESPACES, VIOLATION, ALLOW);

    place(&b, IOCTL_RULE);
    load(&b, DATA_ARG_LOW(1));
    for (size_t i = 0; i < COUNT(allowed_requests); i++) {
        jump_if(&b, BPF_JEQ, (unsigned int)allowed_requests[i].number, ALLOW, NEXT);
    }

    place(&b, VIOLATION);
    ret(&b, violation);
    place(&b, ALLOW);
    ret(&b, SECCOMP_RET_ALLOW);
    place(&b, NO_SYS);
    ret(&b, SECCOMP_RET_ERRNO | ENOSYS);
    return finish(&b);
}

size_t ckvm_seccomp_allowed_count(void) { return COUNT(allowed_syscalls); }
const char *ckvm_seccomp_allowed_name(size_t index) {
    return index < COUNT(allowed_syscalls) ? allowed_syscalls[index].name : NULL;
}
long ckvm_seccomp_allowed_number(size_t index) {
    return index < COUNT(allowed_syscalls) ? (long)allowed_syscalls[index].number : -1;
}

size_t ckvm_seccomp_ioctl_count(void) { return COUNT(allowed_requests); }
const char *ckvm_seccomp_ioctl_name(size_t index) {
    return index < COUNT(allowed_requests) ? allowed_requests[index].name : NULL;
}

int ckvm_seccomp_install(const struct sock_filter *program, unsigned short length) {
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) return -errno;
    struct sock_fprog fprog = { .len = length, .filter = (struct sock_filter *)program };
    long result = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_TSYNC, &fprog);
    if (result < 0) return -errno;
    // TSYNC answers with the id of a thread it could not move onto the filter.
    return result == 0 ? 0 : -ESRCH;
}
