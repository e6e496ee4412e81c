# A minimal virtio-console driver for the first window (0xC0001000: the console when there are no disks or
# NICs): negotiates VERSION_1, sets up rx (queue 0) and tx (queue 1) with 8 entries, posts one 64-byte receive
# buffer, prints "ready\n" on COM1, waits (without bound: the test sends) for host bytes, sends them back on
# tx prefixed by "got:" (two descriptors in one chain), waits for the tx used entry, prints "echoed\n" on COM1
# and powers off.
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
start:
    map_mmio

    cmpl $3, 0x008(%rbx)
    jne not_console
    negotiate 0

    queue 0, RX_DESC, RX_AVAIL, RX_USED
    queue 1, TX_DESC, TX_AVAIL, TX_USED
    movl $0xf, 0x070(%rbx)         # DRIVER_OK

    # One receive buffer, device-writable.
    movq $RX_BUFFER, RX_DESC
    movl $64, RX_DESC + 8
    movw $2, RX_DESC + 12
    movw $0, RX_AVAIL + 4
    mfence
    movw $1, RX_AVAIL + 2
    mfence
    movl $0, 0x050(%rbx)           # QueueNotify(0)
    lea ready_text(%rip), %rsi
    call print

1:  movzwl RX_USED + 2, %eax       # until the host's bytes arrive
    cmp $1, %eax
    je 2f
    mov $20000, %ecx               # a short busy wait (no PAUSE: nested hosts trap it)
3:  dec %ecx
    jnz 3b
    jmp 1b

    # Echo: descriptor 0 = "got:", descriptor 1 = the received bytes (used[0].len of them).
2:  lea got_text(%rip), %rax
    mov %rax, TX_DESC
    movl $4, TX_DESC + 8
    movw $1, TX_DESC + 12          # NEXT
    movw $1, TX_DESC + 14
    movq $RX_BUFFER, TX_DESC + 16
    mov RX_USED + 8, %eax
    mov %eax, TX_DESC + 16 + 8
    movw $0, TX_DESC + 16 + 12
    movw $0, TX_AVAIL + 4
    mfence
    movw $1, TX_AVAIL + 2
    mfence
    movl $1, 0x050(%rbx)           # QueueNotify(1)
    mov $100000000, %ecx
4:  movzwl TX_USED + 2, %eax
    cmp $1, %eax
    je 5f
    dec %ecx
    jnz 4b
    jmp fail
5:  lea echoed_text(%rip), %rsi
    call print
    jmp power_off

fail:
    lea fail_text(%rip), %rsi
    call print
    jmp power_off
not_console:
    lea not_console_text(%rip), %rsi
    call print
    jmp power_off

ready_text:       .asciz "ready\n"
got_text:         .ascii "got:"
echoed_text:      .asciz "echoed\n"
fail_text:        .asciz "fail\n"
not_console_text: .asciz "not a console\n"
    .include "lib.inc"
