/// The encoder's element-wise kernels on row-major `Float` buffers, eight lanes at a time.
enum VectorMath {
    typealias Vector = SIMD8<Float>
    static let width = 8

    @inline(__always)
    static func load(_ p: UnsafePointer<Float>, _ i: Int) -> Vector {
        UnsafeRawPointer(p + i).loadUnaligned(as: Vector.self)
    }

    @inline(__always)
    static func store(_ v: Vector, _ p: UnsafeMutablePointer<Float>, _ i: Int) {
        UnsafeMutableRawPointer(p + i).storeBytes(of: v, as: Vector.self)
    }

    /// Adds `bias[cols]` to every row of `data[rows×cols]`.
    static func addBias(_ data: UnsafeMutablePointer<Float>, rows: Int, cols: Int, bias: UnsafePointer<Float>) {
        let vectorEnd = cols - cols % width
        for r in 0..<rows {
            let row = data + r * cols
            var i = 0
            while i < vectorEnd {
                store(load(row, i) + load(bias, i), row, i)
                i += width
            }
            while i < cols {
                row[i] += bias[i]
                i += 1
            }
        }
    }

    /// GELU with the exact (erf) form, in place: `x · ½ · (1 + erf(x / √2))`.
    static func gelu(_ data: UnsafeMutablePointer<Float>, count: Int) {
        let invSqrt2: Float = 0.707_106_781_186_547_5
        for i in 0..<count {
            let x = data[i]
            data[i] = x * 0.5 * (1 + FastMath.erf(x * invSqrt2))
        }
    }

    /// `output = LayerNorm(input + residual)` row by row, with `gamma`, `beta` and `epsilon`.
    /// `output` may alias `input` or `residual`.
    static func layerNorm(
        input: UnsafePointer<Float>, residual: UnsafePointer<Float>?, output: UnsafeMutablePointer<Float>,
        rows: Int, cols: Int, gamma: UnsafePointer<Float>, beta: UnsafePointer<Float>, epsilon: Float
    ) {
        let vectorEnd = cols - cols % width
        for r in 0..<rows {
            let x = input + r * cols
            let out = output + r * cols
            if let residual {
                let res = residual + r * cols
                var i = 0
                while i < vectorEnd {
                    store(load(x, i) + load(res, i), out, i)
                    i += width
                }
                while i < cols {
                    out[i] = x[i] + res[i]
                    i += 1
                }
            } else if out != UnsafeMutablePointer(mutating: x) {
                out.update(from: x, count: cols)
            }
            let (mean, scale) = meanAndScale(out, count: cols, epsilon: epsilon)
            var i = 0
            while i < vectorEnd {
                store((load(out, i) - mean) * scale * load(gamma, i) + load(beta, i), out, i)
                i += width
            }
            while i < cols {
                out[i] = (out[i] - mean) * scale * gamma[i] + beta[i]
                i += 1
            }
        }
    }

    /// The sum of the `count` values at `x` (vector lanes first, then the tail).
    static func sum(_ x: UnsafePointer<Float>, count: Int) -> Float {
        let vectorEnd = count - count % width
        var sum = Vector()
        var i = 0
        while i < vectorEnd {
            sum += load(x, i)
            i += width
        }
        var total = sum.sum()
        while i < count {
            total += x[i]
            i += 1
        }
        return total
    }

    /// LayerNorm's mean of the `count` values at `x` and its scale, `1 / √(variance + ε)`.
    static func meanAndScale(_ x: UnsafePointer<Float>, count: Int, epsilon: Float) -> (mean: Float, scale: Float) {
        let vectorEnd = count - count % width
        let mean = sum(x, count: count) / Float(count)
        var squares = Vector()
        var i = 0
        while i < vectorEnd {
            let d = load(x, i) - mean
            squares += d * d
            i += width
        }
        var variance = squares.sum()
        while i < count {
            let d = x[i] - mean
            variance += d * d
            i += 1
        }
        variance /= Float(count)
        return (mean, 1 / (variance + epsilon).squareRoot())
    }

    /// Softmax of each row of `data[rows×cols]` (row stride `stride`), in place.
    static func softmaxRows(_ data: UnsafeMutablePointer<Float>, rows: Int, cols: Int, stride: Int) {
        for r in 0..<rows {
            let row = data + r * stride
            var maxValue = row[0]
            for i in 0..<cols {
                maxValue = row[i] > maxValue ? row[i] : maxValue
            }
            for i in 0..<cols {
                row[i] = FastMath.exp(row[i] - maxValue)
            }
            let inv = 1 / sum(row, count: cols)
            for i in 0..<cols {
                row[i] *= inv
            }
        }
    }

    /// Scales `data[count]` to unit L2 norm (leaves an all-zero vector as it is).
    static func l2Normalize(_ data: UnsafeMutablePointer<Float>, count: Int) {
        var sum: Float = 0
        for i in 0..<count { sum += data[i] * data[i] }
        let norm = sum.squareRoot()
        // sentence-transformers uses torch.nn.functional.normalize with eps 1e-12.
        let inv = 1 / max(norm, 1e-12)
        for i in 0..<count { data[i] *= inv }
    }
}
