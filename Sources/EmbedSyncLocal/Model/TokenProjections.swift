import CEmbedSyncKernels
import Foundation

/// The first layer's query, key and value rows, for most tokens without the layer's matrix product.
///
/// Up to the first attention every token is on its own: its row is `LayerNorm(word + position + type) · Wᵀ + b`,
/// and LayerNorm is linear but for the row's mean `m` and scale `s = 1 / √(variance + ε)`. With `γ` and `β` the
/// embedding norm's parameters,
/// `row = ((word ⊙ γ) · Wᵀ + ((position + type) ⊙ γ) · Wᵀ − m · (γ · Wᵀ)) · s + β · Wᵀ + b`:
/// the first product depends on the token id alone, the second on the position alone. Each is computed the first
/// time its id or position comes, kept, and added per token. In real text most tokens repeat (90% of the 35,000
/// tokens of 2,000 short Debian package descriptions, 96% of the 192,000 of their long ones), so most of the first
/// layer's product, about 4% of the model's multiply-adds, is spared. The rows differ from the direct product's by
/// rounding only: against float64 on all-MiniLM-L6-v2, the largest and mean errors of both are alike (1e-5, 2e-7).
///
/// For fp32 weights. Shared by every worker: lookups and additions hold a lock; a row, once kept, never changes.
final class TokenProjections: @unchecked Sendable {
    /// How many token ids' rows are kept at most (75 MB for all-MiniLM-L6-v2); ids beyond are computed anew for each
    /// pass they are in.
    static let defaultCapacity = 16_384

    private let layer: Linear
    private let hiddenSize: Int
    /// Values per row: the first layer's outputs.
    private let width: Int
    private let epsilon: Float
    private let gamma: [Float]
    private let wordEmbeddings: FloatTable
    private let positionEmbeddings: [Float]
    private let typeEmbedding: [Float]
    /// `γ · Wᵀ` and `β · Wᵀ + b`.
    private let gammaProduct: [Float]
    private let betaProduct: [Float]

    private let lock = NSLock()
    /// Per token id, its row in `wordRows`, or -1.
    private var slots: [Int32]
    private let wordRows: UnsafeMutablePointer<Float>
    private var wordCount = 0
    let capacity: Int
    /// The rows of positions `0..<positionCount`, room for every position.
    private let positionRows: UnsafeMutablePointer<Float>
    private var positionCount = 0
    private let maxPositions: Int

    /// The projections of `weights`' first layer, or nil where they do not apply: int8 weights (their product
    /// quantises LayerNorm's output, not its parts) or no layers.
    init?(config: BertConfiguration, weights: BertWeights, capacity: Int = TokenProjections.defaultCapacity) {
        let h = config.hiddenSize
        guard let layer = weights.layers.first?.queryKeyValue, !layer.isQuantized, layer.inputSize == h,
            layer.outputSize == 3 * h, weights.tokenTypeEmbeddings.count >= h
        else { return nil }
        self.layer = layer
        hiddenSize = h
        width = layer.outputSize
        epsilon = weights.embeddingNorm.epsilon
        gamma = weights.embeddingNorm.gamma
        wordEmbeddings = weights.wordEmbeddings
        positionEmbeddings = weights.positionEmbeddings
        typeEmbedding = Array(weights.tokenTypeEmbeddings.prefix(h))
        var gammaProduct = [Float](repeating: 0, count: width)
        var betaProduct = [Float](repeating: 0, count: width)
        layer.multiply(gamma, rows: 1, into: &gammaProduct)
        layer.multiply(weights.embeddingNorm.beta, rows: 1, into: &betaProduct)
        for o in 0..<width { betaProduct[o] += layer.bias[o] }
        self.gammaProduct = gammaProduct
        self.betaProduct = betaProduct
        slots = [Int32](repeating: -1, count: config.vocabularySize)
        self.capacity = max(0, capacity)
        // Pages of rows never kept are never touched, so they take no memory.
        wordRows = .allocate(capacity: max(1, self.capacity) * width)
        maxPositions = config.maxPositions
        positionRows = .allocate(capacity: maxPositions * width)
    }

    deinit {
        wordRows.deallocate()
        positionRows.deallocate()
    }

    /// How many token ids have their rows kept.
    var keptCount: Int { lock.withLock { wordCount } }

    /// Writes the first layer's query/key/value rows of `sequences` (packed in order) to `qkv`, from `embedded`:
    /// each token's word + position + type embeddings, before LayerNorm. The products of ids not kept are
    /// computed in `scratch.context` and `scratch.intermediate`.
    func queryKeyValue(
        _ sequences: [[Int32]], embedded: UnsafePointer<Float>, into qkv: UnsafeMutablePointer<Float>,
        scratch: EncoderScratch, kernel: MatrixKernel
    ) {
        let longest = sequences.map(\.count).max() ?? 0
        var words: [UnsafePointer<Float>?] = []
        var positions: [UnsafePointer<Float>?] = []
        /// Ids with no kept row, each once, and for each token its index there (or -1).
        var missing: [Int32] = []
        var missingIndex: [Int32: Int] = [:]
        var tokenMissing: [Int] = []
        lock.withLock {
            if positionCount < longest { addPositions(upTo: longest) }
            for sequence in sequences {
                for (position, id) in sequence.enumerated() {
                    positions.append(UnsafePointer(positionRows + position * width))
                    let slot = Int(slots[Int(id)])
                    if slot >= 0 {
                        words.append(UnsafePointer(wordRows + slot * width))
                        tokenMissing.append(-1)
                    } else {
                        words.append(nil)
                        if let index = missingIndex[id] {
                            tokenMissing.append(index)
                        } else {
                            missingIndex[id] = missing.count
                            tokenMissing.append(missing.count)
                            missing.append(id)
                        }
                    }
                }
            }
        }
        if !missing.isEmpty {
            let computed = computeWords(missing, inputs: scratch.context, into: scratch.intermediate)
            for (token, index) in tokenMissing.enumerated() where index >= 0 { words[token] = computed[index] }
        }
        let rows = words.count
        words.withUnsafeBufferPointer { words in
            positions.withUnsafeBufferPointer { positions in
                switch kernel {
                case .avx512:
                    es_first_qkv_avx512(
                        embedded, rows, hiddenSize, epsilon, words.baseAddress, positions.baseAddress, gammaProduct,
                        betaProduct, width, qkv)
                case .blas:
                    combine(embedded, rows: rows, words: words, positions: positions, into: qkv)
                }
            }
        }
    }

    /// Computes the rows of `ids` into `output` (one row each) and keeps those there is room for; returns where
    /// each id's row is to be read: kept, or in `output`.
    private func computeWords(
        _ ids: [Int32], inputs: UnsafeMutablePointer<Float>, into output: UnsafeMutablePointer<Float>
    ) -> [UnsafePointer<Float>] {
        let h = hiddenSize
        wordEmbeddings.withUnsafeBufferPointer { table in
            guard let table = table.baseAddress else { return }
            for (row, id) in ids.enumerated() {
                let word = table + Int(id) * h
                let input = inputs + row * h
                for i in 0..<h { input[i] = word[i] * gamma[i] }
            }
        }
        layer.multiply(inputs, rows: ids.count, into: output)
        return lock.withLock {
            ids.enumerated().map { row, id in
                let slot = Int(slots[Int(id)])
                if slot >= 0 { return UnsafePointer(wordRows + slot * width) }  // kept meanwhile by another worker
                let computed = output + row * width
                guard wordCount < capacity else { return UnsafePointer(computed) }
                let kept = wordRows + wordCount * width
                kept.update(from: computed, count: width)
                slots[Int(id)] = Int32(wordCount)
                wordCount += 1
                return UnsafePointer(kept)
            }
        }
    }

    /// Adds the rows of positions up to `needed` (at least doubling what is there); the caller holds the lock.
    private func addPositions(upTo needed: Int) {
        let h = hiddenSize
        let end = min(maxPositions, max(needed, 2 * positionCount, 64))
        let count = end - positionCount
        let inputs = UnsafeMutablePointer<Float>.allocate(capacity: count * h)
        defer { inputs.deallocate() }
        for row in 0..<count {
            let position = (positionCount + row) * h
            for i in 0..<h { inputs[row * h + i] = (positionEmbeddings[position + i] + typeEmbedding[i]) * gamma[i] }
        }
        layer.multiply(inputs, rows: count, into: positionRows + positionCount * width)
        positionCount = end
    }

    /// `es_first_qkv_avx512` in Swift, for the BLAS path.
    private func combine(
        _ embedded: UnsafePointer<Float>, rows: Int, words: UnsafeBufferPointer<UnsafePointer<Float>?>,
        positions: UnsafeBufferPointer<UnsafePointer<Float>?>, into qkv: UnsafeMutablePointer<Float>
    ) {
        let h = hiddenSize
        for r in 0..<rows {
            guard let word = words[r], let position = positions[r] else { continue }
            let (mean, scale) = VectorMath.meanAndScale(embedded + r * h, count: h, epsilon: epsilon)
            let out = qkv + r * width
            for o in 0..<width { out[o] = (word[o] + position[o] - mean * gammaProduct[o]) * scale + betaProduct[o] }
        }
    }
}
