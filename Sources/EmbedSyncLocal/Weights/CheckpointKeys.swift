/// The one mapping from checkpoint tensor names to the names this model expects.
enum CheckpointKeys {
    /// Maps a checkpoint key to its canonical name (`embeddings.word_embeddings.weight`,
    /// `encoder.layer.3.attention.self.query.weight`, …), or returns nil for tensors the encoder does not use
    /// (`embeddings.position_ids`, the pooler and pre-training heads).
    ///
    /// Accepts keys with or without a `bert.` / `model.` prefix, and the old `LayerNorm.gamma`/`beta` names.
    static func canonicalName(_ key: String) -> String? {
        var name = Substring(key)
        for prefix in ["bert.", "model."] where name.hasPrefix(prefix) {
            name = name.dropFirst(prefix.count)
        }
        if name == "embeddings.position_ids" || name.hasPrefix("pooler.") || name.hasPrefix("cls.") {
            return nil
        }
        var result = String(name)
        if result.hasSuffix("LayerNorm.gamma") {
            result = String(result.dropLast("gamma".count)) + "weight"
        } else if result.hasSuffix("LayerNorm.beta") {
            result = String(result.dropLast("beta".count)) + "bias"
        }
        return result
    }

    /// Every tensor the encoder needs, with its shape, for a configuration.
    static func expectedShapes(for config: BertConfiguration) -> [String: [Int]] {
        let h = config.hiddenSize
        let i = config.intermediateSize
        var shapes: [String: [Int]] = [
            "embeddings.word_embeddings.weight": [config.vocabularySize, h],
            "embeddings.position_embeddings.weight": [config.maxPositions, h],
            "embeddings.token_type_embeddings.weight": [config.typeVocabularySize, h],
            "embeddings.LayerNorm.weight": [h],
            "embeddings.LayerNorm.bias": [h],
        ]
        for layer in 0..<config.layerCount {
            let p = "encoder.layer.\(layer)."
            for part in ["query", "key", "value"] {
                shapes[p + "attention.self.\(part).weight"] = [h, h]
                shapes[p + "attention.self.\(part).bias"] = [h]
            }
            shapes[p + "attention.output.dense.weight"] = [h, h]
            shapes[p + "attention.output.dense.bias"] = [h]
            shapes[p + "attention.output.LayerNorm.weight"] = [h]
            shapes[p + "attention.output.LayerNorm.bias"] = [h]
            shapes[p + "intermediate.dense.weight"] = [i, h]
            shapes[p + "intermediate.dense.bias"] = [i]
            shapes[p + "output.dense.weight"] = [h, i]
            shapes[p + "output.dense.bias"] = [h]
            shapes[p + "output.LayerNorm.weight"] = [h]
            shapes[p + "output.LayerNorm.bias"] = [h]
        }
        return shapes
    }
}
