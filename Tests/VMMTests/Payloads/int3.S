# int3 three times, each caught by a #BP handler that checks the pushed RIP is the instruction after the 0xCC (the
# CPU raises #BP as a trap); then idles so the test can read the VMM's stats. Prints one line per step.
    .code64
    .text
    .globl start
start:
    lea bp_handler(%rip), %rax
    lea idt + 3 * 16(%rip), %rdi # the gate of vector 3
    mov %ax, (%rdi)              # offset 15:0
    mov %cs, %cx
    mov %cx, 2(%rdi)             # selector: this code segment
    movw $0x8E00, 4(%rdi)        # present, DPL 0, 64-bit interrupt gate, IST 0
    shr $16, %rax
    mov %ax, 6(%rdi)             # offset 31:16
    shr $16, %rax
    mov %eax, 8(%rdi)            # offset 63:32
    lidt idtr(%rip)
    xor %r13d, %r13d             # traps whose RIP was right
    lea 1f(%rip), %r12
    int3
1:  lea 2f(%rip), %r12
    int3
2:  lea 3f(%rip), %r12
    int3
3:  cmp $3, %r13
    jne wrong
    lea good(%rip), %rsi
    call print
4:  hlt                          # idle (interrupts are off): the test reads stats, then powers off
    jmp 4b
bp_handler:
    cmp %r12, (%rsp)             # the pushed RIP
    jne wrong
    inc %r13
    iretq
wrong:
    lea bad(%rip), %rsi
    call print
    jmp power_off
good: .asciz "int3: 3 traps, each with the next RIP\n"
bad:  .asciz "int3: a #BP with a wrong RIP, or none\n"
    .balign 16
idtr:
    .word 256 * 16 - 1
    .quad idt
    .balign 16
idt:
    .fill 256 * 16, 1, 0
    .include "lib.inc"
