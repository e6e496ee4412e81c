# The bench payload: prints "ok\n" on COM1 and ends the VM, entered either way a VMM may enter a Linux kernel:
#  - ELF entry (`start`, 64-bit, vmctl-vmm's boot state): then ACPI S5 through port 0x600 (vmctl-vmm exits 0);
#  - Xen PVH entry (`pvh_start`, 32-bit protected mode, paging off: QEMU's -kernel): then isa-debug-exit at 0x501.
# IDLE=1 builds the idle variant: after "ok\n" it halts with interrupts off (for memory measurements).
    .pushsection .note.Xen, "a", @note
    .align 4
    .long 4, 4, 18                  # namesz, descsz, XEN_ELFNOTE_PHYS32_ENTRY
    .asciz "Xen"
    .align 4
    .long pvh_start
    .align 4
    .popsection

    .text
    .code64
    .globl start
start:
    mov $0x3f8, %dx
    mov $'o', %al
    out %al, %dx
    mov $'k', %al
    out %al, %dx
    mov $'\n', %al
    out %al, %dx
.if IDLE == 0
    mov $0x600, %dx
    mov $0x34, %al
    out %al, %dx
.endif
1:  cli
    hlt
    jmp 1b

    .code32
pvh_start:
    mov $0x3f8, %dx
    mov $'o', %al
    out %al, %dx
    mov $'k', %al
    out %al, %dx
    mov $'\n', %al
    out %al, %dx
.if IDLE == 0
    mov $0x501, %dx
    xor %eax, %eax
    out %al, %dx
.endif
2:  cli
    hlt
    jmp 2b
