# lock cmpxchg16b, which KVM's instruction emulator does not know: where KVM emulates guest kernel code this is an
# emulation failure the VMM must not paper over (a guest crash naming the bytes); on hardware KVM it just runs.
    .code64
    .text
    .globl start
start:
    lea slot(%rip), %rdi
    xor %eax, %eax
    xor %edx, %edx
    xor %ebx, %ebx
    xor %ecx, %ecx
    lock cmpxchg16b (%rdi)
    lea done(%rip), %rsi
    call print
    jmp power_off
done: .asciz "cmpxchg16b: ran\n"
    .balign 16
slot: .quad 0, 0
    .include "lib.inc"
