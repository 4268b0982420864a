#!/usr/bin/env python3
"""Two Python `websockets` clients chat over wss with the demo chat, trusting a given CA.

Usage: wss-chat-check.py URL CAFILE   (URL like wss://localhost:8443/)
Exit 0 when a message said by one client reaches the other; 1 with the reason otherwise; 77 when the
`websockets` module is missing (apt-get install python3-websockets).
"""
import asyncio
import json
import ssl
import sys

try:
    import websockets
except ImportError:
    print("skip: python3 websockets module missing (apt-get install python3-websockets)")
    sys.exit(77)


async def main(url: str, cafile: str) -> None:
    context = ssl.create_default_context(cafile=cafile)
    async with websockets.connect(url + "?name=alice", ssl=context, open_timeout=10) as alice, \
            websockets.connect(url + "?name=bob", ssl=context, open_timeout=10) as bob:
        # Both are in the room once each has seen its own welcome or presence message.
        await asyncio.wait_for(alice.recv(), 10)
        await asyncio.wait_for(bob.recv(), 10)
        await alice.send(json.dumps({"type": "say", "text": "hello over wss"}))
        while True:
            message = json.loads(await asyncio.wait_for(bob.recv(), 10))
            if "hello over wss" in json.dumps(message):
                break
    print("ok: wss chat through", url)


if __name__ == "__main__":
    try:
        asyncio.run(main(sys.argv[1], sys.argv[2]))
    except Exception as error:  # noqa: BLE001 - any failure is the check failing
        print(f"fail: {type(error).__name__}: {error}")
        sys.exit(1)
