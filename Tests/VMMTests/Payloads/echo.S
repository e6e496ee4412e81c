# Prints "ready\n", then echoes every byte that arrives on COM1 (polling LSR.DR) until a 'q', then powers off.
    .code64
    .text
    .globl start
start:
    lea message(%rip), %rsi
    call print
1:  mov $(COM1 + 5), %dx
    in %dx, %al
    test $1, %al
    jz 2f
    mov $COM1, %dx
    in %dx, %al
    out %al, %dx
    cmp $'q', %al
    je power_off
    jmp 1b
2:  pause
    jmp 1b
message:
    .asciz "ready\n"
    .include "lib.inc"
