/// How a batch is cut into encoder passes: texts sorted by length, packed into passes of about
/// `tokensPerPass` tokens, so similar lengths run together and no token is padding. Small batches are
/// cut into at least `minimumPasses` passes (when they have that many texts) so every worker gets some.
struct BatchPlan: Sendable {
    /// Token ids per text, in the caller's order.
    let sequences: [[Int32]]
    /// Indices into `sequences`, one list per pass.
    let passes: [[Int]]

    init(sequences: [[Int32]], tokensPerPass: Int, minimumPasses: Int = 1) {
        self.sequences = sequences
        let total = sequences.reduce(0) { $0 + $1.count }
        let share = (total + max(1, minimumPasses) - 1) / max(1, minimumPasses)
        let tokensPerPass = max(1, min(tokensPerPass, share))
        let order = sequences.indices.sorted { sequences[$0].count > sequences[$1].count }
        var passes: [[Int]] = []
        var current: [Int] = []
        var tokens = 0
        for index in order {
            let length = sequences[index].count
            if !current.isEmpty && tokens + length > tokensPerPass {
                passes.append(current)
                current = []
                tokens = 0
            }
            current.append(index)
            tokens += length
        }
        if !current.isEmpty { passes.append(current) }
        self.passes = passes
    }
}
