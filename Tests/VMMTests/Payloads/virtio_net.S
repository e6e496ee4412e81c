# A minimal virtio-net driver for the first window (0xC0001000: the first NIC when there are no disks): checks the
# device id, negotiates VERSION_1 and MAC, prints the MAC from config space, sets up rx (queue 0) and tx (queue 1)
# with 8 entries, posts one 1530-byte receive buffer, sends one 60-byte frame (12-byte zero header first), waits
# for the tx used entry, then for a frame from the host, prints its used length and payload, and powers off.
    .code64
    .text
    .globl start
    .include "virtio.inc"
    .set RX_DESC, 0x400000
    .set RX_AVAIL, 0x401000
    .set RX_USED, 0x402000
    .set TX_DESC, 0x403000
    .set TX_AVAIL, 0x404000
    .set TX_USED, 0x405000
    .set RX_BUFFER, 0x406000
    .set TX_BUFFER, 0x407000
start:
    map_mmio

    cmpl $1, 0x008(%rbx)
    jne not_net
    negotiate 0x20                 # VIRTIO_NET_F_MAC (bit 5)

    lea mac_text(%rip), %rsi
    call print
    mov 0x100(%rbx), %eax          # mac[0..3]
    bswap %eax
    call print_hex32
    movzwl 0x104(%rbx), %eax       # mac[4..5]
    xchg %al, %ah
    call print_hex32
    lea newline(%rip), %rsi
    call print

    queue 0, RX_DESC, RX_AVAIL, RX_USED
    queue 1, TX_DESC, TX_AVAIL, TX_USED
    movl $0xf, 0x070(%rbx)         # DRIVER_OK

    # One receive buffer: header + the largest frame, device-writable.
    movq $RX_BUFFER, RX_DESC
    movl $1530, RX_DESC + 8
    movw $2, RX_DESC + 12
    movw $0, RX_AVAIL + 4
    mfence
    movw $1, RX_AVAIL + 2
    mfence
    movl $0, 0x050(%rbx)           # QueueNotify(0)

    # One frame: zero header, then the 60 bytes at `frame`.
    mov $TX_BUFFER, %rdi
    xor %eax, %eax
    mov $12, %ecx
    rep stosb
    lea frame(%rip), %rsi
    mov $60, %ecx
    rep movsb
    movq $TX_BUFFER, TX_DESC
    movl $72, TX_DESC + 8
    movw $0, TX_DESC + 12
    movw $0, TX_AVAIL + 4
    mfence
    movw $1, TX_AVAIL + 2
    mfence
    movl $1, 0x050(%rbx)           # QueueNotify(1)

    mov $TX_USED, %edi
    call wait_used
    lea sent_text(%rip), %rsi
    call print
    mov $RX_USED, %edi
    call wait_used
    lea received_text(%rip), %rsi
    call print
    mov RX_USED + 8, %eax          # used[0].len
    call print_hex32
    lea payload_text(%rip), %rsi
    call print
    mov $(RX_BUFFER + 12 + 14), %rsi
    mov $COM1, %dx
    mov $24, %ecx
1:  lodsb
    out %al, %dx
    dec %ecx
    jnz 1b
    lea newline(%rip), %rsi
    call print
    jmp power_off

# wait_used: until used.idx at %rdi is 1; jumps to fail after a bound. Clobbers %rax, %rcx.
wait_used:
    mov $100000000, %ecx
1:  movzwl 2(%rdi), %eax
    cmp $1, %eax
    je 2f
    pause
    dec %ecx
    jnz 1b
    pop %rax
    jmp fail
2:  ret

fail:
    lea fail_text(%rip), %rsi
    call print
    jmp power_off
not_net:
    lea not_net_text(%rip), %rsi
    call print
    jmp power_off

frame:
    .byte 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x52, 0x54, 0x00, 0x12, 0x34, 0x56, 0x88, 0xb5
    .ascii "virtio-net tx from the payload, 46 bytes...."
    .byte 0x21, 0x0a
mac_text:      .asciz "mac="
sent_text:     .asciz "tx used\n"
received_text: .asciz "rx len="
payload_text:  .asciz " payload="
fail_text:     .asciz "virtio-net: FAILED\n"
not_net_text:  .asciz "not a network device\n"
newline:       .asciz "\n"
    .include "lib.inc"
