/// Receives the ranks an encode produces; lets `count` skip building an array.
protocol TokenSink {
    mutating func append(_ rank: UInt32)
}

/// Collects token ids.
struct TokenArraySink: TokenSink {
    var tokens: [Int] = []
    @inline(__always) mutating func append(_ rank: UInt32) { tokens.append(Int(rank)) }
}

/// Counts tokens without storing them.
struct TokenCountSink: TokenSink {
    var count = 0
    @inline(__always) mutating func append(_ rank: UInt32) { count += 1 }
}

/// Applies byte-pair merges to one piece, lowest rank first, exactly as tiktoken's
/// `byte_pair_merge` does (ties go to the leftmost pair).
///
/// Holds scratch storage that is reused across pieces of one encode call.
struct BytePairMerger: ~Copyable {
    private var starts: UnsafeMutablePointer<Int>
    private var ranks: UnsafeMutablePointer<UInt32>
    private var capacity: Int

    init() {
        capacity = 64
        starts = .allocate(capacity: capacity)
        ranks = .allocate(capacity: capacity)
    }

    deinit {
        starts.deallocate()
        ranks.deallocate()
    }

    private mutating func reserve(_ needed: Int) {
        guard needed > capacity else { return }
        starts.deallocate()
        ranks.deallocate()
        capacity = max(needed, capacity * 2)
        starts = .allocate(capacity: capacity)
        ranks = .allocate(capacity: capacity)
    }

    /// Encodes `piece[0..<length]` (at least two bytes, not itself a token) into `sink`.
    mutating func merge<Sink: TokenSink>(
        _ piece: UnsafePointer<UInt8>, _ length: Int, lookup: RankLookup, into sink: inout Sink
    ) {
        if length > 256 {
            var heapMerger = HeapBytePairMerger()
            heapMerger.merge(piece, length, lookup: lookup, into: &sink)
            return
        }
        reserve(length + 1)
        let starts = self.starts
        let ranks = self.ranks
        // parts[i] = (starts[i], ranks[i]); ranks[i] is the rank of parts i and i+1 joined.
        var minRank = UInt32.max
        var minIndex = 0
        for index in 0..<(length - 1) {
            let rank = lookup.rank(piece + index, 2)
            if rank < minRank {
                minRank = rank
                minIndex = index
            }
            starts[index] = index
            ranks[index] = rank
        }
        starts[length - 1] = length - 1
        ranks[length - 1] = UInt32.max
        starts[length] = length
        ranks[length] = UInt32.max
        var partCount = length + 1

        @inline(__always) func joinedRank(_ index: Int) -> UInt32 {
            guard index + 3 < partCount else { return UInt32.max }
            return lookup.rank(piece + starts[index], starts[index + 3] - starts[index])
        }

        while minRank != UInt32.max {
            let index = minIndex
            if index > 0 { ranks[index - 1] = joinedRank(index - 1) }
            ranks[index] = joinedRank(index)
            // Remove part index + 1.
            let tail = partCount - index - 2
            (starts + index + 1).update(from: starts + index + 2, count: tail)
            (ranks + index + 1).update(from: ranks + index + 2, count: tail)
            partCount -= 1
            minRank = UInt32.max
            for scan in 0..<(partCount - 1) where ranks[scan] < minRank {
                minRank = ranks[scan]
                minIndex = scan
            }
        }
        for index in 0..<(partCount - 1) {
            let start = starts[index]
            emit(piece + start, starts[index + 1] - start, lookup: lookup, into: &sink)
        }
    }
}

/// Emits the rank of a merged part; a part with no rank (impossible with a consistent ranks file)
/// is emitted byte by byte rather than dropped.
@inline(__always)
func emit<Sink: TokenSink>(
    _ pointer: UnsafePointer<UInt8>, _ length: Int, lookup: RankLookup, into sink: inout Sink
) {
    let rank = lookup.rank(pointer, length)
    if rank != UInt32.max {
        sink.append(rank)
        return
    }
    for index in 0..<length {
        sink.append(lookup.byteRanks[Int(pointer[index])])
    }
}
