import CEmbedSyncKernels
import Foundation
import Testing

@testable import EmbedSyncLocal

/// The attention kernels this machine runs: the plain C one everywhere, the AVX-512 one where the CPU has it.
enum AttentionPath: String, CaseIterable, CustomTestStringConvertible {
    case portable
    case avx512

    var testDescription: String { rawValue }

    var isAvailable: Bool { self == .portable || es_avx512_available() }

    func run(
        _ qkv: UnsafePointer<Float>, ldQKV: Int, length: Int, heads: Int, headSize: Int, scale: Float,
        context: UnsafeMutablePointer<Float>, ldContext: Int, workspace: UnsafeMutablePointer<Float>
    ) {
        switch self {
        case .portable:
            es_attention(qkv, ldQKV, length, heads, headSize, scale, context, ldContext, workspace)
        case .avx512:
            es_attention_avx512(qkv, ldQKV, length, heads, headSize, scale, context, ldContext, workspace)
        }
    }
}

@Suite("Attention kernels")
struct AttentionTests {
    /// `softmax(scale · Q_h K_hᵀ) V_h` per head in Double, the obvious way: `[length × heads·headSize]`.
    static func reference(_ qkv: [Float], ld: Int, length: Int, heads: Int, headSize: Int, scale: Double) -> [Double] {
        let hidden = heads * headSize
        var out = [Double](repeating: 0, count: length * hidden)
        for h in 0..<heads {
            for i in 0..<length {
                var scores = (0..<length).map { j in
                    (0..<headSize).reduce(0.0) { sum, c in
                        sum + Double(qkv[i * ld + h * headSize + c]) * Double(qkv[j * ld + hidden + h * headSize + c])
                    } * scale
                }
                let largest = scores.max() ?? 0
                scores = scores.map { Foundation.exp($0 - largest) }
                let total = scores.reduce(0, +)
                for c in 0..<headSize {
                    var sum = 0.0
                    for j in 0..<length { sum += scores[j] * Double(qkv[j * ld + 2 * hidden + h * headSize + c]) }
                    out[i * hidden + h * headSize + c] = sum / total
                }
            }
        }
        return out
    }

    @Test(
        "attention equals the Double reference for every head, and writes only the context columns",
        arguments: AttentionPath.allCases.filter(\.isAvailable),
        [
            (1, 12, 32), (7, 12, 32), (8, 12, 32), (9, 12, 32), (16, 12, 32), (17, 12, 32), (33, 12, 32),
            (256, 12, 32), (19, 3, 64), (40, 2, 24),
        ])
    func matchesReference(path: AttentionPath, shape: (Int, Int, Int)) {
        let (length, heads, headSize) = shape
        let hidden = heads * headSize
        // Strides wider than the data, as in the encoder (qkv rows are 3·hidden; here a few more) and a context
        // stride with spare columns that must stay untouched.
        let ldQKV = 3 * hidden + 5
        let ldContext = hidden + 3
        // Values up to ±4 make some rows' softmax sharply peaked, others flat.
        let qkv = pseudoRandom(length * ldQKV, seed: UInt64(length * 131 + headSize)).map { $0 * 4 }
        let scale = 1 / Float(headSize).squareRoot()
        let expected = Self.reference(
            qkv, ld: ldQKV, length: length, heads: heads, headSize: headSize,
            scale: Double(scale))
        let sentinel: Float = 42
        var context = [Float](repeating: sentinel, count: length * ldContext + 1)
        var workspace = [Float](repeating: .nan, count: es_attention_workspace_count(length, headSize))
        qkv.withUnsafeBufferPointer { input in
            context.withUnsafeMutableBufferPointer { out in
                workspace.withUnsafeMutableBufferPointer { work in
                    path.run(
                        input.baseAddress!, ldQKV: ldQKV, length: length, heads: heads, headSize: headSize,
                        scale: scale, context: out.baseAddress!, ldContext: ldContext, workspace: work.baseAddress!)
                }
            }
        }
        var worst = 0.0
        for i in 0..<length {
            for c in 0..<hidden {
                worst = max(worst, abs(Double(context[i * ldContext + c]) - expected[i * hidden + c]))
            }
            for c in hidden..<ldContext {
                #expect(context[i * ldContext + c] == sentinel, "row \(i): spare column \(c) was written")
            }
        }
        #expect(context[length * ldContext] == sentinel, "wrote past the last context row")
        #expect(worst < 2e-5, "\(path.rawValue) length \(length), \(heads)×\(headSize): max |diff| \(worst)")
    }

    @Test(
        "a sequence whose every score is far below zero: softmax shifts by the largest real score, never by padding",
        arguments: AttentionPath.allCases.filter(\.isAvailable))
    func farBelowZero(path: AttentionPath) {
        // Queries +5, keys -5: every score is -800 · scale ≈ -141, so the weights are equal. Had the padded keys'
        // scores (0) counted as the largest, every exponential would underflow to 0 and the context be NaN.
        let (length, headSize) = (9, 32)
        var qkv = [Float](repeating: 0, count: length * 3 * headSize)
        for i in 0..<length {
            for c in 0..<headSize {
                qkv[i * 3 * headSize + c] = 5
                qkv[i * 3 * headSize + headSize + c] = -5
                qkv[i * 3 * headSize + 2 * headSize + c] = Float(i * headSize + c)
            }
        }
        var context = [Float](repeating: 0, count: length * headSize)
        var workspace = [Float](repeating: .nan, count: es_attention_workspace_count(length, headSize))
        qkv.withUnsafeBufferPointer { input in
            context.withUnsafeMutableBufferPointer { out in
                workspace.withUnsafeMutableBufferPointer { work in
                    path.run(
                        input.baseAddress!, ldQKV: 3 * headSize, length: length, heads: 1, headSize: headSize,
                        scale: 1 / Float(headSize).squareRoot(), context: out.baseAddress!, ldContext: headSize,
                        workspace: work.baseAddress!)
                }
            }
        }
        for c in 0..<headSize {
            // The mean of the values: (0 + 1 + … + 8) / 9 · headSize + c.
            let mean = Float(4 * headSize + c)
            #expect(abs(context[c] - mean) < 1e-3, "\(path.rawValue): context[\(c)] = \(context[c]), not \(mean)")
        }
    }
}
