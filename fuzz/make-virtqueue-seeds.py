#!/usr/bin/env python3
"""Writes the VirtqueueFuzz seed corpus (fuzz/corpus-virtqueue): well-formed virtio-blk/console sessions in the
input format described in Sources/VirtqueueFuzz (config, memory image, operations)."""
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
}

for name, data in seeds.items():
    with open(os.path.join(out, name), "wb") as f:
        f.write(data)
print(f"{len(seeds)} seeds in {out}")
