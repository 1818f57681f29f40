import Foundation

/// Hands out the indices `0..<count` one at a time to whichever worker asks first,
/// so a worker slowed down by other processes does not hold up the batch.
// @unchecked Sendable: the counter is only touched under the lock.
final class WorkQueue: @unchecked Sendable {
    private let lock = NSLock()
    private var nextIndex = 0
    private let count: Int

    init(count: Int) { self.count = count }

    /// The next index, or nil when all are taken.
    func next() -> Int? {
        lock.lock()
        defer { lock.unlock() }
        guard nextIndex < count else { return nil }
        nextIndex += 1
        return nextIndex - 1
    }
}
