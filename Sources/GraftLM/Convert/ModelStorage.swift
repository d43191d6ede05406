import Foundation
import GraftIO

/// How much room a model's weights take: bytes of tensor data and on disk, and bits per weight.
public struct ModelStorage: Sendable, Equatable {
    /// Bytes of tensor data (packed weights, scales, biases, floats), without headers or tokenizer.
    public let tensorBytes: Int
    /// Bytes of the file, or of every file in the folder.
    public let fileBytes: Int
    /// Weights the model holds (a packed matrix counts rows × columns).
    public let parameterCount: Int

    /// `8 · tensorBytes / parameterCount`.
    public var bitsPerWeight: Double { parameterCount > 0 ? 8 * Double(tensorBytes) / Double(parameterCount) : 0 }

    /// e.g. `4.50 bits/weight, 76.1 MB`.
    public var summary: String {
        String(format: "%.2f bits/weight, %.1f MB", bitsPerWeight, Double(fileBytes) / 1_000_000)
    }

    /// Measures the GGUF file or safetensors folder at `url` holding `parameterCount` weights.
    /// - Throws: the GGUF or safetensors reader's error naming the file.
    public static func measure(_ url: URL, parameterCount: Int) throws -> ModelStorage {
        var isDirectory: ObjCBool = false
        _ = FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory)
        guard isDirectory.boolValue else {
            let file = try GGUFFile(path: url.path)
            return ModelStorage(tensorBytes: file.tensors.reduce(0) { $0 + $1.byteRange.count }, fileBytes: file.fileSize,
                                parameterCount: parameterCount)
        }
        var tensorBytes = 0, fileBytes = 0
        let names = try FileManager.default.contentsOfDirectory(atPath: url.path).sorted()
        for name in names {
            let file = url.appendingPathComponent(name)
            let attributes = try FileManager.default.attributesOfItem(atPath: file.path)
            fileBytes += (attributes[.size] as? NSNumber)?.intValue ?? 0
            if name.hasSuffix(".safetensors") {
                tensorBytes += try SafetensorsFile(contentsOf: file).tensors.reduce(0) { $0 + $1.byteCount }
            }
        }
        return ModelStorage(tensorBytes: tensorBytes, fileBytes: fileBytes, parameterCount: parameterCount)
    }
}

extension LlamaModel {
    /// The number of weights, counting a packed matrix as its rows × columns (scales and biases
    /// of packed matrices are storage, not weights).
    public var weightCount: Int {
        var count = 0
        for (path, tensor) in parameters.flattened() where !path.hasSuffix(".scales") && !path.hasSuffix(".biases") {
            if path.hasSuffix(".weight"), let packed = linearWeights(stem: String(path.dropLast(".weight".count)))?.quantizedBase {
                count += packed.rows * packed.cols
            } else {
                count += tensor.size
            }
        }
        return count
    }
}
