// GELU of 16 floats in registers, shared by `es_gelu_avx512` (kernels.c) and Strassen's kernel (strassen.c), which
// applies it to a block's outputs as it writes them for the last time.
#ifndef EMBEDSYNC_GELU_H
#define EMBEDSYNC_GELU_H

#include <immintrin.h>

/// `x · (1 + erf(x / √2)) / 2`, erf by a rational approximation on [-4, 4] (fp32-accurate; erf is ±1 past it).
__attribute__((target("avx512f"), always_inline)) static inline __m512 es_gelu16(__m512 x) {
    __m512 t = _mm512_min_ps(_mm512_max_ps(_mm512_mul_ps(x, _mm512_set1_ps(0.7071067811865475f)),
                                           _mm512_set1_ps(-4.0f)),
                             _mm512_set1_ps(4.0f));
    __m512 t2 = _mm512_mul_ps(t, t);
    __m512 p = _mm512_fmadd_ps(t2, _mm512_set1_ps(-2.72614225801306e-10f), _mm512_set1_ps(2.77068142495902e-08f));
    p = _mm512_fmadd_ps(p, t2, _mm512_set1_ps(-2.10102402082508e-06f));
    p = _mm512_fmadd_ps(p, t2, _mm512_set1_ps(-5.69250639462346e-05f));
    p = _mm512_fmadd_ps(p, t2, _mm512_set1_ps(-7.34990630326855e-04f));
    p = _mm512_fmadd_ps(p, t2, _mm512_set1_ps(-2.95459980854025e-03f));
    p = _mm512_fmadd_ps(p, t2, _mm512_set1_ps(-1.60960333262415e-02f));
    p = _mm512_mul_ps(p, t);
    __m512 q = _mm512_fmadd_ps(t2, _mm512_set1_ps(-1.45660718464996e-05f), _mm512_set1_ps(-2.13374055278905e-04f));
    q = _mm512_fmadd_ps(q, t2, _mm512_set1_ps(-1.68282697438203e-03f));
    q = _mm512_fmadd_ps(q, t2, _mm512_set1_ps(-7.37332916720468e-03f));
    q = _mm512_fmadd_ps(q, t2, _mm512_set1_ps(-1.42647390514189e-02f));
    // p / q by a reciprocal estimate (14 bits) and one Newton step (about 28 bits, past fp32's 24): a division takes
    // several times as long on Zen 4 and made GELU a third slower.
    __m512 r = _mm512_rcp14_ps(q);
    r = _mm512_mul_ps(r, _mm512_fnmadd_ps(q, r, _mm512_set1_ps(2.0f)));
    __m512 erf = _mm512_mul_ps(p, r);
    return _mm512_mul_ps(_mm512_mul_ps(x, _mm512_set1_ps(0.5f)), _mm512_add_ps(_mm512_set1_ps(1.0f), erf));
}

#endif
