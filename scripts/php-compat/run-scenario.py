#!/usr/bin/env python3
"""run-scenario.py — drive one fixed, deterministic GatewayWorker scenario and write a transcript.

The REAL PHP Register and BusinessWorker (Events.php test protocol) are always started here.
The gateway is either
  --gateway php        the real PHP Gateway (start-php-stack.php, role "gateway"), or
  --gateway external   something else that speaks the Gateway protocol — RingGate — listening for
                       WebSocket clients on --gateway-ws, registering with our Register
                       (127.0.0.1:--register-port) with the same --secret. Either start it yourself
                       before/after launching this script (it has 5 s to register), or pass
                       --gateway-cmd (or $RINGGATE_CMD) and this script starts and stops it.

Clients are raw-socket WebSocket clients (no library): fixed Sec-WebSocket-Key and masking key, so every
byte they send is the same from run to run, and every byte they receive is recorded (frame headers in hex,
unframed "raw" sends as such, EOFs, the 101 response headers).

Transcript: JSON lines, one per step, client_ids normalised to c1, c2… by first appearance, client
ephemeral ports normalised. Compare two runs with `diff`, or pass --compare EXPECTED.

Bounded: every wait is ≤ 5 s, the whole run ≤ 120 s (SIGALRM), every process started here is killed by
its own process group at the end.
"""
import argparse
import base64
import json
import os
import re
import select
import shlex
import signal
import socket
import struct
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))

# ---------------------------------------------------------------------------------------------------
# PLACEHOLDER — the command that starts RingGate for `--gateway external` when --gateway-cmd is not
# given. Empty = the caller starts RingGate separately. {ws_port} {start_port} {register_port}
# {secret} {lan_ip} are substituted. Adjust to RingGate's real CLI; as of `ringgate gateway` in 87a2bd3
# (listeners are positional; one shard = one gateway address, which is what the scenario expects):
#   RINGGATE_CMD='ringgate gateway websocket://127.0.0.1:{ws_port} --shards 1 --lan-ip {lan_ip} \
#                 --start-port {start_port} --register-address 127.0.0.1:{register_port} --secret-key {secret}'
RINGGATE_CMD = os.environ.get("RINGGATE_CMD", "")
# ---------------------------------------------------------------------------------------------------

WAIT = 5.0          # upper bound of every single wait
QUIET = 0.25        # a step is over when nothing arrived for this long (and its condition holds)
RUN_LIMIT = 120     # whole run
MASK = b"\x37\xfa\x21\x3d"
UNKNOWN_CONN_ID = 999999


class ScenarioError(Exception):
    pass


def now():
    return time.monotonic()


# ----------------------------------------------------------------------------- processes
class Proc:
    def __init__(self, name, argv, env, log_path, cwd=HERE):
        self.name = name
        self.log_path = log_path
        self.log = open(log_path, "wb")
        self.p = subprocess.Popen(argv, env=env, cwd=cwd, stdout=self.log, stderr=subprocess.STDOUT,
                                  stdin=subprocess.DEVNULL, start_new_session=True)

    def alive(self):
        return self.p.poll() is None

    def stop(self):
        """SIGINT to our own process group (workerman stops its children), then SIGKILL."""
        if self.p.poll() is None:
            try:
                os.killpg(self.p.pid, signal.SIGINT)
            except ProcessLookupError:
                pass
            try:
                self.p.wait(3)
            except subprocess.TimeoutExpired:
                pass
        try:
            os.killpg(self.p.pid, signal.SIGKILL)   # stragglers (forked workers) in the same group
        except ProcessLookupError:
            pass
        try:
            self.p.wait(2)
        except subprocess.TimeoutExpired:
            pass
        self.log.close()

    def tail(self, n=30):
        try:
            with open(self.log_path, "rb") as f:
                return b"\n".join(f.read().splitlines()[-n:]).decode("utf-8", "replace")
        except OSError:
            return ""


def port_open(port, host="127.0.0.1"):
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


def wait_for(cond, what, limit=WAIT, step=0.05):
    end = now() + limit
    while now() < end:
        v = cond()
        if v:
            return v
        time.sleep(step)
    raise ScenarioError(f"timed out after {limit:.0f}s waiting for {what}")


def register_addresses(port, secret):
    """Ask the Register like GatewayClient does: worker_connect, read one broadcast_addresses line."""
    try:
        s = socket.create_connection(("127.0.0.1", port), timeout=1)
    except OSError:
        return None
    try:
        s.settimeout(1)
        s.sendall(b'{"event":"worker_connect","secret_key":"' + secret.encode() + b'"}\n')
        buf = b""
        while b"\n" not in buf:
            d = s.recv(65536)
            if not d:
                return None
            buf += d
        msg = json.loads(buf.split(b"\n")[0])
        addrs = msg.get("addresses")
        if isinstance(addrs, dict):
            addrs = list(addrs.values())
        return addrs
    except (OSError, ValueError):
        return None
    finally:
        s.close()


# ----------------------------------------------------------------------------- websocket client
def ws_key(name):
    return base64.b64encode((name * 16).encode()[:16]).decode()


def frame_ok(b0, b1):
    return (b0 & 0x70) == 0 and (b0 & 0x0F) in (0, 1, 2, 8, 9, 10) and not (b1 & 0x80)


def parse_frame(buf, pos):
    """Return (header_bytes, opcode, fin, payload, end) for a complete unmasked frame at pos, or None."""
    if len(buf) - pos < 2:
        return None
    b0, b1 = buf[pos], buf[pos + 1]
    ln = b1 & 0x7F
    hl = 2
    if ln == 126:
        if len(buf) - pos < 4:
            return None
        ln = struct.unpack(">H", buf[pos + 2:pos + 4])[0]
        hl = 4
    elif ln == 127:
        if len(buf) - pos < 10:
            return None
        ln = struct.unpack(">Q", buf[pos + 2:pos + 10])[0]
        hl = 10
    if len(buf) - pos < hl + ln:
        return None
    return buf[pos:pos + hl], b0 & 0x0F, b0 >> 7, buf[pos + hl:pos + hl + ln], pos + hl + ln


def payload_repr(op, payload):
    if op in (1, 2):
        try:
            text = payload.decode("utf-8")
        except UnicodeDecodeError:
            return {"hex": payload.hex()}
        if text[:1] in "{[":
            try:
                return {"json": json.loads(text)}
            except ValueError:
                pass
        return {"text": text}
    if op == 8 and len(payload) >= 2:
        return {"code": struct.unpack(">H", payload[:2])[0], "reason": payload[2:].decode("utf-8", "replace")}
    return {"text": payload.decode("utf-8", "replace")} if payload else {}


OPNAMES = {0: "cont", 1: "text", 2: "binary", 8: "close", 9: "ping", 10: "pong"}


class WSClient:
    def __init__(self, name, port, path="/", headers=()):
        self.name = name
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=WAIT)
        self.sock.setblocking(False)
        self.local_port = self.sock.getsockname()[1]
        self.buf = b""
        self.handshake_done = False
        self.eof = False
        self.events = []        # undelivered events of the current step
        self.client_id = None
        req = [f"GET {path} HTTP/1.1", f"Host: 127.0.0.1:{port}", "Upgrade: websocket",
               "Connection: Upgrade", f"Sec-WebSocket-Key: {ws_key(name)}", "Sec-WebSocket-Version: 13"]
        req += list(headers)
        self._send(("\r\n".join(req) + "\r\n\r\n").encode())

    def _send(self, data):
        self.sock.setblocking(True)
        self.sock.settimeout(WAIT)
        try:
            self.sock.sendall(data)
        except OSError as e:
            self.events.append({"t": "send-error", "error": type(e).__name__})
        finally:
            self.sock.setblocking(False)

    def send_frame(self, op, payload):
        if isinstance(payload, str):
            payload = payload.encode()
        n = len(payload)
        if n < 126:
            hdr = bytes([0x80 | op, 0x80 | n])
        elif n < 65536:
            hdr = bytes([0x80 | op, 0x80 | 126]) + struct.pack(">H", n)
        else:
            hdr = bytes([0x80 | op, 0x80 | 127]) + struct.pack(">Q", n)
        masked = bytes(b ^ MASK[i % 4] for i, b in enumerate(payload))
        self._send(hdr + MASK + masked)

    def on_readable(self):
        try:
            d = self.sock.recv(65536)
        except BlockingIOError:
            return False
        except ConnectionResetError:
            self.events.append({"t": "reset"})
            self.eof = True
            return True
        if not d:
            self.eof = True
            self.parse(final=True)
            self.events.append({"t": "eof"})
            return True
        self.buf += d
        self.parse()
        return True

    def parse(self, final=False):
        if not self.handshake_done:
            i = self.buf.find(b"\r\n\r\n")
            if i < 0:
                if final and self.buf:
                    self.events.append({"t": "raw", **self._raw(self.buf)})
                    self.buf = b""
                return
            head = self.buf[:i].decode("latin-1").split("\r\n")
            self.events.append({"t": "handshake", "status": head[0], "headers": head[1:]})
            self.buf = self.buf[i + 4:]
            self.handshake_done = True
        pos = 0
        while pos < len(self.buf):
            b = self.buf
            if len(b) - pos >= 2 and frame_ok(b[pos], b[pos + 1]):
                fr = parse_frame(b, pos)
                if fr is None:
                    break
                hdr, op, fin, payload, end = fr
                ev = {"t": OPNAMES.get(op, op), "hdr": hdr.hex()}
                ev.update(payload_repr(op, payload))
                self.events.append(ev)
                pos = end
                continue
            if len(b) - pos < 2 and not final:
                break
            # Unframed ("raw") bytes: they run up to the next complete JSON text frame (every framed
            # message of the test protocol is one), or to the end of what has arrived.
            q = self._next_json_frame(pos + 1)
            if q is None:
                if final:
                    self.events.append({"t": "raw", **self._raw(b[pos:])})
                    pos = len(b)
                break
            self.events.append({"t": "raw", **self._raw(b[pos:q])})
            pos = q
        self.buf = self.buf[pos:]

    def _next_json_frame(self, start):
        b = self.buf
        q = b.find(b"\x81", start)
        while q >= 0:
            fr = parse_frame(b, q)
            if fr is not None and fr[3][:1] == b"{":
                return q
            q = b.find(b"\x81", q + 1)
        return None

    def flush_leftover(self):
        if self.buf:
            self.events.append({"t": "raw", **self._raw(self.buf)})
            self.buf = b""

    @staticmethod
    def _raw(data):
        try:
            return {"text": data.decode("utf-8")}
        except UnicodeDecodeError:
            return {"hex": data.hex()}

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass


# ----------------------------------------------------------------------------- the lab
class Lab:
    def __init__(self, args):
        self.args = args
        self.procs = []
        self.clients = {}           # name -> WSClient (including closed ones)
        self.seq = 0
        self.records = []
        self.step_no = 0
        self.log_pos = 0
        self.run_dir = args.run_dir
        os.makedirs(self.run_dir, exist_ok=True)
        self.event_log = os.path.join(self.run_dir, "events.jsonl")
        self.lan_prefix = None      # hex ip+port of the gateway, learnt from the first client_id
        self.port_names = {}        # client ephemeral port -> client name

    # -- processes
    def php_env(self, roles):
        env = dict(os.environ)
        env.update({
            "PHPLAB_DIR": self.args.lab_dir, "PHPCOMPAT_ROLES": roles, "PHPCOMPAT_RUN_DIR": self.run_dir,
            "PHPCOMPAT_REGISTER_PORT": str(self.args.register_port),
            "PHPCOMPAT_WS_PORT": str(self.args.gateway_ws), "PHPCOMPAT_LAN_IP": self.args.lan_ip,
            "PHPCOMPAT_START_PORT": str(self.args.start_port), "PHPCOMPAT_SECRET": self.args.secret,
            "PHPCOMPAT_PING_INTERVAL": str(self.args.ping_interval),
            "PHPCOMPAT_PING_LIMIT": str(self.args.ping_limit), "PHPCOMPAT_PING_DATA": self.args.ping_data,
            "PHPCOMPAT_EVENT_LOG": self.event_log,
        })
        return env

    def start_php(self, role):
        p = Proc(role, [self.args.php, os.path.join(HERE, "start-php-stack.php"), "start"],
                 self.php_env(role), os.path.join(self.run_dir, f"php-{role}.out"))
        self.procs.append(p)
        return p

    def start_external(self, cmd):
        cmd = cmd.format(ws_port=self.args.gateway_ws, start_port=self.args.start_port,
                         register_port=self.args.register_port, secret=self.args.secret,
                         lan_ip=self.args.lan_ip)
        info(f"starting external gateway: {cmd}")
        p = Proc("external-gateway", shlex.split(cmd), dict(os.environ),
                 os.path.join(self.run_dir, "external-gateway.out"))
        self.procs.append(p)
        return p

    def check_alive(self):
        for p in self.procs:
            if not p.alive():
                raise ScenarioError(f"process {p.name} exited ({p.p.returncode}):\n{p.tail()}")

    def start(self):
        a = self.args
        busy = [a.register_port] + ([a.gateway_ws, a.start_port] if a.gateway == "php" else [])
        for port in busy:
            if port_open(port):
                raise ScenarioError(f"127.0.0.1:{port} is already in use — stop whatever listens there")
        if a.gateway == "external" and not (a.gateway_cmd or RINGGATE_CMD) and port_open(a.gateway_ws):
            info(f"external gateway already listening on {a.gateway_ws}")
        open(self.event_log, "w").close()

        self.start_php("register")
        wait_for(lambda: (self.check_alive(), port_open(a.register_port))[1], "the Register port")
        if a.gateway == "php":
            self.start_php("gateway")
        elif a.gateway_cmd or RINGGATE_CMD:
            self.start_external(a.gateway_cmd or RINGGATE_CMD)
        self.addresses = wait_for(lambda: (self.check_alive(), register_addresses(a.register_port, a.secret))[1],
                                  "a gateway to register with the Register")
        self.start_php("worker")
        self.probe()

    def probe(self):
        """Open throw-away clients until one is greeted by the worker (= worker connected to the gateway)."""
        end = now() + WAIT
        n = 0
        while True:
            self.check_alive()
            n += 1
            try:
                c = WSClient(f"probe{n}", self.args.gateway_ws, "/")
            except OSError:
                c = None
            if c is not None:
                t_end = min(end, now() + 1.0)
                greeted = False
                while now() < t_end and not c.eof and not greeted:
                    r, _, _ = select.select([c.sock], [], [], 0.05)
                    if r:
                        c.on_readable()
                    greeted = any(e.get("json", {}).get("event") == "websocket_connect" for e in c.events)
                if greeted:
                    cid = next(e["json"]["client_id"] for e in c.events if "json" in e)
                    c.send_frame(8, struct.pack(">H", 1000))
                    wait_for(lambda: self._log_has_close(cid), "the probe's onClose")
                    c.close()
                    self.log_pos = os.path.getsize(self.event_log)
                    return
                c.close()
            if now() >= end:
                raise ScenarioError("no client was greeted by the BusinessWorker within 5 s "
                                    "(is the worker connected to the gateway?)")
            time.sleep(0.2)

    def _log_has_close(self, cid):
        with open(self.event_log, "rb") as f:
            for line in f:
                if b'"onClose"' in line and cid.encode() in line:
                    return True
        return False

    def stop(self):
        for c in self.clients.values():
            c.close()
        for p in reversed(self.procs):
            p.stop()

    # -- event collection
    def read_log(self):
        out = []
        with open(self.event_log, "rb") as f:
            f.seek(self.log_pos)
            data = f.read()
        end = data.rfind(b"\n") + 1
        self.log_pos += end
        for line in data[:end].splitlines():
            try:
                out.append(json.loads(line))
            except ValueError:
                out.append({"unparsed": line.decode("utf-8", "replace")})
        return out

    def pump(self, cond=lambda: True):
        """Read everything until cond() holds and nothing arrived for QUIET s; never more than WAIT s."""
        start = now()
        last = now()
        log = []
        timed_out = False
        while True:
            live = [c for c in self.clients.values() if not c.eof]
            socks = [c.sock for c in live]
            if socks:
                r, _, _ = select.select(socks, [], [], 0.02)
            else:
                r = []
                time.sleep(0.02)
            for c in live:
                if c.sock in r and c.on_readable():
                    last = now()
            new = self.read_log()
            if new:
                log += new
                last = now()
            if now() - last >= QUIET and cond():
                break
            if now() - start >= WAIT:
                timed_out = True
                break
        self.check_alive()
        rx = {}
        for name in sorted(self.clients):
            c = self.clients[name]
            # Whatever could not be parsed as frames by the end of the step is unframed ("raw") data.
            c.flush_leftover()
            if c.events:
                rx[name] = c.events
                for ev in c.events:
                    if "json" in ev and isinstance(ev["json"], dict) and ev["json"].get("event") == "connect":
                        c.client_id = ev["json"]["client_id"]
                c.events = []
        return rx, log, timed_out

    def has_reply(self, name, seq):
        return any(isinstance(e.get("json"), dict) and e["json"].get("seq") == seq
                   for e in self.clients[name].events)

    def record(self, title, action, cond=lambda: True, result=None):
        self.step_no += 1
        rx, log, timed_out = self.pump(cond)
        rec = {"step": self.step_no, "title": title, "do": action}
        if result is not None:
            rec["result"] = result
        rec["rx"] = rx
        if log:
            rec["log"] = log
        if timed_out:
            rec["timeout"] = True
        self.records.append(rec)
        tag = " (TIMEOUT)" if timed_out else ""
        info(f"step {self.step_no:3d} {title}{tag}")
        return rec

    # -- placeholders
    def resolve(self, v):
        """@A → client_id of client A; @unknown → a client_id on the same gateway that is not in use."""
        if isinstance(v, str) and v.startswith("@") and v != "@self":
            key = v[1:]
            if key == "unknown":
                return self.lan_prefix + "%08x" % UNKNOWN_CONN_ID
            if key in self.clients and self.clients[key].client_id:
                return self.clients[key].client_id
            raise ScenarioError(f"unknown placeholder {v}")
        if isinstance(v, list):
            return [self.resolve(x) for x in v]
        if isinstance(v, dict):
            return {self.resolve(k): self.resolve(x) for k, x in v.items()}
        return v

    # -- scenario verbs
    def connect(self, name, path="/", headers=(), title=None):
        c = WSClient(name, self.args.gateway_ws, path, headers)
        self.clients[name] = c
        self.port_names[c.local_port] = name

        def greeted():
            return c.eof or any(isinstance(e.get("json"), dict) and e["json"].get("event") == "websocket_connect"
                                for e in c.events)
        rec = self.record(title or f"{name} connects", {"connect": name, "path": path, "headers": list(headers)},
                          greeted)
        if c.client_id and self.lan_prefix is None:
            self.lan_prefix = c.client_id[:12]
        return rec

    def call(self, name, call, *args, target=None, title=None, expect_reply=True):
        self.seq += 1
        seq = self.seq
        cmd = {"seq": seq, "call": call, "args": list(args)}
        if target is not None:
            cmd["target"] = target
        wire = dict(cmd)
        wire["args"] = self.resolve(wire["args"])
        if target is not None:
            wire["target"] = self.resolve(target)
        self.clients[name].send_frame(1, json.dumps(wire, separators=(",", ":")))
        cond = (lambda: self.has_reply(name, seq)) if expect_reply else (lambda: True)
        action = {"client": name, "send": cmd}
        return self.record(title or f"{name}: {call}", action, cond)

    def send_text(self, name, text, title=None):
        self.clients[name].send_frame(1, text)
        return self.record(title or f"{name} sends text", {"client": name, "text": text},
                           lambda: bool(self.clients[name].events))

    def send_control(self, name, op, payload, title):
        self.clients[name].send_frame(op, payload)
        c = self.clients[name]
        return self.record(title, {"client": name, "frame": OPNAMES[op], "payload_hex": payload.hex()},
                           lambda: c.eof or bool(c.events))

    def wait_eof(self, names):
        return lambda: all(self.clients[n].eof for n in names)

    def gc(self, method, *args, title=None, wait=lambda: True):
        argv = [self.args.php, os.path.join(HERE, "gatewayclient-call.php"),
                "--register", f"127.0.0.1:{self.args.register_port}", "--secret", self.args.secret, method]
        argv += [json.dumps(self.resolve(a)) for a in args]
        env = dict(os.environ, PHPLAB_DIR=self.args.lab_dir)
        try:
            cp = subprocess.run(argv, env=env, capture_output=True, timeout=WAIT)
            out = cp.stdout.decode("utf-8", "replace").strip()
            try:
                result = json.loads(out)
                result.pop("call", None)
                result.pop("args", None)
            except ValueError:
                result = {"stdout": out, "stderr": cp.stderr.decode("utf-8", "replace").strip(),
                          "status": cp.returncode}
        except subprocess.TimeoutExpired:
            result = {"timeout": True}
        return self.record(title or f"GatewayClient::{method}", {"gatewayclient": method, "args": list(args)},
                           wait, result=result)


# ----------------------------------------------------------------------------- the scenario
def scenario(lab):
    L = lab
    A, B, C = "A", "B", "C"

    # --- connections, handshake data, $_SERVER, session written in onWebSocketConnect
    L.connect(A, "/chat?name=alice&token=abc&x[]=1&x[]=2",
              ["Cookie: sid=xyz; lang=zh%20CN", "X-Forwarded-For: 10.1.2.3", "Origin: http://example.test"])
    L.connect(B, "/?name=bob")
    L.connect(C, "/")
    L.call(A, "whoami")
    L.call(A, "server", title="A: $_SERVER inside onMessage")
    L.call(A, "session.get", title="A: session set in onWebSocketConnect survives")
    L.send_text(A, "hello, not json", title="A sends a non-JSON message")
    L.send_control(A, 9, b"pp", "A sends a WebSocket ping")

    # --- two clients chatting
    L.call(A, "sendToClient", "hi bob, it's alice", target="@B", title="chat: A → B")
    L.call(B, "sendToClient", "hi alice", target="@A", title="chat: B → A")
    L.call(A, "sendToCurrentClient", "note to self")
    L.call(A, "sendToClient", "raw-to-b", True, target="@B", title="A → B raw (no WebSocket framing)")
    L.call(A, "sendToCurrentClient", "raw-to-self", True)
    L.call(A, "sendToClient", "into the void", target="@unknown", title="sendToClient to an unknown connection")

    # --- isOnline
    L.call(A, "isOnline", target="@B")
    L.call(A, "isOnline", target="@unknown")
    L.call(A, "isOnline", target="@self")

    # --- uid, including one uid on two connections and a numeric uid
    L.call(A, "bindUid", "u1")
    L.call(B, "bindUid", "u1")
    L.call(C, "bindUid", "42")
    L.call(A, "getClientIdByUid", "u1")
    L.call(A, "getClientIdByUid", 42, title="A: getClientIdByUid(int 42)")
    L.call(A, "getClientIdByUid", "nobody")
    L.call(A, "isUidOnline", "u1")
    L.call(A, "isUidOnline", "nobody")
    L.call(A, "getUidByClientId", target="@C")
    L.call(A, "getUidByClientId", target="@self")
    L.call(A, "getAllUidList")
    L.call(A, "getAllUidCount")
    L.call(C, "sendToUid", "u1", "to-u1", title="C: sendToUid u1 (two connections)")
    L.call(C, "sendToUid", ["u1", 42], "to-u1-and-42")
    L.call(C, "sendToUid", "u1", "raw-uid", True, title="C: sendToUid raw")

    # --- groups
    L.call(A, "joinGroup", "room")
    L.call(B, "joinGroup", "room")
    L.call(C, "joinGroup", "room")
    L.call(A, "joinGroup", "123")
    L.call(C, "joinGroup", "other")
    L.call(A, "getAllGroupIdList")
    L.call(A, "getClientIdCountByGroup", "room")
    L.call(A, "getClientIdCountByGroup", title="A: getClientIdCountByGroup() (all)")
    L.call(A, "getAllClientIdCount")
    L.call(A, "getClientIdListByGroup", "room")
    L.call(A, "getAllClientIdList")
    L.call(A, "getUidListByGroup", "room")
    L.call(A, "getUidCountByGroup", "room")
    L.call(A, "getAllGroupUidList")
    L.call(A, "getAllGroupUidCount")
    L.call(A, "getAllGroupClientIdList")
    L.call(A, "getAllGroupClientIdCount")
    L.call(A, "sendToGroup", "room", "room: hi all but me", "@self", title="A: sendToGroup room, exclude self")
    L.call(A, "sendToGroup", "room", "room: not to B", ["@B"], title="A: sendToGroup room, exclude [B]")
    L.call(B, "sendToGroup", ["room", "123"], "to-room-and-123", title="B: sendToGroup [room,123] (A twice)")
    L.call(B, "sendToGroup", "room", "raw-group", None, True, title="B: sendToGroup room raw")
    L.call(B, "sendToGroup", "nosuch", "nobody hears this")
    L.call(B, "leaveGroup", "room")
    L.call(A, "getClientIdListByGroup", "room", title="A: getClientIdListByGroup room after B left")

    # --- broadcasts
    L.call(C, "sendToAll", "broadcast from C", title="C: sendToAll (broadcast)")
    L.call(C, "sendToAll", "to A and B only", ["@A", "@B"], title="C: sendToAll to ids [A,B]")
    L.call(C, "sendToAll", "all but A", None, ["@A"], title="C: sendToAll exclude [A]")
    L.call(C, "sendToAll", "all but me", None, "@self", title="C: sendToAll exclude self")
    L.call(C, "sendToAll", "raw-all", None, None, True, title="C: sendToAll raw")

    # --- sessions: $_SESSION across messages, updateSession merge, get/setSession on others
    L.call(A, "session.set", "count", 1, title="A: $_SESSION['count'] = 1")
    L.call(A, "noop", title="A: next message sees count=1")
    L.call(A, "session.set", "count", 2)
    L.call(A, "updateSession", {"profile": {"age": 5, "tags": ["a"]}}, title="A: updateSession profile")
    L.call(A, "updateSession", {"profile": {"lang": "zh", "tags": ["b", "c"]}, "count": 3},
           title="A: updateSession merges (array_replace_recursive)")
    L.call(A, "noop", title="A: merged session survives")
    L.call(A, "getSession", title="A: getSession(self)")
    L.call(B, "getSession", target="@A", title="B: getSession(A)")
    L.call(B, "updateSession", {"from_b": True, "profile": {"age": 6}}, target="@A",
           title="B: updateSession(A)")
    L.call(A, "noop", title="A: sees B's update (session re-fetched)")
    L.call(B, "setSession", {"replaced": "by B", "n": 1.5}, target="@A", title="B: setSession(A)")
    L.call(A, "session.get", title="A: sees B's setSession")
    L.call(B, "setSession", {"k": "v"}, title="B: setSession(self)")
    L.call(B, "getSession", target="@unknown", title="B: getSession(unknown)")
    L.call(C, "session.replace", None, title="C: $_SESSION = null")
    L.call(A, "getAllClientSessions")
    L.call(A, "getClientSessionsByGroup", "room")
    L.call(A, "getAllClientSessions", "room", title="A: getAllClientSessions(group room)")
    L.call(A, "getAllClientInfo")

    # --- GatewayClient from outside
    L.gc("getAllClientIdCount")
    L.gc("getAllClientIdList")
    L.gc("isOnline", "@A")
    L.gc("isOnline", "@unknown")
    L.gc("getClientIdByUid", "u1")
    L.gc("batchGetClientIdByUid", ["u1", "42", 7, "nobody"])
    L.gc("isUidsOnline", ["u1", "nobody"])
    L.gc("batchGetClientIdCountByGroup", ["room", "123", "other", "nosuch"])
    L.gc("getClientIdCountByGroup", "room")
    L.gc("getAllGroupIdList")
    L.gc("getAllUidList")
    L.gc("getUidByClientId", "@C")
    L.gc("getSession", "@A")
    L.gc("getAllClientSessions")
    L.gc("getClientSessionsByGroup", "room")
    L.gc("getUidListByGroup", "room")
    L.gc("getAllGroupUidList")
    L.gc("sendToClient", "@B", "from outside to B")
    L.gc("sendToUid", "u1", "from outside to u1")
    L.gc("sendToGroup", "room", "from outside to room but C", ["@C"])
    L.gc("sendToAll", "from outside to all")
    L.gc("sendToAll", "raw-outside", None, None, True, title="GatewayClient::sendToAll raw")
    L.gc("joinGroup", "@B", "outside-group")
    L.gc("bindUid", "@C", "u-outside")
    L.gc("updateSession", "@C", {"set_by": "gatewayclient"})
    L.gc("setSession", "@B", {"b": "from outside"})
    L.call(C, "noop", title="C: sees session set from outside")
    L.gc("getAllClientSessions", title="GatewayClient::getAllClientSessions after outside writes")

    # --- ungroup, unbind, leave
    L.call(A, "ungroup", "room")
    L.call(A, "getAllGroupIdList", title="A: getAllGroupIdList after ungroup")
    L.call(A, "getClientIdCountByGroup", "room", title="A: count of ungrouped room")
    L.call(A, "sendToGroup", "room", "room is gone")
    L.call(B, "unbindUid", "u1")
    L.call(A, "getClientIdByUid", "u1", title="A: getClientIdByUid u1 after B unbound")
    L.call(A, "leaveGroup", "123")
    L.call(A, "getAllGroupUidList", title="A: getAllGroupUidList after leaves")

    # --- kick / destroy
    L.call(A, "closeClient", "bye bob", target="@B", title="A kicks B with a message",
           expect_reply=True)
    L.record("B's close settles", {"wait": "B eof"}, L.wait_eof([B]))
    L.call(A, "closeClient", target="@C", title="A kicks C without a message")
    L.record("C's close settles", {"wait": "C eof"}, L.wait_eof([C]))
    L.connect("D", "/?name=dave")
    L.call("D", "closeCurrentClient", "self-bye", title="D: closeCurrentClient('self-bye')",
           expect_reply=False)
    L.record("D's close settles", {"wait": "D eof"}, L.wait_eof(["D"]))
    L.connect("E", "/")
    L.call(A, "closeClient", "", target="@E", title="A kicks E with an empty message")
    L.record("E's close settles", {"wait": "E eof"}, L.wait_eof(["E"]))
    L.connect("F", "/")
    L.call("F", "session.set", "doomed", True)
    L.call(A, "destoryClient", target="@F", title="A destroys F")
    L.record("F's close settles", {"wait": "F eof"}, L.wait_eof(["F"]))
    L.connect("G", "/")
    L.call("G", "destoryCurrentClient", expect_reply=False)
    L.record("G's close settles", {"wait": "G eof"}, L.wait_eof(["G"]))
    L.call(A, "isOnline", target="@B", title="A: isOnline(B) after the kick")
    L.call(A, "getAllClientIdList", title="A: getAllClientIdList (only A left)")
    L.call(A, "getAllUidList", title="A: getAllUidList (only A left)")
    L.call(A, "getAllGroupIdList", title="A: getAllGroupIdList (only A left)")
    L.gc("closeClient", "@A", "kicked from outside")
    L.record("A's close settles", {"wait": "A eof"}, L.wait_eof([A]))

    # --- a client that closes itself with a close frame
    L.connect("H", "/?name=harry")
    L.call("H", "bindUid", "u-h")
    L.send_control("H", 8, struct.pack(">H", 1000) + b"done", "H sends a close frame")
    L.record("H's close settles", {"wait": "H eof"}, L.wait_eof(["H"]))
    L.gc("getAllClientIdCount", title="GatewayClient::getAllClientIdCount at the end")
    L.gc("getAllUidList", title="GatewayClient::getAllUidList at the end")
    L.gc("getAllGroupIdList", title="GatewayClient::getAllGroupIdList at the end")


# ----------------------------------------------------------------------------- normalisation
CID_RE = re.compile(r"(?<![0-9a-f])[0-9a-f]{20}(?![0-9a-f])")


class Normaliser:
    def __init__(self, lab):
        self.map = {}
        self.lab = lab
        if lab.lan_prefix:
            self.map[lab.lan_prefix + "%08x" % UNKNOWN_CONN_ID] = "c-unknown"

    def cid(self, m):
        raw = m.group(0)
        if raw not in self.map:
            self.map[raw] = f"c{sum(1 for v in self.map.values() if v != 'c-unknown') + 1}"
        return self.map[raw]

    def port(self, v):
        name = self.lab.port_names.get(v if isinstance(v, int) else int(v) if str(v).isdigit() else -1)
        return f"<port of {name}>" if name else "<port>"

    def str_(self, s):
        s = CID_RE.sub(self.cid, s)
        # var_export() of $_SERVER
        s = re.sub(r"('REMOTE_PORT' => )(\d+)", lambda m: m.group(1) + self.port(int(m.group(2))), s)
        return s

    def walk(self, v):
        if isinstance(v, str):
            return self.str_(v)
        if isinstance(v, list):
            return [self.walk(x) for x in v]
        if isinstance(v, dict):
            out = {}
            for k, x in v.items():
                nk = self.str_(k)
                out[nk] = self.port(x) if k == "REMOTE_PORT" else self.walk(x)
            return out
        return v

    def id_table(self):
        """c-name → gateway address and connection-id offset encoded in the client_id."""
        rows = {}
        base = None
        for raw, name in self.map.items():
            ip = ".".join(str(int(raw[i:i + 2], 16)) for i in range(0, 8, 2))
            port = int(raw[8:12], 16)
            conn = int(raw[12:], 16)
            if name != "c-unknown" and base is None:
                base = conn
            rows[name] = {"gateway": f"{ip}:{port}",
                          "connection_id": "999999" if name == "c-unknown" else f"c1+{conn - base}"}
        return rows


def info(msg):
    print(f"[run-scenario] {msg}", file=sys.stderr, flush=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--gateway", choices=["php", "external"], default="php")
    ap.add_argument("--gateway-ws", type=int, default=8282, help="client WebSocket port of the gateway")
    ap.add_argument("--gateway-cmd", default="",
                    help="external only: command that starts the gateway (placeholders {ws_port} "
                         "{start_port} {register_port} {secret} {lan_ip}); default $RINGGATE_CMD; "
                         "empty = started by the caller")
    ap.add_argument("--register-port", type=int, default=1236)
    ap.add_argument("--start-port", type=int, default=2900, help="PHP Gateway startPort (inner port)")
    ap.add_argument("--lan-ip", default="127.0.0.1")
    ap.add_argument("--secret", default="ringgate-lab")
    ap.add_argument("--ping-interval", default="0", help="PHP Gateway pingInterval")
    ap.add_argument("--ping-limit", default="0", help="PHP Gateway pingNotResponseLimit")
    ap.add_argument("--ping-data", default="", help="PHP Gateway pingData")
    ap.add_argument("--lab-dir", default=os.environ.get("PHPLAB_DIR"),
                    help="lab laid out by setup.sh (default: $PHPLAB_DIR; required)")
    ap.add_argument("--run-dir", default=None, help="pid/log files (default LAB_DIR/run)")
    ap.add_argument("--php", default="php")
    ap.add_argument("--out", default=None, help="transcript path (default LAB_DIR/out/<gateway>-gateway.jsonl)")
    ap.add_argument("--raw", action="store_true", help="do not normalise client_ids/ports (debugging)")
    ap.add_argument("--compare", default=None, help="diff the transcript against this file; exit 1 if different")
    args = ap.parse_args()
    if not args.lab_dir:
        ap.error("no lab: give --lab-dir DIR or set PHPLAB_DIR (the directory scripts/php-compat/setup.sh laid out)")
    args.run_dir = args.run_dir or os.path.join(args.lab_dir, "run")
    args.out = args.out or os.path.join(args.lab_dir, "out", f"{args.gateway}-gateway.jsonl")
    if not os.path.isfile(os.path.join(args.lab_dir, "autoload.php")):
        sys.exit(f"{args.lab_dir}/autoload.php missing — run scripts/php-compat/setup.sh first")

    def alarm(_sig, _frm):
        raise ScenarioError(f"whole run exceeded {RUN_LIMIT} s")
    signal.signal(signal.SIGALRM, alarm)
    signal.alarm(RUN_LIMIT)

    lab = Lab(args)
    t0 = now()
    ok = False
    try:
        lab.start()
        info(f"stack up in {now() - t0:.1f}s, register lists {lab.addresses}")
        scenario(lab)
        ok = True
    except ScenarioError as e:
        info(f"FAILED: {e}")
    finally:
        signal.alarm(0)
        lab.stop()

    header = {"transcript": "php-compat scenario v1", "register_addresses": lab.addresses
              if hasattr(lab, "addresses") else None}
    records = [header] + lab.records
    if not args.raw:
        norm = Normaliser(lab)
        records = [norm.walk(r) for r in records]
        records.append({"client_ids": norm.id_table()})
    if not ok:
        records.append({"incomplete": True})
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    with open(args.out, "w") as f:
        for r in records:
            f.write(json.dumps(r, ensure_ascii=False, separators=(",", ":")) + "\n")
    timeouts = sum(1 for r in lab.records if r.get("timeout"))
    info(f"wrote {len(records)} lines to {args.out} in {now() - t0:.1f}s; "
         f"{timeouts} step(s) hit the {WAIT:.0f}s limit")
    status = 0 if ok else 2
    if args.compare:
        r = subprocess.run(["diff", "-u", args.compare, args.out])
        if r.returncode != 0:
            info(f"transcript differs from {args.compare}")
            status = status or 1
        else:
            info(f"transcript identical to {args.compare}")
    sys.exit(status)


if __name__ == "__main__":
    main()
