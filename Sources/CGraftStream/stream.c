#include "graft_stream.h"
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

#else

void graft_stream_floats(float *destination, const float *source, ptrdiff_t count) {
    memcpy(destination, source, (size_t)count * sizeof(float));
}

void graft_store_fence(void) {}

#endif
