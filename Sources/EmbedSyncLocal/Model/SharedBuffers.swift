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

/// Floats in an array of their own or read in place from a saved file (``PackedWeightCache``) that stays mapped.
// @unchecked Sendable: read-only after init; the mapping is read-only and lives as long as the table.
struct FloatTable: @unchecked Sendable {
    private let array: [Float]
    private let mapped: (file: MappedFile, start: UnsafePointer<Float>, count: Int)?

    init(_ array: [Float]) {
        self.array = array
        mapped = nil
    }

    init(mapped start: UnsafePointer<Float>, count: Int, in file: MappedFile) {
        array = []
        mapped = (file, start, count)
    }

    func withUnsafeBufferPointer<R>(_ body: (UnsafeBufferPointer<Float>) throws -> R) rethrows -> R {
        guard let mapped else { return try array.withUnsafeBufferPointer(body) }
        return try withExtendedLifetime(mapped.file) {
            try body(UnsafeBufferPointer(start: mapped.start, count: mapped.count))
        }
    }
}
