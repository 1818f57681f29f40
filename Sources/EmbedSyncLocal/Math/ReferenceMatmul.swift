/// A plain, obviously-correct matrix product used by tests to check the BLAS path.
enum ReferenceMatmul {
    /// Returns `A[m×k] · Bᵀ` where `B` is stored `n×k` (the PyTorch linear-layer layout), row-major.
    static func multiplyTransposed(_ a: [Float], _ b: [Float], m: Int, n: Int, k: Int) -> [Float] {
        var c = [Float](repeating: 0, count: m * n)
        for i in 0..<m {
            for j in 0..<n {
                var sum: Double = 0
                for p in 0..<k {
                    sum += Double(a[i * k + p]) * Double(b[j * k + p])
                }
                c[i * n + j] = Float(sum)
            }
        }
        return c
    }
}
