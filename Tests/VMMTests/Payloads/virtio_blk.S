# A minimal virtio-mmio driver for the first window (0xC0001000, the first disk): maps the MMIO hole, prints
# the Magic, Version and DeviceID registers, negotiates VERSION_1, sets up queue 0 with 8 entries, reads sector
# 0 with one IN request (header, 512-byte buffer, status byte), waits for the used ring, prints the status and
# the sector's first 32 bytes, and powers off.
    .code64
    .text
    .globl start
    .include "virtio.inc"
    .set DESC, 0x400000
    .set AVAIL, 0x401000
    .set USED, 0x402000
    .set HEADER, 0x403000
    .set BUFFER, 0x404000
    .set STATUS, 0x405000
start:
    map_mmio

    lea magic_text(%rip), %rsi
    call print
    mov 0x000(%rbx), %eax
    call print_hex32
    lea version_text(%rip), %rsi
    call print
    mov 0x004(%rbx), %eax
    call print_hex32
    lea device_text(%rip), %rsi
    call print
    mov 0x008(%rbx), %eax
    call print_hex32
    lea newline(%rip), %rsi
    call print
    cmpl $2, 0x008(%rbx)
    jne not_block

    negotiate 0
    movl $0, 0x030(%rbx)           # QueueSel 0
    mov 0x034(%rbx), %eax          # QueueNumMax
    cmp $8, %eax
    jb fail
    queue 0, DESC, AVAIL, USED
    movl $0xf, 0x070(%rbx)         # DRIVER_OK

    # Request: IN (type 0), sector 0.
    movl $0, HEADER
    movl $0, HEADER + 4
    movq $0, HEADER + 8
    movb $0xff, STATUS
    movq $HEADER, DESC             # desc 0: header, readable, NEXT -> 1
    movl $16, DESC + 8
    movw $1, DESC + 12
    movw $1, DESC + 14
    movq $BUFFER, DESC + 16        # desc 1: data, device-writable, NEXT -> 2
    movl $512, DESC + 24
    movw $3, DESC + 28
    movw $2, DESC + 30
    movq $STATUS, DESC + 32        # desc 2: status byte, device-writable
    movl $1, DESC + 40
    movw $2, DESC + 44
    movw $0, DESC + 46
    movw $0, AVAIL + 4             # ring[0] = head 0
    mfence
    movw $1, AVAIL + 2             # idx = 1
    mfence
    movl $0, 0x050(%rbx)           # QueueNotify(0)

    mov $100000000, %ecx
1:  movzwl USED + 2, %eax
    cmp $1, %eax
    je 2f
    pause
    dec %ecx
    jnz 1b
    jmp fail
2:  lea status_text(%rip), %rsi
    call print
    movzbl STATUS, %eax
    call print_hex32
    lea data_text(%rip), %rsi
    call print
    mov $BUFFER, %rsi
    mov $COM1, %dx
    mov $32, %ecx
3:  lodsb
    out %al, %dx
    dec %ecx
    jnz 3b
    lea newline(%rip), %rsi
    call print
    jmp power_off

fail:
    lea fail_text(%rip), %rsi
    call print
    jmp power_off
not_block:
    lea not_block_text(%rip), %rsi
    call print
    jmp power_off

magic_text:   .asciz "magic="
version_text: .asciz " version="
device_text:  .asciz " device="
status_text:  .asciz "blk status="
data_text:    .asciz " data="
fail_text:    .asciz "virtio-blk: FAILED\n"
not_block_text: .asciz "not a block device\n"
newline:      .asciz "\n"
    .include "lib.inc"
