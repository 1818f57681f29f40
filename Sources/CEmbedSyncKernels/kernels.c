#include "EmbedSyncKernels.h"

#include <string.h>

#if defined(__x86_64__) && (defined(__clang__) || defined(__GNUC__))
#define ES_X86 1
#include <cpuid.h>
#include <immintrin.h>

#include "gelu.h"
#include "micro_tile.h"
#endif

bool es_kernels_optimized(void) {
#ifdef __OPTIMIZE__
    return true;
#else
    return false;
#endif
}

size_t es_packed_weight_count(size_t n, size_t k) {
    size_t panels = (n + ES_PANEL_WIDTH - 1) / ES_PANEL_WIDTH;
    return panels * k * ES_PANEL_WIDTH;
}

void es_pack_weight(const float *w, size_t n, size_t k, float *packed) {
    size_t panels = (n + ES_PANEL_WIDTH - 1) / ES_PANEL_WIDTH;
    memset(packed, 0, panels * k * ES_PANEL_WIDTH * sizeof(float));
    for (size_t p = 0; p < panels; p++) {
        float *panel = packed + p * k * ES_PANEL_WIDTH;
        for (size_t j = 0; j < ES_PANEL_WIDTH && p * ES_PANEL_WIDTH + j < n; j++) {
            const float *row = w + (p * ES_PANEL_WIDTH + j) * k;
            for (size_t i = 0; i < k; i++) panel[i * ES_PANEL_WIDTH + j] = row[i];
        }
    }
}

#ifdef ES_X86

bool es_avx512_available(void) {
    unsigned eax, ebx, ecx, edx;
    if (!__get_cpuid(1, &eax, &ebx, &ecx, &edx)) return false;
    if (!(ecx & (1u << 27))) return false;  // OSXSAVE
    unsigned xcr0_lo, xcr0_hi;
    __asm__ volatile("xgetbv" : "=a"(xcr0_lo), "=d"(xcr0_hi) : "c"(0));
    // XMM, YMM, opmask, ZMM_Hi256 and Hi16_ZMM state all enabled by the OS.
    if ((xcr0_lo & 0xE6u) != 0xE6u) return false;
    if (!__get_cpuid_count(7, 0, &eax, &ebx, &ecx, &edx)) return false;
    return (ebx & (1u << 16)) != 0;  // AVX512F
}

/// Inputs per block: one panel slice (KC × 32 floats = 24 KiB) stays in L1 while MC rows of A stream past it
/// (KC = 192 and MC = 112 measured best on this machine among 128–384 and 56–224).
#define ES_KC 192
#define ES_MC ES_BLOCK_ROWS


/// `c[mr×32] += a[mr×kc] · panel[kc×32]`, or `c = bias + …` when `bias` (the panel's 32 columns) is not null;
/// the first 16 columns masked by `mask0`, the next 16 by `mask1`.
/// Written out row by row (rather than with arrays) so the compiler keeps all accumulators in registers;
/// `mr` is a constant at every call site, which drops the rows past it.
__attribute__((target("avx512f"), always_inline)) static inline void
es_micro(int mr, size_t kc, const float *a, size_t lda, const float *panel, const float *bias, float *c,
         size_t ldc, __mmask16 mask0, __mmask16 mask1) {
#define ES_DECLARE(i) __m512 c0_##i = _mm512_setzero_ps(), c1_##i = _mm512_setzero_ps();
    ES_ROWS(ES_DECLARE)
    if (bias) {
        __m512 z0 = _mm512_maskz_loadu_ps(mask0, bias), z1 = _mm512_maskz_loadu_ps(mask1, bias + 16);
#define ES_BIAS(i) if (i < mr) { c0_##i = z0; c1_##i = z1; }
        ES_ROWS(ES_BIAS)
    } else {
#define ES_LOAD(i) if (i < mr) { c0_##i = _mm512_maskz_loadu_ps(mask0, c + i * ldc); \
                                 c1_##i = _mm512_maskz_loadu_ps(mask1, c + i * ldc + 16); }
        ES_ROWS(ES_LOAD)
    }
    ES_TILE_PRODUCT()
#define ES_STORE(i) if (i < mr) { _mm512_mask_storeu_ps(c + i * ldc, mask0, c0_##i); \
                                  _mm512_mask_storeu_ps(c + i * ldc + 16, mask1, c1_##i); }
    ES_ROWS(ES_STORE)
#undef ES_DECLARE
#undef ES_BIAS
#undef ES_LOAD
#undef ES_STORE
}

#define ES_MICRO_CASE(R) \
    case R: es_micro(R, kc, a, lda, panel, bias, c, ldc, mask0, mask1); break;

__attribute__((target("avx512f"))) static void
es_micro_any(int mr, size_t kc, const float *a, size_t lda, const float *panel, const float *bias, float *c,
             size_t ldc, __mmask16 mask0, __mmask16 mask1) {
    switch (mr) {
        ES_ROW_COUNTS(ES_MICRO_CASE)
        default: break;
    }
}

__attribute__((target("avx512f"))) void
es_gemm_packed_avx512(size_t m, size_t n, size_t k, const float *a, size_t lda,
                      const float *packed, const float *bias, float *c, size_t ldc) {
    size_t panels = (n + ES_PANEL_WIDTH - 1) / ES_PANEL_WIDTH;
    if (k == 0 && bias) {
        for (size_t i = 0; i < m; i++) memcpy(c + i * ldc, bias, n * sizeof(float));
    }
    for (size_t k0 = 0; k0 < k; k0 += ES_KC) {
        size_t kc = k - k0 < ES_KC ? k - k0 : ES_KC;
        for (size_t m0 = 0; m0 < m; m0 += ES_MC) {
            size_t mc = m - m0 < ES_MC ? m - m0 : ES_MC;
            for (size_t p = 0; p < panels; p++) {
                size_t column = p * ES_PANEL_WIDTH;
                size_t width = n - column < ES_PANEL_WIDTH ? n - column : ES_PANEL_WIDTH;
                __mmask16 mask0 = width >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << width) - 1);
                __mmask16 mask1 = width >= 32 ? (__mmask16)0xFFFF
                                 : width > 16 ? (__mmask16)((1u << (width - 16)) - 1) : (__mmask16)0;
                const float *panel = packed + p * k * ES_PANEL_WIDTH + k0 * ES_PANEL_WIDTH;
                for (size_t i = 0; i < mc; i += ES_MR) {
                    int mr = (int)(mc - i < ES_MR ? mc - i : ES_MR);
                    // The first block of inputs starts from the bias (when given) instead of reading c.
                    const float *start = k0 == 0 && bias ? bias + column : NULL;
                    es_micro_any(mr, kc, a + (m0 + i) * lda + k0, lda, panel, start, c + (m0 + i) * ldc + column,
                                 ldc, mask0, mask1);
                }
            }
        }
    }
}

/// The mask of the first `count` (< 16) lanes, or all 16.
#define ES_TAIL_MASK(count) ((count) >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << (count)) - 1))

__attribute__((target("avx512f"))) void es_gelu_avx512(float *data, size_t count) {
    for (size_t i = 0; i < count; i += 16) {
        __mmask16 mask = ES_TAIL_MASK(count - i);
        _mm512_mask_storeu_ps(data + i, mask, es_gelu16(_mm512_maskz_loadu_ps(mask, data + i)));
    }
}

/// `1 / √(variance + ε)` of the `cols` values at `x` around `mean`, in all lanes: LayerNorm's scale.
__attribute__((target("avx512f"), always_inline)) static inline __m512
es_row_scale(const float *x, size_t cols, __m512 means, float epsilon) {
    __m512 squares = _mm512_setzero_ps();
    for (size_t i = 0; i < cols; i += 16) {
        __mmask16 mask = ES_TAIL_MASK(cols - i);
        __m512 d = _mm512_maskz_sub_ps(mask, _mm512_maskz_loadu_ps(mask, x + i), means);
        squares = _mm512_fmadd_ps(d, d, squares);
    }
    float variance = _mm512_reduce_add_ps(squares) / (float)cols;
    return _mm512_set1_ps(1.0f / _mm_cvtss_f32(_mm_sqrt_ss(_mm_set_ss(variance + epsilon))));
}

__attribute__((target("avx512f"))) void
es_layer_norm_avx512(const float *input, const float *residual, float *output, size_t rows, size_t cols,
                     const float *gamma, const float *beta, float epsilon) {
    for (size_t r = 0; r < rows; r++) {
        const float *x = input + r * cols, *add = residual ? residual + r * cols : NULL;
        float *out = output + r * cols;
        // Each lane is read before it is written, so `output` may be `input` or `residual`.
        __m512 sums = _mm512_setzero_ps();
        for (size_t i = 0; i < cols; i += 16) {
            __mmask16 mask = ES_TAIL_MASK(cols - i);
            __m512 v = _mm512_maskz_loadu_ps(mask, x + i);
            if (add) v = _mm512_add_ps(v, _mm512_maskz_loadu_ps(mask, add + i));
            _mm512_mask_storeu_ps(out + i, mask, v);
            sums = _mm512_add_ps(sums, v);
        }
        __m512 means = _mm512_set1_ps(_mm512_reduce_add_ps(sums) / (float)cols);
        __m512 scale = es_row_scale(out, cols, means, epsilon);
        for (size_t i = 0; i < cols; i += 16) {
            __mmask16 mask = ES_TAIL_MASK(cols - i);
            __m512 d = _mm512_mul_ps(_mm512_sub_ps(_mm512_maskz_loadu_ps(mask, out + i), means), scale);
            __m512 g = _mm512_maskz_loadu_ps(mask, gamma + i), b = _mm512_maskz_loadu_ps(mask, beta + i);
            _mm512_mask_storeu_ps(out + i, mask, _mm512_fmadd_ps(d, g, b));
        }
    }
}

__attribute__((target("avx512f"))) void
es_first_qkv_avx512(const float *embedded, size_t rows, size_t cols, float epsilon, const float *const *words,
                    const float *const *positions, const float *gamma_product, const float *beta_product,
                    size_t outputs, float *qkv) {
    for (size_t r = 0; r < rows; r++) {
        // The mean and scale exactly as `es_layer_norm_avx512` computes them.
        const float *x = embedded + r * cols;
        __m512 sums = _mm512_setzero_ps();
        for (size_t i = 0; i < cols; i += 16) {
            sums = _mm512_add_ps(sums, _mm512_maskz_loadu_ps(ES_TAIL_MASK(cols - i), x + i));
        }
        __m512 means = _mm512_set1_ps(_mm512_reduce_add_ps(sums) / (float)cols);
        __m512 scale = es_row_scale(x, cols, means, epsilon);
        const float *word = words[r], *position = positions[r];
        float *out = qkv + r * outputs;
        for (size_t o = 0; o < outputs; o += 16) {
            __mmask16 mask = ES_TAIL_MASK(outputs - o);
            __m512 v = _mm512_add_ps(_mm512_maskz_loadu_ps(mask, word + o), _mm512_maskz_loadu_ps(mask, position + o));
            v = _mm512_fnmadd_ps(means, _mm512_maskz_loadu_ps(mask, gamma_product + o), v);
            __m512 bias = _mm512_maskz_loadu_ps(mask, beta_product + o);
            _mm512_mask_storeu_ps(out + o, mask, _mm512_fmadd_ps(v, scale, bias));
        }
    }
}

#else

bool es_avx512_available(void) { return false; }

void es_layer_norm_avx512(const float *input, const float *residual, float *output, size_t rows, size_t cols,
                          const float *gamma, const float *beta, float epsilon) {
    (void)input; (void)residual; (void)output; (void)rows; (void)cols; (void)gamma; (void)beta; (void)epsilon;
}

void es_gelu_avx512(float *data, size_t count) { (void)data; (void)count; }

void es_first_qkv_avx512(const float *embedded, size_t rows, size_t cols, float epsilon, const float *const *words,
                         const float *const *positions, const float *gamma_product, const float *beta_product,
                         size_t outputs, float *qkv) {
    (void)embedded; (void)rows; (void)cols; (void)epsilon; (void)words; (void)positions; (void)gamma_product;
    (void)beta_product; (void)outputs; (void)qkv;
}

void es_gemm_packed_avx512(size_t m, size_t n, size_t k, const float *a, size_t lda,
                           const float *packed, const float *bias, float *c, size_t ldc) {
    (void)m; (void)n; (void)k; (void)a; (void)lda; (void)packed; (void)bias; (void)c; (void)ldc;
}

#endif
