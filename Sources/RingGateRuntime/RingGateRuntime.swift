import CLiburing

/// io_uring runtime: rings, buffers, sockets, shards. Knows nothing of protocols.
public enum RingGateRuntime {}
