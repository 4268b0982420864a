import RingGateRuntime
/// The gateway: client connections, framings, echo application and (later) worker links.
public enum RingGateModule {}
