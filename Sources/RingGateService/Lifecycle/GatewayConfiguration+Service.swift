import RingGate
import RingGateCodecs
import RingGateRuntime

extension ServiceConfiguration {
    /// The gateway's layout and GatewayWorker settings; `configureListener` adds what the service
    /// layer does not know about (the demo page).
    public func gatewayConfiguration(
        configureListener: (inout ListenerConfiguration) -> Void = { _ in }
    ) throws -> GatewayConfiguration {
        var listeners: [ListenerConfiguration] = []
        for url in gateway.listen {
            var listener = try ListenerConfiguration(url: url)
            listener.maxPackageLength = gateway.maxPackageLength
            listener.sendQueueLimit = gateway.sendQueueLimit
            listener.webSocket.compliance = gateway.webSocketCompliance
            listener.webSocket.outgoingFrameType = gateway.webSocketFrameType
            listener.webSocket.workermanVersion = gateway.workermanVersion == 5 ? .workerman5 : .workerman4
            if listener.requiresTLS { listener.tls = tls.listenerConfiguration }
            configureListener(&listener)
            listeners.append(listener)
        }
        var configuration = GatewayConfiguration(listeners: listeners)
        if let shards = gateway.shards { configuration.shardCount = shards }
        configuration.threadCount = gateway.threads
        configuration.connectionsPerShard = gateway.connectionsPerShard
        configuration.slabBytesPerThread = gateway.slabMiB << 20
        configuration.useHugePages = gateway.hugePages == .auto
        configuration.hugetlbfsDirectory = gateway.hugetlbfs
        if let memoryMiB = gateway.memoryMiB {
            configuration.memoryBudgetBytes = memoryMiB == 0 ? nil : memoryMiB << 20
        }
        var upstream = try UpstreamConfiguration(lanIP: gateway.lanIP, startPort: gateway.startPort)
        upstream.registerAddresses = gateway.registerAddresses
        upstream.secretKey = gateway.secretKey
        upstream.pingIntervalNanoseconds = UInt64(gateway.pingInterval * 1e9)
        upstream.pingNotResponseLimit = gateway.pingNotResponseLimit
        upstream.pingData = Array(gateway.pingData.utf8)
        upstream.router = gateway.router
        upstream.innerConnectionLimit = gateway.innerConnectionsPerShard
        upstream.workerKeyLimit = gateway.workerKeysPerShard
        upstream.queryReplyLimit = gateway.queryReplyLimit
        upstream.unauthenticatedPacketLimit = gateway.innerAuthPacketLimit
        upstream.innerHandshakeTimeoutNanoseconds = UInt64(gateway.innerHandshakeSeconds * 1e9)
        upstream.innerCloseTimeoutNanoseconds = UInt64(gateway.innerCloseSeconds * 1e9)
        configuration.upstream = upstream
        return configuration
    }
}
