/// How a batch is cut into encoder passes: texts sorted by length, packed into passes of about
/// `tokensPerPass` tokens, so similar lengths run together and no token is padding.
///
/// The last passes get smaller (each about a `2 · minimumPasses`-th of the tokens left, down to a quarter of
/// `tokensPerPass`), so the workers finish a batch together instead of one running a whole last pass alone.
/// Small batches are cut into at least `minimumPasses` passes (when they have that many texts) so every worker
/// gets some.
struct BatchPlan: Sendable {
    /// Token ids per text, in the caller's order.
    let sequences: [[Int32]]
    /// Indices into `sequences`, one list per pass.
    let passes: [[Int]]

    init(sequences: [[Int32]], tokensPerPass: Int, minimumPasses: Int = 1) {
        self.sequences = sequences
        let workers = max(1, minimumPasses)
        let total = sequences.reduce(0) { $0 + $1.count }
        let share = (total + workers - 1) / workers
        let largest = max(1, min(tokensPerPass, share))
        let smallest = max(1, min(tokensPerPass / 4, share))
        let order = sequences.indices.sorted { sequences[$0].count > sequences[$1].count }
        var passes: [[Int]] = []
        var current: [Int] = []
        var tokens = 0
        var left = total
        var budget = largest
        for index in order {
            let length = sequences[index].count
            if !current.isEmpty && tokens + length > budget {
                passes.append(current)
                current = []
                tokens = 0
            }
            if current.isEmpty {
                budget = min(largest, max(smallest, (left + 2 * workers - 1) / (2 * workers)))
            }
            current.append(index)
            tokens += length
            left -= length
        }
        if !current.isEmpty { passes.append(current) }
        self.passes = passes
    }
}
