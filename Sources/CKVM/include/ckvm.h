// CKVM: the C boundary between Swift and the Linux KVM API.
//
// Swift cannot call the variadic ioctl(2) nor import function-like macros such as _IOW(), so this header
// exposes non-variadic wrappers, every request number as a `static const unsigned long`, and small helpers
// for the structs Swift handles badly (flexible array members, the anonymous union in struct kvm_run).
//
// Contract: every function that can fail returns a non-negative value on success and -errno on failure,
// and never touches errno-dependent state afterwards. Accessors that cannot fail say so.

#ifndef CKVM_H
#define CKVM_H

#include <stddef.h>
#include <stdint.h>
#include <pthread.h>
#include <linux/kvm.h>

#pragma clang assume_nonnull begin

// MARK: - Request numbers (computed from <linux/kvm.h> macros; values in vmm-facts.md §1)

// System ioctls (on the /dev/kvm fd).
static const unsigned long CKVM_GET_API_VERSION = KVM_GET_API_VERSION;
static const unsigned long CKVM_CREATE_VM = KVM_CREATE_VM;
static const unsigned long CKVM_CHECK_EXTENSION = KVM_CHECK_EXTENSION;
static const unsigned long CKVM_GET_VCPU_MMAP_SIZE = KVM_GET_VCPU_MMAP_SIZE;
static const unsigned long CKVM_GET_SUPPORTED_CPUID = KVM_GET_SUPPORTED_CPUID;

// VM ioctls (on a VM fd).
static const unsigned long CKVM_SET_TSS_ADDR = KVM_SET_TSS_ADDR;
static const unsigned long CKVM_SET_IDENTITY_MAP_ADDR = KVM_SET_IDENTITY_MAP_ADDR;
static const unsigned long CKVM_CREATE_IRQCHIP = KVM_CREATE_IRQCHIP;
static const unsigned long CKVM_CREATE_PIT2 = KVM_CREATE_PIT2;
static const unsigned long CKVM_CREATE_VCPU = KVM_CREATE_VCPU;
static const unsigned long CKVM_SET_USER_MEMORY_REGION = KVM_SET_USER_MEMORY_REGION;
static const unsigned long CKVM_IRQ_LINE = KVM_IRQ_LINE;
static const unsigned long CKVM_IRQFD = KVM_IRQFD;
static const unsigned long CKVM_IOEVENTFD = KVM_IOEVENTFD;

// vCPU ioctls (on a vCPU fd).
static const unsigned long CKVM_RUN = KVM_RUN;
static const unsigned long CKVM_GET_REGS = KVM_GET_REGS;
static const unsigned long CKVM_SET_REGS = KVM_SET_REGS;
static const unsigned long CKVM_GET_SREGS = KVM_GET_SREGS;
static const unsigned long CKVM_SET_SREGS = KVM_SET_SREGS;
static const unsigned long CKVM_GET_FPU = KVM_GET_FPU;
static const unsigned long CKVM_SET_FPU = KVM_SET_FPU;
static const unsigned long CKVM_GET_MSRS = KVM_GET_MSRS;
static const unsigned long CKVM_SET_MSRS = KVM_SET_MSRS;
static const unsigned long CKVM_SET_CPUID2 = KVM_SET_CPUID2;
static const unsigned long CKVM_GET_LAPIC = KVM_GET_LAPIC;
static const unsigned long CKVM_SET_LAPIC = KVM_SET_LAPIC;
static const unsigned long CKVM_KVMCLOCK_CTRL = KVM_KVMCLOCK_CTRL;
static const unsigned long CKVM_GET_VCPU_EVENTS = KVM_GET_VCPU_EVENTS;
static const unsigned long CKVM_SET_VCPU_EVENTS = KVM_SET_VCPU_EVENTS;

// Flag values defined through an anonymous enum (Swift imports those as plain Int, awkwardly).
static const uint32_t CKVM_IOEVENTFD_FLAG_DATAMATCH = KVM_IOEVENTFD_FLAG_DATAMATCH;
static const uint32_t CKVM_IOEVENTFD_FLAG_PIO = KVM_IOEVENTFD_FLAG_PIO;
static const uint32_t CKVM_IOEVENTFD_FLAG_DEASSIGN = KVM_IOEVENTFD_FLAG_DEASSIGN;

// MARK: - System calls

/// ioctl(fd, req, arg) with an integer argument. Returns the ioctl's non-negative result or -errno.
int ckvm_ioctl_none(int fd, unsigned long req, unsigned long arg);

/// ioctl(fd, req, arg) with a pointer argument. Returns the ioctl's non-negative result or -errno.
int ckvm_ioctl_ptr(int fd, unsigned long req, void *arg);

/// open(path, O_RDWR | O_CLOEXEC). Returns the new fd or -errno.
int ckvm_open_rdwr(const char *path);

/// close(fd). Returns 0 or -errno (EINTR is reported as success: Linux always releases the fd).
int ckvm_close(int fd);

/// mmap(NULL, length, PROT_READ|PROT_WRITE, MAP_SHARED, fd, 0): the vCPU's struct kvm_run.
/// Returns 0 and stores the address in *out, or -errno.
int ckvm_mmap_shared(int fd, size_t length, void *_Nullable *_Nonnull out);

/// An anonymous MAP_PRIVATE|MAP_NORESERVE read-write mapping of `length` bytes whose start is aligned to
/// `alignment` (a power of two, at least the page size). The over-allocated head and tail are unmapped
/// again, so exactly [*out, *out + length) stays mapped. Returns 0 or -errno (-EINVAL for a bad alignment
/// or a length that is zero or not a multiple of the page size).
int ckvm_mmap_anonymous_aligned(size_t length, size_t alignment, void *_Nullable *_Nonnull out);

/// munmap(address, length). Returns 0 or -errno.
int ckvm_munmap(void *address, size_t length);

/// eventfd(initval, EFD_CLOEXEC | (nonblocking ? EFD_NONBLOCK : 0)). Returns the new fd or -errno.
int ckvm_eventfd(unsigned int initval, int nonblocking);

/// Adds `value` to an eventfd counter (an 8-byte write). Returns 0 or -errno (-EAGAIN if it would overflow
/// on a non-blocking fd).
int ckvm_eventfd_write(int fd, uint64_t value);

/// Reads and resets an eventfd counter (an 8-byte read) into *out. Returns 0 or -errno (-EAGAIN when the
/// counter is zero on a non-blocking fd).
int ckvm_eventfd_read(int fd, uint64_t *out);

// MARK: - Variable-length structs (flexible array members Swift cannot import)

/// Allocates a zeroed struct kvm_cpuid2 with room for `nent` entries and nent set. Returns 0 and stores it
/// in *out, or -ENOMEM. Release with ckvm_free.
int ckvm_cpuid2_alloc(uint32_t nent, struct kvm_cpuid2 *_Nullable *_Nonnull out);

/// The entries of a struct kvm_cpuid2 (cannot fail).
struct kvm_cpuid_entry2 *ckvm_cpuid2_entries(struct kvm_cpuid2 *cpuid);

/// Allocates a zeroed struct kvm_msrs with room for `nmsrs` entries and nmsrs set. Returns 0 and stores it
/// in *out, or -ENOMEM. Release with ckvm_free.
int ckvm_msrs_alloc(uint32_t nmsrs, struct kvm_msrs *_Nullable *_Nonnull out);

/// The entries of a struct kvm_msrs (cannot fail).
struct kvm_msr_entry *ckvm_msrs_entries(struct kvm_msrs *msrs);

/// free(3) for the allocations above (cannot fail; NULL is allowed).
void ckvm_free(void *_Nullable pointer);

// MARK: - struct kvm_run accessors (the exit union; none can fail)

struct ckvm_io_exit {
    uint8_t direction;      // KVM_EXIT_IO_IN 0, KVM_EXIT_IO_OUT 1
    uint8_t size;           // bytes per access: 1, 2 or 4
    uint16_t port;
    uint32_t count;         // > 1 for rep ins/outs
    uint64_t data_offset;   // from the start of struct kvm_run
};

struct ckvm_mmio_exit {
    uint64_t phys_addr;
    uint32_t len;           // 1 to 8
    uint8_t is_write;
};

struct ckvm_system_event_exit {
    uint32_t type;          // KVM_SYSTEM_EVENT_*
    uint32_t ndata;
    uint64_t data0;         // data[0] (the old "flags") when ndata > 0
};

struct ckvm_internal_error_exit {
    uint32_t suberror;      // KVM_INTERNAL_ERROR_*
    uint32_t ndata;         // valid entries in data, at most 16
    uint64_t data[16];
};

struct ckvm_fail_entry_exit {
    uint64_t hardware_entry_failure_reason;
    uint32_t cpu;
};

uint32_t ckvm_run_exit_reason(const struct kvm_run *run);
struct ckvm_io_exit ckvm_run_io(const struct kvm_run *run);
struct ckvm_mmio_exit ckvm_run_mmio(const struct kvm_run *run);
/// The 8-byte mmio.data array inside the mapping: written by KVM for writes, by the VMM for reads.
uint8_t *ckvm_run_mmio_data(struct kvm_run *run);
struct ckvm_system_event_exit ckvm_run_system_event(const struct kvm_run *run);
struct ckvm_internal_error_exit ckvm_run_internal_error(const struct kvm_run *run);
struct ckvm_fail_entry_exit ckvm_run_fail_entry(const struct kvm_run *run);
uint64_t ckvm_run_hardware_exit_reason(const struct kvm_run *run);

/// Reads immediate_exit (acquire).
uint8_t ckvm_run_immediate_exit(const struct kvm_run *run);
/// Stores immediate_exit (release), so stores made before a kick are visible to the kicked thread.
void ckvm_run_set_immediate_exit(struct kvm_run *run, uint8_t value);
/// Atomically clears immediate_exit and returns its previous value (acquire-release).
uint8_t ckvm_run_take_immediate_exit(struct kvm_run *run);

// MARK: - vCPU kicks (vmm-facts.md §7: signal + immediate_exit)

/// The signal used to kick vCPU threads out of KVM_RUN: SIGRTMIN (cannot fail).
int ckvm_kick_signal(void);

/// Installs a handler for ckvm_kick_signal() that does nothing (no SA_RESTART, so KVM_RUN returns EINTR)
/// and makes sure the calling thread does not block it. Idempotent. Returns 0 or -errno.
int ckvm_install_kick_handler(void);

/// Unblocks the kick signal in the calling thread (a vCPU thread created with it blocked). Returns 0 or -errno.
int ckvm_unblock_kick_signal(void);

/// pthread_kill(thread, ckvm_kick_signal()). The thread must not have been joined or detached-and-exited
/// (pthread_t is then invalid). Returns 0 or -errno.
int ckvm_kick_thread(pthread_t thread);

#pragma clang assume_nonnull end

#endif
