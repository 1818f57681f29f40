import Foundation
import Testing

@testable import EmbedSyncLocal

@Suite("SentenceEmbeddingModel against Python sentence-transformers")
struct GoldenTests {
    @Test("token ids equal the golden ids for every text")
    func tokenIDsMatchGolden() throws {
        let model = try TestResources.model()
        let items = try TestResources.golden()
        #expect(items.count == 64)
        for item in items {
            #expect(model.tokenIDs(item.text) == item.input_ids, "\(item.id) \(item.category): \(item.text.prefix(60))")
            #expect(model.tokenCount(item.text) == item.input_ids.count, "\(item.id)")
            #expect(model.untruncatedTokenCount(item.text) == item.n_tokens_untruncated, "\(item.id)")
            #expect((item.n_tokens_untruncated > model.maxSequenceLength) == item.truncated, "\(item.id)")
        }
    }

    @Test(
        "embeddings of the whole batch have cosine ≥ 0.9999 to the golden vectors, with every kernel this CPU runs",
        arguments: MatrixKernel.allCases.filter(\.isAvailable))
    func batchEmbeddingsMatchGolden(kernel: MatrixKernel) throws {
        let model = try TestResources.model(kernel: kernel)
        var items = try TestResources.golden()
        if kernel != MatrixKernel.automatic {
            // Debug builds compile the C kernel unoptimised (slow): every text up to 128 tokens and one at the limit.
            let limited = items.filter { $0.input_ids.count == model.maxSequenceLength }.prefix(1)
            items = items.filter { $0.input_ids.count <= 128 } + limited
        }
        let vectors = try model.embed(items.map(\.text))
        #expect(vectors.count == items.count)
        var worst = 1.0
        for (item, vector) in zip(items, vectors) {
            #expect(vector.count == 384)
            let cosine = TestResources.cosine(item.embedding, vector)
            worst = min(worst, cosine)
            #expect(cosine >= 0.9999, "\(item.id) \(item.category): cosine \(cosine)")
        }
        print("worst cosine over the golden batch (\(kernel.rawValue), \(items.count) texts): \(worst)")
    }

    @Test("embedding texts one at a time gives the same vectors as one batch")
    func singleTextsMatchBatch() throws {
        let model = try TestResources.model()
        let items = Array(try TestResources.golden().prefix(12))
        let batch = try model.embed(items.map(\.text))
        for (item, batched) in zip(items, batch) {
            let single = try model.embed([item.text])
            #expect(TestResources.cosine(single[0], batched) >= 0.999999, "\(item.id)")
            #expect(TestResources.cosine(single[0], item.embedding) >= 0.9999, "\(item.id)")
        }
    }

    @Test("the model reports its name, 384 dimensions and 256 tokens")
    func reportsShape() throws {
        let model = try TestResources.model()
        #expect(model.dimensions == 384)
        #expect(model.maxSequenceLength == 256)
        #expect(model.name == "sentence-transformers/all-MiniLM-L6-v2")
        #expect(try model.embed([]).isEmpty)
    }
}
