# Prints a line, then loads a null IDT and raises #UD: #UD → #GP → #DF → triple fault (KVM_EXIT_SHUTDOWN),
# which vmctl-vmm reports as a guest crash (exit 2).
    .code64
    .text
    .globl start
start:
    lea message(%rip), %rsi
    call print
    lidt null_idtr(%rip)
    ud2
null_idtr:
    .word 0
    .quad 0
message:
    .asciz "about to triple-fault\n"
    .include "lib.inc"
