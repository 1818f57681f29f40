import CEmbedSyncKernels
import Foundation
import Testing

@testable import EmbedSyncLocal

@Suite("Strassen's algorithm in the AVX-512 kernel")
struct StrassenTests {
    /// The largest |difference| between `es_gemm_strassen_avx512` and a Double reference, over an output with row
    /// stride `ldc > n` whose other columns and the row past it must keep their value 7.
    static func worstError(
        m: Int, n: Int, k: Int, levels: Int, withBias: Bool, lda: Int? = nil
    ) -> (worst: Double, touchedOutside: Bool) {
        let lda = lda ?? k
        let ldc = n + 5
        let a = pseudoRandom(m * lda, seed: 11)
        let w = pseudoRandom(n * k, seed: 12)
        let bias = pseudoRandom(n, seed: 13)
        let packed = w.withUnsafeBufferPointer {
            PackedWeight(weight: $0.baseAddress!, outputs: n, inputs: k, strassenLevels: levels)
        }
        #expect(packed.strassenLevels == levels, "\(n)×\(k) should take \(levels) levels")
        var c = [Float](repeating: 7, count: (m + 1) * ldc)
        a.withUnsafeBufferPointer { a in
            c.withUnsafeMutableBufferPointer { c in
                bias.withUnsafeBufferPointer { b in
                    packed.multiply(
                        a.baseAddress!, rows: m, inputs: k, inputStride: lda, outputs: n,
                        bias: withBias ? b.baseAddress! : nil, into: c.baseAddress!, outputStride: ldc)
                }
            }
        }
        var worst = 0.0
        var touchedOutside = false
        for i in 0..<m {
            for j in 0..<n {
                var expected = withBias ? Double(bias[j]) : 7
                for p in 0..<k { expected += Double(a[i * lda + p]) * Double(w[j * k + p]) }
                worst = max(worst, abs(Double(c[i * ldc + j]) - expected))
            }
            for j in n..<ldc where c[i * ldc + j] != 7 { touchedOutside = true }
        }
        for j in 0..<ldc where c[m * ldc + j] != 7 { touchedOutside = true }
        return (worst, touchedOutside)
    }

    @Test(
        "one and two levels equal the plain product up to rounding: odd rows, short blocks, bias or accumulate",
        .enabled(if: MatrixKernel.avx512.isAvailable, "needs an AVX-512 CPU"),
        arguments: [1, 2],
        [
            (1, 128, 64), (3, 128, 64), (7, 384, 384), (113, 256, 384), (226, 128, 1536), (61, 1152, 384),
            (29, 128, 1600),
        ])
    func matchesReference(levels: Int, shape: (Int, Int, Int)) {
        let (m, n, k) = shape
        for withBias in [true, false] {
            let (worst, outside) = Self.worstError(m: m, n: n, k: k, levels: levels, withBias: withBias)
            // Inputs in [-1, 1): products of up to 1600 terms (with one level, 1600 inputs make halves deeper than one
            // 768-input step); the plain kernel's error is of the same order.
            #expect(worst < 2e-4, "\(levels) levels, \(m)×\(n)×\(k), bias \(withBias): max |diff| \(worst)")
            #expect(!outside, "\(levels) levels, \(m)×\(n)×\(k) wrote outside its output")
        }
    }

    @Test(
        "inputs with a row stride wider than the layer are read correctly",
        .enabled(if: MatrixKernel.avx512.isAvailable, "needs an AVX-512 CPU"))
    func readsStridedInputs() {
        let (worst, outside) = Self.worstError(m: 29, n: 128, k: 64, levels: 1, withBias: true, lda: 80)
        #expect(worst < 1e-4, "max |diff| \(worst)")
        #expect(!outside)
    }

    @Test("shapes Strassen's algorithm cannot split keep the plain packing")
    func unsupportedShapesFallBack() {
        for (n, k, levels, expected) in [
            (40, 70, 1, 0), (64, 64, 2, 1), (64, 48, 1, 0), (384, 384, 2, 2), (1536, 384, 1, 1),
        ] {
            let w = pseudoRandom(n * k, seed: 14)
            let packed = w.withUnsafeBufferPointer {
                PackedWeight(weight: $0.baseAddress!, outputs: n, inputs: k, strassenLevels: levels)
            }
            #expect(packed.strassenLevels == expected, "\(n)×\(k) asked for \(levels) levels")
        }
    }

    @Test(
        "GELU inside the product equals GELU after it: Strassen's kernel (odd rows included) and the plain one",
        .enabled(if: MatrixKernel.avx512.isAvailable, "needs an AVX-512 CPU"),
        arguments: [(1, 113, 256, 384), (2, 29, 128, 256), (0, 9, 40, 70)])
    func fusedGELU(levels: Int, m: Int, n: Int, k: Int) {
        let ldc = n + 3
        let a = pseudoRandom(m * k, seed: 21).map { $0 * 2 }
        let w = pseudoRandom(n * k, seed: 22)
        let bias = pseudoRandom(n, seed: 23)
        let packed = w.withUnsafeBufferPointer {
            PackedWeight(weight: $0.baseAddress!, outputs: n, inputs: k, strassenLevels: levels)
        }
        #expect(packed.strassenLevels == levels)
        func product(gelu: Bool) -> [Float] {
            var c = [Float](repeating: 7, count: (m + 1) * ldc)
            a.withUnsafeBufferPointer { a in
                c.withUnsafeMutableBufferPointer { c in
                    bias.withUnsafeBufferPointer { b in
                        packed.multiply(
                            a.baseAddress!, rows: m, inputs: k, inputStride: k, outputs: n, bias: b.baseAddress!,
                            into: c.baseAddress!, outputStride: ldc, gelu: gelu)
                    }
                }
            }
            return c
        }
        var expected = product(gelu: false)
        for i in 0..<m { expected.withUnsafeMutableBufferPointer { es_gelu_avx512($0.baseAddress! + i * ldc, n) } }
        let fused = product(gelu: true)
        #expect(fused == expected, "\(levels) levels, \(m)×\(n)×\(k)")
        #expect(fused.contains { $0 < 0 } && fused.contains { $0 > 1 }, "GELU's range: small negatives and positives")
    }

    @Test(
        "rows multiplied separately come out bit for bit as each row alone, close to the plain product",
        .enabled(if: MatrixKernel.avx512.isAvailable, "needs an AVX-512 CPU"),
        arguments: [1, 2], [true, false])
    func separateRows(levels: Int, withBias: Bool) {
        // 130 rows: two full blocks, then a shorter one after rows that left values in the block.
        let (m, n, k, ldc) = (130, 128, 384, 131)
        let a = pseudoRandom(m * k, seed: 31)
        let w = pseudoRandom(n * k, seed: 32)
        let bias = pseudoRandom(n, seed: 33)
        let packed = w.withUnsafeBufferPointer {
            PackedWeight(weight: $0.baseAddress!, outputs: n, inputs: k, strassenLevels: levels)
        }
        #expect(packed.strassenLevels == levels)
        func product(rows: Range<Int>, separate: Bool, into c: inout [Float]) {
            a.withUnsafeBufferPointer { a in
                c.withUnsafeMutableBufferPointer { c in
                    bias.withUnsafeBufferPointer { b in
                        packed.multiply(
                            a.baseAddress! + rows.lowerBound * k, rows: rows.count, inputs: k, inputStride: k,
                            outputs: n, bias: withBias ? b.baseAddress! : nil,
                            into: c.baseAddress! + rows.lowerBound * ldc, outputStride: ldc, separate: separate)
                    }
                }
            }
        }
        var together = [Float](repeating: 7, count: (m + 1) * ldc)
        product(rows: 0..<m, separate: true, into: &together)
        var alone = [Float](repeating: 7, count: (m + 1) * ldc)
        for row in 0..<m { product(rows: row..<(row + 1), separate: false, into: &alone) }
        #expect(together == alone, "\(levels) levels")
        var worst = 0.0
        for i in 0..<m {
            for j in 0..<n {
                var expected = withBias ? Double(bias[j]) : 7
                for p in 0..<k { expected += Double(a[i * k + p]) * Double(w[j * k + p]) }
                worst = max(worst, abs(Double(together[i * ldc + j]) - expected))
            }
        }
        #expect(worst < 1e-3, "largest error \(worst)")
    }
}
