// int8 matrix kernels for the local model: weights quantised once at load (symmetric, one scale per output
// channel), activations quantised per row and group of inputs at run time, products summed in int32.
//
// Activations are stored as unsigned bytes `u = q + 128` (q the signed value in -127…127), because VPDPBUSD
// multiplies unsigned by signed bytes; the packed weight carries `-128 · Σ w` per column and group to undo it.
#ifndef EMBEDSYNC_INT8_KERNELS_H
#define EMBEDSYNC_INT8_KERNELS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// The number of output columns in one packed int8 panel.
#define ES_I8_PANEL_WIDTH 32

/// True when this CPU and OS run the AVX-512 VNNI kernels (AVX-512F, BW and VNNI, ZMM state enabled).
bool es_avx512_vnni_available(void);

/// The number of bytes `es_i8_pack_weight` writes for a weight of `n` outputs and `k` inputs (`k` a multiple of 4).
size_t es_i8_packed_bytes(size_t n, size_t k);

/// The number of output columns rounded up to whole panels: the length of the scale array.
size_t es_i8_padded_columns(size_t n);

/// Quantises the PyTorch-layout weight `w[n×k]` (row-major) to int8, symmetric per output channel, and packs it.
///
/// `group` (a multiple of 4 dividing `k`) is the number of inputs that share one activation scale.
/// Writes `packed` (`es_i8_packed_bytes` bytes, 64-byte aligned): panel `p` holds, for each 4 inputs, the 4 bytes
/// of each of outputs `32p…32p+31`; `scales` (`es_i8_padded_columns(n)` floats, 0 past `n`): each output's scale;
/// `corrections` (`es_i8_padded_columns(n) · k / group` int32, 64-byte aligned), per panel, group and output,
/// `-128 · Σ` of the group's quantised weights.
void es_i8_pack_weight(const float *w, size_t n, size_t k, size_t group, int8_t *packed, float *scales,
                       int32_t *corrections);

/// Quantises `m` rows of `k` floats (row stride `lda`) to `u = round(x / s) + 128`, one scale `s = max|x| / 127`
/// per row and group of `group` inputs (1 for an all-zero group). Writes `q[m×k]` and `scales[m × k/group]`.
void es_i8_quantize_rows(const float *a, size_t m, size_t k, size_t lda, size_t group, uint8_t *q, float *scales);

/// The same with AVX-512; bit-identical results. Call only when `es_avx512_vnni_available()` is true.
void es_i8_quantize_rows_avx512(const float *a, size_t m, size_t k, size_t lda, size_t group, uint8_t *q,
                                float *scales);

/// `c[m×n] = bias + (q·wᵀ dequantised)` for rows quantised by `es_i8_quantize_rows` and a weight packed by
/// `es_i8_pack_weight` with the same `group`. Row stride of `c` is `ldc` floats. Single-threaded, plain C.
void es_i8_gemm(size_t m, size_t n, size_t k, size_t group, const uint8_t *q, const float *qscales,
                const int8_t *packed, const float *scales, const int32_t *corrections, const float *bias, float *c,
                size_t ldc);

/// The same with AVX-512 VNNI (VPDPBUSD). Call only when `es_avx512_vnni_available()` is true.
void es_i8_gemm_vnni(size_t m, size_t n, size_t k, size_t group, const uint8_t *q, const float *qscales,
                     const int8_t *packed, const float *scales, const int32_t *corrections, const float *bias,
                     float *c, size_t ldc);

#ifdef __cplusplus
}
#endif

#endif
