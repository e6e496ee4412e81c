// See include/ckvm.h for the contract: values or -errno, never a bare -1.
#define _GNU_SOURCE
#include "ckvm.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

int ckvm_ioctl_none(int fd, unsigned long req, unsigned long arg) {
    int result = ioctl(fd, req, arg);
    return result < 0 ? -errno : result;
}

int ckvm_ioctl_ptr(int fd, unsigned long req, void *arg) {
    int result = ioctl(fd, req, arg);
    return result < 0 ? -errno : result;
}

int ckvm_open_rdwr(const char *path) {
    int fd = open(path, O_RDWR | O_CLOEXEC);
    return fd < 0 ? -errno : fd;
}

int ckvm_close(int fd) {
    if (close(fd) == 0 || errno == EINTR) return 0;
    return -errno;
}

int ckvm_mmap_shared(int fd, size_t length, void **out) {
    void *address = mmap(NULL, length, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (address == MAP_FAILED) return -errno;
    *out = address;
    return 0;
}

int ckvm_mmap_anonymous_aligned(size_t length, size_t alignment, void **out) {
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    if (length == 0 || length % page != 0) return -EINVAL;
    if (alignment < page || (alignment & (alignment - 1)) != 0) return -EINVAL;
    if (length > SIZE_MAX - alignment) return -ENOMEM;
    size_t reserved = length + alignment;
    void *base = mmap(NULL, reserved, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (base == MAP_FAILED) return -errno;
    uintptr_t start = ((uintptr_t)base + alignment - 1) & ~(uintptr_t)(alignment - 1);
    size_t head = start - (uintptr_t)base;
    size_t tail = reserved - head - length;
    // Trimming cannot fail for page-aligned ranges inside our own mapping; report it if it does.
    if (head > 0 && munmap(base, head) != 0) {
        int saved = errno;
        munmap(base, reserved);
        return -saved;
    }
    if (tail > 0 && munmap((void *)(start + length), tail) != 0) {
        int saved = errno;
        munmap((void *)start, length + tail);
        return -saved;
    }
    *out = (void *)start;
    return 0;
}

int ckvm_munmap(void *address, size_t length) {
    return munmap(address, length) == 0 ? 0 : -errno;
}

int ckvm_eventfd(unsigned int initval, int nonblocking) {
    int fd = eventfd(initval, EFD_CLOEXEC | (nonblocking ? EFD_NONBLOCK : 0));
    return fd < 0 ? -errno : fd;
}

int ckvm_eventfd_write(int fd, uint64_t value) {
    for (;;) {
        ssize_t written = write(fd, &value, sizeof value);
        if (written == (ssize_t)sizeof value) return 0;
        if (written < 0 && errno == EINTR) continue;
        return written < 0 ? -errno : -EIO;
    }
}

int ckvm_eventfd_read(int fd, uint64_t *out) {
    for (;;) {
        ssize_t got = read(fd, out, sizeof *out);
        if (got == (ssize_t)sizeof *out) return 0;
        if (got < 0 && errno == EINTR) continue;
        return got < 0 ? -errno : -EIO;
    }
}

int ckvm_cpuid2_alloc(uint32_t nent, struct kvm_cpuid2 **out) {
    struct kvm_cpuid2 *cpuid = calloc(1, sizeof *cpuid + (size_t)nent * sizeof(struct kvm_cpuid_entry2));
    if (cpuid == NULL) return -ENOMEM;
    cpuid->nent = nent;
    *out = cpuid;
    return 0;
}

struct kvm_cpuid_entry2 *ckvm_cpuid2_entries(struct kvm_cpuid2 *cpuid) { return cpuid->entries; }

int ckvm_msrs_alloc(uint32_t nmsrs, struct kvm_msrs **out) {
    struct kvm_msrs *msrs = calloc(1, sizeof *msrs + (size_t)nmsrs * sizeof(struct kvm_msr_entry));
    if (msrs == NULL) return -ENOMEM;
    msrs->nmsrs = nmsrs;
    *out = msrs;
    return 0;
}

struct kvm_msr_entry *ckvm_msrs_entries(struct kvm_msrs *msrs) { return msrs->entries; }

void ckvm_free(void *pointer) { free(pointer); }

uint32_t ckvm_run_exit_reason(const struct kvm_run *run) { return run->exit_reason; }

struct ckvm_io_exit ckvm_run_io(const struct kvm_run *run) {
    struct ckvm_io_exit io = {
        .direction = run->io.direction, .size = run->io.size, .port = run->io.port,
        .count = run->io.count, .data_offset = run->io.data_offset,
    };
    return io;
}

struct ckvm_mmio_exit ckvm_run_mmio(const struct kvm_run *run) {
    struct ckvm_mmio_exit mmio = { .phys_addr = run->mmio.phys_addr, .len = run->mmio.len, .is_write = run->mmio.is_write };
    return mmio;
}

uint8_t *ckvm_run_mmio_data(struct kvm_run *run) { return run->mmio.data; }

struct ckvm_system_event_exit ckvm_run_system_event(const struct kvm_run *run) {
    struct ckvm_system_event_exit event = {
        .type = run->system_event.type, .ndata = run->system_event.ndata, .data0 = run->system_event.data[0],
    };
    return event;
}

struct ckvm_internal_error_exit ckvm_run_internal_error(const struct kvm_run *run) {
    struct ckvm_internal_error_exit internal;
    internal.suberror = run->internal.suberror;
    internal.ndata = run->internal.ndata > 16 ? 16 : run->internal.ndata;
    memcpy(internal.data, run->internal.data, sizeof internal.data);
    return internal;
}

struct ckvm_fail_entry_exit ckvm_run_fail_entry(const struct kvm_run *run) {
    struct ckvm_fail_entry_exit fail = {
        .hardware_entry_failure_reason = run->fail_entry.hardware_entry_failure_reason, .cpu = run->fail_entry.cpu,
    };
    return fail;
}

uint64_t ckvm_run_hardware_exit_reason(const struct kvm_run *run) { return run->hw.hardware_exit_reason; }

uint8_t ckvm_run_immediate_exit(const struct kvm_run *run) {
    return __atomic_load_n(&run->immediate_exit, __ATOMIC_ACQUIRE);
}

void ckvm_run_set_immediate_exit(struct kvm_run *run, uint8_t value) {
    __atomic_store_n(&run->immediate_exit, value, __ATOMIC_RELEASE);
}

uint8_t ckvm_run_take_immediate_exit(struct kvm_run *run) {
    return __atomic_exchange_n(&run->immediate_exit, 0, __ATOMIC_ACQ_REL);
}

int ckvm_kick_signal(void) { return SIGRTMIN; }

static void ckvm_kick_handler(int signo) {
    (void)signo;
    // Nothing to do: the signal exists only to make KVM_RUN return EINTR. The fence orders the
    // interrupted thread's later loads after the kicker's stores (as Firecracker does).
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
}

int ckvm_unblock_kick_signal(void) {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGRTMIN);
    int result = pthread_sigmask(SIG_UNBLOCK, &set, NULL);
    return result == 0 ? 0 : -result;
}

int ckvm_install_kick_handler(void) {
    struct sigaction action;
    memset(&action, 0, sizeof action);
    action.sa_handler = ckvm_kick_handler;
    sigemptyset(&action.sa_mask);
    action.sa_flags = 0;   // no SA_RESTART: KVM_RUN must return EINTR
    if (sigaction(SIGRTMIN, &action, NULL) != 0) return -errno;
    return ckvm_unblock_kick_signal();
}

int ckvm_kick_thread(pthread_t thread) {
    int result = pthread_kill(thread, SIGRTMIN);
    return result == 0 ? 0 : -result;
}
