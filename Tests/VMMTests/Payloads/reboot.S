# A boot counter at 0x300000 (RAM outside the image, which survives a reset as on real hardware). Boot 1
# prints "boot 1" and reboots through the i8042 (0xFE to port 0x64); boot 2 through the ACPI reset register;
# boot 3 powers off. vmctl-vmm resets in place twice and exits 0.
    .code64
    .text
    .globl start
    .set COUNTER, 0x300000
start:
    incq COUNTER
    lea message(%rip), %rsi
    call print
    mov COUNTER, %rax
    add $'0', %al
    out %al, %dx
    mov $'\n', %al
    out %al, %dx
    mov COUNTER, %rax
    cmp $1, %rax
    je keyboard_reset
    cmp $2, %rax
    je acpi_reset
    jmp power_off
keyboard_reset:
    mov $0xfe, %al
    out %al, $0x64
    jmp halt
acpi_reset:
    mov $POWER_PORT, %dx
    mov $ACPI_RESET, %al
    out %al, %dx
halt:
    hlt
    jmp halt
message:
    .asciz "boot "
    .include "lib.inc"
