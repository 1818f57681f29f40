import CEmbedSyncKernels

/// The number format of the encoder's weight matrices, a choice separate from the vector instructions
/// (``MatrixKernel`` for fp32, ``Int8Kernel`` for int8).
public enum ModelPrecision: String, Sendable, CaseIterable {
    /// 32-bit floats throughout: the reference.
    case fp32
    /// Weight matrices quantised to int8 at load (symmetric, one scale per output channel); each layer's input
    /// quantised per token and group of ``Int8Kernel/groupSize`` inputs when it runs, products summed in int32.
    /// Embeddings, LayerNorm, attention scores, softmax, GELU, residuals, pooling and normalisation stay fp32.
    case int8
}

/// Which code multiplies int8 activations by int8 weights.
public enum Int8Kernel: String, Sendable, CaseIterable {
    /// Plain C, for every CPU (slow).
    case portable
    /// AVX-512 VNNI (`VPDPBUSD`: 64 byte products a cycle), chosen where CPUID reports it.
    case vnni

    /// How many inputs share one activation scale: finer than one scale per token, which on the golden texts
    /// gave a mean cosine of 0.995 to the fp32 reference (groups of 32: 0.9986, see Benchmarks/local/accuracy.sh).
    public static let groupSize = 32

    /// `.vnni` where this CPU runs it, else `.portable`.
    public static var automatic: Int8Kernel { Int8Kernel.vnni.isAvailable ? .vnni : .portable }

    /// Whether this machine can run the kernel.
    public var isAvailable: Bool {
        switch self {
        case .portable: true
        case .vnni: es_avx512_vnni_available()
        }
    }
}
