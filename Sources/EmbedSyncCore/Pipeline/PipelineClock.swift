import Foundation

/// Time as the pipeline sees it, injected so retry, backoff and throttling tests never sleep.
public protocol PipelineClock: Sendable {
    /// Seconds since an arbitrary fixed point.
    func now() -> Double
    /// Waits, or throws `CancellationError` when the task is cancelled.
    func sleep(seconds: Double) async throws
}

/// The real clock.
public struct SystemClock: PipelineClock {
    public init() {}

    public func now() -> Double {
        let instant = ContinuousClock.now - ContinuousClock.Instant.zeroReference
        return Double(instant.components.seconds) + Double(instant.components.attoseconds) / 1e18
    }

    public func sleep(seconds: Double) async throws {
        guard seconds > 0 else { return }
        try await Task.sleep(for: .milliseconds(Int64((seconds * 1000).rounded(.up))))
    }
}

extension ContinuousClock.Instant {
    fileprivate static let zeroReference = ContinuousClock.now
}

/// Wall-clock seconds since 1970, for timestamps stored in the database.
public func unixTime() -> Double {
    Date().timeIntervalSince1970
}
