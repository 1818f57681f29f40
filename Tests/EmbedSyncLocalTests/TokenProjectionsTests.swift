import Foundation
import Testing

@_spi(Benchmark) @testable import EmbedSyncLocal

@Suite("The first layer's query, key and value by token id and position")
struct TokenProjectionsTests {
    /// Ids of the tiny model's vocabulary, repeating within and across sequences, up to its 16 positions.
    private let sequences: [[Int32]] = [
        [2, 4, 5, 3], [2, 4, 4, 6, 7, 3], [2, 8, 7, 5, 4, 5, 6, 8, 4, 3], [2, 3],
        [2, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 4, 3],
    ]

    private static var kernels: [MatrixKernel] { MatrixKernel.avx512.isAvailable ? [.blas, .avx512] : [.blas] }

    private func encoder(_ kernel: MatrixKernel, project: Bool, capacity: Int = 100) throws -> BertEncoder {
        let folder = try Fixtures.tinyModelFolder(at: Fixtures.temporaryFolder())
        let config = try BertConfiguration(directory: folder)
        let weights = try BertWeights(
            url: folder.appendingPathComponent("model.safetensors"), config: config, kernel: kernel)
        return BertEncoder(
            config: config, weights: weights, kernel: kernel, projectTokens: project, projectionCapacity: capacity)
    }

    private func embed(_ encoder: BertEncoder, _ sequences: [[Int32]]) -> [Float] {
        let h = encoder.config.hiddenSize
        let scratch = EncoderScratch(
            hiddenSize: h, intermediateSize: encoder.config.intermediateSize, headSize: encoder.config.headSize)
        var output = [Float](repeating: 0, count: sequences.count * h)
        output.withUnsafeMutableBufferPointer { encoder.embed(sequences, scratch: scratch, output: $0.baseAddress!) }
        return output
    }

    @Test(
        "vectors equal the direct product's up to rounding; kept and fresh rows give the same vectors",
        arguments: kernels)
    func matchesDirectProduct(kernel: MatrixKernel) throws {
        let direct = embed(try encoder(kernel, project: false), sequences)
        let projected = try encoder(kernel, project: true)
        let projections = try #require(projected.projections)
        let first = embed(projected, sequences)
        let worst = zip(direct, first).map { abs($0 - $1) }.max() ?? .infinity
        #expect(worst < 2e-6, "largest difference \(worst)")
        #expect(projections.keptCount == Set(sequences.joined()).count)
        // Now every row is kept; a second pass, and one that keeps only one id, read or compute the same rows.
        #expect(embed(projected, sequences) == first)
        let small = try encoder(kernel, project: true, capacity: 1)
        let fresh = embed(small, sequences)
        #expect(try #require(small.projections).keptCount == 1)
        if kernel == .avx512 {
            #expect(fresh == first, "rows are computed apart from the rows beside them")
        } else {
            #expect(zip(fresh, first).allSatisfy { abs($0 - $1) < 2e-6 })
        }
        // A text's vector does not depend on which texts came before it.
        let other = try encoder(kernel, project: true)
        _ = embed(other, [[2, 6, 8, 7, 3], [2, 7, 3]])
        let later = embed(other, sequences)
        if kernel == .avx512 {
            #expect(later == first)
        } else {
            #expect(zip(later, first).allSatisfy { abs($0 - $1) < 2e-6 })
        }
    }

    @Test("two workers adding rows at once give the vectors of one model loaded afresh, every time")
    func concurrentWorkers() throws {
        let folder = try Fixtures.tinyModelFolder(at: Fixtures.temporaryFolder())
        let kernel: MatrixKernel = MatrixKernel.avx512.isAvailable ? .avx512 : .blas
        let words = ["hello", "world", "worlds", "a", ",", "hellos"]
        let texts = (0..<200).map { i in
            (0..<(1 + i % 6)).map { words[($0 * 7 + i) % words.count] }.joined(separator: " ")
        }
        func run() throws -> [[Float]] {
            let model = try SentenceEmbeddingModel(
                directory: folder, workers: 2, blasThreads: 1, tokensPerPass: 6, kernel: kernel)
            #expect(model.encoder.projections != nil)
            return try model.embed(texts)
        }
        let expected = try run()
        for _ in 0..<3 {
            let again = try run()
            if kernel == .avx512 {
                #expect(again == expected)
            } else {  // BLAS may round a row differently in a different product
                #expect(zip(again.joined(), expected.joined()).allSatisfy { abs($0 - $1) < 2e-6 })
            }
        }
    }

    @Test("int8 weights multiply: their product quantises LayerNorm's output, not its parts")
    func notForInt8() throws {
        let folder = try Fixtures.tinyModelFolder(at: Fixtures.temporaryFolder())
        let model = try SentenceEmbeddingModel(
            directory: folder, workers: 1, blasThreads: 1, kernel: .blas, precision: .int8, int8Kernel: .portable)
        #expect(model.encoder.projections == nil)
        let fp32 = try SentenceEmbeddingModel(directory: folder, workers: 1, blasThreads: 1, kernel: .blas)
        #expect(fp32.encoder.projections != nil)
    }
}
