import CEmbedSyncKernels
import Foundation
import Testing

@testable import EmbedSyncLocal

@Suite("Math kernels")
struct MathTests {
    @Test(
        "Linear equals the reference matmul plus bias with every kernel this CPU runs, edge tiles included",
        arguments: MatrixKernel.allCases.filter(\.isAvailable),
        [(1, 3, 5), (7, 384, 384), (33, 17, 65), (15, 33, 300), (127, 50, 257), (29, 1152, 384), (3, 64, 1536)])
    func linearMatchesReference(kernel: MatrixKernel, shape: (Int, Int, Int)) {
        let (m, n, k) = shape
        let a = pseudoRandom(m * k, seed: 1)
        let w = pseudoRandom(n * k, seed: 2)
        let bias = pseudoRandom(n, seed: 3)
        let reference = ReferenceMatmul.multiplyTransposed(a, w, m: m, n: n, k: k)
        let layer = Linear(weight: w, bias: bias, inputSize: k, outputSize: n, kernel: kernel)
        var output = [Float](repeating: .nan, count: m * n)
        a.withUnsafeBufferPointer { input in
            output.withUnsafeMutableBufferPointer { out in
                if let i = input.baseAddress, let o = out.baseAddress { layer.apply(i, rows: m, into: o) }
            }
        }
        var worst: Float = 0
        for i in 0..<m {
            for j in 0..<n { worst = max(worst, abs(output[i * n + j] - reference[i * n + j] - bias[j])) }
        }
        #expect(worst < 1e-4, "\(kernel.rawValue) \(m)×\(n)×\(k): max |diff| \(worst)")
    }

    @Test(
        "AVX-512 GELU agrees with the Swift version, tails included",
        .enabled(if: MatrixKernel.avx512.isAvailable, "needs an AVX-512 CPU"))
    func avx512GELUMatchesSwift() throws {
        for count in [1, 15, 16, 37, 1536] {
            let input = pseudoRandom(count, seed: UInt64(count)).map { $0 * 8 }
            var swift = input
            var avx = input + [42]
            swift.withUnsafeMutableBufferPointer { VectorMath.gelu($0.baseAddress!, count: count) }
            avx.withUnsafeMutableBufferPointer { es_gelu_avx512($0.baseAddress!, count) }
            for i in 0..<count {
                #expect(abs(swift[i] - avx[i]) <= 1e-6 * max(1, abs(swift[i])), "gelu[\(i)] of \(count)")
            }
            #expect(avx[count] == 42, "GELU wrote past its \(count) floats")
        }
    }

    @Test(
        "AVX-512 LayerNorm agrees with the Swift version: with a residual or none, tails, output over the residual",
        .enabled(if: MatrixKernel.avx512.isAvailable, "needs an AVX-512 CPU"))
    func avx512LayerNormMatchesSwift() {
        let rows = 3
        for cols in [5, 16, 37, 384] {
            let input = pseudoRandom(rows * cols, seed: UInt64(cols)).map { $0 * 4 + 1 }
            let residual = pseudoRandom(rows * cols, seed: UInt64(cols + 100))
            let norm = LayerNormParameters(
                gamma: pseudoRandom(cols, seed: 7), beta: pseudoRandom(cols, seed: 8), epsilon: 1e-12)
            for withResidual in [true, false] {
                func normalised(_ kernel: MatrixKernel) -> [Float] {
                    var out = residual + [42]
                    input.withUnsafeBufferPointer { x in
                        out.withUnsafeMutableBufferPointer { o in
                            let base = o.baseAddress!
                            norm.apply(
                                x.baseAddress!, residual: withResidual ? base : nil, rows: rows, into: base,
                                kernel: kernel)
                        }
                    }
                    return out
                }
                let swift = normalised(.blas)
                let avx = normalised(.avx512)
                for i in 0..<(rows * cols) {
                    #expect(abs(swift[i] - avx[i]) <= 1e-5 * max(1, abs(swift[i])), "\(cols) columns, [\(i)]")
                }
                #expect(avx[rows * cols] == 42, "LayerNorm wrote past its \(rows)×\(cols) floats")
            }
        }
    }

    @Test(
        "the AVX-512 kernel leaves rows and columns outside its output alone",
        .enabled(if: MatrixKernel.avx512.isAvailable, "needs an AVX-512 CPU"))
    func packedKernelWritesOnlyItsOutput() throws {
        let (m, n, k, ldc) = (17, 40, 70, 48)
        let a = pseudoRandom(m * k, seed: 4)
        let w = pseudoRandom(n * k, seed: 5)
        let packed = w.withUnsafeBufferPointer { PackedWeight(weight: $0.baseAddress!, outputs: n, inputs: k) }
        var c = [Float](repeating: 7, count: (m + 1) * ldc)
        a.withUnsafeBufferPointer { a in
            c.withUnsafeMutableBufferPointer { c in
                es_gemm_packed_avx512(m, n, k, a.baseAddress!, k, packed.pointer, nil, c.baseAddress!, ldc)
            }
        }
        let reference = ReferenceMatmul.multiplyTransposed(a, w, m: m, n: n, k: k)
        for i in 0..<m {
            for j in 0..<n { #expect(abs(c[i * ldc + j] - 7 - reference[i * n + j]) < 1e-4, "(\(i), \(j))") }
            for j in n..<ldc { #expect(c[i * ldc + j] == 7, "padding column \(j) of row \(i) was written") }
        }
        for j in 0..<ldc { #expect(c[m * ldc + j] == 7, "row past the output was written") }
    }

    @Test("fast exp is within 2e-7 relative of the C library over [-87, 88]")
    func expIsAccurate() {
        var worst: Double = 0
        var x: Float = -87
        while x <= 88 {
            let expected = Foundation.exp(Double(x))
            worst = max(worst, abs(Double(FastMath.exp(x)) - expected) / expected)
            x += 0.0137
        }
        #expect(worst < 2e-7, "max relative error \(worst)")
        #expect(FastMath.exp(0) == 1)
    }

    @Test("fast erf is within 5e-7 of the C library")
    func erfIsAccurate() {
        var worst: Double = 0
        var x: Float = -6
        while x <= 6 {
            worst = max(worst, abs(Double(FastMath.erf(x)) - Foundation.erf(Double(x))))
            x += 0.000_37
        }
        #expect(worst < 5e-7, "max abs error \(worst)")
    }

    @Test("softmax rows sum to one and keep order; LayerNorm gives zero mean and unit variance")
    func softmaxAndLayerNorm() {
        var rows = pseudoRandom(3 * 37, seed: 9).map { $0 * 20 }
        rows.withUnsafeMutableBufferPointer { p in
            if let base = p.baseAddress { VectorMath.softmaxRows(base, rows: 3, cols: 37, stride: 37) }
        }
        for r in 0..<3 { #expect(abs(rows[(r * 37)..<(r * 37 + 37)].reduce(0, +) - 1) < 1e-5) }
        var x = pseudoRandom(2 * 384, seed: 4)
        let gamma = [Float](repeating: 1, count: 384)
        let beta = [Float](repeating: 0, count: 384)
        let norm = LayerNormParameters(gamma: gamma, beta: beta, epsilon: 1e-12)
        x.withUnsafeMutableBufferPointer { p in
            if let base = p.baseAddress { norm.apply(base, residual: nil, rows: 2, into: base) }
        }
        let first = x[0..<384].map(Double.init)
        let mean = first.reduce(0, +) / 384
        let variance = first.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / 384
        #expect(abs(mean) < 1e-5 && abs(variance - 1) < 1e-4)
    }
}
