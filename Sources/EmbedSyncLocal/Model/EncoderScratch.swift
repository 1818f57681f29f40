import CEmbedSyncKernels

/// Preallocated work buffers for one thread running the encoder, grown only when a batch needs more.
///
/// Not shared between threads: each worker owns one.
final class EncoderScratch {
    private(set) var tokenCapacity = 0
    private(set) var sequenceCapacity = 0
    private let hiddenSize: Int
    private let intermediateSize: Int
    private let headSize: Int

    private(set) var hidden = UnsafeMutablePointer<Float>.allocate(capacity: 1)
    private(set) var queryKeyValue = UnsafeMutablePointer<Float>.allocate(capacity: 1)
    private(set) var context = UnsafeMutablePointer<Float>.allocate(capacity: 1)
    private(set) var projection = UnsafeMutablePointer<Float>.allocate(capacity: 1)
    /// The feed-forward layer's activations; before the first layer, new token products (`TokenProjections`).
    private(set) var intermediate = UnsafeMutablePointer<Float>.allocate(capacity: 1)
    /// The attention kernel's workspace, or one head's `longest × longest` scores on the BLAS path.
    private(set) var attention = UnsafeMutablePointer<Float>.allocate(capacity: 1)
    /// Quantised activations for int8 layers.
    let int8 = Int8Workspace()

    init(hiddenSize: Int, intermediateSize: Int, headSize: Int) {
        self.hiddenSize = hiddenSize
        self.intermediateSize = intermediateSize
        self.headSize = headSize
    }

    /// Makes room for `tokens` packed tokens whose longest sequence has `longest` tokens.
    func reserve(tokens: Int, longest: Int) {
        if tokens > tokenCapacity {
            let capacity = max(tokens, tokenCapacity * 5 / 4)
            hidden = Self.replace(hidden, count: capacity * hiddenSize)
            queryKeyValue = Self.replace(queryKeyValue, count: capacity * hiddenSize * 3)
            context = Self.replace(context, count: capacity * hiddenSize)
            projection = Self.replace(projection, count: capacity * hiddenSize)
            intermediate = Self.replace(intermediate, count: capacity * max(intermediateSize, 3 * hiddenSize))
            tokenCapacity = capacity
        }
        if longest > sequenceCapacity {
            // Room for the AVX-512 kernel's workspace, or for one head's scores on the BLAS path.
            let count = max(es_attention_workspace_count(longest, headSize), longest * longest)
            attention = Self.replace(attention, count: count)
            sequenceCapacity = longest
        }
    }

    private static func replace(_ old: UnsafeMutablePointer<Float>, count: Int) -> UnsafeMutablePointer<Float> {
        old.deallocate()
        let fresh = UnsafeMutablePointer<Float>.allocate(capacity: count)
        fresh.initialize(repeating: 0, count: count)
        return fresh
    }

    deinit {
        hidden.deallocate()
        queryKeyValue.deallocate()
        context.deallocate()
        projection.deallocate()
        intermediate.deallocate()
        attention.deallocate()
    }
}
