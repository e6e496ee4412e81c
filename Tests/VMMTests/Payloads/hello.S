# Prints a line on COM1 and powers off through ACPI (vmctl-vmm exits 0).
    .code64
    .text
    .globl start
start:
    lea message(%rip), %rsi
    call print
    jmp power_off
message:
    .asciz "hello from the payload\n"
    .include "lib.inc"
