import CEmbedSyncKernels
import Foundation
import Synchronization
import Testing

@_spi(Benchmark) @testable import EmbedSyncLocal

@Suite("int8 weights: kernels and accuracy against the fp32 reference")
struct Int8Tests {
    private func apply(_ layer: Linear, _ a: [Float], rows: Int) -> [Float] {
        var output = [Float](repeating: .nan, count: rows * layer.outputSize)
        a.withUnsafeBufferPointer { input in
            output.withUnsafeMutableBufferPointer { out in
                if let i = input.baseAddress, let o = out.baseAddress { layer.apply(i, rows: rows, into: o) }
            }
        }
        return output
    }

    @Test(
        """
        an int8 Linear is within the rounding bound of the exact product (half a step of the weight's and the \
        input group's scale per term), with every int8 kernel this CPU runs, edge tiles included
        """,
        arguments: Int8Kernel.allCases.filter(\.isAvailable),
        [(1, 3, 8), (7, 384, 384), (33, 17, 64), (15, 33, 300), (9, 50, 1536), (29, 1152, 384), (8, 40, 36)])
    func linearWithinRoundingBound(kernel: Int8Kernel, shape: (Int, Int, Int)) {
        let (m, n, k) = shape
        // An outlier input column, as BERT's hidden states have: the reason for group scales.
        let a = pseudoRandom(m * k, seed: 1).enumerated().map { $0.offset % k == 5 ? $0.element * 20 : $0.element }
        let w = pseudoRandom(n * k, seed: 2)
        let bias = pseudoRandom(n, seed: 3)
        let layer = Linear(
            weight: w, bias: bias, inputSize: k, outputSize: n, precision: .int8, int8Kernel: kernel, int8Group: 32)
        #expect(layer.isQuantized)
        let group = QuantizedWeight.group(inputs: k, preferred: 32)
        let output = apply(layer, a, rows: m)
        let exact = ReferenceMatmul.multiplyTransposed(a, w, m: m, n: n, k: k)
        var worstShare = 0.0
        for i in 0..<m {
            for j in 0..<n {
                let ws = Double(w[(j * k)..<(j * k + k)].map { abs($0) }.max() ?? 0) / 127
                var bound = 1e-4
                for g in stride(from: 0, to: k, by: group) {
                    let row = a[(i * k + g)..<(i * k + g + group)]
                    let xs = Double(row.map { abs($0) }.max() ?? 0) / 127
                    for p in g..<(g + group) {
                        bound += abs(Double(a[i * k + p])) * ws / 2 + abs(Double(w[j * k + p])) * xs / 2 + xs * ws / 4
                    }
                }
                let error = abs(Double(output[i * n + j]) - Double(exact[i * n + j]) - Double(bias[j]))
                worstShare = max(worstShare, error / bound)
            }
        }
        #expect(worstShare <= 1, "\(kernel.rawValue) \(m)×\(n)×\(k): error reaches \(worstShare) of the bound")
    }

    @Test("the VNNI kernel and its quantiser agree with the plain C ones", .enabled(if: Int8Kernel.vnni.isAvailable))
    func vnniMatchesPortable() {
        let (m, n, k) = (23, 70, 384)
        let a = pseudoRandom(m * k, seed: 4)
        let w = pseudoRandom(n * k, seed: 5)
        let bias = pseudoRandom(n, seed: 6)
        let portable = apply(
            Linear(weight: w, bias: bias, inputSize: k, outputSize: n, precision: .int8, int8Kernel: .portable), a,
            rows: m)
        let vnni = apply(
            Linear(weight: w, bias: bias, inputSize: k, outputSize: n, precision: .int8, int8Kernel: .vnni), a,
            rows: m)
        let worst = zip(portable, vnni).map { abs($0 - $1) }.max() ?? .nan
        #expect(worst < 1e-4, "max |vnni - portable| \(worst)")
        var plain = [UInt8](repeating: 0, count: m * k)
        var fast = [UInt8](repeating: 1, count: m * k)
        var plainScales = [Float](repeating: 0, count: m * k / 32)
        var fastScales = [Float](repeating: 1, count: m * k / 32)
        var zeroed = a
        for p in 64..<96 { zeroed[p] = 0 }  // an all-zero group: scale 1, every byte 128
        es_i8_quantize_rows(zeroed, m, k, k, 32, &plain, &plainScales)
        es_i8_quantize_rows_avx512(zeroed, m, k, k, 32, &fast, &fastScales)
        #expect(plain == fast)
        #expect(plainScales == fastScales)
        #expect(plainScales[2] == 1 && plain[64..<96].allSatisfy { $0 == 128 })
    }

    static let models = Mutex<[Int8Kernel: SentenceEmbeddingModel]>([:])

    static func model(_ kernel: Int8Kernel) throws -> SentenceEmbeddingModel {
        try models.withLock { models in
            if let model = models[kernel] { return model }
            let model = try SentenceEmbeddingModel(
                directory: TestResources.modelDirectory(), workers: 2, blasThreads: 1, precision: .int8,
                int8Kernel: kernel)
            models[kernel] = model
            return model
        }
    }

    @Test(
        """
        int8 embeddings of the golden texts have cosine ≥ 0.99 to sentence-transformers' fp32 vectors, mean ≥ 0.998, \
        with every int8 kernel this CPU runs
        """,
        arguments: Int8Kernel.allCases.filter(\.isAvailable))
    func goldenAccuracy(kernel: Int8Kernel) throws {
        let model = try Self.model(kernel)
        #expect(model.precision == .int8 && model.int8Kernel == kernel)
        var items = try TestResources.golden()
        if !es_kernels_optimized() {
            // Debug builds compile the int8 kernels unoptimised (slow): texts up to 128 tokens and one at the limit
            // (plain C: up to 40 tokens).
            let longest = items.filter { $0.input_ids.count == model.maxSequenceLength }.prefix(kernel == .vnni ? 1 : 0)
            items = items.filter { $0.input_ids.count <= (kernel == .vnni ? 128 : 40) } + longest
        }
        let vectors = try model.embed(items.map(\.text))
        let cosines = zip(items, vectors).map { TestResources.cosine($0.embedding, $1) }
        for (item, cosine) in zip(items, cosines) {
            #expect(cosine >= 0.99, "\(item.id) \(item.category): cosine \(cosine)")
        }
        let mean = cosines.reduce(0, +) / Double(max(1, cosines.count))
        #expect(mean >= 0.998, "mean cosine \(mean) over \(items.count) texts")
        // Not the fp32 path in disguise: int8 rounding moves every long enough text a little.
        #expect((cosines.min() ?? 1) < 0.99999, "int8 vectors equal fp32's: were the weights quantised?")
        print("int8 (\(kernel.rawValue)) over \(items.count) golden texts: min \(cosines.min() ?? .nan), mean \(mean)")
    }
}
