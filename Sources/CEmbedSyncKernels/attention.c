#include "EmbedSyncAttention.h"

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#if defined(__x86_64__) && (defined(__clang__) || defined(__GNUC__))
#define ES_ATT_X86 1
#include <immintrin.h>
#endif

/// Queries per block of the AVX-512 kernel: 8 rows × 32 columns of scores, or of context, are 16 accumulators.
#define ES_ATT_ROWS 8
/// Key columns per step of the AVX-512 kernel (two ZMM registers); `Kᵀ` rows are padded to a multiple of it.
#define ES_ATT_COLUMNS 32

static size_t es_att_round_up(size_t n, size_t to) { return (n + to - 1) / to * to; }

/// `p` rounded up to 64 bytes (the workspace count leaves room for it).
static float *es_att_aligned(float *p) { return (float *)(((uintptr_t)p + 63) & ~(uintptr_t)63); }

/// `exp(x)` in plain C, as `FastMath.exp` in Swift: the same polynomial, `n` rounded with the 1.5·2²³ trick and
/// `2ⁿ` built in the exponent bits, no branches, so loops over it vectorise. Inputs clamped to [-87, 88].
static inline float es_exp_scalar(float x) {
    x = x < -87.0f ? -87.0f : x;
    x = x > 88.0f ? 88.0f : x;
    float t = x * 1.44269504f + 12582912.0f;
    float n = t - 12582912.0f;
    x = x - n * 0.693359375f;
    x = x + n * 2.12194440e-4f;
    float z = x * x;
    float y = 1.9875691500e-4f;
    y = y * x + 1.3981999507e-3f;
    y = y * x + 8.3334519073e-3f;
    y = y * x + 4.1665795894e-2f;
    y = y * x + 1.6666665459e-1f;
    y = y * x + 5.0000001201e-1f;
    y = y * z + x + 1.0f;
    uint32_t bits;
    memcpy(&bits, &t, sizeof bits);
    bits = (bits + 127u) << 23;
    float power;
    memcpy(&power, &bits, sizeof power);
    return y * power;
}

size_t es_attention_workspace_count(size_t length, size_t head_size) {
    // Kᵀ (head_size rows of padded length) and a block of score rows, plus 64 bytes for alignment.
    return (head_size + ES_ATT_ROWS) * es_att_round_up(length, ES_ATT_COLUMNS) + 16;
}

void es_attention(const float *qkv, size_t ld_qkv, size_t length, size_t heads, size_t head_size, float scale,
                  float *context, size_t ld_context, float *workspace) {
    size_t hidden = heads * head_size;
    float *restrict kt = es_att_aligned(workspace);
    float *restrict scores = kt + head_size * length;
    for (size_t h = 0; h < heads; h++) {
        const float *q = qkv + h * head_size, *k = q + hidden, *v = q + 2 * hidden;
        for (size_t j = 0; j < length; j++)
            for (size_t c = 0; c < head_size; c++) kt[c * length + j] = k[j * ld_qkv + c];
        for (size_t i = 0; i < length; i++) {
            const float *query = q + i * ld_qkv;
            for (size_t j = 0; j < length; j++) scores[j] = 0;
            for (size_t c = 0; c < head_size; c++) {
                float x = query[c] * scale;
                const float *restrict keys = kt + c * length;
                for (size_t j = 0; j < length; j++) scores[j] += x * keys[j];
            }
            float largest = scores[0];
            for (size_t j = 1; j < length; j++) largest = scores[j] > largest ? scores[j] : largest;
            for (size_t j = 0; j < length; j++) scores[j] = es_exp_scalar(scores[j] - largest);
            float sum = 0;
            for (size_t j = 0; j < length; j++) sum += scores[j];
            float *restrict out = context + i * ld_context + h * head_size;
            for (size_t c = 0; c < head_size; c++) out[c] = 0;
            for (size_t j = 0; j < length; j++) {
                float p = scores[j];
                const float *restrict value = v + j * ld_qkv;
                for (size_t c = 0; c < head_size; c++) out[c] += p * value[c];
            }
            float inverse = 1.0f / sum;
            for (size_t c = 0; c < head_size; c++) out[c] *= inverse;
        }
    }
}

#ifdef ES_ATT_X86

/// `exp(x)` for 16 lanes: Cephes' polynomial after `x = n·ln2 + r`, then `scalef` for `2ⁿ`. No clamping: `scalef`
/// gives 0 for very negative `x` (softmax's inputs are ≤ 0 once the largest is subtracted) and ∞ past the range.
__attribute__((target("avx512f"), always_inline)) static inline __m512 es_exp(__m512 x) {
    __m512 n = _mm512_roundscale_ps(_mm512_mul_ps(x, _mm512_set1_ps(1.44269504f)),
                                    _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    x = _mm512_fnmadd_ps(n, _mm512_set1_ps(0.693359375f), x);
    x = _mm512_fnmadd_ps(n, _mm512_set1_ps(-2.12194440e-4f), x);
    __m512 z = _mm512_mul_ps(x, x);
    __m512 y = _mm512_fmadd_ps(_mm512_set1_ps(1.9875691500e-4f), x, _mm512_set1_ps(1.3981999507e-3f));
    y = _mm512_fmadd_ps(y, x, _mm512_set1_ps(8.3334519073e-3f));
    y = _mm512_fmadd_ps(y, x, _mm512_set1_ps(4.1665795894e-2f));
    y = _mm512_fmadd_ps(y, x, _mm512_set1_ps(1.6666665459e-1f));
    y = _mm512_fmadd_ps(y, x, _mm512_set1_ps(5.0000001201e-1f));
    y = _mm512_add_ps(_mm512_fmadd_ps(y, z, x), _mm512_set1_ps(1.0f));
    return _mm512_scalef_ps(y, n);
}
#define ES_ATT_MASK(count) ((count) >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << (count)) - 1))

/// Applies `X(r)` for each query row of a block.
#define ES_ATT_ROW_LIST(X) X(0) X(1) X(2) X(3) X(4) X(5) X(6) X(7)

/// One block of `rows` queries (a constant at every call site) of one head: scores against all keys from `kt`
/// (`Kᵀ`, rows of `columns` floats, zero past `length`), softmax, and the context rows. `wide` (a constant too) is
/// false for `columns` = 16: one register per row of scores instead of two (texts of up to 16 tokens).
/// Written out row by row, like the GEMM's micro-kernel, so the accumulators stay in registers.
__attribute__((target("avx512f"), always_inline)) static inline void
es_att_block(int rows, bool wide, const float *q, size_t ld_qkv, const float *kt, size_t columns, size_t length,
             size_t head_size, const float *v, float *scores, float scale, float *out, size_t ld_context) {
    // Scores, 32 keys at a time: s[r][j] = q_r · k_j, and each row's largest over the real keys (`j < length`).
#define ES_ATT_MAX_START(r) __m512 m_##r = _mm512_set1_ps(-__builtin_inff());
    ES_ATT_ROW_LIST(ES_ATT_MAX_START)
    for (size_t j0 = 0; j0 < columns; j0 += ES_ATT_COLUMNS) {
#define ES_ATT_ZERO(r) __m512 s0_##r = _mm512_setzero_ps(), s1_##r = _mm512_setzero_ps();
        ES_ATT_ROW_LIST(ES_ATT_ZERO)
        const float *keys = kt + j0;
        for (size_t c = 0; c < head_size; c++) {
            __m512 k0 = _mm512_load_ps(keys + c * columns), k1 = wide ? _mm512_load_ps(keys + c * columns + 16) : k0;
#define ES_ATT_DOT(r) if (r < rows) { __m512 x = _mm512_set1_ps(q[r * ld_qkv + c]); \
                                      s0_##r = _mm512_fmadd_ps(x, k0, s0_##r); \
                                      if (wide) s1_##r = _mm512_fmadd_ps(x, k1, s1_##r); }
            ES_ATT_ROW_LIST(ES_ATT_DOT)
        }
        __mmask16 real0 = ES_ATT_MASK(length - j0);
        __mmask16 real1 = length - j0 > 16 ? ES_ATT_MASK(length - j0 - 16) : (__mmask16)0;
#define ES_ATT_STORE_SCORES(r) if (r < rows) { _mm512_store_ps(scores + r * columns + j0, s0_##r); \
                                               m_##r = _mm512_mask_max_ps(m_##r, real0, m_##r, s0_##r); \
                                               if (wide) { _mm512_store_ps(scores + r * columns + j0 + 16, s1_##r); \
                                                   m_##r = _mm512_mask_max_ps(m_##r, real1, m_##r, s1_##r); } }
        ES_ATT_ROW_LIST(ES_ATT_STORE_SCORES)
    }
    float largest_score[ES_ATT_ROWS];
#define ES_ATT_MAX_END(r) if (r < rows) largest_score[r] = _mm512_reduce_max_ps(m_##r);
    ES_ATT_ROW_LIST(ES_ATT_MAX_END)
    // Softmax numerators in place; the division by their sum waits for the context.
    const __m512 scales = _mm512_set1_ps(scale);
    float inverse[ES_ATT_ROWS];
    for (int r = 0; r < rows; r++) {
        float *row = scores + r * columns;
        // With scale > 0, the largest of scale·x is scale·max(x).
        __m512 largest = _mm512_mul_ps(_mm512_set1_ps(largest_score[r]), scales);
        __m512 sums = _mm512_setzero_ps();
        for (size_t j = 0; j < length; j += 16) {
            __mmask16 mask = ES_ATT_MASK(length - j);
            __m512 e = es_exp(_mm512_fmsub_ps(_mm512_load_ps(row + j), scales, largest));
            sums = _mm512_mask_add_ps(sums, mask, sums, e);
            _mm512_store_ps(row + j, e);
        }
        inverse[r] = 1.0f / _mm512_reduce_add_ps(sums);
    }
    // Context, 32 dimensions at a time: out[r] = Σ_j e[r][j] · v_j / Σ_j e[r][j].
    for (size_t c0 = 0; c0 < head_size; c0 += 32) {
        __mmask16 mask0 = ES_ATT_MASK(head_size - c0);
        __mmask16 mask1 = head_size - c0 > 16 ? ES_ATT_MASK(head_size - c0 - 16) : (__mmask16)0;
#define ES_ATT_ZERO_OUT(r) __m512 o0_##r = _mm512_setzero_ps(), o1_##r = _mm512_setzero_ps();
        ES_ATT_ROW_LIST(ES_ATT_ZERO_OUT)
        for (size_t j = 0; j < length; j++) {
            const float *value = v + j * ld_qkv + c0;
            __m512 v0 = _mm512_maskz_loadu_ps(mask0, value), v1 = _mm512_maskz_loadu_ps(mask1, value + 16);
#define ES_ATT_WEIGH(r) if (r < rows) { __m512 p = _mm512_set1_ps(scores[r * columns + j]); \
                                        o0_##r = _mm512_fmadd_ps(p, v0, o0_##r); o1_##r = _mm512_fmadd_ps(p, v1, o1_##r); }
            ES_ATT_ROW_LIST(ES_ATT_WEIGH)
        }
#define ES_ATT_STORE_OUT(r) if (r < rows) { __m512 w = _mm512_set1_ps(inverse[r]); float *o = out + r * ld_context + c0; \
                                            _mm512_mask_storeu_ps(o, mask0, _mm512_mul_ps(o0_##r, w)); \
                                            _mm512_mask_storeu_ps(o + 16, mask1, _mm512_mul_ps(o1_##r, w)); }
        ES_ATT_ROW_LIST(ES_ATT_STORE_OUT)
    }
#undef ES_ATT_ZERO
#undef ES_ATT_MAX_START
#undef ES_ATT_MAX_END
#undef ES_ATT_DOT
#undef ES_ATT_STORE_SCORES
#undef ES_ATT_ZERO_OUT
#undef ES_ATT_WEIGH
#undef ES_ATT_STORE_OUT
}

/// Transposes 16 rows of 16 floats in registers (three rounds of shuffles).
__attribute__((target("avx512f"), always_inline)) static inline void es_att_transpose16(__m512 r[16]) {
    __m512 t[16];
    for (int i = 0; i < 16; i += 2) {
        t[i] = _mm512_unpacklo_ps(r[i], r[i + 1]);
        t[i + 1] = _mm512_unpackhi_ps(r[i], r[i + 1]);
    }
    for (int i = 0; i < 16; i += 4) {
        r[i] = _mm512_shuffle_ps(t[i], t[i + 2], 0x44);
        r[i + 1] = _mm512_shuffle_ps(t[i], t[i + 2], 0xEE);
        r[i + 2] = _mm512_shuffle_ps(t[i + 1], t[i + 3], 0x44);
        r[i + 3] = _mm512_shuffle_ps(t[i + 1], t[i + 3], 0xEE);
    }
    for (int i = 0; i < 4; i++) {
        t[i] = _mm512_shuffle_f32x4(r[i], r[i + 4], 0x88);
        t[i + 4] = _mm512_shuffle_f32x4(r[i], r[i + 4], 0xDD);
        t[i + 8] = _mm512_shuffle_f32x4(r[i + 8], r[i + 12], 0x88);
        t[i + 12] = _mm512_shuffle_f32x4(r[i + 8], r[i + 12], 0xDD);
    }
    for (int i = 0; i < 8; i++) {
        r[i] = _mm512_shuffle_f32x4(t[i], t[i + 8], 0x88);
        r[i + 8] = _mm512_shuffle_f32x4(t[i], t[i + 8], 0xDD);
    }
}

/// `kt[c·columns + j] = k[j·ld + c]` for `c < head_size` and `j < columns` (a multiple of 16), zero past `length`:
/// tiles of 16 keys × 16 dimensions transposed in registers (a compiler's scatter stores were a tenth of attention).
__attribute__((target("avx512f"))) static void
es_att_transpose(const float *k, size_t ld, size_t length, size_t head_size, size_t columns, float *kt) {
    for (size_t j0 = 0; j0 < columns; j0 += 16) {
        for (size_t c0 = 0; c0 < head_size; c0 += 16) {
            __mmask16 mask = ES_ATT_MASK(head_size - c0);
            __m512 tile[16];
            for (size_t i = 0; i < 16; i++) {
                tile[i] = j0 + i < length ? _mm512_maskz_loadu_ps(mask, k + (j0 + i) * ld + c0) : _mm512_setzero_ps();
            }
            es_att_transpose16(tile);
            for (size_t i = 0; i < 16 && c0 + i < head_size; i++) {
                _mm512_store_ps(kt + (c0 + i) * columns + j0, tile[i]);
            }
        }
    }
}

/// Texts of up to this many tokens have their rows brought in whole before the heads start (`es_att_warm`).
#define ES_ATT_WARM_TOKENS 64

/// Brings a text's rows into cache the cheap way before the heads go through them: its query/key/value rows asked
/// for in address order (one stream the hardware follows, where each head reads 128 bytes of every 4.6 KB row), and
/// its context rows zeroed in order, so the heads' scattered writes land on lines already held (each head would
/// otherwise wait for every line it writes). After a layer's products they are in L3 or memory: in a harness of
/// the encoder's passes, attention took 13% less time with both (medians of 8).
__attribute__((target("avx512f"))) static void
es_att_warm(const float *qkv, size_t ld_qkv, size_t length, size_t hidden, float *context, size_t ld_context) {
    for (size_t j = 0; j < length; j++) {
        const char *row = (const char *)(qkv + j * ld_qkv);
        for (size_t byte = 0; byte < 3 * hidden * sizeof(float); byte += 64) _mm_prefetch(row + byte, _MM_HINT_T0);
        memset(context + j * ld_context, 0, hidden * sizeof(float));
    }
}

#define ES_ATT_BLOCK_CASE(R) \
    case R: \
        if (columns == 16) \
            es_att_block(R, false, q, ld_qkv, kt, 16, length, head_size, v, scores, scale, out, ld_context); \
        else \
            es_att_block(R, true, q, ld_qkv, kt, columns, length, head_size, v, scores, scale, out, ld_context); \
        break;

__attribute__((target("avx512f"))) void
es_attention_avx512(const float *qkv, size_t ld_qkv, size_t length, size_t heads, size_t head_size, float scale,
                    float *context, size_t ld_context, float *workspace) {
    // Up to 16 keys fit one register per row of scores; more are padded to pairs of registers.
    size_t hidden = heads * head_size, columns = length <= 16 ? 16 : es_att_round_up(length, ES_ATT_COLUMNS);
    float *kt = es_att_aligned(workspace);
    float *scores = kt + head_size * columns;
    if (length <= ES_ATT_WARM_TOKENS) es_att_warm(qkv, ld_qkv, length, hidden, context, ld_context);
    for (size_t h = 0; h < heads; h++) {
        const float *k = qkv + hidden + h * head_size, *v = qkv + 2 * hidden + h * head_size;
        es_att_transpose(k, ld_qkv, length, head_size, columns, kt);
        for (size_t i = 0; i < length; i += ES_ATT_ROWS) {
            const float *q = qkv + i * ld_qkv + h * head_size;
            float *out = context + i * ld_context + h * head_size;
            switch (length - i < ES_ATT_ROWS ? length - i : ES_ATT_ROWS) {
                ES_ATT_BLOCK_CASE(8) ES_ATT_BLOCK_CASE(7) ES_ATT_BLOCK_CASE(6) ES_ATT_BLOCK_CASE(5)
                ES_ATT_BLOCK_CASE(4) ES_ATT_BLOCK_CASE(3) ES_ATT_BLOCK_CASE(2) ES_ATT_BLOCK_CASE(1)
                default: break;
            }
        }
    }
}

#else

void es_attention_avx512(const float *qkv, size_t ld_qkv, size_t length, size_t heads, size_t head_size,
                         float scale, float *context, size_t ld_context, float *workspace) {
    es_attention(qkv, ld_qkv, length, heads, head_size, scale, context, ld_context, workspace);
}

#endif
