import Foundation

/// A float buffer that worker threads fill at disjoint offsets.
// @unchecked Sendable: threads only write disjoint ranges, and the owner reads after all workers joined.
final class SharedFloatBuffer: @unchecked Sendable {
    let pointer: UnsafeMutablePointer<Float>

    init(count: Int) {
        pointer = UnsafeMutablePointer<Float>.allocate(capacity: max(1, count))
        pointer.initialize(repeating: 0, count: max(1, count))
    }

    func deallocate() { pointer.deallocate() }
}

/// An array that worker threads fill at disjoint indices.
// @unchecked Sendable: every index is written by exactly one thread, and read only after all threads joined.
final class SharedArray<Element>: @unchecked Sendable {
    private let storage: UnsafeMutablePointer<Element>
    private let count: Int

    init(count: Int, initial: Element) {
        self.count = count
        storage = UnsafeMutablePointer<Element>.allocate(capacity: max(1, count))
        storage.initialize(repeating: initial, count: count)
    }

    func set(_ index: Int, _ value: Element) { storage[index] = value }

    func values() -> [Element] { Array(UnsafeBufferPointer(start: storage, count: count)) }

    deinit {
        storage.deinitialize(count: count)
        storage.deallocate()
    }
}

/// Work started on another thread at once, whose result ``value()`` waits for.
// @unchecked Sendable: `result` is written once, before `done` is signalled, and read only after waiting for it.
final class BackgroundResult<Value: Sendable>: @unchecked Sendable {
    private var result: Result<Value, any Error>?
    private let done = DispatchSemaphore(value: 0)

    init(_ work: @escaping @Sendable () throws -> Value) {
        DispatchQueue.global(qos: .userInitiated).async {
            self.result = Result { try work() }
            self.done.signal()
        }
    }

    /// Waits for the work and returns its value, or throws its error.
    func value() throws -> Value {
        done.wait()
        defer { done.signal() }
        guard let result else { preconditionFailure("signalled before the result was set") }
        return try result.get()
    }
}
