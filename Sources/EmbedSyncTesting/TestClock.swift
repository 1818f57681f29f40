import EmbedSyncCore
import Synchronization

/// A clock whose sleeps return at once and advance virtual time, recording each wait.
public final class TestClock: PipelineClock, Sendable {
    private let state = Mutex<(now: Double, sleeps: [Double])>((0, []))

    public init() {}

    public func now() -> Double { state.withLock { $0.now } }

    public func sleep(seconds: Double) async throws {
        try Task.checkCancellation()
        state.withLock { state in
            state.now += max(0, seconds)
            state.sleeps.append(seconds)
        }
    }

    /// Every wait requested, in order.
    public var sleeps: [Double] { state.withLock { $0.sleeps } }
}
