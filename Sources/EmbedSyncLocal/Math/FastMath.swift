/// Scalar `erf` written so that loops calling it auto-vectorise on plain x86-64 (SSE2) and ARM64: only adds,
/// multiplies, divides and selects. Accurate to a few units in the last place of `Float` (checked against the C
/// library in the tests). The attention kernels' `exp` is in C (`CEmbedSyncKernels/attention.c`).
enum FastMath {
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
