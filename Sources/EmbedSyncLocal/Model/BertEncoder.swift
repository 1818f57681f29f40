import CEmbedSyncKernels

/// The BERT encoder over packed sequences: no padding, every linear layer one GEMM over all tokens
/// of the batch, attention per sequence and head.
struct BertEncoder: Sendable {
    let config: BertConfiguration
    let weights: BertWeights
    /// The matrix code the weights were prepared for; `.avx512` also runs GELU and attention with AVX-512.
    let kernel: MatrixKernel
    /// The first layer's query/key/value by token id and position, or nil to multiply (int8 weights).
    let projections: TokenProjections?

    /// An encoder of `weights`; with `projectTokens`, the first layer's query/key/value come from
    /// ``TokenProjections`` where the weights allow.
    init(
        config: BertConfiguration, weights: BertWeights, kernel: MatrixKernel, projectTokens: Bool = true,
        projectionCapacity: Int = TokenProjections.defaultCapacity
    ) {
        self.config = config
        self.weights = weights
        self.kernel = kernel
        projections =
            projectTokens ? TokenProjections(config: config, weights: weights, capacity: projectionCapacity) : nil
    }

    /// Encodes `sequences` (token ids, each at most `maxPositions` long and within the vocabulary) and writes
    /// one pooled, L2-normalised vector of `hiddenSize` floats per sequence to `output`, in order.
    func embed(_ sequences: [[Int32]], scratch: EncoderScratch, output: UnsafeMutablePointer<Float>) {
        let h = config.hiddenSize
        var offsets: [Int] = []
        offsets.reserveCapacity(sequences.count + 1)
        var total = 0
        var longest = 0
        for sequence in sequences {
            offsets.append(total)
            total += sequence.count
            longest = max(longest, sequence.count)
        }
        offsets.append(total)
        guard total > 0 else { return }
        scratch.reserve(tokens: total, longest: longest)

        embedTokens(sequences, into: scratch.hidden)
        if let projections {
            projections.queryKeyValue(
                sequences, embedded: scratch.hidden, into: scratch.queryKeyValue, scratch: scratch, kernel: kernel)
        }
        weights.embeddingNorm.apply(scratch.hidden, residual: nil, rows: total, into: scratch.hidden, kernel: kernel)
        for (index, layer) in weights.layers.enumerated() {
            let projected = index == 0 && projections != nil
            runLayer(layer, offsets: offsets, tokens: total, scratch: scratch, projected: projected)
        }
        for (index, sequence) in sequences.enumerated() {
            let destination = output + index * h
            let start = scratch.hidden + offsets[index] * h
            switch config.pooling {
            case .cls:
                destination.update(from: start, count: h)
            case .mean:
                destination.initialize(repeating: 0, count: h)
                for row in 0..<sequence.count {
                    let source = start + row * h
                    for i in 0..<h { destination[i] += source[i] }
                }
                let scale = 1 / Float(max(1, sequence.count))
                for i in 0..<h { destination[i] *= scale }
            }
            VectorMath.l2Normalize(destination, count: h)
        }
    }

    /// Word + position + token-type (0) embeddings, before LayerNorm.
    private func embedTokens(_ sequences: [[Int32]], into hidden: UnsafeMutablePointer<Float>) {
        let h = config.hiddenSize
        weights.wordEmbeddings.withUnsafeBufferPointer { words in
            weights.positionEmbeddings.withUnsafeBufferPointer { positions in
                weights.tokenTypeEmbeddings.withUnsafeBufferPointer { types in
                    guard let words = words.baseAddress, let positions = positions.baseAddress,
                        let types = types.baseAddress
                    else { return }
                    var row = 0
                    for sequence in sequences {
                        for (position, id) in sequence.enumerated() {
                            let out = hidden + row * h
                            let word = words + Int(id) * h
                            let pos = positions + position * h
                            for i in 0..<h { out[i] = word[i] + pos[i] + types[i] }
                            row += 1
                        }
                    }
                }
            }
        }
    }

    /// One encoder layer over `scratch.hidden`; `projected`: its query/key/value are in `scratch.queryKeyValue`.
    private func runLayer(
        _ layer: EncoderLayerWeights, offsets: [Int], tokens: Int, scratch: EncoderScratch, projected: Bool
    ) {
        let h = config.hiddenSize
        let d = config.headSize
        let qkvStride = 3 * h
        let scale = 1 / Float(d).squareRoot()
        let qkv = scratch.queryKeyValue
        if !projected {
            layer.queryKeyValue.apply(scratch.hidden, rows: tokens, into: qkv, workspace: scratch.int8)
        }

        for s in 0..<(offsets.count - 1) where offsets[s + 1] > offsets[s] {
            let start = offsets[s]
            let length = offsets[s + 1] - start
            switch kernel {
            case .avx512:
                // All heads in one call, reading Q, K and V from their rows in `qkv`.
                es_attention_avx512(
                    qkv + start * qkvStride, qkvStride, length, config.headCount, d, scale,
                    scratch.context + start * h, h, scratch.attention)
            case .blas:
                attendWithBLAS(
                    qkv + start * qkvStride, length: length, scale: scale, scratch: scratch,
                    context: scratch.context + start * h)
            }
        }

        layer.attentionOutput.apply(scratch.context, rows: tokens, into: scratch.projection, workspace: scratch.int8)
        layer.attentionNorm.apply(
            scratch.projection, residual: scratch.hidden, rows: tokens, into: scratch.hidden, kernel: kernel)
        let fused = layer.intermediate.fusesGELU
        layer.intermediate.apply(
            scratch.hidden, rows: tokens, into: scratch.intermediate, workspace: scratch.int8, gelu: fused)
        if !fused {
            switch kernel {
            case .blas: VectorMath.gelu(scratch.intermediate, count: tokens * config.intermediateSize)
            case .avx512: es_gelu_avx512(scratch.intermediate, tokens * config.intermediateSize)
            }
        }
        layer.output.apply(scratch.intermediate, rows: tokens, into: scratch.projection, workspace: scratch.int8)
        layer.outputNorm.apply(
            scratch.projection, residual: scratch.hidden, rows: tokens, into: scratch.hidden, kernel: kernel)
    }

    /// Attention of one sequence with BLAS, head by head: `sgemm` for the scores, softmax, `sgemm` for the context.
    /// On machines without AVX-512 this beats the plain C `es_attention` (built for baseline x86-64 or ARM), since
    /// BLAS picks its kernels for the CPU at run time (measured: the plain C kernel made the BLAS path 6% slower).
    private func attendWithBLAS(
        _ qkv: UnsafeMutablePointer<Float>, length: Int, scale: Float, scratch: EncoderScratch,
        context: UnsafeMutablePointer<Float>
    ) {
        let h = config.hiddenSize
        let d = config.headSize
        let scores = scratch.attention
        for head in 0..<config.headCount {
            let query = qkv + head * d
            BLAS.sgemm(
                transposeA: false, transposeB: true, m: length, n: length, k: d,
                alpha: scale, a: query, lda: 3 * h, b: query + h, ldb: 3 * h,
                beta: 0, c: scores, ldc: length)
            VectorMath.softmaxRows(scores, rows: length, cols: length, stride: length)
            BLAS.sgemm(
                transposeA: false, transposeB: false, m: length, n: d, k: length,
                alpha: 1, a: scores, lda: length, b: query + 2 * h, ldb: 3 * h,
                beta: 0, c: context + head * d, ldc: h)
        }
    }
}
