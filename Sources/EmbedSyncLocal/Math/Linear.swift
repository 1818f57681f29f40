/// A fully connected layer `y = x · Wᵀ + b` with a PyTorch-layout weight `W[out×in]`.
///
/// The one place the encoder multiplies by a weight matrix, so a reduced-precision path
/// (int8 or bf16 weights) can replace this type without touching the model code.
struct Linear: Sendable {
    let inputSize: Int
    let outputSize: Int
    /// `outputSize × inputSize`, row-major.
    let weight: [Float]
    let bias: [Float]

    init(weight: [Float], bias: [Float], inputSize: Int, outputSize: Int) {
        self.weight = weight
        self.bias = bias
        self.inputSize = inputSize
        self.outputSize = outputSize
    }

    /// Stacks layers that read the same input (e.g. query, key and value) into one wider layer.
    init(concatenating layers: [Linear]) {
        inputSize = layers.first?.inputSize ?? 0
        outputSize = layers.reduce(0) { $0 + $1.outputSize }
        weight = layers.flatMap(\.weight)
        bias = layers.flatMap(\.bias)
    }

    /// Computes `output[rows×outputSize] = input[rows×inputSize] · Wᵀ + b`.
    ///
    /// The bias is written first and the product accumulated onto it (`beta = 1`), which spares BLAS
    /// its zeroing pass and us a separate bias pass.
    func apply(_ input: UnsafePointer<Float>, rows: Int, into output: UnsafeMutablePointer<Float>) {
        guard rows > 0 else { return }
        bias.withUnsafeBufferPointer { b in
            guard let b = b.baseAddress else { return }
            for row in 0..<rows {
                (output + row * outputSize).update(from: b, count: outputSize)
            }
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
    }
}

/// LayerNorm parameters.
struct LayerNormParameters: Sendable {
    let gamma: [Float]
    let beta: [Float]
    let epsilon: Float

    /// `output = LayerNorm(input + residual)` for `rows` rows; `output` may alias either input.
    func apply(_ input: UnsafePointer<Float>, residual: UnsafePointer<Float>?, rows: Int,
               into output: UnsafeMutablePointer<Float>) {
        gamma.withUnsafeBufferPointer { g in
            beta.withUnsafeBufferPointer { b in
                guard let g = g.baseAddress, let b = b.baseAddress else { return }
                VectorMath.layerNorm(input: input, residual: residual, output: output, rows: rows, cols: gamma.count,
                                     gamma: g, beta: b, epsilon: epsilon)
            }
        }
    }
}
