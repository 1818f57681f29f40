#include "EmbedSyncScan.h"
#include "EmbedSyncKernels.h"

#if defined(__x86_64__) && (defined(__clang__) || defined(__GNUC__))
#define ES_SCAN_X86 1
#include <cpuid.h>
#include <immintrin.h>
#endif

static void es_dots_c(const float *query, const float *matrix, size_t rows, size_t dims, float *scores) {
    for (size_t r = 0; r < rows; r++) {
        const float *row = matrix + r * dims;
        float sum = 0;
        for (size_t i = 0; i < dims; i++) sum += row[i] * query[i];
        scores[r] = sum;
    }
}

#ifdef ES_SCAN_X86

/// 0: plain C, 1: AVX2 with FMA, 2: AVX-512F, by CPUID and the vector state the OS enabled (XCR0).
static int es_scan_level(void) {
    if (es_avx512_available()) return 2;
    unsigned eax, ebx, ecx, edx;
    if (!__get_cpuid(1, &eax, &ebx, &ecx, &edx)) return 0;
    bool fma = (ecx & (1u << 12)) != 0;
    if (!(ecx & (1u << 27))) return 0;  // OSXSAVE
    unsigned xcr0_lo, xcr0_hi;
    __asm__ volatile("xgetbv" : "=a"(xcr0_lo), "=d"(xcr0_hi) : "c"(0));
    if ((xcr0_lo & 0x6u) != 0x6u) return 0;  // XMM and YMM state
    if (!__get_cpuid_count(7, 0, &eax, &ebx, &ecx, &edx)) return 0;
    return ((ebx & (1u << 5)) && fma) ? 1 : 0;  // AVX2 and FMA
}

__attribute__((target("avx512f"))) static void
es_dots_avx512(const float *query, const float *matrix, size_t rows, size_t dims, float *scores) {
    size_t wide = dims / 16 * 16;
    for (size_t r = 0; r < rows; r++) {
        const float *row = matrix + r * dims;
        __m512 a0 = _mm512_setzero_ps(), a1 = _mm512_setzero_ps();
        size_t i = 0;
        for (; i + 32 <= wide; i += 32) {
            a0 = _mm512_fmadd_ps(_mm512_loadu_ps(row + i), _mm512_loadu_ps(query + i), a0);
            a1 = _mm512_fmadd_ps(_mm512_loadu_ps(row + i + 16), _mm512_loadu_ps(query + i + 16), a1);
        }
        for (; i < wide; i += 16) a0 = _mm512_fmadd_ps(_mm512_loadu_ps(row + i), _mm512_loadu_ps(query + i), a0);
        float sum = _mm512_reduce_add_ps(_mm512_add_ps(a0, a1));
        for (; i < dims; i++) sum += row[i] * query[i];
        scores[r] = sum;
    }
}

__attribute__((target("avx2,fma"))) static void
es_dots_avx2(const float *query, const float *matrix, size_t rows, size_t dims, float *scores) {
    size_t wide = dims / 8 * 8;
    for (size_t r = 0; r < rows; r++) {
        const float *row = matrix + r * dims;
        __m256 a0 = _mm256_setzero_ps(), a1 = _mm256_setzero_ps();
        size_t i = 0;
        for (; i + 16 <= wide; i += 16) {
            a0 = _mm256_fmadd_ps(_mm256_loadu_ps(row + i), _mm256_loadu_ps(query + i), a0);
            a1 = _mm256_fmadd_ps(_mm256_loadu_ps(row + i + 8), _mm256_loadu_ps(query + i + 8), a1);
        }
        for (; i < wide; i += 8) a0 = _mm256_fmadd_ps(_mm256_loadu_ps(row + i), _mm256_loadu_ps(query + i), a0);
        __m256 a = _mm256_add_ps(a0, a1);
        __m128 s = _mm_add_ps(_mm256_castps256_ps128(a), _mm256_extractf128_ps(a, 1));
        s = _mm_add_ps(s, _mm_movehl_ps(s, s));
        s = _mm_add_ss(s, _mm_movehdup_ps(s));
        float sum = _mm_cvtss_f32(s);
        for (; i < dims; i++) sum += row[i] * query[i];
        scores[r] = sum;
    }
}

static int es_scan_cached = -1;

static int es_scan_choice(void) {
    int level = __atomic_load_n(&es_scan_cached, __ATOMIC_RELAXED);
    if (level < 0) {
        level = es_scan_level();  // every thread that gets here computes the same value
        __atomic_store_n(&es_scan_cached, level, __ATOMIC_RELAXED);
    }
    return level;
}

void es_dots(const float *query, const float *matrix, size_t rows, size_t dims, float *scores) {
    switch (es_scan_choice()) {
    case 2: es_dots_avx512(query, matrix, rows, dims, scores); break;
    case 1: es_dots_avx2(query, matrix, rows, dims, scores); break;
    default: es_dots_c(query, matrix, rows, dims, scores); break;
    }
}

const char *es_dots_isa(void) {
    static const char *names[] = {"c", "avx2", "avx512"};
    return names[es_scan_choice()];
}

#else

void es_dots(const float *query, const float *matrix, size_t rows, size_t dims, float *scores) {
    es_dots_c(query, matrix, rows, dims, scores);
}

const char *es_dots_isa(void) { return "c"; }

#endif
