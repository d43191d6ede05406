#ifndef GRAFT_KERNELS_H
#define GRAFT_KERNELS_H

#include <stddef.h>

// The only C in Graft: instructions Swift cannot emit. Swift has no non-temporal store, no
// software prefetch and no 8-bit dot-product instruction, and on Linux `Float.squareRoot()`
// becomes a scalar `sqrtf` call (errno semantics) that never vectorises.

/// Copies `count` floats from `source` to `destination` with non-temporal (streaming) stores
/// where the CPU has them: the destination's cache lines go straight to memory instead of
/// being read into the cache first. Call `graft_store_fence` before another thread reads them.
void graft_stream_floats(float *destination, const float *source, ptrdiff_t count);

/// Orders every earlier streaming store before later stores (`sfence`; nothing elsewhere).
void graft_store_fence(void);

/// `y[i] = sqrt(x[i])`, correctly rounded (IEEE square root), 8 lanes at a time.
void graft_sqrt_floats(const float *x, float *y, ptrdiff_t count);

/// `y[i] = 1 / sqrt(x[i])`: the correctly rounded square root, then a correctly rounded division.
void graft_rsqrt_floats(const float *x, float *y, ptrdiff_t count);

/// Asks for the cache line at `p` to be brought into the level-2 cache (`prefetcht1`; a hint
/// that never faults). Inline, so a Swift loop calling it gets the one instruction.
static inline void graft_prefetch_l2(const void *p) { __builtin_prefetch(p, 0, 2); }

// Products of quantized weights with 8-bit activations (int8_products.c): AVX-512 VNNI's
// `vpdpbusd` multiplies four weight bytes by four activation bytes per 32-bit lane, which Swift's
// SIMD types cannot express.

/// Whether this CPU runs the 8-bit-activation products (x86-64 with AVX-512 BW and VNNI).
int graft_int8_products_available(void);

/// Chunks of 64 packed weight bytes per row of `cols` weights at `bits` (4 or 8) bits.
static inline ptrdiff_t graft_int8_chunks(ptrdiff_t cols, int bits) {
    const ptrdiff_t per = bits == 4 ? 128 : 64;
    return (cols + per - 1) / per;
}

/// Rounds `x [m, cols]` (cols a multiple of 32) to signed bytes with one scale per 32 values
/// (`q = round(x·127 / max|x|)`, `d = max|x| / 127`): per row, `graft_int8_chunks(cols, bits)`
/// chunks of 128 bytes (4 bits: the chunk's even values, then its odd values) or 64 bytes (8 bits),
/// zero past `cols`, into `panel`; each chunk's 16 lane scales (lane j's unit's `d`) into
/// `unitScales`; the rounded values' sums `Σ d·q` per group of `groupSize` into `sums [m, paddedGroups]`
/// (zero past the last group).
void graft_int8_quantize_rows(const float *x, ptrdiff_t m, ptrdiff_t cols, int bits, ptrdiff_t groupSize,
                              signed char *panel, float *unitScales, float *sums, ptrdiff_t paddedGroups);

/// `out[i·ldo + n] = Σ_u scale[n, u]·d[i, u]·(q_n,u · p_i,u) + Σ_g bias[n, g]·sums[i, g]` (the exact
/// product of the weights and the rounded activations, up to float32 sums) for the
/// `count` weight rows at `w` (`rowBytes` apart, MLX packing) and the `m` quantized activation rows
/// of `panel`/`unitScales` (from `graft_int8_quantize_rows`); `scales`/`biases` are the rows'
/// float32 factors `[count, groups]`, `unitShift` log2 of the 32-weight units per group, `sums`
/// the rounded activations' group sums from `graft_int8_quantize_rows`.
void graft_int8_product_rows(int bits, const unsigned char *w, ptrdiff_t rowBytes, ptrdiff_t count,
                             const float *scales, const float *biases, ptrdiff_t groups, int unitShift,
                             const signed char *panel, const float *unitScales, const float *sums, ptrdiff_t paddedGroups,
                             ptrdiff_t m, float *out, ptrdiff_t ldo);

#endif
