# Touches ports nobody claims (0x80 io-delay, COM2's 0x2f8), prints "tick\n", then one '.' per busy-wait round
# forever: the test pauses it (the dots stop), resumes it (they go on) and powers it off.
    .code64
    .text
    .globl start
start:
    out %al, $0x80
    mov $0x2f8, %dx
    in %dx, %al
    lea message(%rip), %rsi
    call print
1:  mov $COM1, %dx
    mov $'.', %al
    out %al, %dx
    mov $20000, %ecx             # a short busy wait (no PAUSE: nested hosts trap it)
2:  dec %ecx
    jnz 2b
    jmp 1b
message:
    .asciz "tick\n"
    .include "lib.inc"
