#include "graft_kernels.h"
#include <stdint.h>
#include <string.h>

// Quantized products for a few activation rows on weights copied once into blocks of 16
// interleaved rows (see graft_kernels.h): 32-bit lane j of every vector holds a packed word (four
// or eight weights) of row j of the block, so one instruction against an activation broadcast to all lanes advances
// the 16 rows' dot products together and each lane ends as one output (no lane sums at all).
// With 8-bit activations `vpdpbusd` takes four activation bytes at once and a unit's scales cost
// one conversion and one multiply-add per 16 outputs; with float32 activations each weight is
// converted once per block of activation rows and meets each row in one multiply-add.

#if defined(__x86_64__)
#include <immintrin.h>

int graft_int8_products_available(void) {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw")
        && __builtin_cpu_supports("avx512vnni");
}

int graft_float_products_available(void) {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx512f");
}

#define INT8_TARGET __attribute__((target("avx512f,avx512bw,avx512vl,avx512vnni,avx512dq,fma")))
#define FLOAT_TARGET __attribute__((target("avx512f,fma")))

INT8_TARGET
void graft_int8_quantize_rows(const float *x, ptrdiff_t m, ptrdiff_t cols, int bits, ptrdiff_t groupSize,
                              signed char *panel, float *unitScales, float *sums, ptrdiff_t paddedGroups) {
    memset(sums, 0, (size_t)(m * paddedGroups) * sizeof(float));
    const ptrdiff_t units = cols / 32;
    // 4 bits: each 8 values' even ones, then their odd ones (the weights' low and high nibbles).
    const __m128i order = bits == 4 ? _mm_setr_epi8(0, 2, 4, 6, 1, 3, 5, 7, 8, 10, 12, 14, 9, 11, 13, 15)
                                    : _mm_setr_epi8(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
    for (ptrdiff_t i = 0; i < m; i++) {
        const float *row = x + i * cols;
        for (ptrdiff_t u = 0; u < units; u++) {
            const __m512 a = _mm512_loadu_ps(row + u * 32), b = _mm512_loadu_ps(row + u * 32 + 16);
            const float amax = _mm512_reduce_max_ps(_mm512_max_ps(_mm512_abs_ps(a), _mm512_abs_ps(b)));
            const float d = amax / 127.0f;
            const __m512 inverse = _mm512_set1_ps(amax > 0 ? 127.0f / amax : 0.0f);
            const __m128i qa = _mm512_cvtsepi32_epi8(_mm512_cvtps_epi32(_mm512_mul_ps(a, inverse)));
            const __m128i qb = _mm512_cvtsepi32_epi8(_mm512_cvtps_epi32(_mm512_mul_ps(b, inverse)));
            _mm_storeu_si128((__m128i *)(panel + i * cols + u * 32), _mm_shuffle_epi8(qa, order));
            _mm_storeu_si128((__m128i *)(panel + i * cols + u * 32 + 16), _mm_shuffle_epi8(qb, order));
            unitScales[i * units + u] = d;
            const __m512i total = _mm512_add_epi32(_mm512_cvtepi8_epi32(qa), _mm512_cvtepi8_epi32(qb));
            sums[i * paddedGroups + u * 32 / groupSize] += d * (float)_mm512_reduce_add_epi32(total);
        }
    }
}

void graft_interleave_rows(int bits, const unsigned char *w, ptrdiff_t rows, ptrdiff_t cols,
                           const void *scales, const void *biases, ptrdiff_t groups, int halfFactors,
                           unsigned char *blocks, void *factors) {
    // Lane j of vector v of unit u is word `bits·u + v` of row 16r + j, as packed.
    const ptrdiff_t wordsPerRow = cols * bits / 32, units = cols / 32, blockCount = (rows + 15) / 16;
    const size_t size = halfFactors ? 2 : 4;
    const uint32_t *words = (const uint32_t *)w;
    uint32_t *target = (uint32_t *)blocks;
    unsigned char *f = factors;
    for (ptrdiff_t r = 0; r < blockCount; r++) {
        for (ptrdiff_t u = 0; u < units; u++) {
            for (int v = 0; v < bits; v++) {
                for (int lane = 0; lane < 16; lane++) {
                    const ptrdiff_t n = r * 16 + lane;
                    *target++ = n < rows ? words[n * wordsPerRow + bits * u + v] : 0;
                }
            }
        }
        for (ptrdiff_t g = 0; g < groups; g++) {
            for (int part = 0; part < 2; part++) {
                const unsigned char *source = part == 0 ? scales : biases;
                for (int lane = 0; lane < 16; lane++) {
                    const ptrdiff_t n = r * 16 + lane;
                    if (n < rows) memcpy(f, source + (size_t)(n * groups + g) * size, size); else memset(f, 0, size);
                    f += size;
                }
            }
        }
    }
}

/// The 16 factors from element `index` of a block's `factors` (halves where `half`, else floats)
/// as floats.
static inline __attribute__((always_inline)) FLOAT_TARGET
__m512 load_factors(const unsigned char *factors, ptrdiff_t index, int half) {
    return half ? _mm512_cvtph_ps(_mm256_load_si256((const __m256i *)(factors + index * 2)))
                : _mm512_load_ps((const float *)(factors + index * 4));
}

/// `acc[k]` = the bias term `Σ_g bias[n, g]·sums[k, g]` of a block's 16 rows (lanes) for
/// activation rows k < `size` (a literal at each call): where each accumulator starts.
static inline __attribute__((always_inline)) FLOAT_TARGET
void bias_terms(const int size, const unsigned char *factors, int half, ptrdiff_t groups, const float *sums,
                ptrdiff_t paddedGroups, __m512 *acc) {
    for (int k = 0; k < size; k++) acc[k] = _mm512_setzero_ps();
    for (ptrdiff_t g = 0; g < groups; g++) {
        const __m512 bias = load_factors(factors, g * 32 + 16, half);
        for (int k = 0; k < size; k++) {
            acc[k] = _mm512_fmadd_ps(bias, _mm512_set1_ps(sums[k * paddedGroups + g]), acc[k]);
        }
    }
}

/// One block of 16 weight rows against `size` activation rows (`bits` and `size` literals at
/// each call), the outputs stored under `store`.
static inline __attribute__((always_inline)) INT8_TARGET
void block_products(const int bits, const int size, const unsigned char *block, const unsigned char *factors, int half,
                    ptrdiff_t units, ptrdiff_t groups, int unitShift, const int8_t *panel, ptrdiff_t cols,
                    const float *unitScales, const float *sums, ptrdiff_t paddedGroups, float *out, ptrdiff_t ldo,
                    __mmask16 store) {
    __m512 acc[8];
    bias_terms(size, factors, half, groups, sums, paddedGroups, acc);
    const __m512i low = _mm512_set1_epi8(0x0F);
    const ptrdiff_t unitBytes = graft_interleaved_unit_bytes(bits);
    for (ptrdiff_t u = 0; u < units; u++) {
        // weights[t], lane j: four weights of row j that meet the activation bytes 4t..4t+3 of
        // the unit's panel (8 bits: weights 4t..4t+3; 4 bits: the low nibbles of word v, the
        // weights 8v, 8v+2, 8v+4, 8v+6, for t = 2v, its high nibbles for t = 2v + 1).
        __m512i weights[8];
        const unsigned char *unit = block + u * unitBytes;
        if (bits == 4) {
            for (int v = 0; v < 4; v++) {
                const __m512i bytes = _mm512_load_si512(unit + v * 64);
                weights[2 * v] = _mm512_and_si512(bytes, low);
                weights[2 * v + 1] = _mm512_and_si512(_mm512_srli_epi16(bytes, 4), low);
            }
        } else {
            for (int t = 0; t < 8; t++) weights[t] = _mm512_load_si512(unit + t * 64);
        }
        const __m512 weightScales = load_factors(factors, (u >> unitShift) * 32, half);
        for (int k = 0; k < size; k++) {
            const int8_t *a = panel + k * cols + u * 32;
            int32_t four[8];
            memcpy(four, a, 32);
            // Two chains of four (latency), joined.
            __m512i even = _mm512_dpbusd_epi32(_mm512_setzero_si512(), weights[0], _mm512_set1_epi32(four[0]));
            __m512i odd = _mm512_dpbusd_epi32(_mm512_setzero_si512(), weights[1], _mm512_set1_epi32(four[1]));
            for (int t = 2; t < 8; t += 2) {
                even = _mm512_dpbusd_epi32(even, weights[t], _mm512_set1_epi32(four[t]));
                odd = _mm512_dpbusd_epi32(odd, weights[t + 1], _mm512_set1_epi32(four[t + 1]));
            }
            const __m512 scale = _mm512_mul_ps(weightScales, _mm512_set1_ps(unitScales[k * units + u]));
            acc[k] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(_mm512_add_epi32(even, odd)), scale, acc[k]);
        }
    }
    for (int k = 0; k < size; k++) _mm512_mask_storeu_ps(out + k * ldo, store, acc[k]);
}

/// The walk both products share: each block r of `firstBlock ..< firstBlock + blockCount` (its
/// weights `block`, factors `f`, store mask `store`) against the activation rows from `i` on,
/// `size` (8, 4, 2 or 1) at a time, their outputs at `o`: `BLOCK(BITS, SIZE)` with both literal.
#define GRAFT_EACH_BLOCK(BLOCK)                                                                       \
    const ptrdiff_t units = cols / 32, unitBytes = graft_interleaved_unit_bytes(bits);                \
    for (ptrdiff_t r = firstBlock; r < firstBlock + blockCount; r++) {                                \
        const unsigned char *block = blocks + r * units * unitBytes;                                  \
        const unsigned char *f = (const unsigned char *)factors + r * groups * 32 * (halfFactors ? 2 : 4);\
        const ptrdiff_t left = rows - r * 16;                                                         \
        const __mmask16 store = left >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << left) - 1);      \
        for (ptrdiff_t i = 0, size; i < m; i += size) {                                               \
            size = m - i >= 8 ? 8 : m - i >= 4 ? 4 : m - i >= 2 ? 2 : 1;                             \
            float *o = out + i * ldo + r * 16;                                                        \
            if (bits == 4) {                                                                          \
                switch (size) {                                                                       \
                case 8: BLOCK(4, 8); break;                                                           \
                case 4: BLOCK(4, 4); break;                                                           \
                case 2: BLOCK(4, 2); break;                                                           \
                default: BLOCK(4, 1); break;                                                          \
                }                                                                                     \
            } else {                                                                                  \
                switch (size) {                                                                       \
                case 8: BLOCK(8, 8); break;                                                           \
                case 4: BLOCK(8, 4); break;                                                           \
                case 2: BLOCK(8, 2); break;                                                           \
                default: BLOCK(8, 1); break;                                                          \
                }                                                                                     \
            }                                                                                         \
        }                                                                                             \
    }

INT8_TARGET
void graft_int8_product_blocks(int bits, const unsigned char *blocks, const void *factors, int halfFactors,
                               ptrdiff_t firstBlock, ptrdiff_t blockCount, ptrdiff_t rows, ptrdiff_t cols,
                               ptrdiff_t groups, int unitShift, const signed char *panel, const float *unitScales,
                               const float *sums, ptrdiff_t paddedGroups, ptrdiff_t m, float *out, ptrdiff_t ldo) {
#define INT8_BLOCK(BITS, SIZE) block_products(BITS, SIZE, block, f, halfFactors, units, groups, unitShift, \
                                              panel + i * cols, cols, unitScales + i * units, sums + i * paddedGroups, \
                                              paddedGroups, o, ldo, store)
    GRAFT_EACH_BLOCK(INT8_BLOCK)
#undef INT8_BLOCK
}

/// Piece `e` of a vector of interleaved weights as floats (unscaled): the weight in bits
/// `shift..` of each lane (see graft_interleave_rows). At 4 bits one `vpermps` from the table
/// 0…15 (it reads the low 4 bits of each lane), at 8 bits a mask and a conversion.
static inline __attribute__((always_inline)) FLOAT_TARGET
__m512 weight_piece(const int bits, __m512i bytes, const int shift) {
    const __m512i shifted = shift == 0 ? bytes : _mm512_srli_epi32(bytes, (unsigned)shift);
    if (bits == 4) {
        return _mm512_permutexvar_ps(shifted, _mm512_set_ps(15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0));
    }
    return _mm512_cvtepi32_ps(shift == 24 ? shifted : _mm512_and_si512(shifted, _mm512_set1_epi32(0xFF)));
}

/// One block of 16 weight rows against `size` float32 activation rows (`bits` and `size`
/// literals at each call), the outputs stored under `store`: each weight converted once, then
/// one multiply-add per activation row (two partial sums per row against the multiply-adds'
/// latency), each unit's sums scaled once per row.
static inline __attribute__((always_inline)) FLOAT_TARGET
void float_block_products(const int bits, const int size, const unsigned char *block, const unsigned char *factors,
                          int half, ptrdiff_t units, ptrdiff_t groups, int unitShift, const float *x, ptrdiff_t cols,
                          const float *sums, ptrdiff_t paddedGroups, float *out, ptrdiff_t ldo, __mmask16 store) {
    __m512 acc[8];
    bias_terms(size, factors, half, groups, sums, paddedGroups, acc);
    const ptrdiff_t unitBytes = graft_interleaved_unit_bytes(bits);
    for (ptrdiff_t u = 0; u < units; u++) {
        const unsigned char *unit = block + u * unitBytes;
        const float *xu = x + u * 32;
        __m512 first[8], second[8];
        for (int k = 0; k < size; k++) first[k] = second[k] = _mm512_setzero_ps();
#pragma clang loop unroll(full)
        for (int v = 0; v < (bits == 4 ? 4 : 8); v++) {
            const __m512i bytes = _mm512_load_si512(unit + v * 64);
            // Piece e of word v is column (32/bits)·v + e, in bits bits·e.. (MLX packing).
#pragma clang loop unroll(full)
            for (int e = 0; e < 32 / bits; e += 2) {
                const int column = 32 / bits * v + e;
                const __m512 w0 = weight_piece(bits, bytes, bits * e), w1 = weight_piece(bits, bytes, bits * (e + 1));
                for (int k = 0; k < size; k++) {
                    first[k] = _mm512_fmadd_ps(w0, _mm512_set1_ps(xu[k * cols + column]), first[k]);
                    second[k] = _mm512_fmadd_ps(w1, _mm512_set1_ps(xu[k * cols + column + 1]), second[k]);
                }
            }
        }
        const __m512 weightScales = load_factors(factors, (u >> unitShift) * 32, half);
        for (int k = 0; k < size; k++) {
            acc[k] = _mm512_fmadd_ps(_mm512_add_ps(first[k], second[k]), weightScales, acc[k]);
        }
    }
    for (int k = 0; k < size; k++) _mm512_mask_storeu_ps(out + k * ldo, store, acc[k]);
}

FLOAT_TARGET
void graft_float_product_blocks(int bits, const unsigned char *blocks, const void *factors, int halfFactors,
                                ptrdiff_t firstBlock, ptrdiff_t blockCount, ptrdiff_t rows, ptrdiff_t cols,
                                ptrdiff_t groups, int unitShift, const float *x, const float *sums,
                                ptrdiff_t paddedGroups, ptrdiff_t m, float *out, ptrdiff_t ldo) {
#define FLOAT_BLOCK(BITS, SIZE) float_block_products(BITS, SIZE, block, f, halfFactors, units, groups, unitShift, \
                                                     x + i * cols, cols, sums + i * paddedGroups, paddedGroups, o, \
                                                     ldo, store)
    GRAFT_EACH_BLOCK(FLOAT_BLOCK)
#undef FLOAT_BLOCK
}

#else

int graft_int8_products_available(void) { return 0; }

int graft_float_products_available(void) { return 0; }

void graft_int8_quantize_rows(const float *x, ptrdiff_t m, ptrdiff_t cols, int bits, ptrdiff_t groupSize,
                              signed char *panel, float *unitScales, float *sums, ptrdiff_t paddedGroups) {}

void graft_interleave_rows(int bits, const unsigned char *w, ptrdiff_t rows, ptrdiff_t cols,
                           const void *scales, const void *biases, ptrdiff_t groups, int halfFactors,
                           unsigned char *blocks, void *factors) {}

void graft_int8_product_blocks(int bits, const unsigned char *blocks, const void *factors, int halfFactors,
                               ptrdiff_t firstBlock, ptrdiff_t blockCount, ptrdiff_t rows, ptrdiff_t cols,
                               ptrdiff_t groups, int unitShift, const signed char *panel, const float *unitScales,
                               const float *sums, ptrdiff_t paddedGroups, ptrdiff_t m, float *out, ptrdiff_t ldo) {}

void graft_float_product_blocks(int bits, const unsigned char *blocks, const void *factors, int halfFactors,
                                ptrdiff_t firstBlock, ptrdiff_t blockCount, ptrdiff_t rows, ptrdiff_t cols,
                                ptrdiff_t groups, int unitShift, const float *x, const float *sums,
                                ptrdiff_t paddedGroups, ptrdiff_t m, float *out, ptrdiff_t ldo) {}

#endif

