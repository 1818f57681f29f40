import CEmbedSyncKernels

/// A fully connected layer `y = x · Wᵀ + b` with a PyTorch-layout weight `W[out×in]`.
///
/// The one place the encoder multiplies by a weight matrix: the weight's number format (``ModelPrecision``) and
/// the vector instructions (``MatrixKernel``, ``Int8Kernel``) are chosen here, apart from the model code.
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
        /// Quantised to int8 and packed for `Int8Kernel`.
        case int8(QuantizedWeight, Int8Kernel)
    }

    /// A layer that multiplies with `kernel`; `weight` is `outputSize × inputSize`, row-major.
    /// Call with `.avx512` only where `MatrixKernel.avx512.isAvailable`, and `.vnni` only where it is available.
    /// With `.int8`, a layer whose input size is not a multiple of 4 stays fp32 (`int8Kernel` then unused).
    init(
        weight: [Float], bias: [Float], inputSize: Int, outputSize: Int, kernel: MatrixKernel = .blas,
        precision: ModelPrecision = .fp32, int8Kernel: Int8Kernel = .automatic,
        int8Group: Int = Int8Kernel.groupSize
    ) {
        self = weight.withUnsafeBufferPointer { w in
            Linear(
                weight: w, bias: bias, inputSize: inputSize, outputSize: outputSize, kernel: kernel,
                precision: precision, int8Kernel: int8Kernel, int8Group: int8Group)
        }
    }

    /// A layer from `weight` read in place (it is packed, quantised or, for BLAS, copied).
    init(
        weight: UnsafeBufferPointer<Float>, bias: [Float], inputSize: Int, outputSize: Int,
        kernel: MatrixKernel = .blas, precision: ModelPrecision = .fp32, int8Kernel: Int8Kernel = .automatic,
        int8Group: Int = Int8Kernel.groupSize
    ) {
        self.bias = bias
        self.inputSize = inputSize
        self.outputSize = outputSize
        if precision == .int8, inputSize % 4 == 0, inputSize > 0, outputSize > 0 {
            let group = QuantizedWeight.group(inputs: inputSize, preferred: int8Group)
            storage = .int8(
                QuantizedWeight(weight: weight.baseAddress!, outputs: outputSize, inputs: inputSize, group: group),
                int8Kernel)
            return
        }
        switch kernel {
        case .blas:
            storage = .rowMajor(Array(weight))
        case .avx512:
            storage = .packed(PackedWeight(weight: weight.baseAddress!, outputs: outputSize, inputs: inputSize))
        }
    }

    /// A layer for the AVX-512 kernel on a weight packed earlier.
    init(packed: PackedWeight, bias: [Float], inputSize: Int, outputSize: Int) {
        self.bias = bias
        self.inputSize = inputSize
        self.outputSize = outputSize
        storage = .packed(packed)
    }

    /// The packed weight, for layers that multiply with the AVX-512 kernel in fp32.
    var packedWeight: PackedWeight? {
        if case .packed(let weight) = storage { return weight }
        return nil
    }

    /// Computes `output[rows×outputSize] = input[rows×inputSize] · Wᵀ + b`.
    ///
    /// On fp32 weights the product is accumulated onto the bias (the AVX-512 kernel starts from it; for BLAS it is
    /// written first), which spares a zeroing pass and a separate bias pass. On int8 weights the input is first
    /// quantised into `workspace` (a temporary one when `nil`), and the kernel adds the bias as it writes.
    ///
    /// With `gelu` (only where ``fusesGELU``), GELU of the outputs follows inside the product.
    func apply(
        _ input: UnsafePointer<Float>, rows: Int, into output: UnsafeMutablePointer<Float>,
        workspace: Int8Workspace? = nil, gelu: Bool = false
    ) {
        precondition(!gelu || fusesGELU, "GELU inside the product needs the AVX-512 fp32 kernel")
        guard rows > 0 else { return }
        if case .int8(let weight, let kernel) = storage {
            applyInt8(weight, kernel: kernel, input, rows: rows, into: output, workspace: workspace ?? Int8Workspace())
            return
        }
        bias.withUnsafeBufferPointer { b in
            guard let b = b.baseAddress else { return }
            switch storage {
            case .rowMajor(let weight):
                for row in 0..<rows {
                    (output + row * outputSize).update(from: b, count: outputSize)
                }
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
                // The kernel starts each output from the bias.
                packed.multiply(
                    input, rows: rows, inputs: inputSize, inputStride: inputSize, outputs: outputSize, bias: b,
                    into: output, outputStride: outputSize, gelu: gelu)
            case .int8:
                break  // handled above
            }
        }
    }

    /// Computes `output[rows×outputSize] = input[rows×inputSize] · Wᵀ`, without the bias, on fp32 weights; each
    /// row's result is what it would be alone, whatever rows come with it (Strassen's algorithm otherwise mixes
    /// the rounding of rows it pairs).
    func multiply(_ input: UnsafePointer<Float>, rows: Int, into output: UnsafeMutablePointer<Float>) {
        guard rows > 0 else { return }
        switch storage {
        case .rowMajor(let weight):
            weight.withUnsafeBufferPointer { w in
                guard let w = w.baseAddress else { return }
                BLAS.sgemm(
                    transposeA: false, transposeB: true, m: rows, n: outputSize, k: inputSize,
                    alpha: 1, a: input, lda: inputSize, b: w, ldb: inputSize, beta: 0, c: output, ldc: outputSize)
            }
        case .packed(let packed):
            let zeros = [Float](repeating: 0, count: outputSize)
            packed.multiply(
                input, rows: rows, inputs: inputSize, inputStride: inputSize, outputs: outputSize, bias: zeros,
                into: output, outputStride: outputSize, separate: true)
        case .int8:
            preconditionFailure("multiply(_:rows:into:) needs fp32 weights")
        }
    }

    /// Whether `apply` can follow the product with GELU itself (the AVX-512 fp32 kernel: Strassen's applies it
    /// block by block while the outputs are still in cache, saving a pass over them from memory).
    var fusesGELU: Bool {
        if case .packed = storage { true } else { false }
    }

    /// Whether the weight is held as int8.
    var isQuantized: Bool {
        if case .int8 = storage { true } else { false }
    }

    private func applyInt8(
        _ weight: QuantizedWeight, kernel: Int8Kernel, _ input: UnsafePointer<Float>, rows: Int,
        into output: UnsafeMutablePointer<Float>, workspace: Int8Workspace
    ) {
        let groups = inputSize / weight.group
        workspace.reserve(values: rows * inputSize, scales: rows * groups)
        bias.withUnsafeBufferPointer { b in
            guard let b = b.baseAddress else { return }
            switch kernel {
            case .portable:
                es_i8_quantize_rows(input, rows, inputSize, inputSize, weight.group, workspace.values, workspace.scales)
                es_i8_gemm(
                    rows, outputSize, inputSize, weight.group, workspace.values, workspace.scales, weight.packed,
                    weight.scales, weight.corrections, b, output, outputSize)
            case .vnni:
                es_i8_quantize_rows_avx512(
                    input, rows, inputSize, inputSize, weight.group, workspace.values, workspace.scales)
                es_i8_gemm_vnni(
                    rows, outputSize, inputSize, weight.group, workspace.values, workspace.scales, weight.packed,
                    weight.scales, weight.corrections, b, output, outputSize)
            }
        }
    }
}

/// LayerNorm parameters.
struct LayerNormParameters: Sendable {
    let gamma: [Float]
    let beta: [Float]
    let epsilon: Float

    /// `output = LayerNorm(input + residual)` for `rows` rows; `output` may alias either input. With `.avx512`, by
    /// the AVX-512 kernel (the same arithmetic, in C).
    func apply(
        _ input: UnsafePointer<Float>, residual: UnsafePointer<Float>?, rows: Int,
        into output: UnsafeMutablePointer<Float>, kernel: MatrixKernel = .blas
    ) {
        gamma.withUnsafeBufferPointer { g in
            beta.withUnsafeBufferPointer { b in
                guard let g = g.baseAddress, let b = b.baseAddress else { return }
                switch kernel {
                case .avx512:
                    es_layer_norm_avx512(input, residual, output, rows, gamma.count, g, b, epsilon)
                case .blas:
                    VectorMath.layerNorm(
                        input: input, residual: residual, output: output, rows: rows, cols: gamma.count,
                        gamma: g, beta: b, epsilon: epsilon)
                }
            }
        }
    }
}
