#!/usr/bin/env python3
"""Writes the FuzzTakeoverSnapshot seed corpus from the layouts documented in
Sources/RingGateCodecs/Takeover/TakeoverSnapshot.swift and TakeoverMessage.swift (an independent writer,
so TakeoverSeedCorpusTests also pins the documented layout): snapshot-* whole shards, message-* control
messages, decoder-* single decoder snapshots (selector byte, state, wire). Rerun: python3 make-corpus.py"""
import os, struct

u8 = lambda v: struct.pack("<B", v)
u16 = lambda v: struct.pack("<H", v)
u32 = lambda v: struct.pack("<I", v)
i32 = lambda v: struct.pack("<i", v)
u64 = lambda v: struct.pack("<Q", v)
blob = lambda b: u32(len(b)) + b
key = lambda k: u8(0) + struct.pack("<q", k) if isinstance(k, int) else u8(1) + blob(k.encode())

# Decoder states (kind, snapshot bytes), each one a decoder can be in between two inputs.
WS_MID_PAYLOAD = (1, u64(3) + u32(5) + u32(0x213D37FA) + bytes([16, 0x91, 0x05, 0]))
WS_MID_LENGTH = (1, u64(0x01) + u32(0) + u32(0) + bytes([5, 0x02, 0x06, 0]))  # 64-bit length, 1 byte read
WS_MID_UTF8 = (1, u64(0) + u32(4) + u32(0) + bytes([0, 0x01, 0x05, 36]))  # text, waiting for 2 more bytes
WS_PING = (1, u64(2) + u32(0) + u32(0x01020304) + bytes([16, 0x99, 0, 0]))
HEAD_MID = (0, u64(20) + bytes([1, 1]))
HEAD_METHOD = (0, u64(2) + bytes([0, 0]))
TEXT_MID = (2, struct.pack("<q", 12))
LENGTH_HEADER = (3, bytes([0]) + u64(0x0102) + bytes([2]))
LENGTH_BODY = (3, bytes([1]) + u64(7) + bytes([0]))
RAW = (4, b"")


def client(slot, decoder, gen=1, listener=0, hold=False, announced=True, assembly=None, control=None, queued=b"",
           deadline=None, opcode=0, gateway=None):
    kind, state = decoder
    flags = (1 if hold else 0) | (2 if announced else 0) | (4 if assembly is not None else 0) \
        | (8 if control is not None else 0) | (16 if deadline is not None else 0)
    tail = b""
    if gateway is not None:
        cid, session, uid, groups = gateway
        flags |= 32 | (64 if uid is not None else 0) | (128 if groups is not None else 0)
        tail = u32(cid) + i32(-1) + blob(session)
        if uid is not None: tail += key(uid)
        if groups is not None: tail += u32(len(groups)) + b"".join(key(g) for g in groups)
    out = u32(slot) + u32(gen) + u8(listener) + u8(flags) + u32(0x7F000001) + u16(40000 + slot) + u64(100) \
        + u64(200) + u32(1700000000) + u8(opcode) + u8(kind) + state
    if assembly is not None: out += blob(assembly)
    if control is not None: out += blob(control)
    out += blob(queued)
    if deadline is not None: out += u64(deadline)
    return out + tail


def index(entries):
    return u32(len(entries)) + b"".join(key(k) + u32(len(m)) + b"".join(u32(x) for x in m) for k, m in entries)


def snapshot(shard, counter, clients, uids=(), groups=(), events=(), schema=1):
    return b"RGTS" + u16(schema) + u32(shard) + u32(counter) + u32(len(clients)) + b"".join(clients) \
        + index(uids) + index(groups) + u32(len(events)) + b"".join(blob(e) for e in events)


snapshots = {
    "empty": snapshot(0, 0, []),
    "plain-tcp": snapshot(1, 0, [client(0, TEXT_MID, assembly=b"partial line"), client(1, LENGTH_BODY, assembly=b"ab"),
                                 client(2, RAW, queued=b"pending")]),
    "gateway": snapshot(0, 9, [
        client(3, WS_MID_PAYLOAD, assembly=b"He", queued=b"\x81\x01x", opcode=1,
               gateway=(7, b"a:0:{}", "u1", [5, "room"])),
        client(4, HEAD_MID, hold=True, announced=False, deadline=5_000_000_000, gateway=(8, b"", None, None)),
        client(5, WS_PING, control=b"pi", gateway=(9, b"s", "u1", [])),
        client(6, WS_MID_UTF8, assembly=b"\xe2", opcode=1, gateway=(6, b"", 42, ["room"])),
        client(8, WS_MID_LENGTH, gateway=(5, b"", None, None)),
        client(9, HEAD_METHOD, announced=False, deadline=1, gateway=(4, b"", None, None)),
    ], uids=[("u1", [7, 9]), (42, [6])], groups=[(5, [7]), ("room", [7, 6])], events=[b"\x00" * 28, b"event"]),
    "length-header": snapshot(2, 0, [client(11, LENGTH_HEADER)]),
}
messages = {
    "hello": u8(1) + u16(1) + u16(1) + i32(4242) + u32(2) + blob(b"\xde\xad\xbe\xef") + blob(b"ringgate 1.2"),
    "accept": u8(2),
    "refuse": u8(3) + blob("shard count 2 ≠ 4".encode()),
    "listeners": u8(4) + u32(2) + u32(2) + u32(2) + u8(1) + u8(0),
    "shard-state": u8(5) + u32(1) + blob(snapshots["plain-tcp"]) + u32(3),
    "descriptor-batch": u8(6) + u32(1) + u32(3) + u32(0) + u32(1) + u32(2),
    "shard-adopted": u8(7) + u32(1),
    "shard-refused": u8(8) + u32(0) + blob(b"bad state"),
    "finished": u8(9),
    "abort": u8(10) + blob(b"timeout"),
}
# Selector: bits 0-2 decoder kind, 3-4 options, 5-7 chunk size - 1.
mask = bytes([0x37, 0xFA, 0x21, 0x3D])
masked = lambda payload: bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
decoders = {
    "ws-payload": bytes([1 | 2 << 5]) + WS_MID_PAYLOAD[1] + b"\x4d\x51\x58" + b"\x81\x82" + mask + masked(b"hi"),
    "ws-length": bytes([1 | 1 << 3]) + WS_MID_LENGTH[1] + b"\x00" * 6 + b"\x03" + b"abc" + b"\x88\x80" + mask,
    "ws-utf8": bytes([1]) + WS_MID_UTF8[1] + b"\x80\x90\x81\x80" + mask + masked(b"\x82\xac"),
    "head": bytes([0 | 3 << 5]) + HEAD_MID[1] + b"Host: a\r\n\r\n",
    "head-any-method": bytes([0 | 1 << 3]) + HEAD_METHOD[1] + b"TIONS / HTTP/1.1\r\n\r\n",
    "text": bytes([2 | 1 << 5]) + TEXT_MID[1] + b"end\nnext\r\n",
    "length-body": bytes([3]) + LENGTH_BODY[1] + b"1234567\x00\x00\x00\x02hi",
    "length-header": bytes([3 | 1 << 3]) + LENGTH_HEADER[1] + b"\x00" * 6 + b"abcdef",
    "raw": bytes([4 | 1 << 3]) + b"raw bytes",
}
here = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus")
os.makedirs(here, exist_ok=True)
for prefix, table in (("snapshot", snapshots), ("message", messages), ("decoder", decoders)):
    for name, data in table.items():
        with open(os.path.join(here, prefix + "-" + name), "wb") as f:
            f.write(data)
