/// An embedder that knows roughly how fast it is, for projected durations.
public protocol ThroughputHinting: Sendable {
    /// Texts per second this embedder sustains on this machine.
    var textsPerSecond: Double? { get }
}
