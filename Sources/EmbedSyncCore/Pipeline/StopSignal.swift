import Synchronization

/// A flag the CLI raises on SIGINT/SIGTERM: the run takes no new batch, lets in-flight ones finish and commit.
public final class StopSignal: Sendable {
    private let raised = Atomic<Bool>(false)

    public init() {}

    public func raise() {
        raised.store(true, ordering: .sequentiallyConsistent)
    }

    public var isRaised: Bool {
        raised.load(ordering: .sequentiallyConsistent)
    }
}
