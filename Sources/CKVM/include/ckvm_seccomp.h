// CKVM seccomp: vmctl-vmm's allow-list as a classic BPF program, built here because the syscall and KVM request
// numbers are C macros (<asm/unistd_64.h>, <linux/kvm.h>). Same contract as ckvm.h: a value or -errno.
// The list and why each entry is there: docs/vmm.md, "Seccomp".

#ifndef CKVM_SECCOMP_H
#define CKVM_SECCOMP_H

#include <stddef.h>
#include <linux/filter.h>

#pragma clang assume_nonnull begin

/// Room enough for the whole program (checked by ckvm_seccomp_build).
#define CKVM_SECCOMP_MAX_INSTRUCTIONS 256

/// What the filter answers (the SECCOMP_RET_* values, for tests that run the program themselves).
static const unsigned int CKVM_SECCOMP_RET_ALLOW = 0x7fff0000U;
static const unsigned int CKVM_SECCOMP_RET_KILL_PROCESS = 0x80000000U;
static const unsigned int CKVM_SECCOMP_RET_ERRNO = 0x00050000U;
static const unsigned int CKVM_SECCOMP_RET_LOG = 0x7ffc0000U;

/// Writes the program into `out` (room for `capacity` instructions); every call it does not allow gets
/// `violation` (CKVM_SECCOMP_RET_KILL_PROCESS, or CKVM_SECCOMP_RET_LOG to find what a change needs). Returns the
/// program's length or -ENOSPC.
int ckvm_seccomp_build(struct sock_filter *out, size_t capacity, unsigned int violation);

/// Syscalls the filter allows, in its order: `count` is the list's length; name(i) for i < count, else NULL.
size_t ckvm_seccomp_allowed_count(void);
const char *_Nullable ckvm_seccomp_allowed_name(size_t index);
/// The syscall number of entry `index` (-1 past the end).
long ckvm_seccomp_allowed_number(size_t index);

/// The ioctl requests the filter allows (the KVM requests the VMM issues): count and name(i), as above.
size_t ckvm_seccomp_ioctl_count(void);
const char *_Nullable ckvm_seccomp_ioctl_name(size_t index);

/// prctl(PR_SET_NO_NEW_PRIVS, 1), then seccomp(SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_TSYNC, program):
/// every thread of the process, and every thread it starts later, runs under the filter. Returns 0 or -errno
/// (-ESRCH when a thread could not be synchronized).
int ckvm_seccomp_install(const struct sock_filter *program, unsigned short length);

#pragma clang assume_nonnull end

#endif
