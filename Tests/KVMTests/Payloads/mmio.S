# (d) MMIO at 0xC0001000 (the first virtio-mmio window). Entered in long mode at 0x100000; the test maps
# 3–4 GiB with a second page directory. Reads 4 bytes at +0 and echoes them to port 0x3F8 as one 32-bit OUT;
# writes 0xCAFEBABE (4 bytes) at +0 and 0x5A (1 byte) at +8; reads 8 bytes at +0x10 and echoes them as two
# 32-bit OUTs (low, high); then halts.
    .code64
    .text
start:
    mov $0xC0001000, %ebx       # zero-extends into rbx
    mov $0x3f8, %dx
    movl (%rbx), %eax
    out %eax, %dx
    movl $0xCAFEBABE, (%rbx)
    movb $0x5A, 8(%rbx)
    movq 0x10(%rbx), %rax
    out %eax, %dx
    shr $32, %rax
    out %eax, %dx
1:  hlt
    jmp 1b
