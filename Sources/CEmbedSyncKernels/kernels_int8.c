#include "EmbedSyncInt8Kernels.h"
#include "EmbedSyncKernels.h"

#include <math.h>
#include <string.h>

#if defined(__x86_64__) && (defined(__clang__) || defined(__GNUC__))
#define ES_I8_X86 1
#include <cpuid.h>
#include <immintrin.h>
#endif

#define ES_I8_W ES_I8_PANEL_WIDTH

size_t es_i8_padded_columns(size_t n) { return (n + ES_I8_W - 1) / ES_I8_W * ES_I8_W; }

size_t es_i8_packed_bytes(size_t n, size_t k) { return es_i8_padded_columns(n) * k; }

void es_i8_pack_weight(const float *w, size_t n, size_t k, size_t group, int8_t *packed, float *scales,
                       int32_t *corrections) {
    size_t columns = es_i8_padded_columns(n), panels = columns / ES_I8_W, groups = k / group;
    memset(packed, 0, columns * k);
    memset(scales, 0, columns * sizeof(float));
    memset(corrections, 0, columns * groups * sizeof(int32_t));
    for (size_t o = 0; o < n; o++) {
        const float *row = w + o * k;
        float largest = 0;
        for (size_t i = 0; i < k; i++) largest = fmaxf(largest, fabsf(row[i]));
        float scale = largest > 0 ? largest / 127.0f : 1.0f;
        scales[o] = scale;
        size_t p = o / ES_I8_W, j = o % ES_I8_W;
        int8_t *panel = packed + p * k * ES_I8_W;
        for (size_t i = 0; i < k; i++) {
            float v = nearbyintf(row[i] / scale);
            int8_t q = (int8_t)(v > 127 ? 127 : v < -127 ? -127 : v);
            panel[(i / 4) * ES_I8_W * 4 + j * 4 + i % 4] = q;
            corrections[(p * groups + i / group) * ES_I8_W + j] -= 128 * (int32_t)q;
        }
    }
    (void)panels;
}

void es_i8_quantize_rows(const float *a, size_t m, size_t k, size_t lda, size_t group, uint8_t *q, float *scales) {
    size_t groups = k / group;
    for (size_t r = 0; r < m; r++) {
        for (size_t g = 0; g < groups; g++) {
            const float *x = a + r * lda + g * group;
            float largest = 0;
            for (size_t i = 0; i < group; i++) largest = fmaxf(largest, fabsf(x[i]));
            float inverse = largest > 0 ? 127.0f / largest : 0.0f;
            scales[r * groups + g] = largest > 0 ? largest / 127.0f : 1.0f;
            uint8_t *out = q + r * k + g * group;
            for (size_t i = 0; i < group; i++) out[i] = (uint8_t)((int32_t)nearbyintf(x[i] * inverse) + 128);
        }
    }
}

void es_i8_gemm(size_t m, size_t n, size_t k, size_t group, const uint8_t *q, const float *qscales,
                const int8_t *packed, const float *scales, const int32_t *corrections, const float *bias, float *c,
                size_t ldc) {
    size_t groups = k / group;
    for (size_t r = 0; r < m; r++) {
        const uint8_t *row = q + r * k;
        for (size_t o = 0; o < n; o++) {
            size_t p = o / ES_I8_W, j = o % ES_I8_W;
            const int8_t *panel = packed + p * k * ES_I8_W;
            float sum = 0;
            for (size_t g = 0; g < groups; g++) {
                int32_t dot = corrections[(p * groups + g) * ES_I8_W + j];
                for (size_t i = g * group; i < (g + 1) * group; i++)
                    dot += (int32_t)row[i] * (int32_t)panel[(i / 4) * ES_I8_W * 4 + j * 4 + i % 4];
                sum += (float)dot * qscales[r * groups + g];
            }
            c[r * ldc + o] = bias[o] + sum * scales[o];
        }
    }
}

#ifdef ES_I8_X86

bool es_avx512_vnni_available(void) {
    // AVX-512F with its register state enabled (the fp32 kernel's check), plus BW and VNNI.
    if (!es_avx512_available()) return false;
    unsigned eax, ebx, ecx, edx;
    if (!__get_cpuid_count(7, 0, &eax, &ebx, &ecx, &edx)) return false;
    return (ebx & (1u << 30)) != 0 && (ecx & (1u << 11)) != 0;
}

#define ES_I8_TARGET __attribute__((target("avx512f,avx512bw,avx512vnni")))
#define ES_I8_MASK(count) ((count) >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << (count)) - 1))

ES_I8_TARGET void es_i8_quantize_rows_avx512(const float *a, size_t m, size_t k, size_t lda, size_t group,
                                             uint8_t *q, float *scales) {
    size_t groups = k / group;
    const __m512i offset = _mm512_set1_epi32(128);
    for (size_t r = 0; r < m; r++) {
        for (size_t g = 0; g < groups; g++) {
            const float *x = a + r * lda + g * group;
            __m512 maxima = _mm512_setzero_ps();
            for (size_t i = 0; i < group; i += 16) {
                __mmask16 mask = ES_I8_MASK(group - i);
                maxima = _mm512_max_ps(maxima, _mm512_abs_ps(_mm512_maskz_loadu_ps(mask, x + i)));
            }
            float largest = _mm512_reduce_max_ps(maxima);
            __m512 inverse = _mm512_set1_ps(largest > 0 ? 127.0f / largest : 0.0f);
            scales[r * groups + g] = largest > 0 ? largest / 127.0f : 1.0f;
            uint8_t *out = q + r * k + g * group;
            for (size_t i = 0; i < group; i += 16) {
                __mmask16 mask = ES_I8_MASK(group - i);
                __m512i v = _mm512_cvtps_epi32(_mm512_mul_ps(_mm512_maskz_loadu_ps(mask, x + i), inverse));
                _mm512_mask_cvtepi32_storeu_epi8(out + i, mask, _mm512_add_epi32(v, offset));
            }
        }
    }
}

/// Rows of activations per micro-kernel call: 2·MR int32 and 2·MR float accumulators, 2 weight registers and a
/// broadcast fit the 32 ZMM registers.
#define ES_I8_MR 7
/// Rows per block: the block's quantised rows stay in L2 while every panel of the weight passes them.
#define ES_I8_MC 56
#define ES_I8_ROWS(X) X(0) X(1) X(2) X(3) X(4) X(5) X(6)

/// `c[mr×32] = bias + Σ_g qscale[g] · (corrections[g] + Σ_{i∈g} q[i] · w[i]) · scale` for one panel.
ES_I8_TARGET __attribute__((always_inline)) static inline void
es_i8_micro(int mr, size_t k, size_t group, const uint8_t *q, const float *qscales, size_t groups,
            const int8_t *panel, const int32_t *corrections, const float *scales, const float *bias, float *c,
            size_t ldc, __mmask16 mask0, __mmask16 mask1) {
#define ES_I8_DECLARE(i) __m512 f0_##i = _mm512_setzero_ps(), f1_##i = _mm512_setzero_ps(); \
                         __m512i s0_##i, s1_##i;
    ES_I8_ROWS(ES_I8_DECLARE)
    for (size_t g = 0; g < groups; g++) {
        __m512i k0 = _mm512_load_si512(corrections + g * ES_I8_W);
        __m512i k1 = _mm512_load_si512(corrections + g * ES_I8_W + 16);
#define ES_I8_INIT(i) if (i < mr) { s0_##i = k0; s1_##i = k1; }
        ES_I8_ROWS(ES_I8_INIT)
        const int8_t *b = panel + g * group * ES_I8_W;
        const uint8_t *x = q + g * group;
        for (size_t p = 0; p < group; p += 4) {
            __m512i b0 = _mm512_load_si512(b + p * ES_I8_W);
            __m512i b1 = _mm512_load_si512(b + p * ES_I8_W + 64);
#define ES_I8_DOT(i) if (i < mr) { int32_t word; memcpy(&word, x + i * k + p, 4); \
                                   __m512i v = _mm512_set1_epi32(word); \
                                   s0_##i = _mm512_dpbusd_epi32(s0_##i, v, b0); \
                                   s1_##i = _mm512_dpbusd_epi32(s1_##i, v, b1); }
            ES_I8_ROWS(ES_I8_DOT)
        }
#define ES_I8_SCALE(i) if (i < mr) { __m512 s = _mm512_set1_ps(qscales[i * groups + g]); \
                                     f0_##i = _mm512_fmadd_ps(_mm512_cvtepi32_ps(s0_##i), s, f0_##i); \
                                     f1_##i = _mm512_fmadd_ps(_mm512_cvtepi32_ps(s1_##i), s, f1_##i); }
        ES_I8_ROWS(ES_I8_SCALE)
    }
    __m512 w0 = _mm512_loadu_ps(scales), w1 = _mm512_loadu_ps(scales + 16);
    __m512 a0 = _mm512_maskz_loadu_ps(mask0, bias), a1 = _mm512_maskz_loadu_ps(mask1, bias + 16);
#define ES_I8_STORE(i) if (i < mr) { _mm512_mask_storeu_ps(c + i * ldc, mask0, _mm512_fmadd_ps(f0_##i, w0, a0)); \
                                     _mm512_mask_storeu_ps(c + i * ldc + 16, mask1, _mm512_fmadd_ps(f1_##i, w1, a1)); }
    ES_I8_ROWS(ES_I8_STORE)
#undef ES_I8_DECLARE
#undef ES_I8_INIT
#undef ES_I8_DOT
#undef ES_I8_SCALE
#undef ES_I8_STORE
}

#define ES_I8_CASE(R) \
    case R: es_i8_micro(R, k, group, q, qscales, groups, panel, corrections, scales, bias, c, ldc, mask0, mask1); break;

ES_I8_TARGET static void
es_i8_micro_any(int mr, size_t k, size_t group, const uint8_t *q, const float *qscales, size_t groups,
                const int8_t *panel, const int32_t *corrections, const float *scales, const float *bias, float *c,
                size_t ldc, __mmask16 mask0, __mmask16 mask1) {
    switch (mr) {
        ES_I8_CASE(7) ES_I8_CASE(6) ES_I8_CASE(5) ES_I8_CASE(4) ES_I8_CASE(3) ES_I8_CASE(2) ES_I8_CASE(1)
        default: break;
    }
}

ES_I8_TARGET void es_i8_gemm_vnni(size_t m, size_t n, size_t k, size_t group, const uint8_t *q,
                                  const float *qscales, const int8_t *packed, const float *scales,
                                  const int32_t *corrections, const float *bias, float *c, size_t ldc) {
    size_t groups = k / group, panels = es_i8_padded_columns(n) / ES_I8_W;
    for (size_t m0 = 0; m0 < m; m0 += ES_I8_MC) {
        size_t mc = m - m0 < ES_I8_MC ? m - m0 : ES_I8_MC;
        for (size_t p = 0; p < panels; p++) {
            size_t column = p * ES_I8_W;
            size_t width = n - column < ES_I8_W ? n - column : ES_I8_W;
            __mmask16 mask0 = ES_I8_MASK(width);
            __mmask16 mask1 = width > 16 ? ES_I8_MASK(width - 16) : (__mmask16)0;
            for (size_t i = 0; i < mc; i += ES_I8_MR) {
                int mr = (int)(mc - i < ES_I8_MR ? mc - i : ES_I8_MR);
                size_t row = m0 + i;
                es_i8_micro_any(mr, k, group, q + row * k, qscales + row * groups, groups, packed + p * k * ES_I8_W,
                                corrections + p * groups * ES_I8_W, scales + column, bias + column,
                                c + row * ldc + column, ldc, mask0, mask1);
            }
        }
    }
}

#else

bool es_avx512_vnni_available(void) { return false; }

void es_i8_quantize_rows_avx512(const float *a, size_t m, size_t k, size_t lda, size_t group, uint8_t *q,
                                float *scales) {
    es_i8_quantize_rows(a, m, k, lda, group, q, scales);
}

void es_i8_gemm_vnni(size_t m, size_t n, size_t k, size_t group, const uint8_t *q, const float *qscales,
                     const int8_t *packed, const float *scales, const int32_t *corrections, const float *bias,
                     float *c, size_t ldc) {
    es_i8_gemm(m, n, k, group, q, qscales, packed, scales, corrections, bias, c, ldc);
}

#endif
