import BenchmarkReport
import Foundation
import Glibc
import RingGateTLS

/// Native TLS against the anchor users pick today, in the same run: `ringgate echo wss://…` (TLS in the
/// shard) and Debian's nginx terminating TLS in front of the same process's plain `websocket://`
/// listener (config generated here, nginx started and stopped here). Measured the same way for both:
/// user memory (RssAnon of every server process) per idle connection, TLS 1.3 handshakes per server
/// CPU-second (ECDSA P-256 and RSA-2048 certificates, chosen by SNI), and wss echo messages per server
/// CPU-second. Clients are blocking RingGateTLS sessions in this process (not counted). Certificates and
/// keys are made with the openssl CLI in the results folder and deleted at the end.
struct TLSScenario {
    var idleConnections = 10_000
    var handshakes = 2_000
    var echoConnections = 100
    var echoSeconds = 5.0
    var nginx = true

    struct Setup {
        var name: String
        var port: UInt16
        var pids: () -> [Int32]
    }

    struct Row {
        var setup: String
        var idleBytesPerConnection = 0.0
        var idleConnections = 0
        var handshakesPerCPUSecond: [String: Double] = [:]
        var echoPerCPUSecond = 0.0
        var echoMessages = 0
    }

    func run(settings: RunSettings) throws {
        let folder = settings.resultsFolder.appendingPathComponent("tls")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { _ = shell("rm -f '\(folder.path)'/*.key") }
        let ecdsa = try makeCertificate(
            folder.path, name: "ecdsa", commonName: "localhost", key: "ec -pkeyopt ec_paramgen_curve:P-256")
        let rsa = try makeCertificate(folder.path, name: "rsa", commonName: "rsa.localhost", key: "rsa:2048")
        let wss = settings.port()
        let plain = settings.port()
        let gateway = try ChildProcess(
            name: "ringgate echo (tls)",
            arguments: [
                settings.ringgatePath, "echo", "wss://127.0.0.1:\(wss)", "websocket://127.0.0.1:\(plain)",
                "--shards", "\(settings.gatewayCPUs.count)", "--log-level", "warning",
                "--tls-certificate", ecdsa.chain, "--tls-private-key", ecdsa.key,
                "--tls-sni-certificate", "\(rsa.chain):\(rsa.key)",
            ], logPath: settings.logPath("ringgate-echo-tls"), cpus: settings.gatewayCPUs)
        defer { gateway.stop() }
        try waitForPort(wss)
        var setups = [Setup(name: "RingGate wss (native TLS)", port: wss, pids: { [gateway.pid] })]
        var proxy: ChildProcess?
        if nginx {
            if let started = try startNginx(
                settings: settings, folder: folder.path, upstream: plain, ecdsa: ecdsa, rsa: rsa)
            {
                proxy = started.process
                let master = started.process.pid
                setups.append(
                    Setup(
                        name: "nginx TLS → RingGate ws", port: started.port,
                        pids: { [gateway.pid, master] + children(of: master) }))
            } else {
                settings.results.notes.append("tls: nginx not installed (apt-get install -y nginx): no nginx rows")
            }
        }
        defer { proxy?.stop() }
        var rows: [Row] = []
        for setup in setups {
            var row = Row(setup: setup.name)
            settings.progress.note("tls: \(setup.name): idle \(idleConnections)")
            (row.idleBytesPerConnection, row.idleConnections) = try idle(setup)
            for (label, name) in [("ECDSA P-256", "localhost"), ("RSA-2048", "rsa.localhost")] {
                settings.progress.note("tls: \(setup.name): \(handshakes) TLS 1.3 handshakes, \(label)")
                row.handshakesPerCPUSecond[label] = try handshakeRate(setup, serverName: name)
            }
            settings.progress.note("tls: \(setup.name): wss echo, \(echoConnections) connections")
            (row.echoPerCPUSecond, row.echoMessages) = try echo(setup)
            rows.append(row)
        }
        settings.progress.note("tls: OpenSSL heap per server session, 1000 in-process handshakes")
        let openSSL = try openSSLBytesPerSession(chain: ecdsa.chain, key: ecdsa.key, count: 1_000)
        var report = markdown(rows, settings: settings)
        report += "\nOpenSSL alone (in this process, 1,000 TLS 1.3 handshakes over memory with the ECDSA certificate, "
        report += "client sessions freed): heap in use per established server session, SSL_MODE_RELEASE_BUFFERS, "
        report += "mallinfo2 `uordblks` growth: \(openSSL) B.\n"
        try report.write(to: settings.resultsFolder.appendingPathComponent("tls.md"), atomically: true, encoding: .utf8)
        print(report)
        settings.results.notes.append("tls: see tls.md")
    }

    // MARK: Measurements

    func userMemoryKB(_ pids: [Int32]) -> Int {
        pids.compactMap { ProcessMemory.read(pid: $0)?.rssAnonKB }.reduce(0, +)
    }

    func idle(_ setup: Setup) throws -> (Double, Int) {
        let context = try TLSContext(clientTrusting: nil, minimumVersion: .tls13)
        let pipe = TLSPipe()
        Heap.settle()
        let before = userMemoryKB(setup.pids())
        var clients: [TLSBenchClient] = []
        clients.reserveCapacity(idleConnections)
        for _ in 0..<idleConnections {
            let client = try TLSBenchClient(port: setup.port, context: context, pipe: pipe)
            try client.upgrade()
            try client.echo(Array("idle".utf8))
            clients.append(client)
        }
        // Held a moment, then every connection is checked again: what is counted is what stays open.
        sleep(2)
        for client in clients { try client.echo(Array("still".utf8)) }
        let after = userMemoryKB(setup.pids())
        let perConnection = Double(after - before) * 1024 / Double(clients.count)
        clients.removeAll()
        sleep(1)
        return (perConnection, idleConnections)
    }

    func handshakeRate(_ setup: Setup, serverName: String) throws -> Double {
        let context = try TLSContext(clientTrusting: nil, minimumVersion: .tls13)
        let pipe = TLSPipe()
        let expected = serverName == "localhost" ? "CN=localhost" : "CN=rsa.localhost"
        let probe = try TLSBenchClient(port: setup.port, context: context, pipe: pipe, serverName: serverName)
        guard probe.session.peerSubject.contains(expected) else {
            throw BenchmarkFailure("\(setup.name) served \(probe.session.peerSubject) for \(serverName)")
        }
        let pids = setup.pids()
        let before = ProcessCPU.seconds(pids: pids)
        for _ in 0..<handshakes {
            _ = try TLSBenchClient(port: setup.port, context: context, pipe: pipe, serverName: serverName)
        }
        let used = ProcessCPU.seconds(pids: pids) - before
        return Double(handshakes) / max(used, 1e-9)
    }

    func echo(_ setup: Setup) throws -> (Double, Int) {
        let context = try TLSContext(clientTrusting: nil, minimumVersion: .tls13)
        let pipe = TLSPipe()
        var clients: [TLSBenchClient] = []
        for _ in 0..<echoConnections {
            let client = try TLSBenchClient(port: setup.port, context: context, pipe: pipe)
            try client.upgrade()
            clients.append(client)
        }
        let payload = [UInt8](repeating: 0x6D, count: 64)
        let pids = setup.pids()
        let before = ProcessCPU.seconds(pids: pids)
        let start = Date()
        var messages = 0
        while Date().timeIntervalSince(start) < echoSeconds {
            for client in clients { try client.echo(payload) }
            messages += clients.count
        }
        let used = ProcessCPU.seconds(pids: pids) - before
        return (Double(messages) / max(used, 1e-9), messages)
    }

    /// Heap bytes (glibc `uordblks`) each established, idle server session keeps: handshakes between
    /// server and client sessions in this process, the clients freed, the servers kept.
    func openSSLBytesPerSession(chain: String, key: String, count: Int) throws -> Int {
        let server = try TLSContext(server: TLSConfiguration(certificateChainPath: chain, privateKeyPath: key))
        let client = try TLSContext(clientTrusting: nil, minimumVersion: .tls13)
        let serverPipe = TLSPipe()
        let clientPipe = TLSPipe()
        func flight(_ bytes: [UInt8], into session: TLSSession, pipe: TLSPipe) -> [UInt8] {
            var out: [UInt8] = []
            _ = session.receive(
                bytes.span, pipe: pipe, output: { out += TLSBenchClient.bytes($0) }, handshakeCompleted: {},
                plaintext: { _ in true })
            return out
        }
        let before = TLSHeap.bytesInUse
        var kept: [TLSSession] = []
        kept.reserveCapacity(count)
        for _ in 0..<count {
            guard let serverSession = TLSSession(context: server, pipe: serverPipe),
                let clientSession = TLSSession(context: client, pipe: clientPipe, serverName: "localhost")
            else { throw BenchmarkFailure("no TLS session") }
            var toServer: [UInt8] = []
            _ = clientSession.start(pipe: clientPipe) { toServer += TLSBenchClient.bytes($0) }
            for _ in 0..<4 where !(serverSession.isHandshakeComplete && clientSession.isHandshakeComplete) {
                let toClient = flight(toServer, into: serverSession, pipe: serverPipe)
                toServer = flight(toClient, into: clientSession, pipe: clientPipe)
            }
            guard serverSession.isHandshakeComplete else { throw BenchmarkFailure("in-memory handshake failed") }
            kept.append(serverSession)
        }
        let after = TLSHeap.bytesInUse
        let perSession = (after - before) / count
        kept.removeAll()
        return perSession
    }

    // MARK: Set-up

    func makeCertificate(_ folder: String, name: String, commonName: String, key: String) throws -> (
        chain: String, key: String
    ) {
        let status = shell(
            "cd '\(folder)' && openssl req -x509 -newkey \(key) -nodes -keyout \(name).key -out \(name).pem -days 2"
                + " -subj /CN=\(commonName) -addext subjectAltName=DNS:\(commonName) >/dev/null 2>&1")
        guard status == 0 else { throw BenchmarkFailure("openssl could not make the \(name) certificate") }
        return ("\(folder)/\(name).pem", "\(folder)/\(name).key")
    }

    /// Workers enough that each stays under RLIMIT_NOFILE with two descriptors per client (client and
    /// upstream): a process here cannot raise its limit past the hard 20,000; `reuseport` spreads clients.
    var nginxWorkers: Int { max(2, (idleConnections * 2 + 15_000) / 15_000) }
    var nginxFiles: Int {
        var limit = rlimit()
        getrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &limit)
        return Int(limit.rlim_max)
    }

    /// nginx on the gateway CPUs (workers: `nginxWorkers`), TLS 1.3 with the same two certificates (by server
    /// name), proxying WebSocket upgrades to `upstream`; nil when nginx is not installed.
    func startNginx(
        settings: RunSettings, folder: String, upstream: UInt16, ecdsa: (chain: String, key: String),
        rsa: (chain: String, key: String)
    ) throws -> (process: ChildProcess, port: UInt16)? {
        guard FileManager.default.isExecutableFile(atPath: "/usr/sbin/nginx") else { return nil }
        let port = settings.port()
        func server(_ name: String, _ files: (chain: String, key: String), isDefault: Bool) -> String {
            """
                server {
                    listen 127.0.0.1:\(port) ssl\(isDefault ? " default_server reuseport" : "");
                    server_name \(name);
                    ssl_certificate \(files.chain);
                    ssl_certificate_key \(files.key);
                    ssl_protocols TLSv1.2 TLSv1.3;
                    ssl_session_cache off;
                    location / {
                        proxy_pass http://127.0.0.1:\(upstream);
                        proxy_http_version 1.1;
                        proxy_set_header Upgrade $http_upgrade;
                        proxy_set_header Connection "upgrade";
                        proxy_read_timeout 3600s;
                    }
                }

            """
        }
        let configuration = """
            worker_processes \(nginxWorkers);
            worker_rlimit_nofile \(nginxFiles);
            pid \(folder)/nginx.pid;
            error_log \(folder)/nginx-error.log warn;
            events { worker_connections \(nginxFiles); }
            http {
                access_log off;
            \(server("localhost", ecdsa, isDefault: true))\(server("rsa.localhost", rsa, isDefault: false))}

            """
        let path = "\(folder)/nginx.conf"
        try configuration.write(toFile: path, atomically: true, encoding: .utf8)
        let process = try ChildProcess(
            name: "nginx", arguments: ["/usr/sbin/nginx", "-p", folder, "-c", path, "-g", "daemon off;"],
            logPath: settings.logPath("nginx"), cpus: settings.gatewayCPUs)
        try waitForPort(port)
        return (process, port)
    }

    func waitForPort(_ port: UInt16) throws {
        for _ in 0..<100 {
            if !LoopbackPort.isFree(port) { return }
            usleep(100_000)
        }
        throw BenchmarkFailure("nothing listening on 127.0.0.1:\(port) after 10 s")
    }

    func markdown(_ rows: [Row], settings: RunSettings) -> String {
        var text = "## TLS (wss) — native vs nginx in front of the plain listener\n\n"
        text += "Server CPUs: \(settings.gatewayCPUs); user memory = RssAnon growth of every server process "
        text += "(RingGate; nginx master + workers too in the nginx rows). Clients: blocking RingGateTLS sessions "
        text += "in the benchmark process, TLS 1.3.\n\n"
        text +=
            "| setup | idle connections | user memory per idle connection | TLS 1.3 handshakes per server CPU-s (ECDSA P-256) | (RSA-2048) | wss echo messages per server CPU-s (64 B, \(echoConnections) connections) |\n"
        text += "|---|---:|---:|---:|---:|---:|\n"
        for row in rows {
            text += "| \(row.setup) | \(row.idleConnections) | \(Int(row.idleBytesPerConnection.rounded())) B |"
            text +=
                " \(Int(row.handshakesPerCPUSecond["ECDSA P-256"] ?? 0)) | \(Int(row.handshakesPerCPUSecond["RSA-2048"] ?? 0)) |"
            text += " \(Int(row.echoPerCPUSecond)) (\(row.echoMessages) messages) |\n"
        }
        if rows.count == 2 {
            let native = rows[0]
            let proxied = rows[1]
            text += "\nNative/nginx: memory per idle connection "
            text += String(format: "%.2f", native.idleBytesPerConnection / max(proxied.idleBytesPerConnection, 1))
            text += "×, echo messages per CPU-second "
            text += String(format: "%.2f", native.echoPerCPUSecond / max(proxied.echoPerCPUSecond, 1)) + "×.\n"
        }
        return text
    }
}

/// Child pids of `pid` (nginx's workers).
func children(of pid: Int32) -> [Int32] {
    let text = (try? String(contentsOfFile: "/proc/\(pid)/task/\(pid)/children", encoding: .utf8)) ?? ""
    return text.split(separator: " ").compactMap { Int32($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
}

func shell(_ command: String) -> Int32 {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/bin/sh")
    process.arguments = ["-c", command]
    do { try process.run() } catch { return -1 }
    process.waitUntilExit()
    return process.terminationStatus
}

enum Heap {
    /// A moment for the server to settle after the previous measurement.
    static func settle() { usleep(500_000) }
}
