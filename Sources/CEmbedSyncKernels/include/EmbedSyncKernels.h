// Matrix kernels for the local model that BLAS does not give us on every machine: a single-threaded
// GEMM against a weight packed once at load time, written with AVX-512 intrinsics and chosen at run time.
#ifndef EMBEDSYNC_KERNELS_H
#define EMBEDSYNC_KERNELS_H

#include <stdbool.h>
#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/// The number of output columns in one packed panel.
#define ES_PANEL_WIDTH 32

/// Rows of activations the fp32 kernels multiply per block, reading every weight once per block (Strassen's
/// kernel as two halves of 56; the int8 kernel's blocks of 56 divide it): the model packs passes in whole blocks.
#define ES_BLOCK_ROWS 112

/// True when this CPU and OS run the AVX-512 kernels (x86-64 with AVX-512F and ZMM state enabled).
bool es_avx512_available(void);

/// True when this file was compiled with optimisation (`__OPTIMIZE__`): without it the kernels are correct but slow.
bool es_kernels_optimized(void);

/// The number of floats `es_pack_weight` writes for a weight of `n` rows (outputs) and `k` columns (inputs).
size_t es_packed_weight_count(size_t n, size_t k);

/// Packs a PyTorch-layout weight `w[n×k]` (row-major) as `Wᵀ` in panels of `ES_PANEL_WIDTH` output columns:
/// panel `p` holds, for each input `i`, the weights of outputs `32p…32p+31` (zero past `n`).
/// `packed` must hold `es_packed_weight_count(n, k)` floats and be 64-byte aligned.
void es_pack_weight(const float *w, size_t n, size_t k, float *packed);

/// `c[m×n] = bias[n] + a[m×k] · wᵀ` with `w` packed by `es_pack_weight`, or `c += a · wᵀ` when `bias` is null;
/// row strides `lda` and `ldc` in floats. Single-threaded. Call only when `es_avx512_available()` is true.
void es_gemm_packed_avx512(size_t m, size_t n, size_t k, const float *a, size_t lda,
                           const float *packed, const float *bias, float *c, size_t ldc);

/// Whether `es_gemm_strassen_avx512` takes `levels` (1 or 2) on a weight of `n` outputs and `k` inputs: `n` a
/// multiple of `2^levels · ES_PANEL_WIDTH` and `k` of `16 · 2^levels`.
bool es_strassen_supports(size_t n, size_t k, int levels);

/// The number of floats `es_pack_weight_strassen` writes: `7^levels` packed weights of `n/2^levels` outputs and
/// `k/2^levels` inputs.
size_t es_strassen_weight_count(size_t n, size_t k, int levels);

/// Packs the sums and differences of the weight's blocks that `levels` nested levels of Strassen's algorithm
/// multiply by, each as `es_pack_weight` packs a weight. Only for shapes `es_strassen_supports` accepts; `packed`
/// must hold `es_strassen_weight_count(n, k, levels)` floats and be 64-byte aligned.
void es_pack_weight_strassen(const float *w, size_t n, size_t k, int levels, float *packed);

/// `es_gemm_packed_avx512` by `levels` nested levels of Strassen's algorithm on a weight packed by
/// `es_pack_weight_strassen`: `7^levels` products instead of `8^levels`, so 12.5 % (one level) or 23 % (two) fewer
/// multiply-adds, all in fp32; results differ from the plain product by rounding only. With `gelu`, each output tile
/// goes through GELU (as `es_gelu_avx512`) as soon as its last product is added, while it is in L1.
/// Call only when `es_avx512_available()` is true.
void es_gemm_strassen_avx512(size_t m, size_t n, size_t k, int levels, const float *a, size_t lda,
                             const float *packed, const float *bias, float *c, size_t ldc, bool gelu);

/// `es_gemm_strassen_avx512` (without GELU) with every row's result bit for bit what it would be alone, whatever
/// rows come with it: each block computes its rows beside rows of zeros, so at up to `2^levels` times the
/// multiply-adds. Call only when `es_avx512_available()` is true.
void es_gemm_strassen_separate_avx512(size_t m, size_t n, size_t k, int levels, const float *a, size_t lda,
                                      const float *packed, const float *bias, float *c, size_t ldc);

/// GELU in its exact (erf) form, in place: `x · ½ · (1 + erf(x / √2))`, erf by the same rational
/// approximation as the Swift path. Call only when `es_avx512_available()` is true.
void es_gelu_avx512(float *data, size_t count);

/// LayerNorm of `input + residual` (`residual` may be null), row by row: `output = (v − mean) / √(variance + ε) ·
/// gamma + beta` over `cols` values, as the Swift path computes it. `output` may be `input` or `residual`.
/// Call only when `es_avx512_available()` is true.
void es_layer_norm_avx512(const float *input, const float *residual, float *output, size_t rows, size_t cols,
                          const float *gamma, const float *beta, float epsilon);

/// The first encoder layer's query, key and value rows from products looked up per token (see
/// `TokenProjections.swift`): for each of `rows` rows of `embedded` (word + position + type embeddings, `cols`
/// values, before LayerNorm), with its mean `m` and `1 / √(variance + ε)` `s` as `es_layer_norm_avx512` computes
/// them, `qkv[r] = (words[r] + positions[r] − m · gamma_product) · s + beta_product` over `outputs` values.
/// Call only when `es_avx512_available()` is true.
void es_first_qkv_avx512(const float *embedded, size_t rows, size_t cols, float epsilon, const float *const *words,
                         const float *const *positions, const float *gamma_product, const float *beta_product,
                         size_t outputs, float *qkv);

#ifdef __cplusplus
}
#endif

#endif
