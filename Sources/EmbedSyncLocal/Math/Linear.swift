import CEmbedSyncKernels

/// A fully connected layer `y = x · Wᵀ + b` with a PyTorch-layout weight `W[out×in]`.
///
/// The one place the encoder multiplies by a weight matrix, so a reduced-precision path
/// (int8 or bf16 weights) can replace this type without touching the model code.
struct Linear: Sendable {
    let inputSize: Int
    let outputSize: Int
    let bias: [Float]
    private let storage: Storage

    private enum Storage: Sendable {
        /// `outputSize × inputSize`, row-major, for BLAS.
        case rowMajor([Float])
        /// Packed for the AVX-512 kernel.
        case packed(PackedWeight)
    }

    /// A layer that multiplies with `kernel`; `weight` is `outputSize × inputSize`, row-major.
    /// Call with `.avx512` only where `MatrixKernel.avx512.isAvailable`.
    init(weight: [Float], bias: [Float], inputSize: Int, outputSize: Int, kernel: MatrixKernel = .blas) {
        self.bias = bias
        self.inputSize = inputSize
        self.outputSize = outputSize
        switch kernel {
        case .blas:
            storage = .rowMajor(weight)
        case .avx512:
            storage = .packed(
                weight.withUnsafeBufferPointer { w in
                    PackedWeight(weight: w.baseAddress!, outputs: outputSize, inputs: inputSize)
                })
        }
    }

    /// Computes `output[rows×outputSize] = input[rows×inputSize] · Wᵀ + b`.
    ///
    /// The bias is written first and the product accumulated onto it, which spares a zeroing pass and a
    /// separate bias pass.
    func apply(_ input: UnsafePointer<Float>, rows: Int, into output: UnsafeMutablePointer<Float>) {
        guard rows > 0 else { return }
        bias.withUnsafeBufferPointer { b in
            guard let b = b.baseAddress else { return }
            for row in 0..<rows {
                (output + row * outputSize).update(from: b, count: outputSize)
            }
        }
        switch storage {
        case .rowMajor(let weight):
            weight.withUnsafeBufferPointer { w in
                guard let w = w.baseAddress else { return }
                BLAS.sgemm(
                    transposeA: false, transposeB: true,
                    m: rows, n: outputSize, k: inputSize,
                    alpha: 1, a: input, lda: inputSize, b: w, ldb: inputSize,
                    beta: 1, c: output, ldc: outputSize
                )
            }
        case .packed(let packed):
            es_gemm_packed_avx512(rows, outputSize, inputSize, input, inputSize, packed.pointer, output, outputSize)
        }
    }
}

/// LayerNorm parameters.
struct LayerNormParameters: Sendable {
    let gamma: [Float]
    let beta: [Float]
    let epsilon: Float

    /// `output = LayerNorm(input + residual)` for `rows` rows; `output` may alias either input.
    func apply(
        _ input: UnsafePointer<Float>, residual: UnsafePointer<Float>?, rows: Int,
        into output: UnsafeMutablePointer<Float>
    ) {
        gamma.withUnsafeBufferPointer { g in
            beta.withUnsafeBufferPointer { b in
                guard let g = g.baseAddress, let b = b.baseAddress else { return }
                VectorMath.layerNorm(
                    input: input, residual: residual, output: output, rows: rows, cols: gamma.count,
                    gamma: g, beta: b, epsilon: epsilon)
            }
        }
    }
}
