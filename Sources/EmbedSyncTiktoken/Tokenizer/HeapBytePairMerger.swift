/// Byte-pair merging for long pieces in O(n log n): a linked list of parts and a min-heap of
/// candidate merges keyed by (rank, start), so the result equals the quadratic scan's (lowest
/// rank first, leftmost on ties). Stale heap entries are skipped by comparing versions.
struct HeapBytePairMerger {
    private struct Candidate {
        var rank: UInt32
        var start: Int32
        var version: UInt32

        @inline(__always)
        static func < (lhs: Candidate, rhs: Candidate) -> Bool {
            lhs.rank != rhs.rank ? lhs.rank < rhs.rank : lhs.start < rhs.start
        }
    }

    private var heap: [Candidate] = []

    /// Encodes `piece[0..<length]` into `sink`.
    mutating func merge<Sink: TokenSink>(
        _ piece: UnsafePointer<UInt8>, _ length: Int, lookup: RankLookup, into sink: inout Sink
    ) {
        // Parts are identified by their start byte; `length` is the end sentinel.
        var next = [Int32](unsafeUninitializedCapacity: length + 1) { buffer, count in
            for index in 0...length { buffer[index] = Int32(index + 1) }
            count = length + 1
        }
        var previous = [Int32](unsafeUninitializedCapacity: length + 1) { buffer, count in
            for index in 0...length { buffer[index] = Int32(index - 1) }
            count = length + 1
        }
        var version = [UInt32](repeating: 0, count: length + 1)
        heap.removeAll(keepingCapacity: true)
        heap.reserveCapacity(length)
        for index in 0..<(length - 1) {
            let rank = lookup.rank(piece + index, 2)
            if rank != UInt32.max { push(Candidate(rank: rank, start: Int32(index), version: 0)) }
        }

        /// The rank of part `start` joined with its successor, or max when there is none.
        func pairRank(_ start: Int, _ next: [Int32]) -> UInt32 {
            let second = Int(next[start])
            guard second < length else { return UInt32.max }
            let end = Int(next[second])
            return lookup.rank(piece + start, end - start)
        }

        while let top = pop() {
            let start = Int(top.start)
            guard version[start] == top.version, next[start] <= Int32(length) else { continue }
            // Remove the successor of `start`, joining the two parts.
            let removed = Int(next[start])
            let after = Int(next[removed])
            next[start] = Int32(after)
            previous[after] = Int32(start)
            next[removed] = Int32(length + 1)  // Marks it dead.
            version[removed] &+= 1
            version[start] &+= 1
            let rank = pairRank(start, next)
            if rank != UInt32.max {
                push(Candidate(rank: rank, start: Int32(start), version: version[start]))
            }
            let before = Int(previous[start])
            if before >= 0 {
                version[before] &+= 1
                let beforeRank = pairRank(before, next)
                if beforeRank != UInt32.max {
                    push(Candidate(rank: beforeRank, start: Int32(before), version: version[before]))
                }
            }
        }
        var start = 0
        while start < length {
            let end = Int(next[start])
            emit(piece + start, end - start, lookup: lookup, into: &sink)
            start = end
        }
    }

    private mutating func push(_ candidate: Candidate) {
        heap.append(candidate)
        var child = heap.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard heap[child] < heap[parent] else { break }
            heap.swapAt(child, parent)
            child = parent
        }
    }

    private mutating func pop() -> Candidate? {
        guard let last = heap.popLast() else { return nil }
        guard !heap.isEmpty else { return last }
        let top = heap[0]
        heap[0] = last
        var parent = 0
        while true {
            let left = 2 * parent + 1
            let right = left + 1
            var smallest = parent
            if left < heap.count, heap[left] < heap[smallest] { smallest = left }
            if right < heap.count, heap[right] < heap[smallest] { smallest = right }
            guard smallest != parent else { break }
            heap.swapAt(parent, smallest)
            parent = smallest
        }
        return top
    }
}
