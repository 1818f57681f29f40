// Self-attention of one packed sequence, all heads in one call: scores, softmax and the weighted sum of values
// without a round trip through BLAS (whose per-call cost dominates at head size 32 and a few dozen tokens).
#ifndef EMBEDSYNC_ATTENTION_H
#define EMBEDSYNC_ATTENTION_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/// The number of floats of `workspace` the attention kernels need for a sequence of up to `length` tokens and
/// heads of `head_size` floats.
size_t es_attention_workspace_count(size_t length, size_t head_size);

/// Self-attention of one sequence of `length` tokens over `heads` heads of `head_size` floats (`hidden` =
/// `heads · head_size`): for each head `h`, `context[:, h·d…] = softmax(scale · Q_h · K_hᵀ) · V_h`.
///
/// Row `i` of `qkv` (stride `ld_qkv` floats) holds the token's queries at 0, keys at `hidden` and values at
/// `2 · hidden`, head `h` at `h · head_size` within each, as one linear layer writes them. Context rows have stride
/// `ld_context`; nothing else of `context` is written. `workspace` holds `es_attention_workspace_count` floats.
/// Plain C, for every CPU: the reference the AVX-512 kernel is tested against, and what it runs on other
/// architectures. The encoder's BLAS path keeps BLAS for attention, which picks vector kernels for the CPU at run time.
void es_attention(const float *qkv, size_t ld_qkv, size_t length, size_t heads, size_t head_size, float scale,
                  float *context, size_t ld_context, float *workspace);

/// `es_attention` with AVX-512: blocks of 8 queries, their scores, softmax and context kept in registers and L1.
/// Call only when `es_avx512_available()` is true.
void es_attention_avx512(const float *qkv, size_t ld_qkv, size_t length, size_t heads, size_t head_size,
                         float scale, float *context, size_t ld_context, float *workspace);

#ifdef __cplusplus
}
#endif

#endif
