// The register tile both fp32 GEMM kernels (kernels.c, strassen.c) multiply with: 14 rows of A by a 32-column panel,
// 28 ZMM accumulators `c0_i`, `c1_i` (columns 0–15 and 16–31 of row `i`) and the panel's two rows of the step.
#ifndef EMBEDSYNC_MICRO_TILE_H
#define EMBEDSYNC_MICRO_TILE_H

/// Rows of A per micro-kernel call: 2·MR accumulators + 2 panel registers fit the 32 ZMM registers.
#define ES_MR 14

/// Applies `X(i)` for each row `i` of a micro-tile.
#define ES_ROWS(X) X(0) X(1) X(2) X(3) X(4) X(5) X(6) X(7) X(8) X(9) X(10) X(11) X(12) X(13)

/// Applies `X(r)` for each possible row count `r` of a tile, 14 down to 1 (the cases of a switch on `mr`).
#define ES_ROW_COUNTS(X) X(14) X(13) X(12) X(11) X(10) X(9) X(8) X(7) X(6) X(5) X(4) X(3) X(2) X(1)

/// One row's step: `c_i += a[i][p] · panel row p`; skipped past `mr` rows (a constant where it is inlined). Each FMA
/// broadcasts `a[i][p]` from memory itself (`{1to16}`): from intrinsics, compilers broadcast it into a register first,
/// two instructions more per row and step (whole Strassen GEMMs 0.7 % faster on Zen 4 this way).
#define ES_TILE_FMA(i) if (i < mr) { \
    __asm__("vfmadd231ps %[x]%{1to16%}, %[b0], %[c0]\n\tvfmadd231ps %[x]%{1to16%}, %[b1], %[c1]" \
            : [c0] "+v"(c0_##i), [c1] "+v"(c1_##i) : [x] "m"(a[i * lda + p]), [b0] "v"(b0), [b1] "v"(b1)); }

/// The accumulators `c_i += a[i][0…kc] · panel[0…kc][0…32]`, with `mr`, `kc`, `a`, `lda` and `panel` in scope.
#define ES_TILE_PRODUCT() ES_TILE_STEPS(0, kc)

/// Steps `from ..< to` of `ES_TILE_PRODUCT`.
#define ES_TILE_STEPS(from, to)                                                                                    \
    for (size_t p = (from); p < (to); p++) {                                                                       \
        __m512 b0 = _mm512_load_ps(panel + p * ES_PANEL_WIDTH);                                                    \
        __m512 b1 = _mm512_load_ps(panel + p * ES_PANEL_WIDTH + 16);                                               \
        ES_ROWS(ES_TILE_FMA)                                                                                       \
    }

#endif
