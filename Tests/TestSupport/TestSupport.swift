import RingGateRuntime
public enum TestSupportModule {}
