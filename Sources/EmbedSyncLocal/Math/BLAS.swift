#if canImport(Accelerate)
import Accelerate
#elseif canImport(COpenBLAS)
import COpenBLAS
import Foundation
#endif

/// The one place that talks to BLAS: Accelerate on Apple platforms, OpenBLAS elsewhere.
///
/// All matrices are row-major `Float` buffers.
enum BLAS {
    /// Why BLAS cannot be used here (OpenBLAS could not be opened), or nil. The model checks it before it takes the
    /// BLAS path, so ``sgemm`` is never reached without a library.
    static var unavailableReason: String? {
        #if !canImport(Accelerate) && canImport(COpenBLAS)
        if case .failure(let reason) = OpenBLAS.loaded { return reason.text }
        #endif
        return nil
    }

    /// Sets how many threads BLAS itself may use for one call (OpenBLAS only; Accelerate decides alone).
    static func setThreadCount(_ count: Int) {
        #if !canImport(Accelerate) && canImport(COpenBLAS)
        OpenBLAS.library?.setThreads(Int32(max(1, count)))
        #endif
    }

    /// The kernel set BLAS uses (OpenBLAS's core name, e.g. "Cooperlake" or "Haswell"), for benchmarks.
    /// OpenBLAS picks it from the CPU unless `OPENBLAS_CORETYPE` forces one; this code never overrides that.
    static var kernelName: String {
        #if !canImport(Accelerate) && canImport(COpenBLAS)
        guard let library = OpenBLAS.library else { return "missing" }
        guard let name = library.coreName() else { return "unknown" }
        return String(cString: name)
        #else
        return "Accelerate"
        #endif
    }

    /// The number of threads BLAS uses for one call (1 when unknown).
    static var threadCount: Int {
        #if !canImport(Accelerate) && canImport(COpenBLAS)
        return Int(OpenBLAS.library?.threads() ?? 1)
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
        #if canImport(Accelerate)
        let cblas_sgemm = Accelerate.cblas_sgemm
        #else
        // Callers took the BLAS path only after the model checked `unavailableReason`.
        guard let cblas_sgemm = OpenBLAS.library?.sgemm else { preconditionFailure("BLAS used without OpenBLAS") }
        #endif
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

#if !canImport(Accelerate) && canImport(COpenBLAS)
/// OpenBLAS, opened on first use rather than linked.
///
/// Linked, OpenBLAS starts its thread pool before `main`, and an idle pool thread spins for about 0.1 s of CPU:
/// on two cores, a tenth of a second taken from every command, `search` and `status` included, and from the model's
/// load. The AVX-512 path never opens it. Opened here, the pool has one thread (the encoder runs its own threads)
/// unless the environment sets `OPENBLAS_NUM_THREADS`, `GOTO_NUM_THREADS` or `OMP_NUM_THREADS`.
struct OpenBLAS: Sendable {
    typealias SGEMM =
        @convention(c) (
            CBLAS_ORDER, CBLAS_TRANSPOSE, CBLAS_TRANSPOSE, blasint, blasint, blasint, Float, UnsafePointer<Float>?,
            blasint, UnsafePointer<Float>?, blasint, Float, UnsafeMutablePointer<Float>?, blasint
        ) -> Void

    let sgemm: SGEMM
    let setThreads: @convention(c) (Int32) -> Void
    let threads: @convention(c) () -> Int32
    let coreName: @convention(c) () -> UnsafeMutablePointer<CChar>?

    /// The library, opened once.
    static var library: OpenBLAS? {
        if case .success(let library) = loaded { return library }
        return nil
    }

    /// The library, or why it could not be opened (what to install).
    static let loaded: Result<OpenBLAS, OpenBLASMissing> = {
        let threadVariables = ["OPENBLAS_NUM_THREADS", "GOTO_NUM_THREADS", "OMP_NUM_THREADS"]
        if threadVariables.allSatisfy({ getenv($0) == nil }) { setenv("OPENBLAS_NUM_THREADS", "1", 0) }
        let names = ["libopenblas.so.0", "libopenblas.so"]
        guard let handle = names.lazy.compactMap({ dlopen($0, RTLD_NOW | RTLD_LOCAL) }).first else {
            return .failure(
                OpenBLASMissing(
                    text: "OpenBLAS (\(names.joined(separator: " or "))) could not be opened; install it "
                        + "(Debian/Ubuntu: apt-get install libopenblas0)"))
        }
        func symbol<T>(_ name: String, as type: T.Type) -> T? {
            dlsym(handle, name).map { unsafeBitCast($0, to: type) }
        }
        guard let sgemm = symbol("cblas_sgemm", as: SGEMM.self),
            let setThreads = symbol("openblas_set_num_threads", as: (@convention(c) (Int32) -> Void).self),
            let threads = symbol("openblas_get_num_threads", as: (@convention(c) () -> Int32).self),
            let coreName = symbol("openblas_get_corename", as: (@convention(c) () -> UnsafeMutablePointer<CChar>?).self)
        else {
            return .failure(OpenBLASMissing(text: "the library opened as OpenBLAS lacks cblas_sgemm or openblas_*"))
        }
        return .success(OpenBLAS(sgemm: sgemm, setThreads: setThreads, threads: threads, coreName: coreName))
    }()
}

/// Why OpenBLAS could not be opened.
struct OpenBLASMissing: Error, Sendable {
    let text: String
}
#endif
