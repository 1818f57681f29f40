import CEmbedSyncKernels

/// How a batch is cut into encoder passes: texts packed longest first into passes of about `tokensPerPass` tokens,
/// none of them padding, each pass a whole number of the matrix kernels' row blocks wherever the lengths allow.
///
/// The matrix kernels take the rows of a pass in blocks of ``blockRows`` (and read every weight once per block): a
/// pass of 500 tokens is four full blocks and one of 52 rows, whose tiles of under 14 rows run at about two-thirds
/// of full speed. So a pass's budget is a multiple of ``blockRows`` (448 tokens for the default 512), filled
/// longest first up to a little below it, and the rest made up exactly from the shorter texts left (a subset sum
/// over their lengths); only a batch's last pass, or one whose texts cannot add up, ends between blocks (when one
/// falls short by more than half a block, it takes texts up to `tokensPerPass` as it would without blocks).
///
/// The last passes get smaller (each about a `2 · minimumPasses`-th of the tokens left, down to a quarter of
/// `tokensPerPass`, still whole blocks), so the workers finish a batch together instead of one running a whole
/// last pass alone. Small batches are cut into at least `minimumPasses` passes (when they have that many texts) so
/// every worker gets some.
struct BatchPlan: Sendable {
    /// Token ids per text, in the caller's order.
    let sequences: [[Int32]]
    /// Indices into `sequences`, one list per pass.
    let passes: [[Int]]

    /// The rows the fp32 kernels multiply in one block (`ES_BLOCK_ROWS`; the int8 kernel's 56 divides it).
    static let blockRows = Int(ES_BLOCK_ROWS)
    /// How far below its budget a pass stops taking the longest texts, left for the exact fill.
    static let fillReserve = 64

    init(sequences: [[Int32]], tokensPerPass: Int, minimumPasses: Int = 1) {
        let blockRows = Self.blockRows
        self.sequences = sequences
        let workers = max(1, minimumPasses)
        let total = sequences.reduce(0) { $0 + $1.count }
        let share = (total + workers - 1) / workers
        let largest = max(1, min(tokensPerPass, share))
        let smallest = max(1, min(tokensPerPass / 4, share))
        var texts = TextsByLength(sequences)
        var passes: [[Int]] = []
        var left = total
        while !texts.lengths.isEmpty {
            let ceiling = min(largest, max(smallest, (left + 2 * workers - 1) / (2 * workers)))
            let budget = ceiling >= blockRows ? ceiling - ceiling % blockRows : ceiling
            var pass: [Int] = []
            var tokens = 0
            func takeLongest(upTo limit: Int) {
                for length in texts.lengths {
                    while texts.has(length), pass.isEmpty || tokens + length <= limit {
                        pass.append(texts.take(length))
                        tokens += length
                    }
                }
            }
            takeLongest(upTo: budget - Self.fillReserve)
            for length in texts.lengthsSumming(toAtMost: budget - tokens) {
                pass.append(texts.take(length))
                tokens += length
            }
            // Texts too long to add up to the budget (two of 256 tokens do not make 448) fill the pass to its ceiling.
            if tokens < budget - blockRows / 2 { takeLongest(upTo: ceiling) }
            passes.append(pass)
            left -= tokens
        }
        self.passes = passes
    }
}

/// The texts not yet in a pass, by length.
private struct TextsByLength {
    /// Indices of the texts of each length, in the caller's order from the end.
    private var indices: [Int: [Int]] = [:]
    /// The lengths some text left has, longest first.
    private(set) var lengths: [Int]

    init(_ sequences: [[Int32]]) {
        for index in sequences.indices.reversed() { indices[sequences[index].count, default: []].append(index) }
        lengths = indices.keys.sorted(by: >)
    }

    func has(_ length: Int) -> Bool { indices[length]?.isEmpty == false }

    /// Removes a text of `length` (the first in the caller's order) and returns its index.
    mutating func take(_ length: Int) -> Int {
        let index = indices[length]!.removeLast()
        if indices[length]!.isEmpty { lengths.removeAll { $0 == length } }
        return index
    }

    /// Lengths of texts left (a length as often as texts have it) that add up to `target`, or, when none do, to as
    /// much under it as any do: a bounded subset sum, `target` × (distinct lengths) steps.
    func lengthsSumming(toAtMost target: Int) -> [Int] {
        guard target > 0 else { return [] }
        // `last[s]`: the length that first reached the sum `s` (0: `s` not reached); `uses[s]`: how many texts of
        // the current length that sum holds.
        var last = [Int](repeating: 0, count: target + 1)
        var reached = [Bool](repeating: false, count: target + 1)
        reached[0] = true
        for length in lengths where length <= target {
            let count = indices[length]!.count
            var uses = [Int](repeating: 0, count: target + 1)
            for sum in 0...(target - length) where reached[sum] && uses[sum] < count && !reached[sum + length] {
                reached[sum + length] = true
                last[sum + length] = length
                uses[sum + length] = uses[sum] + 1
            }
            if reached[target] { break }
        }
        var sum = reached.lastIndex(of: true)!
        var chosen: [Int] = []
        while sum > 0 {
            chosen.append(last[sum])
            sum -= last[sum]
        }
        return chosen
    }
}
