#!/usr/bin/env python3
"""Scenarios of the RingGate cluster test bed; runs as host D (started by run.sh inside D's namespace).

Starts the other hosts' processes with `ip netns exec`, drives text clients and a minimal GatewayClient
(GatewayWorker's binary protocol, spec §2-§4) from here, and prints one line per scenario:
`SCENARIO <name> PASS|FAIL <detail>`. Standard library only. Every wait is bounded.
"""

import argparse
import json
import os
import re
import shutil
import signal
import socket
import struct
import subprocess
import sys
import time

SECRET = "cluster-secret"
A, B, C, D = "10.77.0.1", "10.77.0.2", "10.77.0.3", "10.77.0.4"
REGISTER = (C, 1236)
CLIENT_PORT = 8282
START_PORT = 2900
SHARDS = 2

# Commands (spec §4.1).
SEND_TO_ONE, SEND_TO_ALL, IS_ONLINE, BIND_UID, SEND_TO_UID = 5, 6, 11, 12, 14
GET_CLIENT_ID_BY_UID, JOIN_GROUP, SEND_TO_GROUP, GET_CLIENT_COUNT_BY_GROUP = 15, 20, 22, 24
GET_ALL_CLIENT_SESSIONS, GATEWAY_CLIENT_CONNECT = 10, 202
GET_CLIENT_SESSIONS_BY_GROUP, GET_GROUP_ID_LIST, BATCH_GET_CLIENT_COUNT_BY_GROUP = 23, 26, 28


class Failure(Exception):
    pass


class Skipped(Exception):
    """The host cannot run this scenario (e.g. a kernel without sch_netem); not a failure."""


def check(condition, message):
    if not condition:
        raise Failure(message)


def wait_until(predicate, seconds, what):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if predicate():
                return
        except (OSError, Failure):
            pass
        time.sleep(0.1)
    raise Failure(f"timed out after {seconds}s waiting for {what}")


# ---------------------------------------------------------------- processes on the hosts


class Hosts:
    def __init__(self, options):
        self.prefix = options.ns_prefix
        self.ringgate = options.ringgate
        self.logs = options.logs
        self.fallback = options.fallback
        self.variant = options.variant
        self.php_lab = options.php_lab
        self.here = os.path.dirname(os.path.abspath(__file__))
        self.processes = {}
        self.php = set()  # names of processes that are PHP (no RingGate log lines)

    def namespace(self, host):
        return self.prefix + host

    def start(self, name, host, argv, extra_env=None):
        env = dict(os.environ, RINGGATE_SECRET_KEY=SECRET)
        env.update(extra_env or {})
        log = open(os.path.join(self.logs, f"{name}.log"), "ab")
        process = subprocess.Popen(
            ["ip", "netns", "exec", self.namespace(host)] + argv,
            stdout=log, stderr=subprocess.STDOUT, env=env, start_new_session=True)
        self.processes[name] = process
        return process

    def register(self):
        self.start("register", "c", [self.ringgate, "register", "--listen", f"{C}:1236", "--log-level", "info"])

    def php_role(self, name, host, role, extra):
        env = {"CLUSTER_PHPLAB_DIR": self.php_lab, "CLUSTER_ROLE": role, "CLUSTER_REGISTER": f"{C}:1236",
               "CLUSTER_SECRET": SECRET, "CLUSTER_RUN_DIR": self.logs}
        env.update(extra)
        self.php.add(name)
        self.start(name, host, ["php", os.path.join(self.here, "php-host.php"), "start"], env)

    def gateway(self, name, host, lan_ip, php=False):
        if php:
            return self.php_role(name, host, "gateway", {
                "CLUSTER_LISTEN": f"text://0.0.0.0:{CLIENT_PORT}", "CLUSTER_LAN_IP": lan_ip,
                "CLUSTER_START_PORT": str(START_PORT), "CLUSTER_COUNT": str(SHARDS)})
        extra = {"RINGGATE_FORCE_PEERNAME_FALLBACK": "1"} if self.fallback else {}
        self.start(name, host, [
            self.ringgate, "gateway", f"text://0.0.0.0:{CLIENT_PORT}", "--shards", str(SHARDS),
            "--threads", "1", "--lan-ip", lan_ip, "--start-port", str(START_PORT),
            "--register-address", f"{C}:1236", "--log-level", "info", "--no-huge-pages",
            "--connections-per-shard", "1024", "--slab-mi-b", "8"], extra)

    def worker(self, name, host, worker_name, php=False):
        if php:
            return self.php_role(name, host, "worker", {"CLUSTER_NAME": worker_name})
        self.start(name, host, [
            self.ringgate, "echo-worker", "--register-address", f"{C}:1236", "--name", worker_name,
            "--log-level", "info"])

    def kill(self, name, sig=signal.SIGKILL):
        process = self.processes.pop(name, None)
        if process:
            # The whole group: a PHP master's forked children die with it, as on a real host.
            try:
                os.killpg(process.pid, sig)
            except ProcessLookupError:
                pass
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=5)

    def alive(self, name):
        process = self.processes.get(name)
        return process is not None and process.poll() is None

    def run(self, host, argv):
        subprocess.run(["ip", "netns", "exec", self.namespace(host)] + argv, check=True, timeout=20,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def log(self, name):
        with open(os.path.join(self.logs, f"{name}.log"), "rb") as handle:
            return handle.read().decode("utf-8", "replace")

    def stop_all(self):
        for name in list(self.processes):
            self.kill(name)


# ---------------------------------------------------------------- Register and GatewayClient


def register_addresses():
    """The gateway addresses the Register broadcasts (worker_connect, spec §6)."""
    with socket.create_connection(REGISTER, timeout=3) as connection:
        connection.settimeout(3)
        connection.sendall(json.dumps({"event": "worker_connect", "secret_key": SECRET}).encode() + b"\n")
        data = b""
        while not data.endswith(b"\n"):
            chunk = connection.recv(65536)
            check(chunk, "the Register closed without a broadcast")
            data += chunk
    message = json.loads(data.split(b"\n")[0])
    addresses = message["addresses"]
    return sorted(addresses.values() if isinstance(addresses, dict) else addresses)


def packet(command, connection_id=0, ext=b"", body=b"", flag=1):
    length = 28 + len(ext) + len(body)
    header = struct.pack(">IBIHIHIBHI", length, command, 0, 0, 0, 0, connection_id, flag, 0, len(ext))
    return header + ext + body


def authentication():
    return packet(GATEWAY_CLIENT_CONNECT, body=json.dumps({"secret_key": SECRET}).encode())


def split_address(address):
    host, port = address.rsplit(":", 1)
    return host, int(port)


def gateway_request(address, request, reply=False):
    """One GatewayClient call on one gateway address: auth packet + request; the reply payload if asked."""
    with socket.create_connection(split_address(address), timeout=5) as connection:
        connection.settimeout(5)
        connection.sendall(authentication() + request)
        if not reply:
            return None
        data = b""
        while len(data) < 4 or len(data) < 4 + struct.unpack(">I", data[:4])[0]:
            chunk = connection.recv(65536)
            check(chunk, f"{address} closed before its reply")
            data += chunk
        return data[4:4 + struct.unpack(">I", data[:4])[0]]


def client_id(address, connection_id):
    host, port = split_address(address)
    return socket.inet_aton(host).hex() + struct.pack(">HI", port, connection_id).hex()


def address_of(client):
    raw = bytes.fromhex(client)
    return f"{socket.inet_ntoa(raw[:4])}:{struct.unpack('>H', raw[4:6])[0]}", struct.unpack(">I", raw[6:])[0]


class GatewayClient:
    """The calls of PHP's GatewayClient this bed uses, over every address the Register knows."""

    def addresses(self):
        return register_addresses()

    def all_client_ids(self):
        ids = []
        for address in self.addresses():
            payload = gateway_request(address, packet(GET_ALL_CLIENT_SESSIONS), reply=True).decode()
            ids += [client_id(address, int(cid)) for cid in re.findall(r'i:(\d+);(?:s:\d+:"|N;|a:)', payload)]
        return ids

    def send_to_client(self, client, message):
        address, connection_id = address_of(client)
        gateway_request(address, packet(SEND_TO_ONE, connection_id, body=message.encode()))

    def send_to_all(self, message):
        for address in self.addresses():
            gateway_request(address, packet(SEND_TO_ALL, body=message.encode()))

    def bind_uid(self, client, uid):
        address, connection_id = address_of(client)
        gateway_request(address, packet(BIND_UID, connection_id, ext=uid.encode()))

    def send_to_uid(self, uid, message):
        for address in self.addresses():
            gateway_request(address, packet(SEND_TO_UID, ext=json.dumps([uid]).encode(), body=message.encode()))

    def join_group(self, client, group):
        address, connection_id = address_of(client)
        gateway_request(address, packet(JOIN_GROUP, connection_id, ext=group.encode()))

    def send_to_group(self, group, message):
        ext = json.dumps({"group": [group], "exclude": None}).encode()
        for address in self.addresses():
            gateway_request(address, packet(SEND_TO_GROUP, ext=ext, body=message.encode()))

    def all_client_count(self):
        total = 0
        for address in self.addresses():
            payload = gateway_request(address, packet(GET_CLIENT_COUNT_BY_GROUP), reply=True).decode()
            total += int(re.fullmatch(r"i:(\d+);", payload).group(1))
        return total

    def client_count_by_group(self, group):
        total = 0
        for address in self.addresses():
            payload = gateway_request(address, packet(GET_CLIENT_COUNT_BY_GROUP, ext=group.encode()), reply=True)
            total += int(re.fullmatch(r"i:(\d+);", payload.decode()).group(1))
        return total

    def client_ids_by_group(self, group):
        """getClientIdListByGroup: the keys of every address's session map for the group."""
        ids = []
        for address in self.addresses():
            payload = gateway_request(
                address, packet(GET_CLIENT_SESSIONS_BY_GROUP, ext=group.encode()), reply=True).decode()
            ids += [client_id(address, int(cid)) for cid in re.findall(r'i:(\d+);(?:s:\d+:"|N;|a:)', payload)]
        return sorted(ids)

    def group_ids(self):
        """getAllGroupIdList: the union of every address's list, as raw serialized replies per gateway."""
        groups = set()
        for address in self.addresses():
            payload = gateway_request(address, packet(GET_GROUP_ID_LIST), reply=True).decode()
            groups.update(re.findall(r'i:\d+;s:\d+:"([^"]*)";', payload))
        return sorted(groups)

    def batch_client_count_by_group(self, groups):
        totals = {}
        for address in self.addresses():
            ext = json.dumps(groups).encode()
            payload = gateway_request(address, packet(BATCH_GET_CLIENT_COUNT_BY_GROUP, ext=ext), reply=True).decode()
            for group, count in re.findall(r's:\d+:"([^"]*)";i:(\d+);', payload):
                totals[group] = totals.get(group, 0) + int(count)
        return totals

    def is_online(self, client):
        address, connection_id = address_of(client)
        return gateway_request(address, packet(IS_ONLINE, connection_id), reply=True) == b"i:1;"

    def client_ids_by_uid(self, uid):
        ids = []
        for address in self.addresses():
            payload = gateway_request(address, packet(GET_CLIENT_ID_BY_UID, ext=uid.encode()), reply=True).decode()
            ids += [client_id(address, int(cid)) for cid in re.findall(r"i:\d+;i:(\d+);", payload)]
        return sorted(ids)


# ---------------------------------------------------------------- text clients


class Client:
    """A text-protocol client (one message per line)."""

    def __init__(self, host):
        self.host = host
        self.socket = socket.create_connection((host, CLIENT_PORT), timeout=5)
        self.socket.settimeout(5)
        self.buffer = b""
        self.id = None
        self.label = host

    def send(self, text):
        self.socket.sendall(text.encode() + b"\n")

    def line(self, timeout=5):
        deadline = time.monotonic() + timeout
        while b"\n" not in self.buffer:
            remaining = deadline - time.monotonic()
            check(remaining > 0, f"no line from {self.host} within {timeout}s")
            self.socket.settimeout(remaining)
            chunk = self.socket.recv(65536)
            check(chunk, f"connection to {self.host} closed")
            self.buffer += chunk
        line, self.buffer = self.buffer.split(b"\n", 1)
        return line.decode()

    def expect(self, text, timeout=5):
        got = self.line(timeout)
        check(got == text, f"client on {self.host} expected {text!r}, got {got!r}")

    def is_open(self):
        """Still connected: a non-blocking peek sees no EOF and no error (buffered bytes are fine)."""
        try:
            self.socket.setblocking(False)
            data = self.socket.recv(65536, socket.MSG_PEEK)
            return len(data) > 0
        except BlockingIOError:
            return True
        except OSError:
            return False
        finally:
            self.socket.setblocking(True)

    def close(self):
        self.socket.close()


def echo_round(clients, tag, timeout=5):
    for index, client in enumerate(clients):
        client.send(f"{tag}-{index}")
    for index, client in enumerate(clients):
        client.expect(f"{tag}-{index}", timeout)


def identify(clients, gateway_client):
    """Learns each client's client_id: every id gets a sendToClient naming it; each client reads its own."""
    ids = gateway_client.all_client_ids()
    for client in ids:
        gateway_client.send_to_client(client, f"you-are:{client}")
    for client in clients:
        line = client.line()
        check(line.startswith("you-are:"), f"expected an identity line, got {line!r}")
        client.id = line.split(":", 1)[1]


# ---------------------------------------------------------------- scenarios


class Bed:
    def __init__(self, hosts):
        self.hosts = hosts
        self.gc = GatewayClient()
        self.clients_a = []
        self.clients_b = []

    def expected_addresses(self, hosts=(A, B)):
        return sorted(f"{host}:{START_PORT + shard}" for host in hosts for shard in range(SHARDS))

    # ringgate: all RingGate (Swift workers); mixed: RingGate on A, PHP's Gateway on B, PHP
    # BusinessWorkers; php: PHP's Gateway on A and B, PHP BusinessWorkers. The Register is RingGate's.
    @property
    def php_workers(self):
        return self.hosts.variant in ("mixed", "php")

    def start_worker(self, name, host, worker_name):
        self.hosts.worker(name, host, worker_name, php=self.php_workers)

    def start(self):
        self.hosts.register()
        self.hosts.gateway("gateway-a", "a", A, php=self.hosts.variant == "php")
        self.hosts.gateway("gateway-b", "b", B, php=self.hosts.variant in ("mixed", "php"))
        wait_until(lambda: register_addresses() == self.expected_addresses(), 20, "both gateways registered")
        if self.hosts.fallback:
            for name in ("gateway-a", "gateway-b"):
                check(name in self.hosts.php or "single-shot accepts" in self.hosts.log(name),
                      f"{name} did not switch to the peer-name fallback (RINGGATE_FORCE_PEERNAME_FALLBACK=1)")
        self.start_worker("worker-c1", "c", "EchoC1")
        self.start_worker("worker-c2", "c", "EchoC2")
        self.wait_worker("worker-c1")
        self.wait_worker("worker-c2")

    def record(self, call, value):
        """One normalised GatewayClient result (client_ids as labels like A0), compared across variants."""
        labels = {c.id: c.label for c in self.all_clients() if c.id}
        if isinstance(value, list):
            value = sorted(labels.get(v, v) for v in value)
        print("RESULT " + json.dumps({"call": call, "value": value}, sort_keys=True), flush=True)

    def wait_worker(self, worker, since=0, links=2 * SHARDS):
        """Waits until `worker` logged `links` gateway connections after log offset `since` (its
        WORKER_CONNECT follows each at once). A PHP BusinessWorker logs nothing: it connects to the
        gateways the Register lists within milliseconds of starting, so it gets a bounded settle."""
        if worker in self.hosts.php:
            time.sleep(2.5)
            return
        wait_until(lambda: self.hosts.log(worker)[since:].count("connected to gateway") >= links, 20,
                   f"{worker} connected to {links} gateway addresses")
        time.sleep(0.3)

    def all_clients(self):
        return self.clients_a + self.clients_b

    def scenario_client_ids(self):
        self.clients_a = [Client(A) for _ in range(6)]
        self.clients_b = [Client(B) for _ in range(6)]
        for index, client in enumerate(self.clients_a):
            client.label = f"A{index}"
        for index, client in enumerate(self.clients_b):
            client.label = f"B{index}"
        echo_round(self.all_clients(), "hello")
        identify(self.all_clients(), self.gc)
        for client in self.clients_a:
            address, _ = address_of(client.id)
            check(address in self.expected_addresses((A,)), f"client on A has client_id for {address}")
        for client in self.clients_b:
            address, _ = address_of(client.id)
            check(address in self.expected_addresses((B,)), f"client on B has client_id for {address}")
        ports = {address_of(client.id)[0] for client in self.clients_a}
        return f"12 clients; ids on A use {sorted(ports)}; ids on B use {B}:{START_PORT}+shard; echoes ok"

    def scenario_broadcasts_and_queries(self):
        clients = self.all_clients()
        self.gc.send_to_all("to-all")
        for client in clients:
            client.expect("to-all")
        uid_members = [self.clients_a[0], self.clients_b[0]]
        group_members = [self.clients_a[1], self.clients_a[2], self.clients_b[1]]
        for client in uid_members:
            self.gc.bind_uid(client.id, "alice")
        for client in group_members:
            self.gc.join_group(client.id, "room")
        self.gc.send_to_uid("alice", "to-alice")
        self.gc.send_to_group("room", "to-room")
        for client in clients:
            expected = (["to-alice"] if client in uid_members else []) + (
                ["to-room"] if client in group_members else [])
            for text in expected:
                client.expect(text)
        # Nothing else arrived: a marker sent to every client is the next line each reads.
        self.gc.send_to_all("marker")
        for client in clients:
            client.expect("marker")
        count = self.gc.all_client_count()
        self.record("getAllClientCount", count)
        check(count == len(clients), "getAllClientCount over both gateways")
        alice = self.gc.client_ids_by_uid("alice")
        self.record("getClientIdByUid(alice)", alice)
        check(alice == sorted(c.id for c in uid_members), "getClientIdByUid")
        online = [c.id for c in clients if self.gc.is_online(c.id)]
        self.record("isOnline", online)
        check(len(online) == len(clients), "isOnline")
        self.record("addresses", self.gc.addresses())
        room = self.gc.client_ids_by_group("room")
        self.record("getClientIdListByGroup(room)", room)
        check(room == sorted(c.id for c in group_members), "getClientIdListByGroup")
        self.record("getClientCountByGroup(room)", self.gc.client_count_by_group("room"))
        self.record("getAllGroupIdList", self.gc.group_ids())
        self.record("getClientCountByGroups", self.gc.batch_client_count_by_group(["room", "nobody"]))
        self.php_gateway_client_results(clients)
        return "sendToAll/sendToUid/sendToGroup reached exactly the right clients on A and B; counts, uid, isOnline ok"

    def php_gateway_client(self, method, *args):
        """One call through PHP's own GatewayClient library (scripts/php-compat/gatewayclient-call.php),
        run here on host D against the Register on C; returns its json_encode'd result."""
        script = os.path.join(self.hosts.here, "..", "php-compat", "gatewayclient-call.php")
        completed = subprocess.run(
            ["php", script, "--register", f"{C}:1236", "--secret", SECRET, method] + [json.dumps(a) for a in args],
            capture_output=True, text=True, timeout=20, env=dict(os.environ, PHPLAB_DIR=self.hosts.php_lab))
        check(completed.returncode == 0, f"GatewayClient {method} failed: {completed.stderr.strip()}")
        reply = json.loads(completed.stdout.strip().splitlines()[-1])
        check("exception" not in reply, f"GatewayClient {method} threw {reply.get('exception')}: {reply.get('message')}")
        return reply["result"]

    def php_gateway_client_results(self, clients):
        """With a PHP lab: the same queries through PHP's GatewayClient, recorded for the comparison."""
        if not self.hosts.php_lab or shutil.which("php") is None:
            return
        ids = lambda value: list(value.values() if isinstance(value, dict) else value)
        self.record("GatewayClient getAllClientCount", self.php_gateway_client("getAllClientCount"))
        self.record("GatewayClient getAllClientIdList", ids(self.php_gateway_client("getAllClientIdList")))
        self.record("GatewayClient getClientIdByUid(alice)", ids(self.php_gateway_client("getClientIdByUid", "alice")))
        self.record("GatewayClient getClientIdListByGroup(room)",
                    ids(self.php_gateway_client("getClientIdListByGroup", "room")))
        self.record("GatewayClient getClientCountByGroup(room)",
                    self.php_gateway_client("getClientCountByGroup", "room"))
        self.record("GatewayClient getAllGroupIdList", self.php_gateway_client("getAllGroupIdList"))
        self.record("GatewayClient getAllUidList", self.php_gateway_client("getAllUidList"))
        self.record("GatewayClient isOnline", [c.id for c in clients[:2]
                                               if self.php_gateway_client("isOnline", c.id) == 1])

    def scenario_worker_restart(self):
        self.hosts.kill("worker-c1")
        # Clients bound to the dead worker are rebound to the other one (sticky key gone).
        echo_round(self.all_clients(), "during-restart")
        offset = len(self.hosts.log("worker-c1"))
        self.start_worker("worker-c1", "c", "EchoC1")
        self.wait_worker("worker-c1", since=offset)
        echo_round(self.all_clients(), "after-restart")
        check(all(c.is_open() for c in self.all_clients()), "a client was dropped")
        return "worker EchoC1 killed -9 and restarted: all 12 clients kept, echoed during and after"

    def scenario_register_restart(self):
        self.hosts.kill("register")
        time.sleep(1.5)  # gateways and workers see the close and start retrying (1 s period)
        self.hosts.register()
        wait_until(lambda: register_addresses() == self.expected_addresses(), 20, "gateways re-registered")
        late = [Client(A), Client(B)]
        echo_round(late + self.all_clients(), "after-register")
        for client in late:
            client.close()
        return "Register killed and restarted: both gateways re-registered, old and new clients served"

    def scenario_link_cut(self):
        clients = self.clients_a
        self.hosts.run("c", ["ip", "link", "set", "eth0", "down"])
        cut_at = time.monotonic()
        try:
            for index, client in enumerate(clients):
                client.send(f"cut-{index}")
            time.sleep(1)
            check(all(c.is_open() for c in clients), "a client on A was closed while C was unreachable")
            time.sleep(max(0.0, 5 - (time.monotonic() - cut_at)))
        finally:
            self.hosts.run("c", ["ip", "link", "set", "eth0", "up"])
        # The worker links are TCP connections that outlive a 5 s cut: what the clients sent meanwhile
        # waits in the gateway's worker send queue / TCP retransmission and is delivered in order.
        for index, client in enumerate(clients):
            client.expect(f"cut-{index}", timeout=20)
        echo_round(self.all_clients(), "after-cut", timeout=10)
        check(all(c.is_open() for c in self.all_clients()), "a client was dropped after the cut")
        reconnects = self.hosts.log("gateway-a").count("worker reconnected")
        return f"C cut 5 s: clients on A stayed, messages sent meanwhile delivered in order after restore; worker re-registrations on A: {reconnects}"

    def scenario_no_worker(self):
        """Every worker gone (links closed): a client that sends is destroyed at once, as PHP's
        Gateway::sendToWorker does with an empty worker table (spec §5.4); silent clients stay."""
        probes = [Client(A), Client(B)]
        echo_round(probes, "probe")
        self.hosts.kill("worker-c1")
        self.hosts.kill("worker-c2")
        time.sleep(1)  # the gateways read the workers' FINs (kill -9 closes their sockets at once)
        for probe in probes:
            probe.send("anyone?")
        for probe in probes:
            wait_until(lambda: not probe.is_open(), 5, f"the gateway on {probe.host} destroying a client with no worker")
        self.record("client sending with no worker", "closed")
        check(all(c.is_open() for c in self.all_clients()), "a silent client was dropped while no worker ran")
        offsets = {name: len(self.hosts.log(name)) if name not in self.hosts.php else 0
                   for name in ("worker-c1", "worker-c2")}
        self.start_worker("worker-c1", "c", "EchoC1")
        self.start_worker("worker-c2", "c", "EchoC2")
        for name, offset in offsets.items():
            self.wait_worker(name, since=offset)
        echo_round(self.all_clients(), "workers-back")
        return "both workers killed: clients that sent were closed at once (as PHP), silent ones kept and served again"

    def scenario_netem(self):
        """50 ms delay and 2 % loss on A's link (tc netem). A kernel without sch_netem gets a slow,
        dropping link instead (tbf: 1 Mbit/s, 20 ms of queue, tail drops), so order under retransmission
        is still exercised; the scenario says which it ran."""
        impairments = [
            ("50 ms delay + 2% loss (netem)", ["netem", "delay", "50ms", "loss", "2%"]),
            ("no sch_netem in this kernel: 1 Mbit/s tbf with tail drops",
             ["tbf", "rate", "1mbit", "burst", "4kb", "latency", "20ms"]),
        ]
        applied = None
        errors = []
        for description, qdisc in impairments:
            added = subprocess.run(
                ["ip", "netns", "exec", self.hosts.namespace("a"), "tc", "qdisc", "add", "dev", "eth0", "root"]
                + qdisc, capture_output=True, text=True, timeout=20)
            if added.returncode == 0:
                applied = description
                break
            errors.append(added.stderr.strip())
        if applied is None:
            raise Skipped(f"neither netem nor tbf available ({'; '.join(errors)})")
        try:
            client = self.clients_a[3]
            padding = "x" * 1000
            count = 300
            for batch in range(0, count, 50):
                for index in range(batch, batch + 50):
                    client.send(f"seq-{index}-{padding}")
                for index in range(batch, batch + 50):
                    client.expect(f"seq-{index}-{padding}", timeout=30)
        finally:
            stats = subprocess.run(
                ["ip", "netns", "exec", self.hosts.namespace("a"), "tc", "-s", "qdisc", "show", "dev", "eth0"],
                capture_output=True, text=True, timeout=20).stdout
            self.hosts.run("a", ["tc", "qdisc", "del", "dev", "eth0", "root"])
        dropped = re.search(r"dropped (\d+)", stats)
        drops = f" ({dropped.group(1)} packets dropped by the qdisc)" if dropped else ""
        return f"{applied} on A: {count} messages of 1 KB echoed complete and in order{drops}"

    def scenario_gateway_kill(self):
        worker_log = len(self.hosts.log("worker-c1"))
        self.hosts.kill("gateway-a")
        wait_until(lambda: register_addresses() == self.expected_addresses((B,)), 10,
                   "the Register dropping A's addresses")
        for client in self.clients_a:
            wait_until(lambda: not client.is_open(), 5, "A's clients seeing the close")
        echo_round(self.clients_b, "after-a-died")
        count = self.gc.all_client_count()
        self.record("getAllClientCount after A died", count)
        self.record("addresses after A died", self.gc.addresses())
        check(count == len(self.clients_b), "getAllClientCount after A died")
        detail = ""
        if "worker-c1" not in self.hosts.php:
            # The worker saw its links to A close and, once the Register's list lacks A, stays away.
            wait_until(lambda: self.hosts.log("worker-c1")[worker_log:].count("gateway connection closed") >= SHARDS,
                       10, "the worker seeing A's links close")
            time.sleep(2.5)  # a worker that kept A's address would retry within its 1 s period
            log = self.hosts.log("worker-c1")[worker_log:]
            check(not re.search(rf"gateway={re.escape(A)}:\d+ \[RingGateWorkerKit\] connected to gateway", log),
                  "the worker reconnected to the dead gateway A")
            detail = "; worker EchoC1 closed both links to A and did not reconnect"
        return f"gateway A killed -9: the Register dropped {A}:*, A's clients closed, B served on{detail}"

    def scenario_worker_identity(self):
        """Two hosts' workers with one name (C and B): both stay registered on every gateway."""
        ringgates = [name for name in ("gateway-a", "gateway-b") if name not in self.hosts.php]
        if not ringgates:
            raise Skipped("no RingGate gateway in this variant")
        gateway_logs = {name: len(self.hosts.log(name)) for name in ringgates}
        original = len(self.hosts.log("worker-c2"))
        self.start_worker("worker-b-twin", "b", "EchoC2")
        self.wait_worker("worker-b-twin")
        time.sleep(2)  # a replaced link would be closed and its worker reconnect within this
        for name, offset in gateway_logs.items():
            check("worker reconnected" not in self.hosts.log(name)[offset:],
                  f"{name}: the same-named worker on host B replaced C's")
        if "worker-c2" not in self.hosts.php:
            check("connected to gateway" not in self.hosts.log("worker-c2")[original:],
                  "C's EchoC2 lost its gateway links and reconnected")
        echo_round(self.all_clients(), "twins")
        self.hosts.kill("worker-b-twin")
        mode = "forced accept fallback" if self.hosts.fallback else "SO_PEERNAME uring command"
        return f"EchoC2 on C and on B both stay registered on {', '.join(ringgates)} ({mode})"


SCENARIOS = [
    "client_ids", "broadcasts_and_queries", "worker_identity", "worker_restart", "register_restart",
    "link_cut", "no_worker", "netem", "gateway_kill",
]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--ns-prefix", required=True)
    parser.add_argument("--ringgate", required=True)
    parser.add_argument("--logs", required=True)
    parser.add_argument("--deadline", type=float, default=240)
    parser.add_argument("--fallback", action="store_true")
    parser.add_argument("--only", default="")
    parser.add_argument("--variant", choices=["ringgate", "mixed", "php"], default="ringgate")
    parser.add_argument("--php-lab", default="")
    options = parser.parse_args()
    if options.variant != "ringgate" and not os.path.isfile(os.path.join(options.php_lab, "autoload.php")):
        print(f"SKIP variant {options.variant}: no PHP lab (autoload.php) at {options.php_lab!r}; "
              "lay one out with scripts/php-compat/setup.sh and pass --php-lab", flush=True)
        return 2
    hosts = Hosts(options)
    bed = Bed(hosts)
    wanted = [name for name in SCENARIOS if not options.only or name in options.only.split(",")]
    failures = 0
    started = time.monotonic()
    try:
        bed.start()
        print(f"variant {options.variant}: cluster up in {time.monotonic() - started:.1f}s: {', '.join(register_addresses())}", flush=True)
        for name in SCENARIOS:
            if name not in wanted and name not in ("client_ids",):
                continue
            began = time.monotonic()
            try:
                detail = getattr(bed, "scenario_" + name)()
                print(f"SCENARIO {name} PASS {detail} ({time.monotonic() - began:.1f}s)", flush=True)
            except Skipped as reason:
                print(f"SCENARIO {name} SKIP {reason}", flush=True)
            except (Failure, OSError, subprocess.SubprocessError) as error:
                failures += 1
                print(f"SCENARIO {name} FAIL {type(error).__name__}: {error}", flush=True)
                if name == "client_ids":
                    break
    except (Failure, OSError) as error:
        failures += 1
        print(f"SCENARIO startup FAIL {error}", flush=True)
    finally:
        hosts.stop_all()
    print(f"cluster scenarios: {failures} failed, {time.monotonic() - started:.1f}s", flush=True)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
