// Strassen's algorithm on a weight packed once at load, in fp32 throughout: one level does seven half-size products
// instead of eight (12.5 % fewer multiplications), two levels 49 instead of 64. The weight's sums and differences
// are packed at load; the activations' are summed per block of rows, and each product is added to (or subtracted
// from) its output blocks straight from the micro-kernel's registers.
#include "EmbedSyncKernels.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

/// How each of the seven products combines the quarters (A for activations, B = Wᵀ for the weight, C for outputs;
/// quarter `xy` is row half `x`, column half `y`): `P = (A_a1 + sign_a · A_a2) · (B_b1 + sign_b · B_b2)`, added to
/// C quarter `c1` with sign `s1` and, when `c2 ≥ 0`, to `c2` with sign `s2`. Quarters are numbered 0 = 11, 1 = 12,
/// 2 = 21, 3 = 22; `-1` marks an unused second term.
typedef struct {
    int a1, a2, sign_a, b1, b2, sign_b, c1, s1, c2, s2;
} es_strassen_product;

static const es_strassen_product es_strassen_products[7] = {
    {0, 3, 1, 0, 3, 1, 0, 1, 3, 1},        // (A11 + A22)(B11 + B22) → C11, C22
    {2, 3, 1, 0, -1, 0, 2, 1, 3, -1},      // (A21 + A22) B11        → C21, −C22
    {0, -1, 0, 1, 3, -1, 1, 1, 3, 1},      // A11 (B12 − B22)        → C12, C22
    {3, -1, 0, 2, 0, -1, 0, 1, 2, 1},      // A22 (B21 − B11)        → C11, C21
    {0, 1, 1, 3, -1, 0, 0, -1, 1, 1},      // (A11 + A12) B22        → −C11, C12
    {2, 0, -1, 0, 1, 1, 3, 1, -1, 0},      // (A21 − A11)(B11 + B12) → C22
    {1, 3, -1, 2, 3, 1, 0, 1, -1, 0},      // (A12 − A22)(B21 + B22) → C11
};

/// The most levels `es_strassen_*` take: 7² = 49 products of a quarter of the size.
#define ES_S_MAX_LEVELS 2
#define ES_S_MAX_PRODUCTS 49
#define ES_S_MAX_TERMS 4

/// One product of `levels` nested levels: `(Σ sign · A block) · (Σ sign · B block)`, added with a sign to each of
/// its output blocks. With `L` levels, matrices are cut into a grid of `2^L × 2^L` blocks, numbered row-major.
typedef struct {
    int a_count, b_count, c_count;
    int a[ES_S_MAX_TERMS], a_sign[ES_S_MAX_TERMS];
    int b[ES_S_MAX_TERMS], b_sign[ES_S_MAX_TERMS];
    int c[ES_S_MAX_TERMS], c_sign[ES_S_MAX_TERMS];
    /// Bit `t` set: this product is the first to reach output block `c[t]`, so it starts that block from the bias.
    int starts;
    /// Bit `t` set: this product is the last to reach output block `c[t]`, so it writes that block's final values.
    int ends;
} es_s_plan;

/// The number, in a grid of `2·side × 2·side` blocks, of quarter `inner` of block `outer` of a `side × side` grid.
static int es_s_nest(int outer, int inner, int side) {
    int row = (outer / side) * 2 + (inner >> 1), col = (outer % side) * 2 + (inner & 1);
    return row * side * 2 + col;
}

/// Fills `plans` with the `7^levels` products, in the order they run; returns their number.
static int es_s_make_plans(int levels, es_s_plan *plans) {
    int count = 1, side = 1;
    plans[0] = (es_s_plan){.a_count = 1, .b_count = 1, .c_count = 1, .a = {0}, .a_sign = {1}, .b = {0},
                           .b_sign = {1}, .c = {0}, .c_sign = {1}};
    for (int level = 0; level < levels; level++) {
        es_s_plan next[ES_S_MAX_PRODUCTS];
        int made = 0;
        for (int outer = 0; outer < count; outer++) {
            for (int q = 0; q < 7; q++) {
                const es_strassen_product *inner = &es_strassen_products[q];
                es_s_plan plan = {0};
                int inner_a[2] = {inner->a1, inner->a2}, inner_b[2] = {inner->b1, inner->b2};
                int inner_c[2] = {inner->c1, inner->c2};
                int sign_a[2] = {1, inner->sign_a}, sign_b[2] = {1, inner->sign_b}, sign_c[2] = {inner->s1, inner->s2};
                for (int t = 0; t < plans[outer].a_count; t++) {
                    for (int u = 0; u < 2 && inner_a[u] >= 0; u++) {
                        plan.a[plan.a_count] = es_s_nest(plans[outer].a[t], inner_a[u], side);
                        plan.a_sign[plan.a_count++] = plans[outer].a_sign[t] * sign_a[u];
                    }
                }
                for (int t = 0; t < plans[outer].b_count; t++) {
                    for (int u = 0; u < 2 && inner_b[u] >= 0; u++) {
                        plan.b[plan.b_count] = es_s_nest(plans[outer].b[t], inner_b[u], side);
                        plan.b_sign[plan.b_count++] = plans[outer].b_sign[t] * sign_b[u];
                    }
                }
                for (int t = 0; t < plans[outer].c_count; t++) {
                    for (int u = 0; u < 2 && inner_c[u] >= 0; u++) {
                        plan.c[plan.c_count] = es_s_nest(plans[outer].c[t], inner_c[u], side);
                        plan.c_sign[plan.c_count++] = plans[outer].c_sign[t] * sign_c[u];
                    }
                }
                next[made++] = plan;
            }
        }
        count = made;
        side *= 2;
        memcpy(plans, next, (size_t)count * sizeof(es_s_plan));
    }
    int touched[ES_S_MAX_PRODUCTS] = {0};
    for (int p = 0; p < count; p++) {
        for (int t = 0; t < plans[p].c_count; t++) {
            if (!touched[plans[p].c[t]]) plans[p].starts |= 1 << t;
            touched[plans[p].c[t]] = 1;
        }
    }
    for (int p = count - 1; p >= 0; p--) {
        for (int t = 0; t < plans[p].c_count; t++) {
            if (touched[plans[p].c[t]] == 1) plans[p].ends |= 1 << t;
            touched[plans[p].c[t]] = 2;
        }
    }
    return count;
}

static int es_s_power7(int levels) { return levels == 0 ? 1 : 7 * es_s_power7(levels - 1); }

size_t es_strassen_weight_count(size_t n, size_t k, int levels) {
    return (size_t)es_s_power7(levels) * es_packed_weight_count(n >> levels, k >> levels);
}

bool es_strassen_supports(size_t n, size_t k, int levels) {
    size_t side = (size_t)1 << levels;
    return levels >= 1 && levels <= ES_S_MAX_LEVELS && n > 0 && k > 0 && n % (side * ES_PANEL_WIDTH) == 0
           && k % (16 * side) == 0;
}

void es_pack_weight_strassen(const float *w, size_t n, size_t k, int levels, float *packed) {
    es_s_plan plans[ES_S_MAX_PRODUCTS];
    int count = es_s_make_plans(levels, plans), side = 1 << levels;
    size_t bn = n >> levels, bk = k >> levels, size = es_packed_weight_count(bn, bk);
    for (int p = 0; p < count; p++) {
        // Laid out as `es_pack_weight` does (`bn` is a multiple of the panel width): panel `q`, input `i`, output
        // `j` of the panel. B block (x, y) (inputs x·bk…, outputs y·bn…) is the transpose of W's rows y·bn… and
        // columns x·bk…, so each term adds a run of one W row to a column of the panel.
        for (size_t q = 0; q < bn / ES_PANEL_WIDTH; q++) {
            float *panel = packed + p * size + q * bk * ES_PANEL_WIDTH;
            for (size_t j = 0; j < ES_PANEL_WIDTH; j++) {
                for (int t = 0; t < plans[p].b_count; t++) {
                    int x = plans[p].b[t] / side, y = plans[p].b[t] % side;
                    const float *row = w + (y * bn + q * ES_PANEL_WIDTH + j) * k + x * bk;
                    float sign = (float)plans[p].b_sign[t];
                    if (t == 0) {
                        for (size_t i = 0; i < bk; i++) panel[i * ES_PANEL_WIDTH + j] = sign * row[i];
                    } else {
                        for (size_t i = 0; i < bk; i++) panel[i * ES_PANEL_WIDTH + j] += sign * row[i];
                    }
                }
            }
        }
    }
}

#if defined(__x86_64__) && (defined(__clang__) || defined(__GNUC__))
#include <immintrin.h>

#include "gelu.h"
#include "micro_tile.h"

/// Inputs per step of a product. The whole depth of all-MiniLM-L6-v2's deepest layer (1536 inputs, 768 a half):
/// each output tile is then read and written once per product, not once per step (the output layer, 384×1536,
/// went from 115 to 121 effective GFLOP/s on one Zen 4 core; 192, the plain kernel's, suits it better elsewhere).
#define ES_S_KC 768
/// Rows of A per block: `2^levels` row blocks of `h ≤ ES_S_BLOCK_ROWS >> levels` rows each.
#define ES_S_BLOCK_ROWS ES_BLOCK_ROWS
/// How many steps before the end of a product the micro-kernel prefetches the output tiles it will add to.
#define ES_S_PREFETCH_STEPS 48

/// What the micro-kernel does with its product at one output block: add it to the block or subtract it (bit 0), start
/// from the bias instead of the block's values (bit 1), and, with `ES_GELU`, write GELU of the result (the block's
/// last update, in a product with `gelu`).
enum { ES_ADD = 0, ES_SUB = 1, ES_START = 2, ES_GELU = 4 };

/// Where one product goes: up to `ES_S_MAX_TERMS` output tiles, each with its mode and (to start from) bias.
typedef struct {
    int count;
    float *c[ES_S_MAX_TERMS];
    const float *bias[ES_S_MAX_TERMS];
    int mode[ES_S_MAX_TERMS];
} es_s_targets;

/// GELU of the `mr` rows of 32 outputs at `c`, row stride `ldc`.
__attribute__((target("avx512f"), noinline)) static void es_s_gelu_tile(int mr, float *c, size_t ldc) {
    for (int i = 0; i < mr; i++) {
        _mm512_storeu_ps(c + i * ldc, es_gelu16(_mm512_loadu_ps(c + i * ldc)));
        _mm512_storeu_ps(c + i * ldc + 16, es_gelu16(_mm512_loadu_ps(c + i * ldc + 16)));
    }
}

/// Steps `from ..< to` of the tile's product, each also asking L2 for the same step's row of the panel `next`.
#define ES_S_STEPS_FETCHING_NEXT(from, to)                                                                         \
    for (size_t p = (from); p < (to); p++) {                                                                       \
        _mm_prefetch((const char *)(next + p * ES_PANEL_WIDTH), _MM_HINT_T1);                                      \
        _mm_prefetch((const char *)(next + p * ES_PANEL_WIDTH + 16), _MM_HINT_T1);                                 \
        __m512 b0 = _mm512_load_ps(panel + p * ES_PANEL_WIDTH);                                                    \
        __m512 b1 = _mm512_load_ps(panel + p * ES_PANEL_WIDTH + 16);                                               \
        ES_ROWS(ES_TILE_FMA)                                                                                       \
    }

/// `P = a[mr×kc] · panel[kc×32]` in registers, then added to, subtracted from or stored (on the bias) into each
/// target tile at column offset `column`, and the tile put through GELU where the target says so. With `next`
/// (the panel of `kc` steps to multiply by after this one), that panel is fetched into L2 meanwhile.
__attribute__((target("avx512f"), always_inline)) static inline void
es_s_micro(int mr, size_t kc, const float *a, size_t lda, const float *panel, const es_s_targets *targets,
           size_t row, size_t column, size_t ldc, const float *next) {
#define ES_S_DECLARE(i) __m512 c0_##i = _mm512_setzero_ps(), c1_##i = _mm512_setzero_ps();
    ES_ROWS(ES_S_DECLARE)
    // The output tiles are asked for a few dozen steps before the end, so that adding to them does not wait for L2
    // or L3 (in a profile, a tenth of this function's time was spent there).
    size_t lead = kc > ES_S_PREFETCH_STEPS ? kc - ES_S_PREFETCH_STEPS : 0;
    if (next) {
        ES_S_STEPS_FETCHING_NEXT(0, lead)
    } else {
        ES_TILE_STEPS(0, lead)
    }
    for (int t = 0; t < targets->count; t++) {
        const float *c = targets->c[t] + row * ldc + column;
#define ES_S_PREFETCH_ROW(i) if (i < mr) { _mm_prefetch((const char *)(c + i * ldc), _MM_HINT_T0); \
                                           _mm_prefetch((const char *)(c + i * ldc + 16), _MM_HINT_T0); }
        ES_ROWS(ES_S_PREFETCH_ROW)
#undef ES_S_PREFETCH_ROW
    }
    if (next) {
        ES_S_STEPS_FETCHING_NEXT(lead, kc)
    } else {
        ES_TILE_STEPS(lead, kc)
    }
    for (int t = 0; t < targets->count; t++) {
        float *c = targets->c[t] + row * ldc + column;
        const float *bias = targets->bias[t] + column;
#define ES_S_ADD_ROW(i) if (i < mr) { \
            _mm512_storeu_ps(c + i * ldc, _mm512_add_ps(_mm512_loadu_ps(c + i * ldc), c0_##i)); \
            _mm512_storeu_ps(c + i * ldc + 16, _mm512_add_ps(_mm512_loadu_ps(c + i * ldc + 16), c1_##i)); }
#define ES_S_SUB_ROW(i) if (i < mr) { \
            _mm512_storeu_ps(c + i * ldc, _mm512_sub_ps(_mm512_loadu_ps(c + i * ldc), c0_##i)); \
            _mm512_storeu_ps(c + i * ldc + 16, _mm512_sub_ps(_mm512_loadu_ps(c + i * ldc + 16), c1_##i)); }
#define ES_S_START_ADD_ROW(i) if (i < mr) { _mm512_storeu_ps(c + i * ldc, _mm512_add_ps(z0, c0_##i)); \
                                            _mm512_storeu_ps(c + i * ldc + 16, _mm512_add_ps(z1, c1_##i)); }
#define ES_S_START_SUB_ROW(i) if (i < mr) { _mm512_storeu_ps(c + i * ldc, _mm512_sub_ps(z0, c0_##i)); \
                                            _mm512_storeu_ps(c + i * ldc + 16, _mm512_sub_ps(z1, c1_##i)); }
        switch (targets->mode[t] & ~ES_GELU) {
        case ES_ADD: ES_ROWS(ES_S_ADD_ROW) break;
        case ES_SUB: ES_ROWS(ES_S_SUB_ROW) break;
        case ES_START | ES_ADD: {
            __m512 z0 = _mm512_loadu_ps(bias), z1 = _mm512_loadu_ps(bias + 16);
            ES_ROWS(ES_S_START_ADD_ROW)
            break;
        }
        default: {
            __m512 z0 = _mm512_loadu_ps(bias), z1 = _mm512_loadu_ps(bias + 16);
            ES_ROWS(ES_S_START_SUB_ROW)
            break;
        }
        }
    }
    // The tiles' final values, still in L1, once the accumulators are spent: a call while they were live (GELU inside
    // the loop above) made the compiler store all 28 to the stack first, in every tile.
    for (int t = 0; t < targets->count; t++) {
        if (targets->mode[t] & ES_GELU) es_s_gelu_tile(mr, targets->c[t] + row * ldc + column, ldc);
    }
#undef ES_S_ADD_ROW
#undef ES_S_SUB_ROW
#undef ES_S_START_ADD_ROW
#undef ES_S_START_SUB_ROW
#undef ES_S_DECLARE
}

/// One function per row count: inlined into a single switch, unoptimised (debug) builds would give that switch a
/// stack frame of over a megabyte, more than a worker thread's stack.
#define ES_S_MICRO_FOR(R)                                                                                          \
    __attribute__((target("avx512f"), noinline)) static void es_s_micro_##R(                                      \
        size_t kc, const float *a, size_t lda, const float *panel, const es_s_targets *targets, size_t row,       \
        size_t column, size_t ldc, const float *next) {                                                            \
        es_s_micro(R, kc, a, lda, panel, targets, row, column, ldc, next);                                         \
    }
ES_ROW_COUNTS(ES_S_MICRO_FOR)

#define ES_S_MICRO_CASE(R) \
    case R: es_s_micro_##R(kc, a, lda, panel, targets, row, column, ldc, next); break;

__attribute__((target("avx512f"))) static void
es_s_micro_any(int mr, size_t kc, const float *a, size_t lda, const float *panel, const es_s_targets *targets,
               size_t row, size_t column, size_t ldc, const float *next) {
    switch (mr) {
        ES_ROW_COUNTS(ES_S_MICRO_CASE)
        default: break;
    }
}

/// `sum[h×kc] = Σ sign_t · block_t` over `count` (1…4) blocks of `h` rows and `kc` (a multiple of 16) columns
/// with row stride `lda`; `count` is a constant where it is inlined. Rows of `sum` are `kc + 16` apart, so that the
/// micro-kernel's 14 rows never share a few cache sets (a stride of 768 floats would put them in 4).
__attribute__((target("avx512f"), always_inline)) static inline void
es_s_combine_n(int count, size_t h, size_t kc, const float *const *blocks, const int *signs, size_t lda,
               float *sum) {
    // A sign flips by XOR with the sign bit.
    __m512i flip[ES_S_MAX_TERMS];
    for (int t = 0; t < count; t++) flip[t] = _mm512_set1_epi32(signs[t] < 0 ? (int)0x80000000u : 0);
    for (size_t i = 0; i < h; i++) {
        for (size_t p = 0; p < kc; p += 16) {
            __m512 total = _mm512_castsi512_ps(
                _mm512_xor_si512(_mm512_castps_si512(_mm512_loadu_ps(blocks[0] + i * lda + p)), flip[0]));
            for (int t = 1; t < count; t++) {
                __m512 term = _mm512_castsi512_ps(
                    _mm512_xor_si512(_mm512_castps_si512(_mm512_loadu_ps(blocks[t] + i * lda + p)), flip[t]));
                total = _mm512_add_ps(total, term);
            }
            _mm512_store_ps(sum + i * (kc + 16) + p, total);
        }
    }
}

__attribute__((target("avx512f"))) static void
es_s_combine(size_t h, size_t kc, const float *const *blocks, const int *signs, int count, size_t lda, float *sum) {
    switch (count) {
    case 1: es_s_combine_n(1, h, kc, blocks, signs, lda, sum); break;
    case 2: es_s_combine_n(2, h, kc, blocks, signs, lda, sum); break;
    case 3: es_s_combine_n(3, h, kc, blocks, signs, lda, sum); break;
    default: es_s_combine_n(4, h, kc, blocks, signs, lda, sum); break;
    }
}

/// One block of `2^levels · h` rows, cut into `2^levels` row blocks of `h` rows.
__attribute__((target("avx512f"))) static void
es_s_block(const es_s_plan *plans, int count, int levels, size_t h, size_t n, size_t k, const float *a, size_t lda,
           const float *packed, const float *bias, float *c, size_t ldc, float *sum, bool gelu) {
    int side = 1 << levels;
    size_t bn = n >> levels, bk = k >> levels, size = es_packed_weight_count(bn, bk);
    for (int p = 0; p < count; p++) {
        const es_s_plan *plan = &plans[p];
        const float *weights = packed + p * size;
        for (size_t k0 = 0; k0 < bk; k0 += ES_S_KC) {
            size_t kc = bk - k0 < ES_S_KC ? bk - k0 : ES_S_KC;
            const float *blocks[ES_S_MAX_TERMS];
            for (int t = 0; t < plan->a_count; t++) {
                blocks[t] = a + (size_t)(plan->a[t] / side) * h * lda + (size_t)(plan->a[t] % side) * bk + k0;
            }
            const float *operand = blocks[0];
            size_t ld_operand = lda;
            if (plan->a_count > 1 || plan->a_sign[0] < 0) {
                es_s_combine(h, kc, blocks, plan->a_sign, plan->a_count, lda, sum);
                operand = sum;
                ld_operand = kc + 16;
            }
            es_s_targets targets = {.count = plan->c_count};
            for (int t = 0; t < plan->c_count; t++) {
                int block = plan->c[t];
                targets.c[t] = c + (size_t)(block / side) * h * ldc + (size_t)(block % side) * bn;
                targets.bias[t] = bias ? bias + (size_t)(block % side) * bn : NULL;
                // Without a bias the first product adds to the outputs as they are (`c += a · wᵀ`).
                bool start = k0 == 0 && bias && (plan->starts >> t & 1);
                bool end = gelu && k0 + kc == bk && (plan->ends >> t & 1);
                targets.mode[t] = (start ? ES_START : 0) | (plan->c_sign[t] < 0 ? ES_SUB : 0) | (end ? ES_GELU : 0);
            }
            for (size_t column = 0; column < bn; column += ES_PANEL_WIDTH) {
                const float *panel = weights + column * bk + k0 * ES_PANEL_WIDTH;
                // The weights (all layers' are several times L3) come from memory: the last tile of rows asks for
                // the next panel while it multiplies (the following column's, else the next product's first, else
                // the first product's, for the next block). Measured on one Zen 4 core, a model's worth of weights:
                // the 1536×384 product 4–5% faster, 1152×384 3%, the others within noise.
                const float *next = column + ES_PANEL_WIDTH < bn ? panel + bk * ES_PANEL_WIDTH
                                    : kc != bk                  ? NULL
                                    : p + 1 < count             ? packed + (p + 1) * size
                                                                : packed;
                for (size_t i = 0; i < h; i += ES_MR) {
                    int mr = (int)(h - i < ES_MR ? h - i : ES_MR);
                    es_s_micro_any(mr, kc, operand + i * ld_operand, ld_operand, panel, &targets, i, column, ldc,
                                   i + ES_MR >= h ? next : NULL);
                }
            }
        }
    }
}

__attribute__((target("avx512f"))) void
es_gemm_strassen_avx512(size_t m, size_t n, size_t k, int levels, const float *a, size_t lda, const float *packed,
                        const float *bias, float *c, size_t ldc, bool gelu) {
    es_s_plan plans[ES_S_MAX_PRODUCTS];
    int count = es_s_make_plans(levels, plans);
    size_t side = (size_t)1 << levels, most = ES_S_BLOCK_ROWS >> levels;
    // About 172 KB: on the heap, since worker threads' stacks may be small.
    float *sum = aligned_alloc(64, ES_S_BLOCK_ROWS / 2 * (ES_S_KC + 16) * sizeof(float));
    if (!sum) abort();
    size_t row = 0;
    while (row < m) {
        size_t left = m - row;
        if (left >= side * most || left % side == 0) {
            size_t h = left / side < most ? left / side : most;
            es_s_block(plans, count, levels, h, n, k, a + row * lda, lda, packed, bias, c + row * ldc, ldc, sum, gelu);
            row += side * h;
            continue;
        }
        // The last rows, not a multiple of `side`, go in one block with them (a block of their own for the one or
        // few rows left over would read all the weights again, for the slowest micro-kernels). That block ends at
        // the last row and starts up to `side − 1` rows back among rows already done, which it computes again from
        // the bias (a product without one would add twice); with no rows before, it is padded with rows of zeros.
        size_t h = (left + side - 1) / side;
        if (bias && m >= side * h) {
            size_t start = m - side * h;
            es_s_block(plans, count, levels, h, n, k, a + start * lda, lda, packed, bias, c + start * ldc, ldc, sum,
                       gelu);
            break;
        }
        float *block_a = calloc(side * h * k, sizeof(float)), *block_c = calloc(side * h * n, sizeof(float));
        if (!block_a || !block_c) abort();
        for (size_t i = 0; i < left; i++) {
            memcpy(block_a + i * k, a + (row + i) * lda, k * sizeof(float));
            if (!bias) memcpy(block_c + i * n, c + (row + i) * ldc, n * sizeof(float));
        }
        es_s_block(plans, count, levels, h, n, k, block_a, k, packed, bias, block_c, n, sum, gelu);
        for (size_t i = 0; i < left; i++) {
            memcpy(c + (row + i) * ldc, block_c + i * n, n * sizeof(float));
        }
        free(block_a);
        free(block_c);
        break;
    }
    free(sum);
}

__attribute__((target("avx512f"))) void
es_gemm_strassen_separate_avx512(size_t m, size_t n, size_t k, int levels, const float *a, size_t lda,
                                 const float *packed, const float *bias, float *c, size_t ldc) {
    es_s_plan plans[ES_S_MAX_PRODUCTS];
    int count = es_s_make_plans(levels, plans);
    size_t side = (size_t)1 << levels, most = ES_S_BLOCK_ROWS >> levels;
    float *sum = aligned_alloc(64, ES_S_BLOCK_ROWS / 2 * (ES_S_KC + 16) * sizeof(float));
    // Rows go in each block's first row block, zeros in the others: a zero row adds exact zeros to a row's sums
    // and products, so every row comes out as it would alone.
    float *block_a = calloc(side * most * k, sizeof(float)), *block_c = malloc(side * most * n * sizeof(float));
    if (!sum || !block_a || !block_c) abort();
    for (size_t row = 0; row < m; row += most) {
        size_t h = m - row < most ? m - row : most;
        for (size_t i = 0; i < h; i++) memcpy(block_a + i * k, a + (row + i) * lda, k * sizeof(float));
        // A last, shorter block's other row blocks start at row `h`, where the rows before left values.
        if (h < most) memset(block_a + h * k, 0, (most - h) * k * sizeof(float));
        for (size_t i = 0; i < (bias ? 0 : h); i++) memcpy(block_c + i * n, c + (row + i) * ldc, n * sizeof(float));
        es_s_block(plans, count, levels, h, n, k, block_a, k, packed, bias, block_c, n, sum, false);
        for (size_t i = 0; i < h; i++) memcpy(c + (row + i) * ldc, block_c + i * n, n * sizeof(float));
    }
    free(block_a);
    free(block_c);
    free(sum);
}

#else

void es_gemm_strassen_avx512(size_t m, size_t n, size_t k, int levels, const float *a, size_t lda,
                             const float *packed, const float *bias, float *c, size_t ldc, bool gelu) {
    (void)m; (void)n; (void)k; (void)levels; (void)a; (void)lda; (void)packed; (void)bias; (void)c; (void)ldc;
    (void)gelu;
}

void es_gemm_strassen_separate_avx512(size_t m, size_t n, size_t k, int levels, const float *a, size_t lda,
                                      const float *packed, const float *bias, float *c, size_t ldc) {
    (void)m; (void)n; (void)k; (void)levels; (void)a; (void)lda; (void)packed; (void)bias; (void)c; (void)ldc;
}

#endif
