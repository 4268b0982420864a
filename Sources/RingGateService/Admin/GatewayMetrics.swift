import RingGate
import RingGateCodecs
import RingGateRuntime
import RingGateTLS

/// The `/metrics` page: every shard's counters, labelled by shard, gathered at scrape time.
enum GatewayMetrics {
    static func render(
        reports: [ShardReport], register: RegisterServer.Snapshot?, memory: StatusDocument.ProcessMemory,
        uptimeSeconds: Double, shuttingDown: Bool, admin: AdminServer.Counters? = nil,
        certificates: [(listener: String, certificate: TLSCertificateInfo)] = []
    ) -> String {
        var out = PrometheusText()
        if !certificates.isEmpty {
            out.family(
                "ringgate_tls_certificate_not_after_seconds", .gauge,
                help: "Expiry (notAfter) of each loaded TLS certificate, in seconds since the epoch.")
            for (listener, certificate) in certificates {
                out.sample(
                    "ringgate_tls_certificate_not_after_seconds",
                    [("listener", listener), ("certificate", certificate.chainPath), ("subject", certificate.subject)],
                    Double(certificate.notAfter))
            }
        }
        if let admin {
            out.family(
                "ringgate_admin_bad_requests_total", .counter, help: "Admin requests refused (400, 405, 431).")
            out.sample("ringgate_admin_bad_requests_total", admin.badRequests.load(ordering: .relaxed))
            out.family(
                "ringgate_admin_request_timeouts_total", .counter,
                help: "Admin connections closed without a complete request head within 5 s.")
            out.sample("ringgate_admin_request_timeouts_total", admin.timeouts.load(ordering: .relaxed))
            out.family(
                "ringgate_admin_connections_refused_total", .counter,
                help: "Admin connections closed at accept: 64 were already open.")
            out.sample("ringgate_admin_connections_refused_total", admin.refusedConnections.load(ordering: .relaxed))
        }
        out.family("ringgate_uptime_seconds", .gauge, help: "Seconds since the process started.")
        out.sample("ringgate_uptime_seconds", uptimeSeconds)
        out.family("ringgate_shutting_down", .gauge, help: "1 while a graceful shutdown drains the clients.")
        out.sample("ringgate_shutting_down", shuttingDown ? 1 : 0)
        out.family("ringgate_process_memory_bytes", .gauge, help: "Process memory from /proc/self/status.")
        out.sample("ringgate_process_memory_bytes", [("kind", "rss")], memory.rssBytes)
        out.sample("ringgate_process_memory_bytes", [("kind", "rss_anon")], memory.rssAnonBytes)
        out.sample("ringgate_process_memory_bytes", [("kind", "hugetlb")], memory.hugetlbBytes)
        out.family("ringgate_shards", .gauge, help: "Shards that answered this scrape.")
        out.sample("ringgate_shards", reports.count)

        func perShard(
            _ name: String, _ kind: PrometheusText.Kind, _ help: String, _ value: (ShardReport) -> Double
        ) {
            out.family(name, kind, help: help)
            for report in reports { out.sample(name, [("shard", "\(report.index)")], value(report)) }
        }
        func upstream(_ report: ShardReport) -> UpstreamCounters { report.counters.upstream ?? UpstreamCounters() }
        /// A family with a second label: one sample per shard and per `(value, figure)`.
        func byLabel(
            _ name: String, _ help: String, label: String, _ figures: [(String, (ShardReport) -> UInt64)]
        ) {
            out.family(name, .counter, help: help)
            for report in reports {
                for (value, figure) in figures {
                    out.sample(name, [("shard", "\(report.index)"), (label, value)], figure(report))
                }
            }
        }

        perShard("ringgate_connections", .gauge, "Client connections open.") { Double($0.counters.liveConnections) }
        perShard("ringgate_accepts_total", .counter, "Client connections accepted.") { Double($0.counters.accepted) }
        perShard("ringgate_accept_errors_total", .counter, "Failed accepts.") { Double($0.counters.acceptErrors) }
        byLabel(
            "ringgate_closes_total", "Client connections closed, by reason.", label: "reason",
            ShardCounters.CloseReason.allCases.map { reason in
                (reason.rawValue, { $0.counters.closes[reason, default: 0] })
            })
        byLabel(
            "ringgate_messages_total", "Client messages, by direction.", label: "direction",
            [("in", { $0.counters.messagesIn }), ("out", { $0.counters.messagesOut })])
        byLabel(
            "ringgate_bytes_total", "Client payload bytes, by direction.", label: "direction",
            [("in", { $0.counters.bytesIn }), ("out", { $0.counters.bytesOut })])
        perShard("ringgate_send_queue_drops_total", .counter, "Messages dropped: the client's send queue was full.") {
            Double($0.counters.sendQueueDrops)
        }
        perShard(
            "ringgate_coalesced_messages_total", .counter,
            "Client messages that left in one send together with others queued behind the same send."
        ) { Double($0.counters.coalescedMessages) }
        perShard(
            "ringgate_held_messages_discarded_total", .counter,
            "Messages queued for a WebSocket client whose handshake then failed, discarded unsent."
        ) { Double($0.counters.heldMessagesDiscarded) }
        byLabel(
            "ringgate_bad_input_total", "Client connections closed for bad input, by kind.", label: "kind",
            ProtocolError.Kind.allCases.map { kind in (kind.rawValue, { $0.counters.badInput[kind, default: 0] }) })
        byLabel(
            "ringgate_http_responses_total", "Plain HTTP requests answered on WebSocket listeners.", label: "code",
            [
                ("200", { $0.counters.httpPagesServed }), ("404", { $0.counters.httpNotFound }),
                ("405", { $0.counters.httpMethodNotAllowed }),
            ])
        perShard("ringgate_tls_handshakes_total", .counter, "TLS handshakes completed.") {
            Double($0.counters.tlsHandshakesCompleted)
        }
        byLabel(
            "ringgate_tls_handshake_failures_total", "TLS handshakes that failed, by reason.", label: "reason",
            TLSHandshakeFailure.allCases.map { reason in
                (reason.rawValue, { $0.counters.tlsHandshakeFailures[reason, default: 0] })
            })
        perShard(
            "ringgate_tls_record_failures_total", .counter,
            "Established TLS connections closed for a record that failed to decrypt or parse."
        ) { Double($0.counters.tlsRecordFailures) }
        byLabel(
            "ringgate_takeovers_total", "Live takeovers (ringgate upgrade) of this shard, by outcome.",
            label: "outcome",
            [
                ("started", { $0.counters.takeoversStarted }), ("completed", { $0.counters.takeoversCompleted }),
                ("abandoned", { $0.counters.takeoversFailed }),
            ])
        byLabel(
            "ringgate_takeover_clients_total",
            "Clients moved by live takeovers: handed over (old process), adopted (new).",
            label: "direction",
            [("handed_over", { $0.counters.takeoverHandedOver }), ("adopted", { $0.counters.takeoverAdopted })])
        perShard("ringgate_receive_buffer_exhaustions_total", .counter, "Receives that found the buffer ring empty.") {
            Double($0.counters.receiveBufferExhaustions)
        }
        perShard(
            "ringgate_memory_refusals_total", .counter,
            "Client connections closed because memory for their bytes was refused."
        ) { Double($0.counters.memoryRefusals) }
        perShard(
            "ringgate_memory_budget_closes_total", .counter,
            "Client connections closed because their message would have crossed the memory budget."
        ) { Double($0.counters.memoryBudgetCloses) }
        perShard(
            "ringgate_memory_budget_refused_accepts_total", .counter,
            "Client connections closed at accept because the shard was near its memory budget."
        ) { Double($0.counters.memoryRefusedAccepts) }
        perShard(
            "ringgate_unexpected_completions_total", .counter,
            "Completions that matched no operation in flight (ignored, logged as errors)."
        ) { Double($0.counters.unexpectedCompletions) }
        perShard(
            "ringgate_ring_submit_refusals_total", .counter,
            "io_uring submits refused (EAGAIN/ENOMEM/EBUSY) and retried next turn."
        ) { Double($0.counters.submitRefusals) }
        perShard("ringgate_fanout_deliveries_total", .counter, "Messages delivered to clients by worker sends.") {
            Double(upstream($0).deliveries)
        }
        perShard("ringgate_fanouts_total", .counter, "Multicast sends (sendToAll, groups, uids).") {
            Double(upstream($0).fanOuts)
        }
        perShard("ringgate_worker_connections", .gauge, "Workers registered with this shard.") {
            Double(upstream($0).workersRegistered)
        }
        perShard("ringgate_inner_connections", .gauge, "Inner connections open (workers and GatewayClient).") {
            Double(upstream($0).innerOpen)
        }
        perShard("ringgate_worker_registrations_total", .counter, "Worker registrations.") {
            Double(upstream($0).workerRegistrations)
        }
        perShard("ringgate_worker_rebinds_total", .counter, "Clients rebound to another worker after theirs left.") {
            Double(upstream($0).rebinds)
        }
        perShard("ringgate_events_forwarded_total", .counter, "Client events written to workers.") {
            Double(upstream($0).eventsForwarded)
        }
        byLabel(
            "ringgate_events_dropped_total", "Client events not delivered to a worker, by reason.", label: "reason",
            [
                ("no_worker", { upstream($0).eventsWithoutWorker }),
                ("worker_busy", { upstream($0).eventsDroppedWorkerBusy }),
                ("too_large", { upstream($0).eventsTooLarge }),
            ])
        byLabel(
            "ringgate_takeover_events_total",
            "Client events held for a worker during a live takeover: buffered, or dropped (buffer full).",
            label: "outcome",
            [
                ("buffered", { upstream($0).takeoverEventsBuffered }),
                ("dropped", { upstream($0).takeoverEventsDropped }),
            ])
        byLabel(
            "ringgate_worker_bad_input_total", "Bad input from workers, by kind.", label: "kind",
            [
                ("malformed_packet", { upstream($0).malformedPackets }),
                ("unknown_command", { upstream($0).unknownCommands }),
                ("auth_failure", { upstream($0).authenticationFailures }),
                ("unauthorised", { upstream($0).unauthorisedRequests }),
            ])
        perShard("ringgate_worker_keys", .gauge, "Worker keys known (live, or kept for clients bound to them).") {
            Double(upstream($0).workerKeys)
        }
        byLabel(
            "ringgate_inner_closes_total", "Inner connections closed by a gateway limit, by reason.", label: "reason",
            [
                ("worker_keys_full", { upstream($0).workerKeysRefused }),
                ("handshake_timeout", { upstream($0).innerHandshakeTimeouts }),
                ("evicted_unauthenticated", { upstream($0).innerEvictions }),
                ("close_timeout", { upstream($0).innerCloseTimeouts }),
                ("reply_too_large", { upstream($0).queryRepliesTooLarge }),
                ("replies_unread", { upstream($0).queryReplyBacklogCloses }),
            ])
        perShard("ringgate_inner_accept_failures_total", .counter, "Inner accepts the kernel failed.") {
            Double(upstream($0).innerAcceptFailures)
        }
        perShard(
            "ringgate_multicast_repeats_collapsed_total", .counter,
            "Multicasts listing a uid, group or connection twice, delivered once (deviation from PHP)."
        ) {
            Double(upstream($0).multicastRepeatsCollapsed)
        }
        perShard(
            "ringgate_inner_slot_mismatches_total", .counter,
            "Inner completions or accepts that did not match their slot's connection (ignored or reconciled)."
        ) {
            Double(upstream($0).innerSlotMismatches)
        }
        perShard(
            "ringgate_inner_output_allocation_failures_total", .counter,
            "Inner links closed because memory for their output was refused."
        ) { Double(upstream($0).innerOutputAllocationFailures) }
        perShard("ringgate_register_connected", .gauge, "Register links connected.") {
            Double(upstream($0).registerConnected)
        }
        perShard("ringgate_register_connects_total", .counter, "Successful registrations with a Register.") {
            Double(upstream($0).registerConnects)
        }
        perShard("ringgate_register_failures_total", .counter, "Failed or lost Register links.") {
            Double(upstream($0).registerFailures)
        }
        perShard(
            "ringgate_register_unexpected_bytes_total", .counter,
            "Bytes a Register sent to the gateway, which it never should (dropped; 10 MiB without a newline closes)."
        ) { Double(upstream($0).registerUnexpectedBytes) }
        out.family("ringgate_slab_bytes", .gauge, help: "Receive-buffer slab size, by backing.")
        for report in reports {
            out.sample(
                "ringgate_slab_bytes",
                [("shard", "\(report.index)"), ("backing", report.hugePages ? "huge_pages" : "normal_pages")],
                report.slabBytes)
        }
        perShard("ringgate_slab_bytes_in_use", .gauge, "Slab bytes held by queued output chunks.") {
            Double($0.slabBytesInUse)
        }
        perShard("ringgate_heap_chunk_bytes_in_use", .gauge, "Output chunk bytes that did not fit the slab.") {
            Double($0.heapBytesInUse)
        }
        perShard(
            "ringgate_completion_queue_overflows_total", .counter,
            "Loop turns that found a completion queue overflowed."
        ) {
            Double($0.completionOverflowTurns)
        }
        perShard("ringgate_completions_dropped_total", .counter, "Completions the kernel dropped.") {
            Double($0.droppedCompletions)
        }
        perShard(
            "ringgate_chunk_allocation_failures_total", .counter,
            "Chunk allocations the heap refused (the message dropped or the client closed)."
        ) { Double($0.chunkAllocationFailures) }
        out.family("ringgate_loop_turn_seconds", .histogram, help: "Time a shard loop turn works (not waiting).")
        let bounds = TurnLatencyHistogram.upperBoundsNanoseconds.map { Double($0) / 1e9 }
        for report in reports {
            out.histogram(
                "ringgate_loop_turn_seconds", [("shard", "\(report.index)")], upperBounds: bounds,
                counts: report.turnLatency.counts, sum: Double(report.turnLatency.totalNanoseconds) / 1e9)
        }
        if let register {
            out.family("ringgate_register_service_connections", .gauge, help: "Built-in Register: connections open.")
            out.sample("ringgate_register_service_connections", register.connections)
            out.family("ringgate_register_service_gateways", .gauge, help: "Built-in Register: gateways registered.")
            out.sample("ringgate_register_service_gateways", register.gatewaysRegistered)
            out.family("ringgate_register_service_workers", .gauge, help: "Built-in Register: workers connected.")
            out.sample("ringgate_register_service_workers", register.workersConnected)
            out.family("ringgate_register_service_bad_input_total", .counter, help: "Built-in Register: bad input.")
            out.sample("ringgate_register_service_bad_input_total", [("kind", "bad_request")], register.badRequests)
            out.sample("ringgate_register_service_bad_input_total", [("kind", "auth_failure")], register.authFailures)
            let registry = register.registry
            for (kind, count) in [
                ("auth_timeout", registry.authTimeouts), ("invalid_message", registry.invalidMessages),
                ("line_too_long", registry.oversizedLines), ("address_too_long", registry.oversizedAddresses),
                ("too_many_gateways", registry.gatewayLimitRefusals),
                ("too_many_address_changes", registry.addressChangeLimitCloses),
            ] {
                out.sample("ringgate_register_service_bad_input_total", [("kind", kind)], count)
            }
            out.family(
                "ringgate_register_service_closed_total", .counter,
                help: "Built-in Register: connections closed by a limit.")
            for (reason, count) in [
                ("refused", register.connectionsRefused), ("evicted_unauthenticated", register.connectionsEvicted),
                ("output_overflow", register.outputOverflows), ("close_flush_timeout", register.closeFlushTimeouts),
            ] {
                out.sample("ringgate_register_service_closed_total", [("reason", reason)], count)
            }
            out.family(
                "ringgate_register_service_broadcasts_total", .counter,
                help: "Built-in Register: broadcast_addresses lines queued to workers.")
            out.sample("ringgate_register_service_broadcasts_total", registry.broadcastsSent)
            out.family(
                "ringgate_register_service_internal_errors_total", .counter,
                help: "Built-in Register: caller bugs handled without crashing (reused connection ids).")
            out.sample("ringgate_register_service_internal_errors_total", registry.reusedConnectionIDs)
        }
        return out.text
    }
}
