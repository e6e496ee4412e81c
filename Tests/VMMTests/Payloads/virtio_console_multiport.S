# A minimal MULTIPORT virtio-console driver for the first window (0xC0001000: the console when there are no
# disks or NICs), in Linux's order: negotiates VERSION_1 and MULTIPORT, sets up all six queues (port 0 rx/tx,
# control rx/tx, port 1 rx/tx) with 8 entries, posts 8 control receive buffers, sends DEVICE_READY, waits for
# DEVICE_ADD 1, sends PORT_READY 1, waits for PORT_NAME and prints the name, opens port 1 (PORT_OPEN 1), posts
# one 64-byte receive buffer on port 1 and prints "ready\n". Then: waits for the host's PORT_OPEN 1 ("open\n"),
# echoes the host's bytes prefixed by "got:" ("echoed\n"), waits for the host's PORT_OPEN 0 ("closed\n") and
# powers off. Every wait is unbounded: the test drives it.
    .code64
    .text
    .globl start
    .include "virtio.inc"
    .set Q0, 0x400000              # queue q at Q0 + q * 0x3000: descriptors, avail +0x1000, used +0x2000
    .set Q2, 0x406000
    .set Q3, 0x409000
    .set Q4, 0x40c000
    .set Q5, 0x40f000
    .set AVAIL, 0x1000
    .set USED, 0x2000
    .set CTRL_RX_BUF, 0x420000     # 8 × 64 bytes
    .set CTRL_TX_BUF, 0x421000     # 8 × 8 bytes
    .set RX_BUFFER, 0x422000
start:
    map_mmio
    xor %r12d, %r12d               # control messages sent
    xor %r13d, %r13d               # control used entries seen

    cmpl $3, 0x008(%rbx)
    jne fail
    negotiate 2                    # VIRTIO_CONSOLE_F_MULTIPORT
    cmpl $2, 0x104(%rbx)           # max_nr_ports
    jne fail

    xor %ecx, %ecx
1:  mov %ecx, 0x030(%rbx)
    cmpl $8, 0x034(%rbx)           # QueueNumMax
    jb fail
    movl $8, 0x038(%rbx)
    imul $0x3000, %ecx, %eax
    add $Q0, %eax
    mov %eax, 0x080(%rbx)
    movl $0, 0x084(%rbx)
    lea AVAIL(%rax), %edx
    mov %edx, 0x090(%rbx)
    movl $0, 0x094(%rbx)
    lea USED(%rax), %edx
    mov %edx, 0x0a0(%rbx)
    movl $0, 0x0a4(%rbx)
    movl $1, 0x044(%rbx)
    inc %ecx
    cmp $6, %ecx
    jne 1b
    movl $0xf, 0x070(%rbx)

    xor %ecx, %ecx                 # control receive buffers: descriptor i = buffer i
2:  mov %ecx, %eax
    shl $6, %eax
    add $CTRL_RX_BUF, %eax
    mov %ecx, %edx
    shl $4, %edx
    mov %rax, Q2(%rdx)
    movl $64, Q2 + 8(%rdx)
    movw $2, Q2 + 12(%rdx)
    movw %cx, Q2 + AVAIL + 4(,%rcx,2)
    inc %ecx
    cmp $8, %ecx
    jne 2b
    mfence
    movw $8, Q2 + AVAIL + 2
    mfence
    movl $2, 0x050(%rbx)

    mov $0xffffffff, %edi          # DEVICE_READY 1
    mov $(0 | 1 << 16), %esi
    call ctrl_send
    mov $1, %edi                   # DEVICE_ADD port 1
    mov $(1 | 1 << 16), %esi
    call ctrl_wait
    mov $1, %edi                   # PORT_READY 1
    mov $(3 | 1 << 16), %esi
    call ctrl_send
    mov $1, %edi                   # PORT_NAME
    mov $(7 | 1 << 16), %esi
    call ctrl_wait
    lea 8(%rax), %rsi
    call print
    lea newline(%rip), %rsi
    call print
    mov $1, %edi                   # PORT_OPEN 1: the guest opened port 1
    mov $(6 | 1 << 16), %esi
    call ctrl_send

    movq $RX_BUFFER, Q4
    movl $64, Q4 + 8
    movw $2, Q4 + 12
    movw $0, Q4 + AVAIL + 4
    mfence
    movw $1, Q4 + AVAIL + 2
    mfence
    movl $4, 0x050(%rbx)
    lea ready_text(%rip), %rsi
    call print

    mov $1, %edi                   # the host's PORT_OPEN 1
    mov $(6 | 1 << 16), %esi
    call ctrl_wait
    lea open_text(%rip), %rsi
    call print

3:  movzwl Q4 + USED + 2, %eax     # the host's bytes
    cmp $1, %eax
    jne 3b
    lea got_text(%rip), %rax
    mov %rax, Q5
    movl $4, Q5 + 8
    movw $1, Q5 + 12
    movw $1, Q5 + 14
    movq $RX_BUFFER, Q5 + 16
    mov Q4 + USED + 8, %eax
    mov %eax, Q5 + 16 + 8
    movw $0, Q5 + 16 + 12
    movw $0, Q5 + AVAIL + 4
    mfence
    movw $1, Q5 + AVAIL + 2
    mfence
    movl $5, 0x050(%rbx)
4:  movzwl Q5 + USED + 2, %eax
    cmp $1, %eax
    jne 4b
    lea echoed_text(%rip), %rsi
    call print

    mov $1, %edi                   # the host's PORT_OPEN 0
    mov $6, %esi
    call ctrl_wait
    lea closed_text(%rip), %rsi
    call print
    jmp power_off

fail:
    lea fail_text(%rip), %rsi
    call print
    jmp power_off

# ctrl_send: the message (id %edi, event | value << 16 in %esi) on the control transmit queue; waits until the
# device has used it. Clobbers %rax, %rcx, %rdx.
ctrl_send:
    mov %r12d, %eax
    and $7, %eax
    lea CTRL_TX_BUF(,%rax,8), %rdx
    mov %edi, (%rdx)
    mov %esi, 4(%rdx)
    mov %eax, %ecx
    shl $4, %ecx
    mov %rdx, Q3(%rcx)
    movl $8, Q3 + 8(%rcx)
    movw $0, Q3 + 12(%rcx)
    movw %ax, Q3 + AVAIL + 4(,%rax,2)
    inc %r12d
    mfence
    movw %r12w, Q3 + AVAIL + 2
    mfence
    movl $3, 0x050(%rbx)
1:  movzwl Q3 + USED + 2, %eax
    cmp %r12w, %ax
    jne 1b
    ret

# ctrl_wait: skips device messages until one with id %edi and event | value << 16 = %esi; returns its buffer in
# %rax. Clobbers %rcx.
ctrl_wait:
1:  movzwl Q2 + USED + 2, %eax
    cmp %r13w, %ax
    je 1b
    mov %r13d, %ecx
    and $7, %ecx
    mov Q2 + USED + 4(,%rcx,8), %eax
    inc %r13d
    shl $6, %eax
    add $CTRL_RX_BUF, %eax
    cmp %edi, (%rax)
    jne 1b
    cmp %esi, 4(%rax)
    jne 1b
    ret

newline:     .asciz "\n"
ready_text:  .asciz "ready\n"
open_text:   .asciz "open\n"
got_text:    .ascii "got:"
echoed_text: .asciz "echoed\n"
closed_text: .asciz "closed\n"
fail_text:   .asciz "fail\n"
    .include "lib.inc"
