# Waits for Ctrl-Alt-Del on the i8042 (polls the status port, reads set-2 scan codes) and answers it the way
# most guests do: it reboots through the keyboard controller (0xFE to port 0x64).
    .code64
    .text
    .globl start
start:
    lea message(%rip), %rsi
    call print
1:  in $0x64, %al
    test $1, %al
    jz 2f
    in $0x60, %al
    cmp $0x71, %al              # Delete (after 0xE0): the combination is complete
    je 3f
    jmp 1b
2:  pause
    jmp 1b
3:  lea got(%rip), %rsi
    call print
    mov $0xfe, %al
    out %al, $0x64
4:  hlt
    jmp 4b
message:
    .asciz "waiting for ctrl-alt-del\n"
got:
    .asciz "ctrl-alt-del: rebooting\n"
    .include "lib.inc"
