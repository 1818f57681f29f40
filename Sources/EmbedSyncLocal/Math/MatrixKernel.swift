import CEmbedSyncKernels
import Foundation

/// Which code multiplies the encoder's activations by its weight matrices.
///
/// BLAS is the portable path. On x86-64 CPUs with AVX-512 EmbedSync uses its own kernel instead, on
/// weights packed once at load time: it does not depend on which kernel set the installed BLAS picks
/// (Debian's OpenBLAS 0.3.21 runs AVX2 kernels on AVX-512 CPUs it does not know, or when
/// `OPENBLAS_CORETYPE` says so), and it skips BLAS's per-call packing of the weight.
public enum MatrixKernel: String, Sendable, CaseIterable {
    /// `sgemm` from BLAS (OpenBLAS, or Accelerate on Apple platforms) on the weights as stored.
    case blas
    /// EmbedSync's AVX-512 kernel (`CEmbedSyncKernels`) on packed weights.
    case avx512

    /// `.avx512` where this CPU runs it and the kernel was compiled with optimisation, else `.blas`.
    ///
    /// Debug builds compile C without optimisation, which leaves the hand-written kernel ~50× slower
    /// than BLAS, so they keep BLAS unless asked otherwise.
    public static var automatic: MatrixKernel {
        MatrixKernel.avx512.isAvailable && es_kernels_optimized() ? .avx512 : .blas
    }

    /// Whether this machine can run the kernel.
    public var isAvailable: Bool {
        switch self {
        case .blas: true
        case .avx512: es_avx512_available()
        }
    }
}

/// A weight packed once for `MatrixKernel.avx512`, in 64-byte-aligned memory of its own.
///
/// Where the shape allows, it is packed for Strassen's algorithm (``strassenLevels`` nested levels): the kernel then
/// does `7^levels` block products instead of `8^levels`, in fp32, and the packed weight takes `(7/4)^levels` times
/// the memory.
// @unchecked Sendable: written only in init, read-only afterwards.
final class PackedWeight: @unchecked Sendable {
    let pointer: UnsafeMutablePointer<Float>
    /// 0 for the plain product, else the levels of Strassen's algorithm it was packed for.
    let strassenLevels: Int
    /// The packed floats at `pointer`.
    let count: Int
    /// The saved file `pointer` lies in (``PackedWeightCache``), kept mapped while this lives; nil when this
    /// object allocated `pointer`.
    private let mapping: MappedFile?

    /// The levels of Strassen's algorithm layers use by default: `EMBEDSYNC_STRASSEN_LEVELS` (0, 1 or 2; for
    /// benchmarks) or 1. One level made the model 5-6 % faster on a 2-core Zen 4; two were no faster than one there
    /// (their weights, 3× the plain size, no longer stay in the caches) and cost 87 MB more for all-MiniLM-L6-v2.
    static let defaultStrassenLevels: Int = {
        let value = ProcessInfo.processInfo.environment["EMBEDSYNC_STRASSEN_LEVELS"].flatMap { Int($0) }
        return min(max(value ?? 1, 0), 2)
    }()

    /// Packs the PyTorch-layout `weight[outputs×inputs]`, for Strassen's algorithm when `strassenLevels > 0` and
    /// the shape allows it.
    init(
        weight: UnsafePointer<Float>, outputs: Int, inputs: Int,
        strassenLevels: Int = PackedWeight.defaultStrassenLevels
    ) {
        let (levels, count) = Self.layout(outputs: outputs, inputs: inputs, strassenLevels: strassenLevels)
        self.strassenLevels = levels
        self.count = count
        mapping = nil
        pointer = UnsafeMutableRawPointer.allocate(byteCount: max(1, count) * MemoryLayout<Float>.stride, alignment: 64)
            .bindMemory(to: Float.self, capacity: max(1, count))
        if levels > 0 {
            es_pack_weight_strassen(weight, outputs, inputs, Int32(levels), pointer)
        } else {
            es_pack_weight(weight, outputs, inputs, pointer)
        }
    }

    /// A weight packed earlier for `outputs × inputs` at `levels`: the ``layout(outputs:inputs:strassenLevels:)``
    /// count of floats at `pointer`, 64-byte aligned, inside `mapping`.
    init(mapped pointer: UnsafePointer<Float>, levels: Int, count: Int, in mapping: MappedFile) {
        self.pointer = UnsafeMutablePointer(mutating: pointer)
        strassenLevels = levels
        self.count = count
        self.mapping = mapping
    }

    /// The levels a weight of this shape is packed at, given the levels asked for, and how many floats it packs to.
    static func layout(outputs: Int, inputs: Int, strassenLevels: Int) -> (strassenLevels: Int, count: Int) {
        var levels = strassenLevels
        while levels > 0 && !es_strassen_supports(outputs, inputs, Int32(levels)) { levels -= 1 }
        let count =
            levels > 0
            ? es_strassen_weight_count(outputs, inputs, Int32(levels)) : es_packed_weight_count(outputs, inputs)
        return (levels, count)
    }

    deinit { if mapping == nil { UnsafeMutableRawPointer(pointer).deallocate() } }

    /// `output[rows×outputs] = bias + input[rows×inputs] · Wᵀ` (or `+=` when `bias` is nil), row strides as given;
    /// with `gelu`, GELU of that (`es_gelu_avx512`; inside Strassen's kernel, tile by tile after each tile's last
    /// update). With `separate` (and no `gelu`), each row's result is bit for bit what it would be alone.
    func multiply(
        _ input: UnsafePointer<Float>, rows: Int, inputs: Int, inputStride: Int, outputs: Int,
        bias: UnsafePointer<Float>?, into output: UnsafeMutablePointer<Float>, outputStride: Int, gelu: Bool = false,
        separate: Bool = false
    ) {
        if strassenLevels > 0, separate {
            precondition(!gelu, "GELU is not fused when rows are multiplied separately")
            es_gemm_strassen_separate_avx512(
                rows, outputs, inputs, Int32(strassenLevels), input, inputStride, pointer, bias, output, outputStride)
            return
        }
        if strassenLevels > 0 {
            es_gemm_strassen_avx512(
                rows, outputs, inputs, Int32(strassenLevels), input, inputStride, pointer, bias, output, outputStride,
                gelu)
            return
        }
        es_gemm_packed_avx512(rows, outputs, inputs, input, inputStride, pointer, bias, output, outputStride)
        for row in 0..<(gelu ? rows : 0) { es_gelu_avx512(output + row * outputStride, outputs) }
    }
}

extension MatrixKernel {
    /// Measures this kernel's sustained GFLOP/s the way the model uses it: `threads` threads at once, each
    /// multiplying its own `rows × inputs` activations by an `outputs × inputs` weight (by default the
    /// feed-forward layer of all-MiniLM-L6-v2 over one 512-token pass).
    ///
    /// For benchmarks, which report the model's GFLOP/s as a fraction of this machine's sgemm peak.
    /// Sets BLAS to one thread per call, as the model does.
    @_spi(Benchmark)
    public func measureGFLOPS(
        rows: Int = 512, inputs: Int = 384, outputs: Int = 1536, threads: Int = 2,
        seconds: Double = 2
    ) -> Double {
        BLAS.setThreadCount(1)
        let weight = (0..<(outputs * inputs)).map { Float(($0 * 7919) % 1000) / 1000 - 0.5 }
        let layer = Linear(
            weight: weight, bias: [Float](repeating: 0, count: outputs), inputSize: inputs,
            outputSize: outputs, kernel: self)
        let products = SharedArray<Int>(count: threads, initial: 0)
        let start = DispatchTime.now().uptimeNanoseconds
        DispatchQueue.concurrentPerform(iterations: threads) { thread in
            let input = UnsafeMutablePointer<Float>.allocate(capacity: rows * inputs)
            let output = UnsafeMutablePointer<Float>.allocate(capacity: rows * outputs)
            defer {
                input.deallocate()
                output.deallocate()
            }
            for i in 0..<(rows * inputs) { input[i] = Float((i * 104_729) % 1000) / 1000 - 0.5 }
            var done = 0
            repeat {
                layer.apply(input, rows: rows, into: output)
                done += 1
            } while Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9 < seconds
            products.set(thread, done)
        }
        let elapsed = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        return Double(products.values().reduce(0, +)) * 2 * Double(rows * inputs * outputs) / elapsed / 1e9
    }
}
