# Takes the ACPI power button's interrupt the way a kernel would, without ACPI: masks the 8259, enables the
# local APIC, routes IOAPIC pin 6 (the Generic Event Device's GSI when the VM has no disks: virtio-console is 5)
# to vector 0x30, prints "armed", and halts with interrupts on. The handler prints "power button" and powers off.
    .code64
    .text
    .globl start
    .set PDPT, 0xa000
    .set PD_HIGH, 0xc000          # page directory for 3-4 GiB
    .set IDT, 0x500000
    .set VECTOR, 0x30
    .set GSI, 6
    .set IOAPIC, 0xfec00000
    .set LAPIC, 0xfee00000
start:
    movq $(PD_HIGH | 3), PDPT + 3 * 8
    mov $(IOAPIC | 0x9b), %eax            # 2 MiB pages, cache-disabled
    mov %rax, PD_HIGH + ((IOAPIC - 0xc0000000) >> 21) * 8
    mov $(LAPIC | 0x9b), %eax
    mov %rax, PD_HIGH + ((LAPIC - 0xc0000000) >> 21) * 8
    mov %cr3, %rax
    mov %rax, %cr3

    lea handler(%rip), %rax               # 64-bit interrupt gate for VECTOR
    mov $(IDT + VECTOR * 16), %rdi
    mov %ax, (%rdi)
    movw $0x08, 2(%rdi)
    movw $0x8e00, 4(%rdi)
    shr $16, %rax
    mov %ax, 6(%rdi)
    shr $16, %rax
    mov %eax, 8(%rdi)
    movl $0, 12(%rdi)
    lidt idtr(%rip)

    mov $0xff, %al                        # mask both 8259s (LINT0 is ExtINT)
    out %al, $0x21
    out %al, $0xa1
    mov $(LAPIC + 0xf0), %ebx             # spurious-interrupt vector register: APIC on, vector 0xff
    movl $0x1ff, (%rbx)
    mov $IOAPIC, %ebx
    movl $(0x10 + 2 * GSI + 1), (%rbx)    # redirection entry high: destination APIC id 0
    movl $0, 0x10(%rbx)
    movl $(0x10 + 2 * GSI), (%rbx)        # low: VECTOR, fixed, physical, active high, edge, unmasked
    movl $VECTOR, 0x10(%rbx)

    lea armed(%rip), %rsi
    call print
    sti
1:  hlt
    jmp 1b

handler:
    lea pressed(%rip), %rsi
    call print
    jmp power_off

idtr:
    .word VECTOR * 16 + 15
    .quad IDT
armed:
    .asciz "armed\n"
pressed:
    .asciz "power button\n"
    .include "lib.inc"
