import EmbedSyncCore
import ServiceLifecycle

/// `--watch SECONDS`: runs a keep-fresh pass, waits, and again, as a service of the server's `ServiceGroup`. On
/// graceful shutdown the pass in progress takes no new batch, lets the ones in flight commit, and the loop ends.
public struct KeepFreshService: Service {
    let interval: Duration
    let pass: @Sendable (StopSignal) async throws -> Void

    /// - Parameter pass: one run over the table; it stops taking batches once the signal is raised.
    public init(interval: Duration, pass: @escaping @Sendable (StopSignal) async throws -> Void) {
        self.interval = interval
        self.pass = pass
    }

    public func run() async throws {
        let stop = StopSignal()
        try await withGracefulShutdownHandler {
            while !stop.isRaised, !Task.isCancelled {
                try await pass(stop)
                if stop.isRaised { break }
                let interval = self.interval
                try? await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) }
            }
        } onGracefulShutdown: {
            stop.raise()
        }
    }
}
