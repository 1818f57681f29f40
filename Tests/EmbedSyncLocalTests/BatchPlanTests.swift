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
}
