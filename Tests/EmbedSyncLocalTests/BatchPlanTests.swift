import Testing

@testable import EmbedSyncLocal

@Suite("BatchPlan")
struct BatchPlanTests {
    @Test("packs texts longest first into passes within the token budget, each text exactly once")
    func packs() {
        let sequences: [[Int32]] = [[1, 2], [1, 2, 3, 4, 5], [1], [1, 2, 3], [1, 2, 3, 4]]
        let plan = BatchPlan(sequences: sequences, tokensPerPass: 6)
        #expect(plan.passes.flatMap { $0 }.sorted() == [0, 1, 2, 3, 4])
        // The longest first, the one-token text making up the budget exactly.
        #expect(plan.passes == [[1, 2], [4], [3], [0]])
        for pass in plan.passes where pass.count > 1 {
            #expect(pass.reduce(0) { $0 + sequences[$1].count } <= 6)
        }
    }

    @Test("passes are whole blocks of the kernels' rows: the longest texts first, the rest made up exactly")
    func wholeBlocks() {
        // 300 texts of 5 to 40 tokens, as many as in a batch of short texts, in no order.
        let lengths = (0..<300).map { 5 + ($0 * 37 + $0 / 7) % 36 }
        let sequences = lengths.map { [Int32](repeating: 1, count: $0) }
        let plan = BatchPlan(sequences: sequences, tokensPerPass: 512, minimumPasses: 2)
        let sizes = plan.passes.map { pass in pass.reduce(0) { $0 + lengths[$1] } }
        #expect(plan.passes.flatMap { $0 }.sorted() == Array(0..<300))
        // 448 tokens (four blocks of 112) while much is left, then 336, 224 and 112; only the last pass is what is
        // left over.
        #expect(sizes.dropLast().allSatisfy { $0 % BatchPlan.blockRows == 0 && $0 <= 448 })
        #expect(sizes.prefix(3) == [448, 448, 448])
        #expect(sizes.last! < BatchPlan.blockRows)
        // Each pass starts with the longest texts left.
        #expect(lengths[plan.passes[0][0]] == 40)
        // Texts that cannot add up to a block leave the pass as full as they can: 3 × 30 of a budget of 112.
        let thirties = BatchPlan(
            sequences: [[Int32]](repeating: Array(repeating: 1, count: 30), count: 40), tokensPerPass: 112)
        #expect(thirties.passes.first?.count == 3)
        // Texts of 256 tokens cannot add up to 448; each pass takes two (512 tokens) rather than one.
        let longest = BatchPlan(
            sequences: [[Int32]](repeating: Array(repeating: 1, count: 256), count: 20), tokensPerPass: 512,
            minimumPasses: 2)
        #expect(longest.passes.prefix(4).map(\.count) == [2, 2, 2, 2])
    }

    @Test("splits a small batch so that every worker gets a pass")
    func splitsForWorkers() {
        let sequences = [[Int32]](repeating: [1, 2, 3], count: 4)
        #expect(BatchPlan(sequences: sequences, tokensPerPass: 512, minimumPasses: 2).passes.count == 2)
        #expect(BatchPlan(sequences: sequences, tokensPerPass: 512).passes.count == 1)
    }

    @Test("the last passes get smaller, down to a quarter of the budget, so the workers finish together")
    func tapers() {
        let sequences = [[Int32]](repeating: [Int32](repeating: 1, count: 10), count: 600)
        let plan = BatchPlan(sequences: sequences, tokensPerPass: 512, minimumPasses: 2)
        let sizes = plan.passes.map { $0.count * 10 }
        #expect(plan.passes.flatMap { $0 }.sorted() == Array(0..<600))
        // Full passes (a budget of 448 tokens: four blocks of 112 rows) while 4 × 448 tokens or more are left, then
        // each about a quarter of what is left, in whole blocks down to one (ten-token texts fill 110 of 112).
        #expect(
            sizes == [
                440, 440, 440, 440, 440, 440, 440, 440, 440, 440, 330, 220, 220, 110, 110, 110, 110, 110, 110,
                110, 60,
            ])
    }
}
