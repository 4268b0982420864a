#!/usr/bin/env python3
"""Two-tab check of RingGate's demo chat in headless Chromium, driven over the DevTools protocol.

Usage: demo-browser-check.py URL [--timeout SECONDS] [--chromium PATH] [--insecure]

URL is the gateway's page, e.g. http://127.0.0.1:8282/. Once it answers 200, the script starts Chromium headless with a
fresh profile (--remote-debugging-port=0, the port read from DevToolsActivePort), opens URL in two
tabs, waits until each tab's chat is connected and welcomed (body[data-client-id]), types a message
into tab A's input and clicks Send, then waits until tab B lists that message under A's name. The
message contains HTML, which must appear as text (the page uses textContent, never innerHTML).

Prints one line per step and "PASS" or "FAIL: reason"; exit 0 on pass, 1 on failure, 2 when
Chromium or the arguments are missing. Python standard library only. Every wait polls against one
deadline (--timeout, default 25 s); Chromium is always killed and its profile removed.
"""
import argparse
import base64
import json
import os
import shutil
import signal
import socket
import ssl
import struct
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request


class Failure(Exception):
    pass


class Deadline:
    def __init__(self, seconds):
        self.start = time.monotonic()
        self.end = self.start + seconds

    def elapsed(self):
        return f"{time.monotonic() - self.start:.1f} s"

    def left(self):
        remaining = self.end - time.monotonic()
        if remaining <= 0:
            raise Failure("timed out")
        return remaining


class DevToolsSocket:
    """A minimal RFC 6455 client for one DevTools target: masked text frames out, frames in."""

    def __init__(self, url, deadline):
        parts = urllib.parse.urlparse(url)
        self.deadline = deadline
        self.sock = socket.create_connection((parts.hostname, parts.port), timeout=deadline.left())
        key = base64.b64encode(os.urandom(16)).decode()
        self.sock.sendall(
            (f"GET {parts.path} HTTP/1.1\r\nHost: {parts.hostname}:{parts.port}\r\nUpgrade: websocket\r\n"
             f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n").encode())
        self.buffer = b""
        while b"\r\n\r\n" not in self.buffer:
            self.buffer += self._recv()
        head, self.buffer = self.buffer.split(b"\r\n\r\n", 1)
        if not head.startswith(b"HTTP/1.1 101"):
            raise Failure(f"DevTools refused the WebSocket: {head[:80]!r}")
        self.next_id = 0

    def _recv(self):
        self.sock.settimeout(self.deadline.left())
        try:
            data = self.sock.recv(65536)
        except socket.timeout:
            raise Failure("timed out") from None
        if not data:
            raise Failure("DevTools closed the connection")
        return data

    def _take(self, count):
        while len(self.buffer) < count:
            self.buffer += self._recv()
        data, self.buffer = self.buffer[:count], self.buffer[count:]
        return data

    def _send_frame(self, opcode, payload):
        header = bytes([0x80 | opcode])
        if len(payload) < 126:
            header += bytes([0x80 | len(payload)])
        elif len(payload) < 65536:
            header += bytes([0x80 | 126]) + struct.pack("!H", len(payload))
        else:
            header += bytes([0x80 | 127]) + struct.pack("!Q", len(payload))
        mask = os.urandom(4)
        self.sock.sendall(header + mask + bytes(b ^ mask[i & 3] for i, b in enumerate(payload)))

    def _message(self):
        """The next text message, answering pings and joining fragments."""
        pieces = []
        while True:
            first, second = self._take(2)
            length = second & 0x7F
            if length == 126:
                length = struct.unpack("!H", self._take(2))[0]
            elif length == 127:
                length = struct.unpack("!Q", self._take(8))[0]
            payload = self._take(length)
            opcode = first & 0x0F
            if opcode == 0x9:
                self._send_frame(0xA, payload)
            elif opcode == 0x8:
                raise Failure("DevTools closed the WebSocket")
            elif opcode in (0x0, 0x1, 0x2):
                pieces.append(payload)
                if first & 0x80:
                    return b"".join(pieces).decode()

    def call(self, method, params=None):
        self.next_id += 1
        ident = self.next_id
        self._send_frame(0x1, json.dumps({"id": ident, "method": method, "params": params or {}}).encode())
        while True:
            reply = json.loads(self._message())
            if reply.get("id") == ident:
                if "error" in reply:
                    raise Failure(f"{method}: {reply['error']}")
                return reply.get("result", {})

    def evaluate(self, expression):
        result = self.call("Runtime.evaluate", {"expression": expression, "returnByValue": True})
        if "exceptionDetails" in result:
            raise Failure(f"page script failed: {result['exceptionDetails'].get('text')} in {expression[:60]!r}")
        return result.get("result", {}).get("value")

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass


def poll(deadline, what, probe):
    """probe() until it returns something truthy; polls every 50 ms until the deadline."""
    while True:
        try:
            value = probe()
        except Failure as failure:
            if deadline.end - time.monotonic() > 0:
                raise
            raise Failure(f"timed out waiting for {what}") from failure
        if value:
            return value
        if deadline.end - time.monotonic() <= 0:
            raise Failure(f"timed out waiting for {what}")
        time.sleep(0.05)


def start_chromium(chromium, profile, deadline):
    flags = [
        "--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run", "--no-default-browser-check",
        "--disable-extensions", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--mute-audio", "--disable-background-timer-throttling",
        "--disable-renderer-backgrounding", "--disable-backgrounding-occluded-windows",
        "--remote-debugging-port=0", f"--user-data-dir={profile}",
        *(["--ignore-certificate-errors"] if INSECURE else []),
        "about:blank",
    ]
    with open(os.path.join(os.path.dirname(profile), "chromium.log"), "wb") as log:
        process = subprocess.Popen([chromium, *flags], stdout=log, stderr=log, start_new_session=True)
    port_file = os.path.join(profile, "DevToolsActivePort")

    def port():
        if process.poll() is not None:
            raise Failure(f"Chromium exited with {process.returncode}")
        try:
            with open(port_file) as f:
                first = f.readline().strip()
        except OSError:
            return None
        return int(first) if first.isdigit() else None

    return process, poll(deadline, "Chromium's DevToolsActivePort", port)


INSECURE = False


def page_answers(url, deadline):
    context = ssl._create_unverified_context() if INSECURE else None
    try:
        with urllib.request.urlopen(url, timeout=min(2.0, deadline.left()), context=context) as response:
            return response.status == 200
    except (OSError, ValueError):
        return False


def open_tab(port, url, deadline):
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/json/new?{urllib.parse.quote(url, safe='')}", method="PUT")
    with urllib.request.urlopen(request, timeout=deadline.left()) as response:
        target = json.load(response)
    return DevToolsSocket(target["webSocketDebuggerUrl"], deadline)


WELCOMED = "document.body && document.body.dataset.state === 'open' && document.body.dataset.clientId || ''"
SAID = """JSON.stringify([...document.querySelectorAll('#log li.say')].map(item => ({
  from: item.dataset.from, who: item.querySelector('.who').textContent,
  text: item.querySelector('.text').textContent})))"""
ELEMENTS_IN_LOG = "document.querySelectorAll('#log b, #log i, #log script').length"
LOG_TEXT = "document.getElementById('log') ? document.getElementById('log').innerText : '(no log)'"


def check(url, chromium, timeout):
    deadline = Deadline(timeout)
    temp = tempfile.mkdtemp(prefix="ringgate-demo-browser-")
    process = None
    tabs = []
    try:
        # A gateway answers only once a worker is there (no worker: the connection is closed), and a
        # browser does not retry a failed page load: wait for the page first.
        poll(deadline, f"{url} to answer 200", lambda: page_answers(url, deadline))
        process, port = start_chromium(chromium, os.path.join(temp, "profile"), deadline)
        print(f"chromium: DevTools on 127.0.0.1:{port} after {deadline.elapsed()}")
        tabs = [open_tab(port, url, deadline), open_tab(port, url, deadline)]
        ids = [poll(deadline, f"tab {name} to join the chat", lambda tab=tab: tab.evaluate(WELCOMED))
               for name, tab in zip("AB", tabs)]
        print(f"tabs joined as {ids[0]} and {ids[1]} after {deadline.elapsed()}")
        if ids[0] == ids[1]:
            raise Failure("both tabs got the same client_id")
        sender, receiver = tabs
        name = sender.evaluate("document.getElementById('name').value")
        message = f"hello <b>bold</b> & <i>{os.getpid()}</i> \u00e9\u263a"
        sender.evaluate(
            f"document.getElementById('text').value = {json.dumps(message)};"
            "document.getElementById('send').click();")
        expected = {"from": ids[0], "who": name, "text": message}

        def arrived():
            return expected in json.loads(receiver.evaluate(SAID))

        try:
            poll(deadline, "the message in tab B", arrived)
        except Failure:
            print(f"tab B log:\n{receiver.evaluate(LOG_TEXT)}", file=sys.stderr)
            raise
        print(f"tab B shows {name}: {message!r} after {deadline.elapsed()}")
        if any(tab.evaluate(ELEMENTS_IN_LOG) for tab in tabs):
            raise Failure("message HTML became elements (innerHTML?)")
        poll(deadline, "the message in tab A too", lambda: expected in json.loads(sender.evaluate(SAID)))
        return None
    except Failure as failure:
        return str(failure)
    except (OSError, ValueError, KeyError) as error:
        return f"{type(error).__name__}: {error}"
    finally:
        for tab in tabs:
            tab.close()
        if process is not None:
            try:
                os.killpg(process.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            process.wait()
            if os.environ.get("DEMO_BROWSER_CHECK_LOG"):
                with open(os.path.join(temp, "chromium.log"), errors="replace") as f:
                    print(f.read()[-4000:], file=sys.stderr)
        shutil.rmtree(temp, ignore_errors=True)


def main():
    parser = argparse.ArgumentParser(description="two-tab headless-Chromium check of the demo chat")
    parser.add_argument("url", help="the chat page, e.g. http://127.0.0.1:8282/")
    parser.add_argument("--timeout", type=float, default=25.0, help="seconds for the whole check")
    parser.add_argument("--chromium", default=os.environ.get("CHROMIUM", "chromium"))
    parser.add_argument("--insecure", action="store_true",
                        help="https with a test certificate: skip verification (Chromium --ignore-certificate-errors)")
    arguments = parser.parse_args()
    global INSECURE
    INSECURE = arguments.insecure
    if not arguments.url.startswith(("http://", "https://")):
        print("URL must start with http:// or https://", file=sys.stderr)
        return 2
    chromium = shutil.which(arguments.chromium)
    if chromium is None:
        print(f"browser {arguments.chromium!r} not found (apt-get install chromium)", file=sys.stderr)
        return 2
    failure = check(arguments.url, chromium, arguments.timeout)
    print("PASS" if failure is None else f"FAIL: {failure}")
    return 0 if failure is None else 1


if __name__ == "__main__":
    sys.exit(main())
