import RingGateRuntime

/// One shard's connection to one Register (spec §6): connect, announce `gateway_connect`, keep it
/// open (ping every 25 s off loopback), and reconnect 1 s after any close or failed connect.
struct RegisterLink {
    enum State: Equatable {
        /// Not connected and not trying (stopped).
        case idle
        /// The socket is being created.
        case creatingSocket
        case connecting(fileIndex: UInt32)
        case connected(fileIndex: UInt32)
        /// Shutdown and close in flight.
        case closing(fileIndex: UInt32, retry: Bool)
        /// Waiting for the retry timer.
        case waitingRetry
    }

    let address: SocketAddress
    var state = State.idle
    /// Bumped at every attempt; completions and timers carry it, so an old attempt's are recognised.
    var epoch: UInt32 = 0
    /// The line being sent (one at a time: a registration, then a ping every 25 s).
    var sending: Chunk?
    var receiveArmed = false
    /// Bytes the Register sent since its last newline on this connection: the Register never writes to
    /// gateways, and PHP's gateway (a `text://` connection) closes at 10 MiB without one.
    var unterminatedBytes = 0
    /// Whether this connection's unexpected bytes were logged (once per connection).
    var unexpectedBytesLogged = false
    /// Failed attempts since the last success (only the first is logged above debug level).
    var failures = 0

    init(address: SocketAddress) {
        self.address = address
    }

    /// PHP pings a Register only when its address does not start with `127.0.0.1`.
    var pings: Bool { !address.description.hasPrefix("127.0.0.1") }

    /// Nothing in flight and nothing open (a pending retry counts as idle once stopping).
    var isIdle: Bool {
        switch state {
        case .idle, .waitingRetry: return sending == nil
        default: return false
        }
    }

    /// The file index of the socket, when one exists.
    var fileIndex: UInt32? {
        switch state {
        case .connecting(let index), .connected(let index), .closing(let index, _): return index
        default: return nil
        }
    }
}
