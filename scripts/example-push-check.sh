#!/bin/bash
# Builds Examples/PushApp (Hummingbird + the worker kit), starts `ringgate start` (embedded Register and
# gateway, demo worker off) and the app, binds a WebSocket client to a uid through the app's worker, POSTs
# to the app's /push/{uid} and checks that the message reaches the client.
#
# Usage: scripts/example-push-check.sh [RINGGATE_BINARY]
#   RINGGATE_BINARY  default: built with `swift build -c release --product ringgate`
# Environment (ports on 127.0.0.1): PUSH_HTTP_PORT (18080), PUSH_WS_PORT (18282), PUSH_REGISTER_PORT (11238),
#   PUSH_INNER_PORT (12900), PUSH_CHECK_TIMEOUT seconds (30). Needs python3 (standard library only).
set -euo pipefail
cd "$(dirname "$0")/.."
http_port=${PUSH_HTTP_PORT:-18080} ws_port=${PUSH_WS_PORT:-18282}
register_port=${PUSH_REGISTER_PORT:-11238} inner_port=${PUSH_INNER_PORT:-12900}
timeout=${PUSH_CHECK_TIMEOUT:-30}
logs=$(mktemp -d)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
}
trap cleanup EXIT

ringgate=${1:-}
if [[ -z "$ringgate" ]]; then
  swift build -c release --product ringgate
  ringgate=$(swift build -c release --show-bin-path)/ringgate
fi
echo "building Examples/PushApp"
swift build --package-path Examples/PushApp --product PushApp
app=$(swift build --package-path Examples/PushApp --show-bin-path)/PushApp

"$ringgate" start --set worker_demo.enabled=false --set gateway.demo_page=false --set admin.listen=off \
  --set register.enabled=true --set register.listen=127.0.0.1:$register_port \
  --set gateway.register_address=127.0.0.1:$register_port --set gateway.listen=websocket://127.0.0.1:$ws_port \
  --set gateway.start_port=$inner_port --set gateway.shards=1 >"$logs/ringgate.log" 2>&1 &
pids+=($!)
PUSH_HTTP_PORT=$http_port RINGGATE_REGISTER=127.0.0.1:$register_port "$app" >"$logs/pushapp.log" 2>&1 &
pids+=($!)

python3 - "$ws_port" "$http_port" "$timeout" <<'PY' || { echo "FAILED; logs:"; tail -n 20 "$logs"/*.log; exit 1; }
import base64, os, socket, struct, sys, time, urllib.request, urllib.error

ws_port, http_port, timeout = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3])
deadline = time.monotonic() + timeout

def ws_connect():
    s = socket.create_connection(("127.0.0.1", ws_port), timeout=5)
    key = base64.b64encode(os.urandom(16)).decode()
    s.sendall((f"GET / HTTP/1.1\r\nHost: 127.0.0.1:{ws_port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
               f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n").encode())
    response = b""
    while b"\r\n\r\n" not in response:
        chunk = s.recv(4096)
        if not chunk: raise ConnectionError("closed during the handshake")
        response += chunk
    if b" 101 " not in response.split(b"\r\n")[0]: raise ConnectionError(response.split(b"\r\n")[0].decode())
    return s, response.split(b"\r\n\r\n", 1)[1]

def ws_send(s, text):
    data, mask = text.encode(), os.urandom(4)
    header = bytes([0x81, 0x80 | len(data)]) if len(data) < 126 else bytes([0x81, 0xFE]) + struct.pack(">H", len(data))
    s.sendall(header + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(data)))

def ws_receive(s, buffered):
    while True:
        if len(buffered) >= 2:
            length, offset = buffered[1] & 0x7F, 2
            if length == 126: length, offset = struct.unpack(">H", buffered[2:4])[0], 4
            if len(buffered) >= offset + length:
                opcode, payload = buffered[0] & 0x0F, buffered[offset:offset + length]
                buffered = buffered[offset + length:]
                if opcode == 8: raise ConnectionError("closed by the gateway")
                if opcode == 1: return payload.decode(), buffered
                continue
        chunk = s.recv(4096)
        if not chunk: raise ConnectionError("closed")
        buffered += chunk

uid = f"user{os.getpid()}"
last_error = None
while time.monotonic() < deadline:  # until the gateway, the app's worker and the app are up
    try:
        s, buffered = ws_connect()
        ws_send(s, f"bind {uid}")
        reply, buffered = ws_receive(s, buffered)
        if reply != f"bound {uid}": raise ConnectionError(f"unexpected reply {reply!r}")
        break
    except (OSError, ConnectionError) as error:
        last_error = error
        time.sleep(0.5)
else:
    sys.exit(f"no worker bound the client within {timeout:.0f} s: {last_error}")
print(f"client bound to {uid}")

message = f"hello {uid} over HTTP"
request = urllib.request.Request(f"http://127.0.0.1:{http_port}/push/{uid}", data=message.encode(), method="POST")
with urllib.request.urlopen(request, timeout=10) as response:
    print(f"POST /push/{uid}: {response.status}")
    if response.status != 202: sys.exit("the app did not accept the push")
s.settimeout(max(1.0, deadline - time.monotonic()))
received, buffered = ws_receive(s, buffered)
if received != message: sys.exit(f"received {received!r}, expected {message!r}")
print(f"client received: {received}")
PY
echo "example push check: OK"
