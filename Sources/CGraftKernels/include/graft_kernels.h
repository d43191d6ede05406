#ifndef GRAFT_KERNELS_H
#define GRAFT_KERNELS_H

#include <stddef.h>

// The only C in Graft: instructions Swift cannot emit. Swift has no non-temporal store and no
// software prefetch, and on Linux `Float.squareRoot()` becomes a scalar `sqrtf` call (errno semantics)
// that never vectorises.

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

#endif
