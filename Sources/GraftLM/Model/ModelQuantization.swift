import Foundation
import Graft
import GraftIO

/// How to quantize a float model's weights at load (`--quantize 4|8 --group-size 32|64|128`):
/// MLX's affine format, `bits`-bit values in groups of `groupSize` along each row.
public struct QuantizeOption: Sendable, Equatable, CustomStringConvertible {
    /// Bits per value: 4 or 8.
    public let bits: Int
    /// Values sharing one scale and bias: 32, 64 or 128.
    public let groupSize: Int

    /// Bit widths Graft's quantized kernels run.
    public static let supportedBits = [4, 8]
    /// Group sizes Graft's quantized kernels run.
    public static let supportedGroupSizes = [32, 64, 128]

    /// An option after checking that the kernels can run it (mlx-lm's default group is 64).
    /// - Throws: ``ModelError/invalidInput(_:)`` for other bit widths or group sizes.
    public init(bits: Int, groupSize: Int = 64) throws {
        if let problem = Self.problem(bits: bits, groupSize: groupSize) { throw ModelError.invalidInput("cannot quantize: \(problem)") }
        self.bits = bits
        self.groupSize = groupSize
    }

    /// Why the kernels cannot run `bits` / `groupSize`, or nil when they can.
    static func problem(bits: Int, groupSize: Int) -> String? {
        if !supportedBits.contains(bits) { return "\(bits) bits is not supported (Graft's quantized kernels run 4 or 8 bits)" }
        if !supportedGroupSizes.contains(groupSize) {
            return "group size \(groupSize) is not supported (Graft's quantized kernels run groups of 32, 64 or 128)"
        }
        return nil
    }

    public var description: String { "\(bits) bits, groups of \(groupSize)" }
}

/// Quantization of float weights into packed affine groups, as mlx-lm's `convert` does: every
/// 2-D weight (each linear projection, the output head and the token embedding) becomes
/// `weight` (uint32 packed) + `scales` + `biases`; norms and biases stay float32.
public enum ModelQuantization {
    /// Quantizes one row-major `[rows, cols]` float matrix named `name` (from `source`) with
    /// ``AffineQuantizer`` (bit-exact with MLX's `mx.quantize` on float32 input).
    /// - Throws: ``ModelError/invalidInput(_:)`` naming `source` and `name` when `cols` is not a
    ///   multiple of the group size.
    public static func quantize(_ values: [Float], rows: Int, cols: Int, option: QuantizeOption,
                                name: String, source: String) throws -> QuantizedWeight {
        guard cols % option.groupSize == 0 else {
            throw ModelError.invalidInput(
                "\(source): cannot quantize '\(name)' [\(rows), \(cols)] in groups of \(option.groupSize): its row length \(cols) "
                    + "is not a multiple of the group size (choose a --group-size that divides \(cols))")
        }
        do {
            return try AffineQuantizer.quantize(values, rows: rows, cols: cols, bits: option.bits, groupSize: option.groupSize)
                .quantizedWeight()
        } catch {
            throw ModelError.invalidInput("\(source): cannot quantize '\(name)': \(error)")
        }
    }

    /// The packed module entries (`weight`, `scales`, `biases`) of a quantized matrix.
    static func moduleEntries(_ q: QuantizedWeight) -> [String: ParameterTree] {
        ["weight": .tensor(q.packed), "scales": .tensor(q.scales), "biases": .tensor(q.biases)]
    }

    /// The model with every dense 2-D weight quantized (`*.weight` of rank 2 in float32).
    /// - Throws: ``ModelError/invalidInput(_:)`` naming the model's source when it already holds
    ///   packed weights (quantizing applies to float models only) or when a row length is not a
    ///   multiple of the group size.
    public static func quantized(_ model: LlamaModel, option: QuantizeOption) throws -> LlamaModel {
        let entries = model.parameters.flattened()
        if let packed = entries.first(where: { $0.path.hasSuffix(".scales") }) {
            let module = String(packed.path.dropLast(".scales".count))
            throw ModelError.invalidInput(
                "\(model.source): the model is already quantized ('\(module).weight' is packed); --quantize applies to float models only")
        }
        var tree = model.parameters
        for (path, tensor) in entries where path.hasSuffix(".weight") && tensor.ndim == 2 && tensor.dtype == .float32 {
            let module = String(path.dropLast(".weight".count))
            let q = try quantize(tensor.toArray(as: Float.self), rows: tensor.shape[0], cols: tensor.shape[1], option: option,
                                 name: path, source: model.source)
            for (key, value) in moduleEntries(q) {
                if case .tensor(let t) = value { tree[module + "." + key] = t }
            }
        }
        return try model.withParameters(tree)
    }
}

/// The `quantization` block of an mlx-lm `config.json` (formats.md §5.1):
/// `{"group_size": 64, "bits": 4, "mode": "affine"}`, with optional per-module overrides keyed by
/// module path (`"model.layers.0.mlp.down_proj": {"group_size": 64, "bits": 8}` or `false`).
struct MLXQuantizationBlock {
    /// Parameters of modules without an override.
    let defaults: QuantizeOption
    /// Module path → its parameters, or nil for a module left in float.
    let overrides: [String: QuantizeOption?]
    /// Where the block was read (`…/config.json`).
    let file: String
    /// The key it was read from (`quantization` or `quantization_config`).
    let key: String

    /// The block of `json`, or nil for a float model.
    ///
    /// `quantization` is read first; a `quantization_config` alone is accepted when it is mlx-lm's
    /// copy (no `quant_method`); any other method (GPTQ, AWQ, bitsandbytes, FP8…) is refused.
    /// - Throws: ``ModelError`` naming the file and key for a mode other than affine, bits other
    ///   than 4 or 8, or a group size other than 32, 64 or 128.
    init?(_ json: ConfigJSON) throws {
        var chosen: (ConfigJSON, String)?
        if let block = try json.object("quantization") {
            chosen = (block, "quantization")
        } else if let block = try json.object("quantization_config") {
            if let method = try block.string("quant_method") {
                throw ModelError.unsupportedValue(file: json.file, key: "quantization_config.quant_method",
                                                  value: "\"\(method)\" (Graft reads MLX affine quantization)")
            }
            chosen = (block, "quantization_config")
        }
        guard let (block, key) = chosen else { return nil }
        file = json.file
        self.key = key
        if let mode = try block.string("mode"), mode != "affine" {
            throw ModelError.unsupportedValue(file: json.file, key: key + ".mode", value: "\"\(mode)\" (Graft reads affine quantization)")
        }
        defaults = try Self.option(block, prefix: key)
        var overrides: [String: QuantizeOption?] = [:]
        for (name, value) in block.values where !["group_size", "bits", "mode"].contains(name) {
            switch value {
            case .bool(false): overrides[name] = .some(nil)
            case .bool(true): overrides[name] = defaults
            case .object(let fields):
                let nested = ConfigJSON(values: fields, file: json.file, prefix: key + "." + name + ".")
                overrides[name] = try Self.option(nested, prefix: key + "." + name, fallback: defaults)
            default: continue
            }
        }
        self.overrides = overrides
    }

    private static func option(_ block: ConfigJSON, prefix: String, fallback: QuantizeOption? = nil) throws -> QuantizeOption {
        guard let bits = try block.int("bits") ?? fallback?.bits else { throw ModelError.missingKey(file: block.file, key: prefix + ".bits") }
        guard let group = try block.int("group_size") ?? fallback?.groupSize else {
            throw ModelError.missingKey(file: block.file, key: prefix + ".group_size")
        }
        guard QuantizeOption.supportedBits.contains(bits) else {
            throw ModelError.unsupportedValue(file: block.file, key: prefix + ".bits",
                                              value: "\(bits) (Graft's quantized kernels run 4 or 8 bits)")
        }
        guard QuantizeOption.supportedGroupSizes.contains(group) else {
            throw ModelError.unsupportedValue(file: block.file, key: prefix + ".group_size",
                                              value: "\(group) (Graft's quantized kernels run groups of 32, 64 or 128)")
        }
        return try QuantizeOption(bits: bits, groupSize: group)
    }

    /// The parameters of module `path`: its override, or the defaults; nil when the override
    /// leaves it in float.
    func parameters(forModule path: String) -> QuantizeOption? {
        if let override = overrides[path] { return override }
        return defaults
    }
}
