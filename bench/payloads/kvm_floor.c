/* The floor for "process start to first serial byte": a bare C program that does the KVM work every VMM here does
 * (VM, 64 MiB of RAM, TSS, in-kernel irqchip, PIT, one vCPU) and runs three real-mode OUTs of "ok\n" to port 0x3F8,
 * writing each byte to stdout, then exits. No ACPI, no boot_params, no long mode, no threads, no control socket.
 * RAM is registered before the irqchip, as vmctl-vmm does: on the nested kvm_pvm host the first memory slot after
 * KVM_CREATE_IRQCHIP waits 4.5-6.5 ms (bench/README.md). */
#include <fcntl.h>
#include <linux/kvm.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

int main(void) {
    int kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
    if (kvm < 0 || ioctl(kvm, KVM_GET_API_VERSION, 0) != 12) return 2;
    int vm = ioctl(kvm, KVM_CREATE_VM, 0);
    size_t size = 64 << 20;
    unsigned char *ram = mmap(0, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    /* mov $0x3f8,%dx; mov $'o',%al; out; mov $'k',%al; out; mov $'\n',%al; out; hlt */
    unsigned char code[] = {0xba, 0xf8, 0x03, 0xb0, 'o', 0xee, 0xb0, 'k', 0xee, 0xb0, '\n', 0xee, 0xf4};
    memcpy(ram + 0x1000, code, sizeof code);
    struct kvm_userspace_memory_region region = {0, 0, 0, size, (unsigned long)ram};
    if (ioctl(vm, KVM_SET_USER_MEMORY_REGION, &region)) return 2;
    ioctl(vm, KVM_SET_TSS_ADDR, 0xfffbd000);
    ioctl(vm, KVM_CREATE_IRQCHIP, 0);
    struct kvm_pit_config pit = {.flags = KVM_PIT_SPEAKER_DUMMY};
    ioctl(vm, KVM_CREATE_PIT2, &pit);
    int vcpu = ioctl(vm, KVM_CREATE_VCPU, 0);
    struct kvm_run *run = mmap(0, ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, 0), PROT_READ | PROT_WRITE, MAP_SHARED, vcpu, 0);
    struct kvm_sregs sregs;
    ioctl(vcpu, KVM_GET_SREGS, &sregs);
    sregs.cs.base = 0;
    sregs.cs.selector = 0;
    ioctl(vcpu, KVM_SET_SREGS, &sregs);
    struct kvm_regs regs = {.rip = 0x1000, .rflags = 2};
    ioctl(vcpu, KVM_SET_REGS, &regs);
    for (int bytes = 0; bytes < 3;) {
        if (ioctl(vcpu, KVM_RUN, 0) < 0) return 2;
        if (run->exit_reason != KVM_EXIT_IO) return 3;
        write(1, (char *)run + run->io.data_offset, 1);
        bytes++;
    }
    return 0;
}
