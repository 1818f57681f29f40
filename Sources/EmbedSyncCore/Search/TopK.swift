/// The `k` best (highest-scoring) entries seen so far: a bounded min-heap, O(log k) per insert.
public struct TopK: Sendable {
    public let k: Int
    private(set) var heap: [(score: Float, index: Int)] = []

    public init(k: Int) {
        self.k = max(0, k)
        heap.reserveCapacity(self.k)
    }

    /// The lowest score kept, or `-infinity` while fewer than `k` are kept.
    @inline(__always) public var threshold: Float {
        heap.count < k ? -.infinity : heap[0].score
    }

    @inline(__always) public mutating func insert(score: Float, index: Int) {
        guard k > 0 else { return }
        if heap.count < k {
            heap.append((score, index))
            siftUp(heap.count - 1)
        } else if score > heap[0].score || (score == heap[0].score && index < heap[0].index) {
            heap[0] = (score, index)
            siftDown(0)
        }
    }

    public mutating func merge(_ other: TopK) {
        for entry in other.heap { insert(score: entry.score, index: entry.index) }
    }

    /// Best first; ties broken by the lower index.
    public func sorted() -> [(score: Float, index: Int)] {
        heap.sorted { $0.score > $1.score || ($0.score == $1.score && $0.index < $1.index) }
    }

    /// `a` ranks below `b` (lower score, or equal score and higher index).
    @inline(__always) private func below(_ a: Int, _ b: Int) -> Bool {
        heap[a].score < heap[b].score || (heap[a].score == heap[b].score && heap[a].index > heap[b].index)
    }

    private mutating func siftUp(_ start: Int) {
        var child = start
        while child > 0 {
            let parent = (child - 1) / 2
            guard below(child, parent) else { return }
            heap.swapAt(child, parent)
            child = parent
        }
    }

    private mutating func siftDown(_ start: Int) {
        var parent = start
        while true {
            let left = 2 * parent + 1
            let right = left + 1
            var lowest = parent
            if left < heap.count, below(left, lowest) { lowest = left }
            if right < heap.count, below(right, lowest) { lowest = right }
            if lowest == parent { return }
            heap.swapAt(parent, lowest)
            parent = lowest
        }
    }
}
