import Glibc
import RingGate
import RingGateCodecs
import RingGateRuntime
import TestSupport
import Testing

/// A worker's identity is `peerIP:name` (spec §5.2): two hosts' BusinessWorkers with the same name are
/// two workers, on kernels with the SO_PEERNAME uring command (Linux 6.7) and on older ones, where the
/// inner listener learns the peer from address-reporting accepts (forced here with
/// `forcePeerNameFallback`, the in-process form of RINGGATE_FORCE_PEERNAME_FALLBACK=1).
@Suite(.serialized) struct WorkerIdentityTests {
    @Test(arguments: [false, true])
    func sameNameFromTwoHostsAreTwoWorkers(forcedFallback: Bool) throws {
        try withWorkerGateway(
            listeners: ["text://127.0.0.1:0"],
            configure: { $0.upstream?.forcePeerNameFallback = forcedFallback }
        ) { server in
            let shards = server.innerAddresses.count
            let first = try TestWorker(addresses: server.innerAddresses, workerKey: "BW:0", source: "127.0.0.1")
            #expect(server.waitForUpstream { $0.workersRegistered == shards }, "\(server.totalUpstream())")
            let second = try TestWorker(addresses: server.innerAddresses, workerKey: "BW:0", source: "127.0.0.2")
            #expect(server.waitForUpstream { $0.workerRegistrations == UInt64(2 * shards) })
            #expect(server.waitForUpstream { $0.workersRegistered == 2 * shards })
            #expect(server.totalUpstream().workerReplacements == 0)

            // Both stay bound: clients go to both (least connections alternates between them).
            var seen: Set<ObjectIdentifier> = []
            var clients: [TestClient] = []
            for _ in 0..<8 {
                let client = try TestClient(port: server.port())
                clients.append(client)
                for worker in [first, second] {
                    if (try? worker.nextEvent(.onConnect, timeoutSeconds: 0.3)) != nil {
                        seen.insert(ObjectIdentifier(worker))
                    }
                }
                if seen.count == 2 { break }
            }
            #expect(seen.count == 2, "one of the two workers no longer receives clients")

            // The same name from the same host still replaces its predecessor (a restarted worker).
            let restarted = try TestWorker(addresses: server.innerAddresses, workerKey: "BW:0", source: "127.0.0.2")
            #expect(server.waitForUpstream { $0.workerReplacements == UInt64(shards) })
            #expect(server.totalUpstream().workersRegistered == 2 * shards)
            withExtendedLifetime((first, second, restarted, clients)) {}
        }
    }
}
