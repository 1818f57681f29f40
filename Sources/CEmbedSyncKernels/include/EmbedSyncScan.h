// Dot products of one query with many stored vectors, for exact search: the widest vector instructions this CPU
// runs (AVX-512, else AVX2 with FMA, else plain C), chosen at run time.
#ifndef EMBEDSYNC_SCAN_H
#define EMBEDSYNC_SCAN_H

#include <stdbool.h>
#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/// `scores[r] = Σᵢ query[i] · matrix[r·dims + i]` for each of `rows` rows (row-major, no padding).
void es_dots(const float *query, const float *matrix, size_t rows, size_t dims, float *scores);

/// What `es_dots` uses here: "avx512", "avx2" or "c".
const char *es_dots_isa(void);

#ifdef __cplusplus
}
#endif

#endif
