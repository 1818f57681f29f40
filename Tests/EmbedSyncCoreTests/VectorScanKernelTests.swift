import CEmbedSyncKernels
import Testing

@testable import EmbedSyncCore

/// The search scan's C kernel (`es_dots`: AVX-512, AVX2 or plain C, whichever this CPU runs) against a
/// double-precision reference, and the scan's two paths against each other. A debug build compiles the kernel
/// without optimisation and the scan then uses Swift, so both are called explicitly here.
@Suite("search scan kernel")
struct VectorScanKernelTests {
    /// Deterministic vectors in -1…1 (a linear congruential generator; no randomness between runs).
    static func matrix(rows: Int, dimensions: Int, seed: UInt64) -> [Float] {
        var state = seed
        return (0..<(rows * dimensions)).map { _ in
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Float(Int64(bitPattern: state >> 11) % 2_000_001 - 1_000_000) / 1_000_000
        }
    }

    @Test("es_dots equals a double-precision dot product for every row", arguments: [1, 7, 8, 16, 17, 33, 384, 1536])
    func dotsMatchReference(_ dimensions: Int) {
        let rows = 37
        let matrix = Self.matrix(rows: rows, dimensions: dimensions, seed: UInt64(dimensions))
        let query = Self.matrix(rows: 1, dimensions: dimensions, seed: 99)
        var scores = [Float](repeating: .nan, count: rows)
        es_dots(query, matrix, rows, dimensions, &scores)
        for row in 0..<rows {
            var exact = 0.0
            for i in 0..<dimensions { exact += Double(matrix[row * dimensions + i]) * Double(query[i]) }
            #expect(
                abs(Double(scores[row]) - exact) <= 1e-5 * Double(dimensions), "row \(row): \(scores[row]) vs \(exact)")
        }
        #expect(["avx512", "avx2", "c"].contains(String(cString: es_dots_isa())))
    }

    @Test("the scan finds the same top 10 through the kernel and through Swift, with and without norms")
    func pathsAgree() {
        let rows = 5000
        let dimensions = 384
        let matrix = Self.matrix(rows: rows, dimensions: dimensions, seed: 7)
        let query = VectorScan.normalized(Self.matrix(rows: 1, dimensions: dimensions, seed: 8))
        let norms = (0..<rows).map { row in
            (0..<dimensions).reduce(Float(0)) { $0 + matrix[row * dimensions + $1] * matrix[row * dimensions + $1] }
                .squareRoot()
        }
        matrix.withUnsafeBufferPointer { pointer in
            norms.withUnsafeBufferPointer { normPointer in
                for withNorms in [false, true] {
                    let results = [true, false].map { kernel in
                        VectorScan.topK(
                            query: query, matrix: pointer, count: rows, dimensions: dimensions,
                            norms: withNorms ? normPointer : nil, k: 10, minScore: -.infinity, threads: 2,
                            kernel: kernel)
                    }
                    #expect(results[0].map(\.index) == results[1].map(\.index), "norms: \(withNorms)")
                    for (a, b) in zip(results[0], results[1]) { #expect(abs(a.score - b.score) < 1e-5) }
                    #expect(results[0].count == 10)
                }
            }
        }
    }
}
