import RingGateCodecs

/// Placeholder until the decoder lands: replays nothing.
@main struct Replay { static func main() {} }
