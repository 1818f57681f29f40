/// Scalar `exp` and `erf` written so that loops calling them auto-vectorise on plain x86-64 (SSE2)
/// and ARM64: only adds, multiplies, divides, selects and bit shifts — no `floor`, no float→int conversion.
///
/// Both are accurate to a few units in the last place of `Float` over the ranges the model uses
/// (checked against the C library in the tests).
enum FastMath {
    /// `exp(x)`: Cephes' single-precision polynomial after reducing `x = n·ln2 + r`, `|r| ≤ ln2/2`.
    /// Inputs are clamped to [-87, 88], so very negative inputs give ~1e-38 rather than 0.
    @inline(__always)
    static func exp(_ input: Float) -> Float {
        var x = input < -87.0 ? -87.0 : input
        x = x > 88.0 ? 88.0 : x
        // Round x·log2(e) to the nearest integer n with the 1.5·2²³ trick; n sits in t's low mantissa bits.
        let t = x * 1.442_695_04 + 12_582_912.0
        let n = t - 12_582_912.0
        x = x - n * 0.693_359_375
        x = x + n * 2.121_944_40e-4
        let z = x * x
        var y: Float = 1.987_569_150_0e-4
        y = y * x + 1.398_199_950_7e-3
        y = y * x + 8.333_451_907_3e-3
        y = y * x + 4.166_579_589_4e-2
        y = y * x + 1.666_666_545_9e-1
        y = y * x + 5.000_000_120_1e-1
        y = y * z + x + 1
        // 2ⁿ: (n + 127) in the exponent field; the trick's high bits shift out.
        let scale = Float(bitPattern: (t.bitPattern &+ 127) &<< 23)
        return y * scale
    }

    /// `erf(x)`: a rational approximation on [-4, 4] (erf is ±1 in `Float` beyond).
    @inline(__always)
    static func erf(_ input: Float) -> Float {
        var x = input < -4 ? -4 : input
        x = x > 4 ? 4 : x
        let x2 = x * x
        var p: Float = x2 * -2.726_142_258_013_06e-10 + 2.770_681_424_959_02e-08
        p = p * x2 - 2.101_024_020_825_08e-06
        p = p * x2 - 5.692_506_394_623_46e-05
        p = p * x2 - 7.349_906_303_268_55e-04
        p = p * x2 - 2.954_599_808_540_25e-03
        p = p * x2 - 1.609_603_332_624_15e-02
        p = p * x
        var q: Float = x2 * -1.456_607_184_649_96e-05 - 2.133_740_552_789_05e-04
        q = q * x2 - 1.682_826_974_382_03e-03
        q = q * x2 - 7.373_329_167_204_68e-03
        q = q * x2 - 1.426_473_905_141_89e-02
        return p / q
    }
}
