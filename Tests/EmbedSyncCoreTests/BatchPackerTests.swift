import EmbedSyncCore
import Testing

@Suite("BatchPacker")
struct BatchPackerTests {
    /// Packs rows given as (pieces, tokens) and returns the inputs of each request.
    func pack(_ rows: [(Int, Int)], batchSize: Int, maxTokens: Int) -> [Int] {
        var packer = BatchPacker(batchSize: batchSize, maxTokensPerRequest: maxTokens)
        var requests: [Int] = []
        for (pieces, tokens) in rows {
            if packer.mustSend(beforeAdding: pieces, tokens: tokens) {
                requests.append(packer.inputs)
                packer.reset()
            }
            if packer.add(pieces: pieces, tokens: tokens) {
                requests.append(packer.inputs)
                packer.reset()
            }
        }
        if packer.inputs > 0 { requests.append(packer.inputs) }
        return requests
    }

    @Test("a request holds at most batchSize inputs")
    func inputLimit() {
        #expect(pack(Array(repeating: (1, 1), count: 7), batchSize: 3, maxTokens: 100) == [3, 3, 1])
    }

    @Test("a row that would pass the token limit starts a new request")
    func tokenLimit() {
        #expect(pack([(1, 40), (1, 40), (1, 40), (1, 10)], batchSize: 10, maxTokens: 100) == [2, 2])
    }

    @Test("a chunked row's pieces are never split across requests")
    func chunkedRowsStayWhole() {
        #expect(pack([(1, 1), (1, 1), (3, 3), (1, 1)], batchSize: 4, maxTokens: 100) == [2, 4])
    }
}
