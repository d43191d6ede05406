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

// Products of quantized weights with a few activation rows on a copy of the weights in blocks of
// 16 interleaved rows (interleaved_products.c): with 8-bit activations on AVX-512 VNNI's
// `vpdpbusd`, which multiplies four weight bytes by four activation bytes per 32-bit lane and
// which Swift's SIMD types cannot express; with float32 activations on AVX-512's 16-lane
// registers, chosen at run time (Swift's kernels are compiled for AVX2, which every x86-64
// machine Graft targets has).

/// Whether this CPU runs the 8-bit-activation products (x86-64 with AVX-512 BW and VNNI).
int graft_int8_products_available(void);

/// Bytes of one 32-weight unit of a block of 16 interleaved rows at `bits` (4 or 8) bits.
static inline ptrdiff_t graft_interleaved_unit_bytes(int bits) { return bits == 4 ? 256 : 512; }
/// Copies an MLX-packed `rows × cols` matrix (cols a multiple of 32; each 32-bit word holds
/// 32/bits weights, lowest bits first) with its factors `scales`/`biases [rows, groups]` (float16
/// where `halfFactors`, else float32) into blocks of 16 rows (zero rows past `rows`): block r,
/// unit u at `blocks + (r·cols/32 + u)·graft_interleaved_unit_bytes(bits)` is `bits` vectors of 64
/// bytes, lane j of vector v holding word `bits·u + v` of row 16r + j; block r, group g at element
/// `(r·groups + g)·32` of `factors` is the 16 rows' scales then their biases, in the same type.
/// Both regions 64-byte aligned.
void graft_interleave_rows(int bits, const unsigned char *w, ptrdiff_t rows, ptrdiff_t cols,
                           const void *scales, const void *biases, ptrdiff_t groups, int halfFactors,
                           unsigned char *blocks, void *factors);
/// Rounds `x [m, cols]` (cols a multiple of 32) to signed bytes with one scale per 32 values
/// (`q = round(x·127 / max|x|)`, `d = max|x| / 127`): the bytes into `panel [m, cols]` (for 4-bit
/// weights each 8 values' even ones, then their odd ones), the scales into `unitScales [m, cols/32]`,
/// the rounded values' sums `Σ d·q` per group of `groupSize` into `sums [m, paddedGroups]` (zero
/// past the last group).
void graft_int8_quantize_rows(const float *x, ptrdiff_t m, ptrdiff_t cols, int bits, ptrdiff_t groupSize,
                              signed char *panel, float *unitScales, float *sums, ptrdiff_t paddedGroups);
/// `out[i·ldo + n] = Σ_u scale[n, u]·d[i, u]·(q_n,u · p_i,u) + Σ_g bias[n, g]·sums[i, g]` (the exact
/// product of the weights and the rounded activations, up to float32 sums) for the rows n of
/// blocks `firstBlock ..< firstBlock + blockCount` (below `rows`) of a matrix interleaved by
/// `graft_interleave_rows`, and the `m` activation rows rounded by `graft_int8_quantize_rows`;
/// `unitShift` is log2 of the 32-weight units per group.
void graft_int8_product_blocks(int bits, const unsigned char *blocks, const void *factors, int halfFactors,
                               ptrdiff_t firstBlock, ptrdiff_t blockCount, ptrdiff_t rows, ptrdiff_t cols,
                               ptrdiff_t groups, int unitShift, const signed char *panel, const float *unitScales,
                               const float *sums, ptrdiff_t paddedGroups, ptrdiff_t m, float *out, ptrdiff_t ldo);
/// Whether this CPU runs `graft_float_product_blocks` (x86-64 with AVX-512).
int graft_float_products_available(void);
/// `out[i·ldo + n] = Σ_g (scale[n, g]·(q_n,g · x_i,g) + bias[n, g]·sums[i, g])` for the rows n of
/// blocks `firstBlock ..< firstBlock + blockCount` of a matrix interleaved by `graft_interleave_rows`
/// and float32 activation rows `x [m, cols]` with their per-group sums `sums [m, paddedGroups]`.
void graft_float_product_blocks(int bits, const unsigned char *blocks, const void *factors, int halfFactors,
                                ptrdiff_t firstBlock, ptrdiff_t blockCount, ptrdiff_t rows, ptrdiff_t cols,
                                ptrdiff_t groups, int unitShift, const float *x, const float *sums,
                                ptrdiff_t paddedGroups, ptrdiff_t m, float *out, ptrdiff_t ldo);
#endif
