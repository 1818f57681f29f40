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
    let wordEmbeddings: FloatTable
    let positionEmbeddings: [Float]
    let tokenTypeEmbeddings: [Float]
    let embeddingNorm: LayerNormParameters
    let layers: [EncoderLayerWeights]
    /// Whether the packed weights were read from `cache` rather than packed.
    let fromCache: Bool

    /// Loads and checks every tensor of `url` for `config`, preparing the weight matrices for `kernel`, or, with
    /// `precision` `.int8`, quantising them for `int8Kernel` (groups of `int8Group` inputs share a scale).
    /// For the AVX-512 kernel in fp32, packed weights are read from `cache` when it has them, else saved there.
    /// - Throws: `LocalModelError(.invalidWeights)` naming each missing, unexpected, mis-typed or mis-shaped tensor.
    init(
        url: URL, config: BertConfiguration, kernel: MatrixKernel, precision: ModelPrecision = .fp32,
        int8Kernel: Int8Kernel = .automatic, int8Group: Int = Int8Kernel.groupSize, cache: PackedWeightCache? = nil
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
        let words = config.vocabularySize * config.hiddenSize
        let packs = kernel == .avx512 && precision == .fp32
        let saved = packs ? cache?.load() : nil
        /// Each packed layer's name in the cache and its shape.
        var packedLayers: [(name: String, outputs: Int, inputs: Int)] = []
        for layer in 0..<config.layerCount {
            let h = config.hiddenSize
            let i = config.intermediateSize
            packedLayers += [
                ("\(layer).qkv", 3 * h, h), ("\(layer).attention", h, h), ("\(layer).up", i, h),
                ("\(layer).down", h, i),
            ]
        }
        /// The saved packed weights and word embeddings, when the cache has every one this model needs.
        let reuse: (weights: [String: PackedWeight], words: FloatTable)? = saved.flatMap { saved in
            var weights: [String: PackedWeight] = [:]
            for (name, outputs, inputs) in packedLayers {
                let (levels, count) = PackedWeight.layout(
                    outputs: outputs, inputs: inputs, strassenLevels: PackedWeight.defaultStrassenLevels)
                guard saved.entries[name]?.levels == levels, let start = saved.floats(name, count: count) else {
                    return nil
                }
                weights[name] = PackedWeight(mapped: start, levels: levels, count: count, in: saved.file)
            }
            guard let start = saved.floats("words", count: words) else { return nil }
            return (weights, FloatTable(mapped: start, count: words, in: saved.file))
        }
        @Sendable func tensor(_ name: String) -> [Float] {
            guard let info = tensors[name] else { return [] }  // every expected name was checked above
            return file.floats(of: info)
        }
        /// One layer from `prefixes` that read the same input (query, key and value), stacked into one wider layer.
        /// A single layer's weight is packed straight from the mapped file; query, key and value are copied
        /// side by side first.
        @Sendable func linear(_ cacheName: String, _ prefixes: String...) -> Linear {
            let bias = prefixes.flatMap { tensor($0 + ".bias") }
            if let packed = reuse?.weights[cacheName] {
                let inputs = tensors[prefixes[0] + ".weight"]?.shape.last ?? 0
                return Linear(packed: packed, bias: bias, inputSize: inputs, outputSize: bias.count)
            }
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
        // of the load. (Copied rather than read from the model file's mapping: a model file rewritten in place
        // under a running `embedsync serve` would then make it crash. The packed-weight cache's file, which is
        // mapped, is only ever replaced by a rename.)
        let built = SharedArray<EncoderLayerWeights?>(count: config.layerCount, initial: nil)
        let table = SharedArray<FloatTable>(count: 1, initial: FloatTable([]))
        DispatchQueue.concurrentPerform(iterations: config.layerCount + 1) { index in
            if index == 0 {
                table.set(0, reuse?.words ?? FloatTable(tensor("embeddings.word_embeddings.weight")))
                return
            }
            let l = index - 1
            let p = "encoder.layer.\(l)."
            built.set(
                l,
                EncoderLayerWeights(
                    queryKeyValue: linear(
                        "\(l).qkv", p + "attention.self.query", p + "attention.self.key", p + "attention.self.value"),
                    attentionOutput: linear("\(l).attention", p + "attention.output.dense"),
                    attentionNorm: norm(p + "attention.output.LayerNorm"),
                    intermediate: linear("\(l).up", p + "intermediate.dense"),
                    output: linear("\(l).down", p + "output.dense"),
                    outputNorm: norm(p + "output.LayerNorm")
                ))
        }
        layers = built.values().compactMap { $0 }
        wordEmbeddings = table.values()[0]
        fromCache = reuse != nil
        if packs, reuse == nil, let cache { save(to: cache, names: packedLayers.map(\.name)) }
    }

    /// Saves the packed weights and the word embeddings for the next load.
    private func save(to cache: PackedWeightCache, names: [String]) {
        let weights = layers.flatMap { [$0.queryKeyValue, $0.attentionOutput, $0.intermediate, $0.output] }
        let packed = weights.compactMap(\.packedWeight)
        guard packed.count == names.count else { return }
        wordEmbeddings.withUnsafeBufferPointer { words in
            var arrays: [(name: String, levels: Int?, floats: UnsafeBufferPointer<Float>)] = zip(names, packed).map {
                ($0, $1.strassenLevels, UnsafeBufferPointer(start: $1.pointer, count: $1.count))
            }
            arrays.append(("words", nil, words))
            withExtendedLifetime(packed) { cache.save(arrays) }
        }
    }
}
