import ArgumentParser
import Graft

/// `--activations float32|int8`.
extension ActivationPrecision: ExpressibleByArgument {}

/// `--kv-cache float32|float16`: the element type of generation's KV cache.
enum KVCacheArgument: String, ExpressibleByArgument, CaseIterable {
    case float32, float16

    var dtype: DType { self == .float16 ? .float16 : .float32 }
}

/// `--activations` help, shared by `generate`, `chat` and `bench`.
let activationsHelp = "How the decoding steps' quantized products read activations: float32 (exact; the default) or int8 (rounded to 8 bits per 32 values as llama.cpp does; needs AVX-512 VNNI, see graft env): faster decoding, greedy outputs that part from the float32 ones at near ties. Prompt passes and the output head stay float32."

/// `--kv-cache` help, shared by `generate`, `chat` and `bench`.
let kvCacheHelp = "Element type of the KV cache: float32 (the default) or float16 (llama.cpp's default: half the cache memory and the bytes attention reads per step; keys and values rounded to float16)."
