#if canImport(Accelerate)
import Accelerate
#elseif canImport(COpenBLAS)
import COpenBLAS
#endif

/// The one place that talks to BLAS: Accelerate on Apple platforms, OpenBLAS elsewhere.
///
/// All matrices are row-major `Float` buffers.
enum BLAS {
    /// Sets how many threads BLAS itself may use for one call (OpenBLAS only; Accelerate decides alone).
    static func setThreadCount(_ count: Int) {
        #if !canImport(Accelerate) && canImport(COpenBLAS)
        openblas_set_num_threads(Int32(max(1, count)))
        #endif
    }

    /// The kernel set BLAS uses (OpenBLAS's core name, e.g. "Cooperlake" or "Haswell"), for benchmarks.
    /// OpenBLAS picks it from the CPU unless `OPENBLAS_CORETYPE` forces one; this code never overrides that.
    static var kernelName: String {
        #if !canImport(Accelerate) && canImport(COpenBLAS)
        guard let name = openblas_get_corename() else { return "unknown" }
        return String(cString: name)
        #else
        return "Accelerate"
        #endif
    }

    /// The number of threads BLAS uses for one call (1 when unknown).
    static var threadCount: Int {
        #if !canImport(Accelerate) && canImport(COpenBLAS)
        return Int(openblas_get_num_threads())
        #else
        return 1
        #endif
    }

    /// `C[m×n] = alpha · op(A) · op(B) + beta · C`, row-major, where `op(A)` is `m×k` and `op(B)` is `k×n`.
    ///
    /// - Parameters:
    ///   - transposeA: use `Aᵀ` (then A is stored `k×m`).
    ///   - transposeB: use `Bᵀ` (then B is stored `n×k`, e.g. a PyTorch `[out, in]` weight).
    ///   - lda, ldb, ldc: row strides in elements.
    @inline(__always)
    static func sgemm(
        transposeA: Bool, transposeB: Bool,
        m: Int, n: Int, k: Int,
        alpha: Float,
        a: UnsafePointer<Float>, lda: Int,
        b: UnsafePointer<Float>, ldb: Int,
        beta: Float,
        c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        cblas_sgemm(
            CblasRowMajor,
            transposeA ? CblasTrans : CblasNoTrans,
            transposeB ? CblasTrans : CblasNoTrans,
            blasInt(m), blasInt(n), blasInt(k),
            alpha, a, blasInt(lda), b, blasInt(ldb),
            beta, c, blasInt(ldc)
        )
    }

    #if canImport(Accelerate)
    @inline(__always) private static func blasInt(_ value: Int) -> Int32 { Int32(truncatingIfNeeded: value) }
    #else
    @inline(__always) private static func blasInt(_ value: Int) -> blasint { blasint(truncatingIfNeeded: value) }
    #endif
}
