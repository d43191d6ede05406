#include "graft_kernels.h"
#include <math.h>
#include <stdint.h>
#include <string.h>

// Quantized products with 8-bit activations (see graft_kernels.h). A chunk is 64 packed weight
// bytes: 128 weights at 4 bits (low nibble of byte b = weight 2b, high nibble = weight 2b + 1),
// 64 at 8 bits. `vpdpbusd` multiplies 4 unsigned weight bytes by 4 signed activation bytes and
// adds the 4 products to a 32-bit lane; lane j of a chunk only ever holds weights of one 32-weight
// unit (j / 4 at 4 bits, j / 8 at 8 bits), so each lane is scaled by its unit's weight scale and
// activation scale before it joins the float accumulator.

#if defined(__x86_64__)
#include <immintrin.h>

int graft_int8_products_available(void) {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw")
        && __builtin_cpu_supports("avx512vnni");
}

#define INT8_TARGET __attribute__((target("avx512f,avx512bw,avx512vl,avx512vnni,avx512dq,fma")))

/// Unit of lane j of a chunk, relative to the chunk's first unit.
static inline int unit_of_lane(int bits, int j) { return bits == 4 ? j / 4 : j / 8; }

INT8_TARGET
void graft_int8_quantize_rows(const float *x, ptrdiff_t m, ptrdiff_t cols, int bits, ptrdiff_t groupSize,
                              signed char *panel, float *unitScales, float *sums, ptrdiff_t paddedGroups) {
    memset(sums, 0, (size_t)(m * paddedGroups) * sizeof(float));
    const ptrdiff_t units = cols / 32, chunks = graft_int8_chunks(cols, bits);
    const ptrdiff_t chunkWeights = bits == 4 ? 128 : 64, unitsPerChunk = chunkWeights / 32;
    for (ptrdiff_t i = 0; i < m; i++) {
        const float *row = x + i * cols;
        int8_t *target = panel + i * chunks * 128 / (bits == 4 ? 1 : 2);
        float *scales = unitScales + i * chunks * 16;
        for (ptrdiff_t c = 0; c < chunks; c++) {
            int8_t values[128];
            float d[4] = {0, 0, 0, 0};
            memset(values, 0, sizeof values);
            for (ptrdiff_t k = 0; k < unitsPerChunk; k++) {
                const ptrdiff_t u = c * unitsPerChunk + k;
                if (u >= units) break;
                __m512 a = _mm512_loadu_ps(row + u * 32), b = _mm512_loadu_ps(row + u * 32 + 16);
                float amax = _mm512_reduce_max_ps(_mm512_max_ps(_mm512_abs_ps(a), _mm512_abs_ps(b)));
                d[k] = amax / 127.0f;
                const __m512 inverse = _mm512_set1_ps(amax > 0 ? 127.0f / amax : 0.0f);
                __m128i qa = _mm512_cvtsepi32_epi8(_mm512_cvtps_epi32(_mm512_mul_ps(a, inverse)));
                __m128i qb = _mm512_cvtsepi32_epi8(_mm512_cvtps_epi32(_mm512_mul_ps(b, inverse)));
                _mm_storeu_si128((__m128i *)(values + k * 32), qa);
                _mm_storeu_si128((__m128i *)(values + k * 32 + 16), qb);
                const __m512i total = _mm512_add_epi32(_mm512_cvtepi8_epi32(qa), _mm512_cvtepi8_epi32(qb));
                sums[i * paddedGroups + u * 32 / groupSize] += d[k] * (float)_mm512_reduce_add_epi32(total);
            }
            if (bits == 4) {
                // Even values meet the low nibbles, odd values the high nibbles.
                for (int b = 0; b < 64; b++) {
                    target[c * 128 + b] = values[2 * b];
                    target[c * 128 + 64 + b] = values[2 * b + 1];
                }
            } else {
                memcpy(target + c * 64, values, 64);
            }
            for (int j = 0; j < 16; j++) scales[c * 16 + j] = d[unit_of_lane(bits, j)];
        }
    }
}

/// One weight row against `size` activation rows (`bits` and `size` literals at each call):
/// `folded[k]` receives row k's result in 4 lanes (the bias term included; their sum is the output).
static inline __attribute__((always_inline)) INT8_TARGET
void row_block(const int bits, const int size, const unsigned char *w, ptrdiff_t rowBytes, const float *scales,
               const float *biases, ptrdiff_t groups, int unitShift, const int8_t *panel, ptrdiff_t panelRow,
               const float *unitScales, ptrdiff_t chunks, const float *sums, ptrdiff_t paddedGroups, __m128 *folded) {
    __m512 acc[8];
    // The bias term Σ_g bias[g]·sums[k, g] starts each accumulator.
    for (int k = 0; k < size; k++) acc[k] = _mm512_setzero_ps();
    for (ptrdiff_t g = 0; g < groups; g += 16) {
        const ptrdiff_t left = groups - g;
        const __mmask16 mask = left >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << left) - 1);
        const __m512 b = _mm512_maskz_loadu_ps(mask, biases + g);
        for (int k = 0; k < size; k++) acc[k] = _mm512_fmadd_ps(b, _mm512_maskz_loadu_ps(mask, sums + k * paddedGroups + g), acc[k]);
    }
    const __m512i low = _mm512_set1_epi8(0x0F);
    const int unitsPerChunk = bits == 4 ? 4 : 2;
    // Each chunk's weight scales: its groups' scales (one to four), lane j taking its unit's group.
    const int groupsPerChunk = (unitsPerChunk >> unitShift) > 0 ? unitsPerChunk >> unitShift : 1;
    const __m512i lane = _mm512_set_epi32(15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0);
    const __m512i scaleIndex = _mm512_srlv_epi32(_mm512_srli_epi32(lane, bits == 4 ? 2 : 3), _mm512_set1_epi32(unitShift));
    for (ptrdiff_t c = 0; c < chunks; c++) {
        const ptrdiff_t left = rowBytes - c * 64;
        const __mmask64 mask = left >= 64 ? ~(__mmask64)0 : (((__mmask64)1 << left) - 1);
        const __m512i bytes = _mm512_maskz_loadu_epi8(mask, w + c * 64);
        const ptrdiff_t firstGroup = (c * unitsPerChunk) >> unitShift, groupsLeft = groups - firstGroup;
        const __mmask16 groupMask = (__mmask16)((1u << (groupsLeft < groupsPerChunk ? groupsLeft : groupsPerChunk)) - 1);
        const __m512 sw = _mm512_permutexvar_ps(scaleIndex, _mm512_maskz_loadu_ps(groupMask, scales + firstGroup));
        if (bits == 4) {
            const __m512i even = _mm512_and_si512(bytes, low);
            const __m512i odd = _mm512_and_si512(_mm512_srli_epi16(bytes, 4), low);
            for (int k = 0; k < size; k++) {
                const int8_t *p = panel + k * panelRow + c * 128;
                __m512i dot = _mm512_dpbusd_epi32(_mm512_setzero_si512(), even, _mm512_loadu_si512(p));
                dot = _mm512_dpbusd_epi32(dot, odd, _mm512_loadu_si512(p + 64));
                const __m512 s = _mm512_mul_ps(sw, _mm512_loadu_ps(unitScales + (k * chunks + c) * 16));
                acc[k] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(dot), s, acc[k]);
            }
        } else {
            for (int k = 0; k < size; k++) {
                const int8_t *p = panel + k * panelRow + c * 64;
                const __m512i dot = _mm512_dpbusd_epi32(_mm512_setzero_si512(), bytes, _mm512_loadu_si512(p));
                const __m512 s = _mm512_mul_ps(sw, _mm512_loadu_ps(unitScales + (k * chunks + c) * 16));
                acc[k] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(dot), s, acc[k]);
            }
        }
    }
    for (int k = 0; k < size; k++) {
        const __m256 half = _mm256_add_ps(_mm512_castps512_ps256(acc[k]),
                                          _mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(acc[k]), 1)));
        folded[k] = _mm_add_ps(_mm256_castps256_ps128(half), _mm256_extractf128_ps(half, 1));
    }
}

/// The `count` (≤ 8) weight rows at `w` against the `size` activation rows of the block at
/// `panel` (literals at each call); each activation row's `count` outputs are summed from their
/// folded lanes together and stored at once.
static inline __attribute__((always_inline)) INT8_TARGET
void tile_block(const int bits, const int size, const unsigned char *w, ptrdiff_t rowBytes, ptrdiff_t count,
                const float *scales, const float *biases, ptrdiff_t groups, int unitShift, const int8_t *panel,
                ptrdiff_t panelRow, const float *unitScales, ptrdiff_t chunks, const float *sums, ptrdiff_t paddedGroups,
                float *out, ptrdiff_t ldo) {
    __m128 folded[8][8];  // [weight row][activation row]
    for (ptrdiff_t n = 0; n < 8; n++) {
        if (n < count) {
            row_block(bits, size, w + n * rowBytes, rowBytes, scales + n * groups, biases + n * groups, groups, unitShift,
                      panel, panelRow, unitScales, chunks, sums, paddedGroups, folded[n]);
        } else {
            for (int k = 0; k < size; k++) folded[n][k] = _mm_setzero_ps();
        }
    }
    const __mmask8 store = (__mmask8)((1u << count) - 1);
    for (int k = 0; k < size; k++) {
        const __m128 first = _mm_hadd_ps(_mm_hadd_ps(folded[0][k], folded[1][k]), _mm_hadd_ps(folded[2][k], folded[3][k]));
        const __m128 second = _mm_hadd_ps(_mm_hadd_ps(folded[4][k], folded[5][k]), _mm_hadd_ps(folded[6][k], folded[7][k]));
        _mm256_mask_storeu_ps(out + k * ldo, store, _mm256_set_m128(second, first));
    }
}

INT8_TARGET
void graft_int8_product_rows(int bits, const unsigned char *w, ptrdiff_t rowBytes, ptrdiff_t count,
                             const float *scales, const float *biases, ptrdiff_t groups, int unitShift,
                             const signed char *panel, const float *unitScales, const float *sums, ptrdiff_t paddedGroups,
                             ptrdiff_t m, float *out, ptrdiff_t ldo) {
    const ptrdiff_t cols = bits == 4 ? rowBytes * 2 : rowBytes;
    const ptrdiff_t chunks = graft_int8_chunks(cols, bits), panelRow = chunks * (bits == 4 ? 128 : 64);
    for (ptrdiff_t first = 0; first < count; first += 8) {
        const ptrdiff_t rows = count - first < 8 ? count - first : 8;
        const unsigned char *tile = w + first * rowBytes;
        const float *tileScales = scales + first * groups, *tileBiases = biases + first * groups;
        ptrdiff_t i = 0;
        while (i < m) {
            const ptrdiff_t left = m - i;
            const int size = left >= 8 ? 8 : left >= 4 ? 4 : left >= 2 ? 2 : 1;
            const int8_t *p = panel + i * panelRow;
            const float *d = unitScales + i * chunks * 16, *s = sums + i * paddedGroups;
            float *o = out + i * ldo + first;
#define GRAFT_TILE(BITS, SIZE) tile_block(BITS, SIZE, tile, rowBytes, rows, tileScales, tileBiases, groups, unitShift, \
                                          p, panelRow, d, chunks, s, paddedGroups, o, ldo)
            if (bits == 4) {
                switch (size) {
                case 8: GRAFT_TILE(4, 8); break;
                case 4: GRAFT_TILE(4, 4); break;
                case 2: GRAFT_TILE(4, 2); break;
                default: GRAFT_TILE(4, 1); break;
                }
            } else {
                switch (size) {
                case 8: GRAFT_TILE(8, 8); break;
                case 4: GRAFT_TILE(8, 4); break;
                case 2: GRAFT_TILE(8, 2); break;
                default: GRAFT_TILE(8, 1); break;
                }
            }
#undef GRAFT_TILE
            i += size;
        }
    }
}

#else

int graft_int8_products_available(void) { return 0; }

void graft_int8_quantize_rows(const float *x, ptrdiff_t m, ptrdiff_t cols, int bits, ptrdiff_t groupSize,
                              signed char *panel, float *unitScales, float *sums, ptrdiff_t paddedGroups) {}

void graft_int8_product_rows(int bits, const unsigned char *w, ptrdiff_t rowBytes, ptrdiff_t count,
                             const float *scales, const float *biases, ptrdiff_t groups, int unitShift,
                             const signed char *panel, const float *unitScales, const float *sums, ptrdiff_t paddedGroups,
                             ptrdiff_t m, float *out, ptrdiff_t ldo) {}

#endif
