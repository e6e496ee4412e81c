# fwait with no x87 exception pending (after fninit): a no-op; the payload goes on, says so and powers off.
    .code64
    .text
    .globl start
start:
    fninit
    fwait
    lea done(%rip), %rsi
    call print
    jmp power_off
done: .asciz "fwait: went on\n"
    .include "lib.inc"
