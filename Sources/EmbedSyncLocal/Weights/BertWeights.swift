import Foundation

/// One encoder layer's parameters.
struct EncoderLayerWeights: Sendable {
    /// Query, key and value stacked into one `[3·hidden × hidden]` layer.
    let queryKeyValue: Linear
    let attentionOutput: Linear
    let attentionNorm: LayerNormParameters
    let intermediate: Linear
    let output: Linear
    let outputNorm: LayerNormParameters
}

/// All parameters of a BERT encoder, checked against its configuration.
struct BertWeights: Sendable {
    let wordEmbeddings: [Float]
    let positionEmbeddings: [Float]
    let tokenTypeEmbeddings: [Float]
    let embeddingNorm: LayerNormParameters
    let layers: [EncoderLayerWeights]

    /// Loads and checks every tensor of `url` for `config`, preparing the weight matrices for `kernel`, or, with
    /// `precision` `.int8`, quantising them for `int8Kernel` (groups of `int8Group` inputs share a scale).
    /// - Throws: `LocalModelError(.invalidWeights)` naming each missing, unexpected, mis-typed or mis-shaped tensor.
    init(
        url: URL, config: BertConfiguration, kernel: MatrixKernel, precision: ModelPrecision = .fp32,
        int8Kernel: Int8Kernel = .automatic, int8Group: Int = Int8Kernel.groupSize
    ) throws {
        let file = try SafeTensorsFile(url: url)
        let expected = CheckpointKeys.expectedShapes(for: config)
        var found: [String: SafeTensorsFile.TensorInfo] = [:]
        var unexpected: [String] = []
        for (key, info) in file.tensors {
            guard let name = CheckpointKeys.canonicalName(key) else { continue }
            if expected[name] == nil {
                unexpected.append(key)
            } else {
                found[name] = info
            }
        }
        let path = url.path
        let missing = expected.keys.filter { found[$0] == nil }.sorted()
        guard missing.isEmpty else {
            throw LocalModelError(
                .invalidWeights,
                """
                '\(path)' is missing \(missing.count) tensor(s) the model needs: \
                \(missing.prefix(8).joined(separator: ", "))\(missing.count > 8 ? ", …" : "").
                """
            )
        }
        guard unexpected.isEmpty else {
            let names = unexpected.sorted()
            throw LocalModelError(
                .invalidWeights,
                """
                '\(path)' has unexpected tensor(s) \(names.prefix(8).joined(separator: ", ")): is config.json from \
                the same model?
                """
            )
        }
        for (name, info) in found.sorted(by: { $0.key < $1.key }) {
            guard info.dtype == "F32" else {
                throw LocalModelError(
                    .invalidWeights,
                    "Tensor '\(info.name)' in '\(path)' has dtype \(info.dtype); only F32 is supported.")
            }
            if let shape = expected[name], shape != info.shape {
                throw LocalModelError(
                    .invalidWeights,
                    "Tensor '\(info.name)' in '\(path)' has shape \(info.shape), but config.json implies \(shape).")
            }
        }
        let tensors = found
        @Sendable func tensor(_ name: String) -> [Float] {
            guard let info = tensors[name] else { return [] }  // every expected name was checked above
            return file.floats(of: info)
        }
        /// One layer from `prefixes` that read the same input (query, key and value), stacked into one wider layer.
        /// A single layer's weight is packed straight from the mapped file; query, key and value are copied
        /// side by side first.
        @Sendable func linear(_ prefixes: String...) -> Linear {
            let bias = prefixes.flatMap { tensor($0 + ".bias") }
            func make(_ weight: UnsafeBufferPointer<Float>) -> Linear {
                Linear(
                    weight: weight, bias: bias, inputSize: bias.isEmpty ? 0 : weight.count / bias.count,
                    outputSize: bias.count, kernel: kernel, precision: precision, int8Kernel: int8Kernel,
                    int8Group: int8Group)
            }
            if prefixes.count == 1, let info = tensors[prefixes[0] + ".weight"] {
                return file.withFloats(of: info, make)
            }
            return prefixes.flatMap { tensor($0 + ".weight") }.withUnsafeBufferPointer(make)
        }
        @Sendable func norm(_ prefix: String) -> LayerNormParameters {
            LayerNormParameters(
                gamma: tensor(prefix + ".weight"), beta: tensor(prefix + ".bias"), epsilon: config.layerNormEpsilon)
        }
        positionEmbeddings = tensor("embeddings.position_embeddings.weight")
        tokenTypeEmbeddings = tensor("embeddings.token_type_embeddings.weight")
        embeddingNorm = norm("embeddings.LayerNorm")
        // Layers are packed (or quantised) on all cores: most of the load time. The word embeddings (47 MB for
        // all-MiniLM-L6-v2) are copied meanwhile, as one more piece of work: alone first, their copy was a third
        // of the load. (Copied rather than read from the mapping: a model file rewritten in place under a running
        // `embedsync serve` would then make it crash.)
        let built = SharedArray<EncoderLayerWeights?>(count: config.layerCount, initial: nil)
        let words = SharedArray<[Float]>(count: 1, initial: [])
        DispatchQueue.concurrentPerform(iterations: config.layerCount + 1) { index in
            if index == 0 {
                words.set(0, tensor("embeddings.word_embeddings.weight"))
                return
            }
            let p = "encoder.layer.\(index - 1)."
            built.set(
                index - 1,
                EncoderLayerWeights(
                    queryKeyValue: linear(
                        p + "attention.self.query", p + "attention.self.key", p + "attention.self.value"),
                    attentionOutput: linear(p + "attention.output.dense"),
                    attentionNorm: norm(p + "attention.output.LayerNorm"),
                    intermediate: linear(p + "intermediate.dense"),
                    output: linear(p + "output.dense"),
                    outputNorm: norm(p + "output.LayerNorm")
                ))
        }
        layers = built.values().compactMap { $0 }
        wordEmbeddings = words.values()[0]
    }
}
