#!/usr/bin/env python3
"""Sorts one process's perf samples by call chain into where a delivery's CPU goes.

Usage:
    perf record -g -C 0 -o perf.data -- sleep 100 &
    swift run -c release Benchmarks broadcast --clients 1000 --repeat 1 --rounds 400 ...   # lines timed by the caller
    perf script -i perf.data -F comm,tid,time,ip,sym,dso > samples.txt
    scripts/perf-delivery-split.py samples.txt START END COMM

START and END are perf timestamps (seconds, the same clock as /proc/uptime) bounding one server's measured
phase; COMM is the prefix of its thread names (ringgate-0, ringgate-refere, php). Multiply each share by the
phase's CPU per delivery from the report to get microseconds.

On loopback the sender's softirq also runs the receiver's TCP receive, so that share is the peer's work
charged to the gateway; a real NIC moves it to the receiving host.
"""

import collections
import sys

RECEIVE = {"net_rx_action", "process_backlog", "__netif_receive_skb_one_core"}
SEND = {"tcp_sendmsg", "tcp_sendmsg_locked", "sock_sendmsg", "__sys_sendto", "ksys_write", "sock_write_iter"}


def classify(stack):
    """stack: [(symbol, dso)], leaf first."""
    if not stack or "kernel" not in stack[0][1]:
        return "user space"
    symbols = [symbol for symbol, _ in stack]
    if any(symbol in RECEIVE for symbol in symbols):
        return "receiver's TCP receive and wake-up (sender's softirq)"
    if any(symbol in SEND for symbol in symbols):
        return "own TCP send"
    if any(symbol.startswith(("io_", "__io_")) for symbol in symbols):
        return "io_uring submission and completion"
    if any(word in symbol for symbol in symbols for word in ("poll", "select")):
        return "poll / select"
    return "other kernel"


def samples(path, start, end, comm):
    """Yields the call chain of every sample of COMM* between START and END."""
    stack, keep = [], False
    with open(path) as lines:
        for line in lines:
            if not line.strip():
                if keep and stack:
                    yield stack
                stack, keep = [], False
            elif not line[0].isspace():
                fields = line.split()
                time = float(next(field for field in fields if field.endswith(":"))[:-1])
                keep = fields[0].startswith(comm) and start <= time <= end
            elif keep:
                parts = line.strip().split(None, 1)
                if len(parts) == 2:
                    at = parts[1].rfind(" (")
                    stack.append((parts[1][:at].split("+")[0], parts[1][at + 2 : -1]))
    if keep and stack:
        yield stack


def main():
    if len(sys.argv) != 5:
        sys.exit(__doc__)
    path, start, end, comm = sys.argv[1], float(sys.argv[2]), float(sys.argv[3]), sys.argv[4]
    shares = collections.Counter(classify(stack) for stack in samples(path, start, end, comm))
    total = sum(shares.values())
    if total == 0:
        sys.exit(f"no samples of {comm}* between {start} and {end}")
    print(f"{comm}: {total} samples")
    for category, count in shares.most_common():
        print(f"  {count / total:6.1%}  {category}")


if __name__ == "__main__":
    main()
