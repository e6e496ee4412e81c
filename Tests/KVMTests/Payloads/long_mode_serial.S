# (b) 64-bit payload entered directly in long mode (our GDT, identity page tables, CS.L=1) at 0x100000,
# RSP = 0x8FF0. Uses the stack (call/ret, push/pop), RIP-relative addressing and 64-bit arithmetic, then
# prints "64-bit OK\n" on port 0x3F8 and the low byte of a 64-bit shift result on port 0x3F9, and halts.
    .code64
    .text
start:
    lea message(%rip), %rsi
    call print
    movabs $0x4142434445464748, %rax
    push %rax
    pop %rbx
    shr $56, %rbx               # 0x41 'A' only survives in 64-bit mode
    mov %bl, %al
    mov $0x3f9, %dx
    out %al, %dx
1:  hlt
    jmp 1b

print:                          # rsi: NUL-terminated string
    mov $0x3f8, %dx
2:  lodsb
    test %al, %al
    jz 3f
    out %al, %dx
    jmp 2b
3:  ret

message:
    .asciz "64-bit OK\n"
