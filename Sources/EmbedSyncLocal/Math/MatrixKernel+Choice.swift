import CEmbedSyncKernels

extension MatrixKernel {
    /// The matrix code this machine and build use, in words, for `embedsync doctor`.
    public struct Choice: Sendable, Equatable {
        /// The kernel ``MatrixKernel/automatic`` picks.
        public var kernel: MatrixKernel
        /// What runs, e.g. "AVX-512 (EmbedSync's own kernel)" or "OpenBLAS, Haswell kernels (AVX2)".
        public var summary: String
        /// Why, when a faster kernel exists but is not used (a debug build), else `nil`.
        public var note: String?
    }

    /// What ``automatic`` picks here, and why.
    public static var automaticChoice: Choice {
        let kernel = automatic
        if kernel == .avx512 {
            return Choice(kernel: kernel, summary: "AVX-512 (EmbedSync's own kernel on packed weights)", note: nil)
        }
        let note =
            MatrixKernel.avx512.isAvailable && !es_kernels_optimized()
            ? "this CPU has AVX-512, but this is a debug build (C compiled without optimisation), so BLAS is used; "
                + "a release build uses the AVX-512 kernel"
            : nil
        return Choice(kernel: kernel, summary: blasSummary(BLAS.kernelName), note: note)
    }

    /// `Accelerate`, or OpenBLAS's core name with the vector instructions its kernels use where known.
    static func blasSummary(_ coreName: String) -> String {
        if coreName == "Accelerate" { return "BLAS: Accelerate (Apple)" }
        if coreName == "missing" { return "BLAS: OpenBLAS could not be opened (install libopenblas0)" }
        let extensions: [String: String] = [
            "skylakex": "AVX-512", "cooperlake": "AVX-512", "sapphirerapids": "AVX-512", "haswell": "AVX2",
            "zen": "AVX2", "sandybridge": "AVX", "nehalem": "SSE4.2", "core2": "SSSE3", "prescott": "SSE3",
            "armv8": "NEON", "neoversen1": "NEON", "neoversen2": "SVE", "neoversev1": "SVE",
        ]
        let instructions = extensions[coreName.lowercased()].map { " (\($0))" } ?? ""
        return "BLAS: OpenBLAS, \(coreName) kernels\(instructions)"
    }
}
