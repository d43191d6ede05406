#ifndef GRAFT_STREAM_H
#define GRAFT_STREAM_H

#include <stddef.h>

/// Copies `count` floats from `source` to `destination` with non-temporal (streaming) stores
/// where the CPU has them: the destination's cache lines are written straight to memory
/// instead of being read into the cache first. Swift has no way to emit these stores; this
/// is the only C in Graft. Call `graft_store_fence` before another thread reads the result.
void graft_stream_floats(float *destination, const float *source, ptrdiff_t count);

/// Orders every earlier streaming store before later stores (`sfence`; nothing elsewhere).
void graft_store_fence(void);

#endif
