import Testing

@testable import EmbedSyncLocal

@Suite("BatchPlan")
struct BatchPlanTests {
    @Test("packs texts longest first into passes within the token budget, each text exactly once")
    func packs() {
        let sequences: [[Int32]] = [[1, 2], [1, 2, 3, 4, 5], [1], [1, 2, 3], [1, 2, 3, 4]]
        let plan = BatchPlan(sequences: sequences, tokensPerPass: 6)
        #expect(plan.passes.flatMap { $0 }.sorted() == [0, 1, 2, 3, 4])
        #expect(plan.passes.first == [1])
        for pass in plan.passes where pass.count > 1 {
            #expect(pass.reduce(0) { $0 + sequences[$1].count } <= 6)
        }
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
        // Full passes while more than 4 × 512 tokens are left, then each about a quarter of what is left.
        #expect(sizes == [510, 510, 510, 510, 510, 510, 510, 510, 480, 360, 270, 200, 150, 120, 120, 120, 100])
    }
}
