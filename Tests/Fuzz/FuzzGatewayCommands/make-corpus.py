#!/usr/bin/env python3
"""Writes the FuzzGatewayCommands seed corpus: one inner stream per file, packets laid out as spec §2
(NCNnNnNCnN header + ext_data + body). The first byte is the harness mode (bit 0: start authorised,
bits 1-7: receive size code). Rerun after changing it: python3 make-corpus.py"""
import json, os, struct

SECRET = "fuzz-secret"

def packet(cmd, cid=0, flags=0, ext=b"", body=b""):
    ext = ext.encode() if isinstance(ext, str) else ext
    body = body.encode() if isinstance(body, str) else body
    length = 28 + len(ext) + len(body)
    return struct.pack(">IBIHIHIBHI", length, cmd, 0x7F000001, 8282, 0x7F000001, 40000, cid, flags,
                       2900, len(ext)) + ext + body

def ser(text):
    return 's:%d:"%s";' % (len(text.encode()), text)

def auth(cmd=200, worker="BusinessWorker:0", secret=SECRET, scalar=False):
    j = json.dumps({"worker_key": worker, "secret_key": secret}) if cmd == 200 else json.dumps({"secret_key": secret})
    return packet(cmd, flags=1, body=j) if scalar else packet(cmd, body=ser(j))

J = lambda v: json.dumps(v, separators=(",", ":"))
streams = {
    "worker-auth-send": auth() + packet(5, 3, 1, body="hello") + packet(5, 4, 0, body=ser("hi")),
    "client-auth-scalar": auth(202, scalar=True) + packet(11, 7) + packet(10),
    "wrong-secret": auth(secret="nope") + packet(6, body="x"),
    "unauthorised-send": packet(6, flags=1, body="x"),
    "send-to-all-exclude": auth() + packet(6, flags=1, ext=J({"exclude": [1, 2, 3]}), body="all"),
    "send-to-all-list": auth() + packet(6, flags=1, ext=J([4, 5, 6, 300]), body="some"),
    "send-to-uid": auth() + packet(14, flags=1, ext=J(["u3", "u6", "nobody"]), body="uid"),
    "send-to-group": auth() + packet(22, flags=1, ext=J({"group": ["g1", "room"], "exclude": [5]}), body="grp"),
    "bind-join-session": auth() + packet(12, 9, ext="u9") + packet(20, 9, ext="new") + packet(
        204, 9, ext='a:1:{s:1:"k";i:1;}') + packet(9, 9, ext='a:1:{s:1:"k";N;}') + packet(203, 9),
    "leave-ungroup": auth() + packet(21, 8, ext="g0") + packet(27, ext="g1") + packet(26) + packet(24, ext="room"),
    "queries": auth() + packet(15, ext="u3") + packet(16, ext=J(["u3", "u6"])) + packet(23, ext="room") + packet(
        28, ext=J(["g0", "g1", "none"])) + packet(10),
    "select": auth() + packet(25, ext=J({"fields": ["uid", "groups", "session"], "where": {"groups": ["room"],
        "uid": ["u3"], "client_id": ["7f0000011f4a00000009"]}})),
    "select-all": auth() + packet(25, ext=J({"fields": ["uid"], "where": []})),
    "kick-destroy": auth() + packet(7, 10, body=ser("bye")) + packet(7, 11, body="N;") + packet(8, 12) + packet(11, 12),
    "send-array-body": auth() + packet(5, 13, body='a:2:{s:1:"a";i:1;s:1:"b";d:0.5;}'),
    "many-workers": b"".join(auth(worker="BusinessWorker:%d" % i) for i in range(40)),
    "unknown-and-ping": auth() + packet(201) + packet(99, body="?") + packet(1, 3) + packet(3, 3, body="m"),
    "oversized-header": packet(6, flags=1, body="x")[:0] + struct.pack(">I", 0xFFFFFFF0) + b"\x06" + b"\0" * 23,
}
here = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus")
os.makedirs(here, exist_ok=True)
for name, stream in streams.items():
    for mode, suffix in ((0, ""), (1 | (3 << 1), "-split")):
        if name in ("unauthorised-send", "oversized-header", "wrong-secret") and suffix: continue
        with open(os.path.join(here, name + suffix), "wb") as f:
            f.write(bytes([mode]) + stream)
# Already-authorised streams (mode bit 0) without a connect packet.
with open(os.path.join(here, "preauthorised-mixed"), "wb") as f:
    f.write(bytes([1]) + packet(12, 2, ext="u2") + packet(14, flags=1, ext=J(["u2"]), body="x") + packet(25, ext=J(
        {"fields": ["groups"], "where": {"uid": ["u2"]}})))
