# (a) 16-bit real mode: write "OK\n" to COM1's data port one byte per OUT, then halt.
# Loaded at guest 0x1000 and entered with CS = DS = 0, IP = 0x1000.
# Assembled with `as --64` (+ objcopy -O binary); no relocations: addresses are label differences.
    .code16
    .text
    .set LOAD, 0x1000
start:
    cld
    mov $(message - start + LOAD), %si
    mov $0x3f8, %dx
1:  lodsb
    test %al, %al
    jz 2f
    out %al, %dx
    jmp 1b
2:  hlt
    jmp 2b
message:
    .asciz "OK\n"
