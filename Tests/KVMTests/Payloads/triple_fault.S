# (c) Triple fault: load a null IDT (limit 0), then raise #UD. Delivering #UD fails (#GP), delivering #GP
# fails (#DF), delivering #DF fails → shutdown. Entered in long mode at 0x100000.
    .code64
    .text
start:
    lidt null_idtr(%rip)
    ud2
1:  hlt
    jmp 1b
null_idtr:
    .word 0
    .quad 0
