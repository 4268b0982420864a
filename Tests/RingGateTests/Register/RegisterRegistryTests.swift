import RingGateCodecs
import Testing

@testable import RingGate

/// The Register state machine driven with plain values (spec §6): no sockets, an injected clock.
@Suite struct RegisterRegistryTests {
    typealias Lines = RegisterTestLines
    typealias Action = RegisterRegistry.Action

    let t0 = ContinuousClock.now

    func id(_ raw: UInt64) -> RegisterRegistry.ConnectionID { .init(raw) }

    func registry(secret: String = "", maxLineLength: Int = 65_536) -> RegisterRegistry {
        RegisterRegistry(configuration: .init(secretKey: secret, maxLineLength: maxLineLength))
    }

    // MARK: Registration and broadcasts

    /// A worker gets the list at once and after each gateway change; PHP-format lines, byte-exact replies.
    @Test func workerReceivesTheListNowAndAfterEveryChange() {
        var register = registry()
        register.connectionOpened(id(1), peerIP: "127.0.0.1", now: t0)
        #expect(
            register.receive(Lines.phpWorkerConnect(), from: 1)
                == [.workerConnected(id(1)), .send(Lines.broadcast([]), to: id(1))])

        register.connectionOpened(id(2), peerIP: "127.0.0.1", now: t0)
        #expect(
            register.receive(Lines.phpGatewayConnect("127.0.0.1:2900"), from: 2)
                == [
                    .gatewayRegistered(id(2), address: "127.0.0.1:2900"),
                    .send(Lines.broadcast(["127.0.0.1:2900"]), to: id(1)),
                ])
        // §10.2, byte for byte.
        #expect(
            Lines.broadcast(["127.0.0.1:2900"])
                == Array((#"{"event":"broadcast_addresses","addresses":["127.0.0.1:2900"]}"# + "\n").utf8))

        register.connectionOpened(id(3), peerIP: "10.0.0.1", now: t0)
        #expect(
            register.receive(Lines.phpGatewayConnect("10.0.0.1:2900"), from: 3)
                == [
                    .gatewayRegistered(id(3), address: "10.0.0.1:2900"),
                    .send(Lines.broadcast(["127.0.0.1:2900", "10.0.0.1:2900"]), to: id(1)),
                ])

        // A second worker (or a GatewayClient lookup) gets the current list.
        register.connectionOpened(id(4), peerIP: "127.0.0.1", now: t0)
        #expect(
            register.receive(Lines.phpWorkerConnect(), from: 4)
                == [.workerConnected(id(4)), .send(Lines.broadcast(["127.0.0.1:2900", "10.0.0.1:2900"]), to: id(4))])

        // A gateway leaves: both workers are told.
        #expect(
            register.closed(id(2))
                == [
                    .gatewayUnregistered(id(2), address: "127.0.0.1:2900"),
                    .send(Lines.broadcast(["10.0.0.1:2900"]), to: id(1)),
                    .send(Lines.broadcast(["10.0.0.1:2900"]), to: id(4)),
                ])
        #expect(register.gatewayCount == 1)
        #expect(register.workerCount == 2)
        #expect(register.counters.gatewayRegistrations == 2)
        #expect(register.counters.workerConnects == 2)
        #expect(register.counters.broadcastsSent == 6)
    }

    /// §10.2: a duplicate registration in the middle makes PHP's `array_unique` keep keys 0, 1, 3, and
    /// `json_encode` write an object. Closing the duplicate's connection turns it back into a list.
    @Test func duplicateInTheMiddleBroadcastsAnObject() {
        var register = registry()
        register.connectionOpened(id(1), peerIP: "127.0.0.1", now: t0)
        _ = register.receive(Lines.phpWorkerConnect(), from: 1)
        for (raw, address) in [
            (2, "127.0.0.1:2900"), (3, "10.0.0.1:2900"), (4, "127.0.0.1:2900"), (5, "10.0.0.2:2900"),
        ] {
            register.connectionOpened(id(UInt64(raw)), peerIP: "127.0.0.1", now: t0)
            _ = register.receive(Lines.phpGatewayConnect(address), from: UInt64(raw))
        }
        register.connectionOpened(id(6), peerIP: "127.0.0.1", now: t0)
        #expect(
            register.receive(Lines.phpWorkerConnect(), from: 6)
                == [.workerConnected(id(6)), .send(Lines.objectFormBroadcast, to: id(6))])
        #expect(register.addresses.entries.map(\.key) == [0, 1, 3])

        // The duplicate leaves: the list is unchanged in content, yet PHP broadcasts it (as a list now).
        let list = Lines.broadcast(["127.0.0.1:2900", "10.0.0.1:2900", "10.0.0.2:2900"])
        #expect(
            register.closed(id(4))
                == [
                    .gatewayUnregistered(id(4), address: "127.0.0.1:2900"),
                    .send(list, to: id(1)), .send(list, to: id(6)),
                ])

        // The first of two equal addresses leaving keeps the address, now at the later key.
        register.connectionOpened(id(7), peerIP: "127.0.0.1", now: t0)
        _ = register.receive(Lines.phpGatewayConnect("127.0.0.1:2900"), from: 7)
        _ = register.connectionClosed(id(2))
        #expect(register.addresses.addresses == ["10.0.0.1:2900", "10.0.0.2:2900", "127.0.0.1:2900"])
        #expect(register.addresses.isList)
    }

    /// A connection registering again keeps its place (PHP assigns to the existing array key); a
    /// repeat of the same address changes nothing and broadcasts nothing (PHP broadcasts it again).
    @Test func reRegistrationKeepsItsPlace() {
        var register = registry()
        register.connectionOpened(id(1), peerIP: "127.0.0.1", now: t0)
        _ = register.receive(Lines.phpWorkerConnect(), from: 1)
        register.connectionOpened(id(2), peerIP: "127.0.0.1", now: t0)
        register.connectionOpened(id(3), peerIP: "127.0.0.1", now: t0)
        _ = register.receive(Lines.phpGatewayConnect("a:1"), from: 2)
        _ = register.receive(Lines.phpGatewayConnect("b:2"), from: 3)
        #expect(
            register.receive(Lines.phpGatewayConnect("c:3"), from: 2)
                == [.gatewayRegistered(id(2), address: "c:3"), .send(Lines.broadcast(["c:3", "b:2"]), to: id(1))])
        #expect(register.receive(Lines.phpGatewayConnect("b:2"), from: 3) == [])
        #expect(register.counters.gatewayRegistrations == 4)
        #expect(register.gatewayCount == 2)
    }

    /// One connection may be both: it is listed, and it receives the broadcast of its own registration.
    @Test func aConnectionCanBeGatewayAndWorker() {
        var register = registry()
        register.connectionOpened(id(1), peerIP: "127.0.0.1", now: t0)
        _ = register.receive(Lines.phpWorkerConnect(), from: 1)
        #expect(
            register.receive(Lines.phpGatewayConnect("a:1"), from: 1)
                == [.gatewayRegistered(id(1), address: "a:1"), .send(Lines.broadcast(["a:1"]), to: id(1))])
        #expect(register.closed(id(1)) == [.gatewayUnregistered(id(1), address: "a:1")])
        #expect(register.workerCount == 0)
        #expect(register.connectionCount == 0)
    }

    /// Closing connections get no broadcast (workerman refuses sends while closing); a closing gateway
    /// stays listed until its close is reported.
    @Test func closingConnectionsGetNoBroadcasts() {
        var register = registry()
        register.connectionOpened(id(1), peerIP: "127.0.0.1", now: t0)
        register.connectionOpened(id(2), peerIP: "127.0.0.1", now: t0)
        register.connectionOpened(id(3), peerIP: "127.0.0.1", now: t0)
        _ = register.receive(Lines.phpWorkerConnect(), from: 1)
        _ = register.receive(Lines.phpWorkerConnect(), from: 2)
        _ = register.receive(Lines.phpGatewayConnect("a:1"), from: 3)
        #expect(
            register.receive(#"{"event":"nope"}"# + "\n", from: 2) == [.close(id(2), reason: .unknownEvent("nope"))])
        #expect(
            register.receive(#"{"event":"nope"}"# + "\n", from: 3) == [.close(id(3), reason: .unknownEvent("nope"))])
        #expect(register.addresses == ["a:1"])
        #expect(
            register.closed(id(3))
                == [.gatewayUnregistered(id(3), address: "a:1"), .send(Lines.broadcast([]), to: id(1))])
        #expect(register.connectionClosed(id(2)) == [])
        #expect(register.connectionClosed(id(2)) == [])  // reported twice: ignored
    }

    // MARK: Refusals

    @Test func gatewayWithoutAddressIsClosedSilently() {
        for line in [
            #"{"event":"gateway_connect","secret_key":""}"#,
            #"{"event":"gateway_connect", "address":"", "secret_key":""}"#,
            #"{"event":"gateway_connect","address":"0"}"#, #"{"event":"gateway_connect","address":null}"#,
        ] {
            var register = registry()
            register.connectionOpened(id(1), peerIP: "127.0.0.1", now: t0)
            register.connectionOpened(id(2), peerIP: "127.0.0.1", now: t0)
            _ = register.receive(Lines.phpWorkerConnect(), from: 2)
            #expect(register.receive(line + "\n", from: 1) == [.close(id(1), reason: .missingAddress)], "\(line)")
            #expect(register.gatewayCount == 0)
            #expect(register.counters.invalidMessages == 1)
        }
    }

    /// Wrong secret: log and close, no reply, no broadcast. Missing and `null` secrets are `""`.
    @Test func secretMismatchClosesWithoutReply() {
        var register = registry(secret: "sek")
        register.connectionOpened(id(1), peerIP: "127.0.0.1", now: t0)
        _ = register.receive(Lines.phpWorkerConnect(secret: "sek"), from: 1)
        for (raw, line) in [
            (2, Lines.phpGatewayConnect("a:1", secret: "bad")),
            (3, Lines.phpGatewayConnect("a:1")),
            (4, #"{"event":"gateway_connect","address":"a:1"}"# + "\n"),
            (5, #"{"event":"gateway_connect","address":"a:1","secret_key":null}"# + "\n"),
        ] {
            register.connectionOpened(id(UInt64(raw)), peerIP: "127.0.0.1", now: t0)
            #expect(
                register.receive(line, from: UInt64(raw))
                    == [.close(id(UInt64(raw)), reason: .secretMismatch(event: "gateway_connect"))], "\(line)")
        }
        for (raw, line) in [
            (6, Lines.phpWorkerConnect(secret: "SEK")), (7, #"{"event":"worker_connect"}"# + "\n"),
            (8, #"{"event":"worker_connect","secret_key":["sek"]}"# + "\n"),
        ] {
            register.connectionOpened(id(UInt64(raw)), peerIP: "127.0.0.1", now: t0)
            #expect(
                register.receive(line, from: UInt64(raw))
                    == [.close(id(UInt64(raw)), reason: .secretMismatch(event: "worker_connect"))], "\(line)")
        }
        #expect(register.counters.authFailures == 7)
        #expect(register.gatewayCount == 0)
        #expect(register.workerCount == 1)
    }

    /// With no secret configured, a missing or `null` secret_key passes (PHP's `isset`).
    @Test func emptySecretAcceptsMissingAndNull() {
        var register = registry()
        register.connectionOpened(id(1), peerIP: "127.0.0.1", now: t0)
        register.connectionOpened(id(2), peerIP: "127.0.0.1", now: t0)
        _ = register.receive(#"{"event":"gateway_connect","address":"a:1"}"# + "\n", from: 1)
        #expect(
            register.receive(#"{"event":"worker_connect","secret_key":null}"# + "\n", from: 2)
                == [.workerConnected(id(2)), .send(Lines.broadcast(["a:1"]), to: id(2))])
    }

    /// §10.2: a PHP gateway writes a secret containing `"` unescaped — invalid JSON, answered with the
    /// "Bad request" line, as the PHP Register does. Properly escaped lines (RingGate's gateway, PHP's
    /// workers via json_encode) match.
    @Test func secretsWithQuoteAndBackslash() {
        let secret = #"k"e/y"#
        var register = registry(secret: secret)
        register.connectionOpened(id(1), peerIP: "127.0.0.1", now: t0)
        let phpLine = Lines.phpGatewayConnect("127.0.0.1:2900", secret: secret)
        #expect(phpLine == #"{"event":"gateway_connect", "address":"127.0.0.1:2900", "secret_key":"k"e/y"}"# + "\n")
        #expect(
            register.receive(phpLine, from: 1)
                == [
                    .send(Lines.badRequest(buffer: String(phpLine.dropLast())), to: id(1)),
                    .close(id(1), reason: .badRequest),
                ])

        register.connectionOpened(id(2), peerIP: "127.0.0.1", now: t0)
        let escaped = RegisterMessage.gatewayConnect(address: "127.0.0.1:2900", secretKey: secret).encodedLine
        #expect(
            register.bytesReceived(escaped[...], from: id(2)) == [.gatewayRegistered(id(2), address: "127.0.0.1:2900")])
        register.connectionOpened(id(3), peerIP: "127.0.0.1", now: t0)
        #expect(
            register.receive(Lines.phpWorkerConnect(secret: secret), from: 3)
                == [.workerConnected(id(3)), .send(Lines.broadcast(["127.0.0.1:2900"]), to: id(3))])

        // A backslash: PHP's unescaped `a\b` reads as "a" + backspace (mismatch), `a\z` is invalid JSON.
        var backslash = registry(secret: #"a\b"#)
        backslash.connectionOpened(id(1), peerIP: "127.0.0.1", now: t0)
        #expect(
            backslash.receive(Lines.phpGatewayConnect("a:1", secret: #"a\b"#), from: 1)
                == [.close(id(1), reason: .secretMismatch(event: "gateway_connect"))])
        backslash.connectionOpened(id(2), peerIP: "127.0.0.1", now: t0)
        #expect(
            backslash.receive(Lines.phpWorkerConnect(secret: #"a\b"#), from: 2)
                == [.workerConnected(id(2)), .send(Lines.broadcast([]), to: id(2))])
        var invalid = registry(secret: #"a\z"#)
        invalid.connectionOpened(id(1), peerIP: "127.0.0.1", now: t0)
        let invalidLine = Lines.phpGatewayConnect("a:1", secret: #"a\z"#)
        #expect(
            invalid.receive(invalidLine, from: 1)
                == [
                    .send(Lines.badRequest(buffer: String(invalidLine.dropLast())), to: id(1)),
                    .close(id(1), reason: .badRequest),
                ])
    }

    /// PHP's `!==` compares bytes: a canonically equivalent but differently encoded secret fails.
    @Test func secretsCompareBytes() {
        var register = registry(secret: "s\u{E9}")
        register.connectionOpened(id(1), peerIP: "127.0.0.1", now: t0)
        #expect(
            register.receive(Lines.phpWorkerConnect(secret: "se\u{301}"), from: 1)
                == [.close(id(1), reason: .secretMismatch(event: "worker_connect"))])
        register.connectionOpened(id(2), peerIP: "127.0.0.1", now: t0)
        #expect(register.receive(Lines.phpWorkerConnect(secret: "s\u{E9}"), from: 2).count == 2)
    }

    /// Not a JSON object with a non-empty event: PHP's exact reply with the peer IP and the line (minus
    /// trailing `\r`/`\n`, byte for byte), then close.
    @Test func badRequestReplyIsPHPs() {
        for (input, buffer) in [
            ("nope\r\n", "nope"), ("\n", ""), (#"{"event":""}"# + "\n", #"{"event":""}"#), ("[1,2]\n", "[1,2]"),
            (#"{"x":1}"# + "\r\r\n", #"{"x":1}"#), (#"{"event":"0"}"# + "\n", #"{"event":"0"}"#),
            ("a\rb\n", "a\rb"),
        ] {
            var register = registry()
            register.connectionOpened(id(1), peerIP: "10.1.2.3", now: t0)
            #expect(
                register.receive(input, from: 1)
                    == [
                        .send(Lines.badRequest(ip: "10.1.2.3", buffer: buffer), to: id(1)),
                        .close(id(1), reason: .badRequest),
                    ],
                "\(input)")
            #expect(register.counters.badRequests == 1)
        }
        #expect(
            Lines.badRequest(buffer: "nope")
                == Array(
                    ("Bad request for Register service. Request info(IP:127.0.0.1, Request Buffer:nope). See "
                        + "http://doc2.workerman.net/register-auth-timeout.html\n").utf8))

        // Invalid UTF-8 goes back raw.
        var register = registry()
        register.connectionOpened(id(1), peerIP: "127.0.0.1", now: t0)
        let raw: [UInt8] = [0xFF, 0xFE, 0x41, 0x0A]
        let actions = register.bytesReceived(raw[...], from: id(1))
        #expect(
            actions.first
                == .send(RegisterRegistry.badRequestLine(peerIP: "127.0.0.1", buffer: [0xFF, 0xFE, 0x41]), to: id(1)))
    }

    /// Any other event closes without a reply; so does broadcast_addresses, which only the Register sends.
    @Test func unknownEventsCloseWithoutReply() {
        for (line, name) in [
            (#"{"event":"hello"}"#, "hello"), (#"{"event":5}"#, "5"),
            (#"{"event":"broadcast_addresses","addresses":[]}"#, "broadcast_addresses"),
            (#"{"event":"broadcast_addresses"}"#, "broadcast_addresses"),
            (#"{"event":""# + String(repeating: "x", count: 100) + #""}"#, String(repeating: "x", count: 64)),
        ] {
            var register = registry()
            register.connectionOpened(id(1), peerIP: "127.0.0.1", now: t0)
            #expect(register.receive(line + "\n", from: 1) == [.close(id(1), reason: .unknownEvent(name))], "\(line)")
            #expect(register.counters.invalidMessages == 1)
        }
    }

    @Test func pingDoesNothing() {
        var register = registry(secret: "sek")
        register.connectionOpened(id(1), peerIP: "127.0.0.1", now: t0)
        #expect(register.receive(Lines.ping + Lines.ping, from: 1) == [])
        #expect(register.gatewayCount == 0 && register.workerCount == 0 && register.connectionCount == 1)
    }

    // MARK: Auth timeout

    /// 10 s after connecting without a complete line: closed. The deadline is exposed for the wait.
    @Test func silentConnectionTimesOut() {
        var register = registry()
        register.connectionOpened(id(1), peerIP: "127.0.0.1", now: t0)
        register.connectionOpened(id(2), peerIP: "127.0.0.1", now: t0 + .seconds(1))
        #expect(register.nextDeadline == t0 + .seconds(10))
        #expect(register.timeElapsed(now: t0 + .milliseconds(9_999)) == [])
        // A partial line does not count.
        #expect(register.receive(#"{"event":"pi"#, from: 1) == [])
        #expect(register.timeElapsed(now: t0 + .seconds(10)) == [.close(id(1), reason: .authTimeout)])
        #expect(register.nextDeadline == t0 + .seconds(11))
        #expect(register.timeElapsed(now: t0 + .seconds(12)) == [.close(id(2), reason: .authTimeout)])
        #expect(register.timeElapsed(now: t0 + .seconds(60)) == [])
        #expect(register.nextDeadline == nil)
        #expect(register.counters.authTimeouts == 2)
    }

    /// Only authentication cancels the timer: a ping does not (PHP's does), a refused line closes anyway.
    @Test func onlyAuthenticationCancelsTheTimer() {
        var register = registry(secret: "sek")
        register.connectionOpened(id(1), peerIP: "127.0.0.1", now: t0)
        register.connectionOpened(id(2), peerIP: "127.0.0.1", now: t0)
        register.connectionOpened(id(3), peerIP: "127.0.0.1", now: t0)
        #expect(register.receive(Lines.ping, from: 1) == [])
        #expect(register.receive("bad\n", from: 2).count == 2)
        _ = register.receive(Lines.phpWorkerConnect(secret: "sek"), from: 3)
        #expect(register.nextDeadline == t0 + .seconds(10))
        #expect(register.timeElapsed(now: t0 + .seconds(3600)) == [.close(id(1), reason: .authTimeout)])
        #expect(register.timeElapsed(now: t0 + .seconds(7200)) == [])
        #expect(register.counters.authTimeouts == 1)
    }

    /// A custom timeout from the configuration.
    @Test func configuredTimeout() {
        var register = RegisterRegistry(configuration: .init(authTimeout: .milliseconds(250)))
        register.connectionOpened(id(1), peerIP: "127.0.0.1", now: t0)
        #expect(register.timeElapsed(now: t0 + .milliseconds(249)) == [])
        #expect(register.timeElapsed(now: t0 + .milliseconds(250)) == [.close(id(1), reason: .authTimeout)])
    }

    // MARK: Framing

    /// Lines split at every offset, and several lines in one read, give the same actions.
    @Test func framesLinesAcrossEverySplit() {
        let wire = Array((Lines.phpWorkerConnect() + Lines.ping + Lines.phpGatewayConnect("127.0.0.1:2900")).utf8)
        let expected: [Action] = [
            .workerConnected(id(1)), .send(Lines.broadcast([]), to: id(1)),
            .gatewayRegistered(id(1), address: "127.0.0.1:2900"), .send(Lines.broadcast(["127.0.0.1:2900"]), to: id(1)),
        ]
        for cut in 0...wire.count {
            var register = registry()
            register.connectionOpened(id(1), peerIP: "127.0.0.1", now: t0)
            let actions =
                register.bytesReceived(wire[..<cut], from: id(1)) + register.bytesReceived(wire[cut...], from: id(1))
                + register.pendingBroadcast()
            #expect(actions == expected, "split at \(cut)")
        }
        var register = registry()
        register.connectionOpened(id(1), peerIP: "127.0.0.1", now: t0)
        var actions: [Action] = []
        for byte in wire { actions += register.bytesReceived([byte][...], from: id(1)) }
        actions += register.pendingBroadcast()
        #expect(actions == expected, "byte by byte")
    }

    /// After a close, the rest of the input is ignored: nothing after a bad line is served.
    @Test func inputAfterACloseIsIgnored() {
        var register = registry()
        register.connectionOpened(id(1), peerIP: "127.0.0.1", now: t0)
        let actions = register.receive("x\n" + Lines.phpWorkerConnect(), from: 1)
        #expect(actions == [.send(Lines.badRequest(buffer: "x"), to: id(1)), .close(id(1), reason: .badRequest)])
        #expect(register.receive(Lines.phpWorkerConnect(), from: 1) == [])
        #expect(register.workerCount == 0)
    }

    /// `maxLineLength` bytes pass; one more closes without a reply, whole or without its "\n".
    @Test func lineLengthLimit() {
        let ping = #"{"event":"ping"}"#  // 16 bytes
        var register = registry(maxLineLength: 16)
        register.connectionOpened(id(1), peerIP: "127.0.0.1", now: t0)
        #expect(register.receive(ping + "\n", from: 1) == [])
        #expect(register.receive(ping + " \n", from: 1) == [.close(id(1), reason: .lineTooLong(limit: 16))])

        register.connectionOpened(id(2), peerIP: "127.0.0.1", now: t0)
        #expect(register.receive(String(repeating: " ", count: 10), from: 2) == [])
        #expect(
            register.receive(String(repeating: " ", count: 7), from: 2) == [
                .close(id(2), reason: .lineTooLong(limit: 16))
            ])
        #expect(register.counters.oversizedLines == 2)
        #expect(register.nextDeadline == nil)
    }

    // MARK: Bounds (issue 11)

    /// Changes between two broadcasts make one broadcast of the latest list; a change that is undone
    /// before the broadcast makes none.
    @Test func broadcastsAreCoalesced() {
        var register = registry()
        register.connectionOpened(id(1), peerIP: "127.0.0.1", now: t0)
        _ = register.receive(Lines.phpWorkerConnect(), from: 1)
        for raw: UInt64 in 2...4 {
            register.connectionOpened(id(raw), peerIP: "127.0.0.1", now: t0)
            #expect(
                register.bytesReceived(Array(Lines.phpGatewayConnect("a:\(raw)").utf8)[...], from: id(raw)).count == 1)
        }
        #expect(register.hasBroadcastPending)
        #expect(register.pendingBroadcast() == [.send(Lines.broadcast(["a:2", "a:3", "a:4"]), to: id(1))])
        #expect(!register.hasBroadcastPending && register.pendingBroadcast() == [])
        // Register and leave again before the next broadcast: the list bytes did not change.
        register.connectionOpened(id(5), peerIP: "127.0.0.1", now: t0)
        _ = register.bytesReceived(Array(Lines.phpGatewayConnect("b:5").utf8)[...], from: id(5))
        _ = register.connectionClosed(id(5))
        #expect(register.pendingBroadcast() == [])
        #expect(register.counters.broadcastsSent == 2)
    }

    /// Addresses longer than `maxAddressLength` bytes and gateways beyond `maxGateways` are closed.
    @Test func addressLengthAndGatewayCountAreBounded() {
        var register = RegisterRegistry(configuration: .init(maxGateways: 2, maxAddressLength: 8))
        register.connectionOpened(id(1), peerIP: "127.0.0.1", now: t0)
        #expect(
            register.receive(Lines.phpGatewayConnect("123456789"), from: 1)
                == [.close(id(1), reason: .addressTooLong(limit: 8))])
        for raw: UInt64 in 2...4 { register.connectionOpened(id(raw), peerIP: "127.0.0.1", now: t0) }
        #expect(register.receive(Lines.phpGatewayConnect("12345678"), from: 2).count == 1)
        #expect(register.receive(Lines.phpGatewayConnect("b:1"), from: 3).count == 1)
        #expect(
            register.receive(Lines.phpGatewayConnect("c:1"), from: 4) == [
                .close(id(4), reason: .tooManyGateways(limit: 2))
            ])
        #expect(register.addresses.addresses == ["12345678", "b:1"])
        #expect(register.counters.oversizedAddresses == 1 && register.counters.gatewayLimitRefusals == 1)
    }

    /// One connection may change its address `maxAddressChanges` times; one more closes it.
    @Test func addressChangesAreBounded() {
        var register = RegisterRegistry(configuration: .init(maxAddressChanges: 2))
        register.connectionOpened(id(1), peerIP: "127.0.0.1", now: t0)
        #expect(register.receive(Lines.phpGatewayConnect("a:1"), from: 1).count == 1)
        #expect(register.receive(Lines.phpGatewayConnect("a:1"), from: 1) == [])  // not a change
        #expect(register.receive(Lines.phpGatewayConnect("a:2"), from: 1).count == 1)
        #expect(register.receive(Lines.phpGatewayConnect("a:3"), from: 1).count == 1)
        #expect(
            register.receive(Lines.phpGatewayConnect("a:4"), from: 1)
                == [.close(id(1), reason: .tooManyAddressChanges(limit: 2))])
        #expect(register.counters.addressChangeLimitCloses == 1)
    }

    /// The eviction candidate is the oldest connection that has not authenticated or is closing.
    @Test func oldestUnauthenticatedIsTheEvictionCandidate() {
        var register = registry(secret: "sek")
        for raw: UInt64 in 1...4 { register.connectionOpened(id(raw), peerIP: "127.0.0.1", now: t0) }
        _ = register.receive(Lines.phpWorkerConnect(secret: "sek"), from: 1)
        _ = register.receive(Lines.phpGatewayConnect("a:1", secret: "sek"), from: 2)
        _ = register.receive(Lines.ping, from: 3)
        #expect(register.oldestUnauthenticated == id(3))
        _ = register.receive(Lines.phpWorkerConnect(secret: "sek"), from: 3)
        _ = register.receive(Lines.phpWorkerConnect(secret: "sek"), from: 4)
        #expect(register.oldestUnauthenticated == nil)
        _ = register.receive(#"{"event":"nope"}"# + "\n", from: 2)  // closing now: fair game
        #expect(register.oldestUnauthenticated == id(2))
    }

    /// Before authentication a line may be `maxUnauthenticatedLineLength` bytes, whole or partial.
    @Test func unauthenticatedLinesAreShort() {
        var register = RegisterRegistry(configuration: .init(maxUnauthenticatedLineLength: 64))
        register.connectionOpened(id(1), peerIP: "127.0.0.1", now: t0)
        #expect(register.receive(String(repeating: " ", count: 64), from: 1) == [])
        #expect(register.receive(" ", from: 1) == [.close(id(1), reason: .lineTooLong(limit: 64))])
        register.connectionOpened(id(2), peerIP: "127.0.0.1", now: t0)
        _ = register.receive(Lines.phpWorkerConnect(), from: 2)
        #expect(register.receive(String(repeating: " ", count: 100), from: 2) == [])  // authenticated: 64 KiB
        #expect(register.counters.oversizedLines == 1)
    }

    /// An id still open is refused (and counted), the open connection is kept.
    @Test func reusedConnectionIDIsRefused() {
        var register = registry()
        let first = register.connectionOpened(id(1), peerIP: "127.0.0.1", now: t0)
        _ = register.receive(Lines.phpWorkerConnect(), from: 1)
        let again = register.connectionOpened(id(1), peerIP: "10.0.0.1", now: t0)
        #expect(first && !again)
        #expect(register.counters.reusedConnectionIDs == 1 && register.workerCount == 1)
    }

    @Test func bytesForUnknownConnectionsAreIgnored() {
        var register = registry()
        #expect(register.receive(Lines.ping, from: 9) == [])
        #expect(register.connectionClosed(id(9)) == [])
    }
}

extension RegisterRegistry {
    /// Feeds `text` as bytes received on connection `raw`, then takes the coalesced broadcast as the
    /// server does at the end of its loop turn.
    mutating func receive(_ text: String, from raw: UInt64) -> [Action] {
        bytesReceived(Array(text.utf8)[...], from: ConnectionID(raw)) + pendingBroadcast()
    }

    /// Reports the close, then takes the coalesced broadcast.
    mutating func closed(_ id: ConnectionID) -> [Action] {
        connectionClosed(id) + pendingBroadcast()
    }
}
