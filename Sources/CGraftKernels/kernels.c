#include "graft_kernels.h"
#include <math.h>
#include <stdint.h>
#include <string.h>

#if defined(__x86_64__)
#include <immintrin.h>

__attribute__((target("avx")))
void graft_stream_floats(float *destination, const float *source, ptrdiff_t count) {
    ptrdiff_t i = 0;
    while (i < count && ((uintptr_t)(destination + i) & 31) != 0) {
        destination[i] = source[i];
        i++;
    }
    for (; i + 8 <= count; i += 8) {
        _mm256_stream_ps(destination + i, _mm256_loadu_ps(source + i));
    }
    for (; i < count; i++) {
        destination[i] = source[i];
    }
}

void graft_store_fence(void) { _mm_sfence(); }

__attribute__((target("avx")))
void graft_sqrt_floats(const float *x, float *y, ptrdiff_t count) {
    ptrdiff_t i = 0;
    for (; i + 8 <= count; i += 8) {
        _mm256_storeu_ps(y + i, _mm256_sqrt_ps(_mm256_loadu_ps(x + i)));
    }
    for (; i < count; i++) {
        y[i] = _mm_cvtss_f32(_mm_sqrt_ss(_mm_set_ss(x[i])));
    }
}

__attribute__((target("avx")))
void graft_rsqrt_floats(const float *x, float *y, ptrdiff_t count) {
    const __m256 one = _mm256_set1_ps(1.0f);
    ptrdiff_t i = 0;
    for (; i + 8 <= count; i += 8) {
        _mm256_storeu_ps(y + i, _mm256_div_ps(one, _mm256_sqrt_ps(_mm256_loadu_ps(x + i))));
    }
    for (; i < count; i++) {
        y[i] = 1.0f / _mm_cvtss_f32(_mm_sqrt_ss(_mm_set_ss(x[i])));
    }
}

#else

void graft_stream_floats(float *destination, const float *source, ptrdiff_t count) {
    memcpy(destination, source, (size_t)count * sizeof(float));
}

void graft_store_fence(void) {}

void graft_sqrt_floats(const float *x, float *y, ptrdiff_t count) {
    for (ptrdiff_t i = 0; i < count; i++) y[i] = __builtin_sqrtf(x[i]);
}

void graft_rsqrt_floats(const float *x, float *y, ptrdiff_t count) {
    for (ptrdiff_t i = 0; i < count; i++) y[i] = 1.0f / __builtin_sqrtf(x[i]);
}

#endif
