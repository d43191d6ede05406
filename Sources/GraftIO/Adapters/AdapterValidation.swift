import Graft

/// Checks shared by the adapter readers.
enum AdapterValidation {
    /// Every module has `lora_a [rank, in]` and `lora_b [out, rank]` (and a `[out]` magnitude
    /// exactly when DoRA is on), with the rank of the settings.
    static func checkRanks(_ adapter: LoRAAdapter, file: String) throws {
        guard !adapter.tensors.isEmpty else { throw AdapterError(file: file, problem: "holds no adapter tensors") }
        var modules: [String: [String: Tensor]] = [:]
        for (key, t) in adapter.tensors {
            guard let p = LoRAAdapter.parseKey(key) else { throw AdapterError(file: file, problem: "'\(key)' is not an adapter key") }
            modules["model.layers.\(p.layer).\(p.module)", default: [:]][p.leaf] = t
        }
        let r = adapter.settings.rank
        for (module, leaves) in modules.sorted(by: { $0.key < $1.key }) {
            guard let a = leaves["lora_a"], let b = leaves["lora_b"] else {
                throw AdapterError(file: file, problem: "\(module) needs both lora_a and lora_b, has \(leaves.keys.sorted())")
            }
            guard a.ndim == 2, b.ndim == 2, a.shape[0] == r, b.shape[1] == r else {
                throw AdapterError(file: file, problem: "\(module): lora_a \(a.shape) and lora_b \(b.shape) do not have the rank \(r) of the configuration ([r, in] and [out, r])")
            }
            if let m = leaves["lora_magnitude"] {
                guard adapter.settings.dora, m.shape == [b.shape[0]] else {
                    throw AdapterError(file: file, problem: "\(module): magnitude \(m.shape) does not fit lora_b \(b.shape), or DoRA is off in the configuration")
                }
            } else if adapter.settings.dora {
                throw AdapterError(file: file, problem: "\(module): DoRA is on but the magnitude vector is missing")
            }
        }
    }
}
