# String I/O in real mode (loaded at 0x1000, CS = DS = ES = 0): `rep outsb` of "abc" (KVM may exit per byte),
# `rep insb` of 4 bytes from port 0x3F8 into a buffer (one exit, count 4, answered by the test), then
# `rep outsb` of that buffer back to the port, and HLT.
    .code16
    .text
    .set LOAD, 0x1000
start:
    cld
    mov $0x3f8, %dx
    mov $(message - start + LOAD), %si
    mov $3, %cx
    rep outsb
    mov $(buffer - start + LOAD), %di
    mov $4, %cx
    rep insb
    mov $(buffer - start + LOAD), %si
    mov $4, %cx
    rep outsb
1:  hlt
    jmp 1b
message:
    .ascii "abc"
buffer:
    .space 4
