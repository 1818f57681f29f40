import CEmbedSyncKernels
import Dispatch

/// Exact nearest-neighbour scoring over a contiguous row-major matrix of float32 vectors:
/// SIMD dot products, a bounded top-k heap per thread, both cores.
public enum VectorScan {
    /// The `k` rows of `matrix` (`count` × `dimensions`) with the highest cosine similarity to `query`.
    ///
    /// - Parameters:
    ///   - query: the query vector, already L2-normalised.
    ///   - norms: each row's L2 norm, or `nil` when the rows are already normalised.
    ///   - minScore: rows scoring below it are dropped.
    ///   - threads: how many threads to split the rows over.
    /// - Returns: best first, as (score, row index).
    public static func topK(
        query: [Float], matrix: UnsafeBufferPointer<Float>, count: Int, dimensions: Int,
        norms: UnsafeBufferPointer<Float>?,
        k: Int, minScore: Float = -.infinity, threads: Int = 2
    ) -> [(score: Float, index: Int)] {
        topK(
            query: query, matrix: matrix, count: count, dimensions: dimensions, norms: norms, k: k,
            minScore: minScore, threads: threads, kernel: usesKernel)
    }

    /// ``topK(query:matrix:count:dimensions:norms:k:minScore:threads:)`` with the dot products from the C kernel
    /// (`kernel`) or from Swift — both paths tested whatever the build.
    static func topK(
        query: [Float], matrix: UnsafeBufferPointer<Float>, count: Int, dimensions: Int,
        norms: UnsafeBufferPointer<Float>?, k: Int, minScore: Float, threads: Int, kernel usesKernel: Bool
    ) -> [(score: Float, index: Int)] {
        guard count > 0, k > 0, dimensions == query.count, matrix.count >= count * dimensions else { return [] }
        let parts = max(1, min(threads, count / 2048 + 1))
        let heaps = UnsafeMutableBufferPointer<TopK>.allocate(capacity: parts)
        heaps.initialize(repeating: TopK(k: k))
        defer {
            heaps.deinitialize()
            heaps.deallocate()
        }
        query.withUnsafeBufferPointer { queryPointer in
            let shared = ScanBuffers(query: queryPointer, matrix: matrix, norms: norms, heaps: heaps)
            let chunk = (count + parts - 1) / parts
            DispatchQueue.concurrentPerform(iterations: parts) { part in
                let q = shared.query
                let matrix = shared.matrix
                let norms = shared.norms
                let start = part * chunk
                let end = min(count, start + chunk)
                guard start < end else { return }
                var heap = TopK(k: k)
                func consider(_ dot: Float, _ row: Int) {
                    var score = dot
                    if let norms {
                        let norm = norms[row]
                        score = norm > 0 ? score / norm : -.infinity
                    }
                    if score >= minScore, score > heap.threshold || heap.threshold == -.infinity {
                        heap.insert(score: score, index: row)
                    }
                }
                if usesKernel, let base = matrix.baseAddress, let queryBase = q.baseAddress {
                    // Blocks of scores from the C kernel (AVX-512 or AVX2 here, where Swift's SIMD types compile
                    // to the baseline SSE2), then the heap.
                    let scores = UnsafeMutablePointer<Float>.allocate(capacity: kernelBlock)
                    defer { scores.deallocate() }
                    var row = start
                    while row < end {
                        let rows = min(kernelBlock, end - row)
                        es_dots(queryBase, base + row * dimensions, rows, dimensions, scores)
                        for offset in 0..<rows { consider(scores[offset], row + offset) }
                        row += rows
                    }
                } else {
                    for row in start..<end {
                        consider(dot(q, matrix, offset: row * dimensions, dimensions: dimensions), row)
                    }
                }
                shared.heaps[part] = heap
            }
        }
        var merged = TopK(k: k)
        for heap in heaps { merged.merge(heap) }
        return merged.sorted()
    }

    /// Whether the scan's dot products go through the C kernel (`es_dots`): only when it was compiled with
    /// optimisation (a debug build compiles C at -O0, where the Swift loop is faster).
    static let usesKernel = es_kernels_optimized()
    /// Rows scored per kernel call: their scores stay in L1.
    static let kernelBlock = 1024

    /// The instructions the scan uses here, for `embedsync doctor` and benchmarks: "avx512", "avx2", "c" or "swift".
    public static var instructions: String { usesKernel ? String(cString: es_dots_isa()) : "swift" }

    /// Dot product of `query` with the row at `offset`, 16 lanes at a time.
    @inline(__always)
    public static func dot(
        _ query: UnsafeBufferPointer<Float>, _ matrix: UnsafeBufferPointer<Float>, offset: Int, dimensions: Int
    ) -> Float {
        guard let q = query.baseAddress, let m = matrix.baseAddress else { return 0 }
        let row = m + offset
        var sum0 = SIMD16<Float>()
        var sum1 = SIMD16<Float>()
        var i = 0
        let raw = UnsafeRawPointer(row)
        let rawQ = UnsafeRawPointer(q)
        while i + 32 <= dimensions {
            sum0 +=
                raw.loadUnaligned(fromByteOffset: i * 4, as: SIMD16<Float>.self)
                * rawQ.loadUnaligned(fromByteOffset: i * 4, as: SIMD16<Float>.self)
            sum1 +=
                raw.loadUnaligned(fromByteOffset: (i + 16) * 4, as: SIMD16<Float>.self)
                * rawQ.loadUnaligned(fromByteOffset: (i + 16) * 4, as: SIMD16<Float>.self)
            i += 32
        }
        while i + 16 <= dimensions {
            sum0 +=
                raw.loadUnaligned(fromByteOffset: i * 4, as: SIMD16<Float>.self)
                * rawQ.loadUnaligned(fromByteOffset: i * 4, as: SIMD16<Float>.self)
            i += 16
        }
        var total = (sum0 + sum1).sum()
        while i < dimensions {
            total += row[i] * q[i]
            i += 1
        }
        return total
    }

    /// The vector scaled to unit length (unchanged when its norm is zero).
    public static func normalized(_ vector: [Float]) -> [Float] {
        let norm = vector.reduce(0) { $0 + $1 * $1 }.squareRoot()
        return norm > 0 ? vector.map { $0 / norm } : vector
    }
}

/// The buffers one scan shares between its threads.
/// @unchecked Sendable: the inputs are only read, and each thread writes only its own `heaps` slot,
/// all within `concurrentPerform`, which returns after every thread is done.
private struct ScanBuffers: @unchecked Sendable {
    let query: UnsafeBufferPointer<Float>
    let matrix: UnsafeBufferPointer<Float>
    let norms: UnsafeBufferPointer<Float>?
    let heaps: UnsafeMutableBufferPointer<TopK>
}
