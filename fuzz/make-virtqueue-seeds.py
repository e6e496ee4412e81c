#!/usr/bin/env python3
"""Writes the VirtqueueFuzz seed corpus (fuzz/corpus-virtqueue): well-formed virtio-blk/console/net sessions and
multiport console sessions in the input format described in Sources/VirtqueueFuzz (config, memory image, operations)."""
import os
import struct

here = os.path.dirname(os.path.abspath(__file__))
out = os.path.join(here, "corpus-virtqueue")
os.makedirs(out, exist_ok=True)

NEXT, WRITE, INDIRECT = 1, 2, 4


def desc(addr, length, flags=0, nxt=0):
    return struct.pack("<QIHH", addr, length, flags, nxt)


def config(ro=False, event=False, indirect=False, console=False, rx=False, split=False, size_sel=4, layout=None,
           net=False):
    flags = (1 if ro else 0) | (2 if event else 0) | (4 if indirect else 0) | (8 if layout else 0) \
        | (16 if console else 0) | (32 if rx else 0) | (64 if split else 0) | (128 if net else 0)
    return bytes([flags, size_sel]) + (struct.pack("<QQQ", *layout) if layout else b"")


def image(data):
    return struct.pack("<H", len(data)) + data


def write_mem(addr, data):
    assert len(data) < 256
    return bytes([3]) + struct.pack("<HB", addr, len(data)) + data


def push(head):
    return bytes([0]) + struct.pack("<H", head)


def notify(queue=0):
    return bytes([2, queue])


def ack():
    return bytes([6])


def blk_header(kind, sector=0):
    return struct.pack("<IIQ", kind, 0, sector)


def chain(*descs):
    return b"".join(descs)


def blk(kind, data_len, writable, sector=1, cfg=None):
    descs = [desc(0x2000, 16, NEXT, 1)]
    if data_len:
        descs.append(desc(0x2100, data_len, NEXT | (WRITE if writable else 0), 2))
        descs.append(desc(0x3F00, 1, WRITE))
    else:
        descs[0] = desc(0x2000, 16, NEXT, 1)
        descs.append(desc(0x3F00, 1, WRITE))
    ops = write_mem(0x2000, blk_header(kind, sector)) + push(0) + notify() + ack()
    return (cfg or config()) + image(chain(*descs)) + ops


TOP = 0xFFFF_FFFF_FFFF_E000


def top_rings(data):
    return (config(split=True, event=True, layout=(TOP, TOP + 0x800, TOP + 0xA00), size_sel=3) + image(b"")
            + write_mem(0x8000, desc(0x1000, 16, NEXT, 1) + desc(data, 512, NEXT | WRITE, 2) + desc(0x3F00, 1, WRITE))
            + write_mem(0x1000, blk_header(0, 2)) + push(0) + notify() + ack())

# The multiport console (Sources/VirtqueueFuzz/MultiportMachine.swift): config bits 4+7, driver operations 9-13.
def multiport(decline=False, event=False, indirect=False):
    return bytes([0x90 | (1 if decline else 0) | (2 if event else 0) | (4 if indirect else 0), 4]) + image(b"")


def ctl(port_id, event, value, split=0):
    msg = struct.pack("<IHH", port_id, event, value)
    return bytes([9, split, len(msg)]) + msg


def guest_output(port, data):
    return bytes([10, port, len(data)]) + data


def rx_buffer(port_queue, length):
    """port_queue 0: port 0's receive queue, 1: the control receive queue, 2: port 1's receive queue."""
    return bytes([11, port_queue, length - 1])


def host(connected, port):
    return bytes([12, port << 1 | (1 if connected else 0)])


def host_input(port, data):
    return bytes([13, port, len(data)]) + data


NO_PORT = 0xFFFF_FFFF
DEVICE_READY, PORT_READY, PORT_OPEN = 0, 3, 6
HANDSHAKE = (b"".join(rx_buffer(1, 64) for _ in range(6)) + ctl(NO_PORT, DEVICE_READY, 1) + ctl(0, PORT_READY, 1)
             + ctl(1, PORT_READY, 1, split=4))

seeds = {
    "blk-in": blk(0, 512, True),
    "blk-out": blk(1, 512, False),
    "blk-flush": blk(4, 0, False),
    "blk-getid": blk(8, 20, True),
    "blk-unsupported": blk(99, 0, False),
    "blk-ro-out": blk(1, 512, False, cfg=config(ro=True)),
    "blk-beyond": blk(0, 512, True, sector=16),
    "blk-event-idx": blk(0, 512, True, cfg=config(event=True)) + push(0) + push(0) + notify() + ack(),
    "blk-indirect": config(indirect=True) + image(desc(0x3000, 48, INDIRECT))
    + write_mem(0x3000, desc(0x2000, 16, NEXT, 1) + desc(0x2100, 512, NEXT | WRITE, 2) + desc(0x3F00, 1, WRITE))
    + write_mem(0x2000, blk_header(0, 3)) + push(0) + notify() + ack(),
    "blk-loop": config() + image(desc(0x2000, 16, NEXT, 1) + desc(0x3F00, 1, NEXT | WRITE, 0))
    + write_mem(0x2000, blk_header(0)) + push(0) + notify(),
    "blk-avail-jump": blk(0, 512, True) + bytes([1]) + struct.pack("<H", 40) + notify() + bytes([7]) + push(0) + notify(),
    # Rings in the region at the top of the address space; then a data buffer crossing the region boundary at 0x2000.
    "blk-top-rings": top_rings(0x2100),
    "blk-cross-region": top_rings(0x1F00),
    "console-tx": config(console=True) + image(desc(0x2000, 6))
    + write_mem(0x2000, b"hello\n") + push(0) + notify(1) + ack(),
    "console-rx": config(console=True, rx=True) + image(desc(0x2000, 2, WRITE) + desc(0x2100, 8, WRITE))
    + bytes([9, 3]) + b"abc" + push(0) + notify(0) + push(1) + notify(0) + ack(),
    # virtio-net: a 12-byte header and a 60-byte frame out; a host frame into two posted receive buffers.
    "net-tx": config(net=True, event=True) + image(desc(0x2000, 72))
    + write_mem(0x2000, bytes(12) + b"\xff" * 6 + b"\x52\x54\x00\x00\x00\x01\x88\xb5" + bytes(46)) + push(0) + notify(1)
    + ack(),
    "net-tx-csum": config(net=True) + image(desc(0x2000, 72)) + write_mem(0x2000, b"\x01" + bytes(71)) + push(0)
    + notify(1),
    "net-rx": config(net=True, rx=True, event=True) + image(desc(0x2000, 1530, WRITE) + desc(0x2800, 40, WRITE))
    + push(0) + push(1) + notify(0) + bytes([9]) + struct.pack("<H", 60) + b"\xff" * 6 + bytes(54)
    + bytes([9]) + struct.pack("<H", 60) + b"\x01" * 60 + ack(),
    # Handshake, host connects, guest opens port 1, data both ways, guest closes, host input waits, host leaves.
    "console-mp-session": multiport(event=True) + HANDSHAKE + host(True, 1) + ctl(1, PORT_OPEN, 1) + rx_buffer(2, 16)
    + host_input(1, b"PING 1\n") + guest_output(1, b"PONG 1\n") + guest_output(0, b"hvc") + ctl(1, PORT_OPEN, 0) + host_input(1, b"x")
    + host(False, 1) + ack(),
    # Input before the guest opens the port; the open delivers it; a reset (probe) closes it again.
    "console-mp-closed": multiport() + rx_buffer(2, 8) + host_input(1, b"early") + HANDSHAKE + ctl(1, PORT_OPEN, 1)
    + bytes([7]) + host_input(1, b"late") + rx_buffer(2, 8) + rx_buffer(0, 4) + host_input(0, b"console"),
    # Malformed driver messages: short, unknown event, no such port, device-only events; a message with a tail.
    "console-mp-malformed": multiport(indirect=True) + HANDSHAKE + bytes([9, 0, 4, 1, 0, 0, 0]) + ctl(1, 99, 1)
    + ctl(7, PORT_OPEN, 1) + ctl(NO_PORT, PORT_READY, 1) + ctl(1, 1, 1) + ctl(1, 7, 1)
    + bytes([9, 3, 12]) + struct.pack("<IHH", 1, PORT_OPEN, 1) + b"tail",
    # DEVICE_READY forty times without control receive buffers: 80 DEVICE_ADDs for a bound of 64.
    "console-mp-flood": multiport() + ctl(NO_PORT, DEVICE_READY, 1) * 40 + rx_buffer(1, 64) + rx_buffer(1, 4),
    # The driver declines MULTIPORT: control messages and port 1 go nowhere, port 0 works.
    "console-mp-declined": multiport(decline=True) + ctl(NO_PORT, DEVICE_READY, 1) + host(True, 1)
    + host_input(1, b"lost") + rx_buffer(0, 8) + host_input(0, b"ok") + guest_output(0, b"hi") + bytes([2, 3, 2, 4]),
}

for name, data in seeds.items():
    with open(os.path.join(out, name), "wb") as f:
        f.write(data)
print(f"{len(seeds)} seeds in {out}")
