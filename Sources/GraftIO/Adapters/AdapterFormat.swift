import Foundation

/// Where adapters can come from or go to.
public enum AdapterFormat: String, Sendable, CaseIterable {
    /// A Graft training checkpoint (`.h5`).
    case checkpoint
    /// A Graft run folder (checkpoints with a `latest` pointer): its latest checkpoint.
    case runFolder
    /// A PEFT folder (`adapter_model.safetensors` + `adapter_config.json`).
    case peft
    /// An mlx-lm folder (`adapters.safetensors` + `adapter_config.json`).
    case mlx
    /// A llama.cpp GGUF LoRA file.
    case gguf

    /// Recognises what `url` holds from the files present (folders) or the first bytes (files).
    /// - Throws: ``AdapterError`` when nothing is there or the content is none of the formats.
    public static func detect(_ url: URL) throws -> AdapterFormat {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory) else {
            throw AdapterError(file: url.path, problem: "no such adapter file or folder")
        }
        if isDirectory.boolValue {
            func has(_ name: String) -> Bool { FileManager.default.fileExists(atPath: url.appendingPathComponent(name).path) }
            if has(PEFTAdapterDirectory.weightsFileName) { return .peft }
            if has(MLXAdapterDirectory.weightsFileName) { return .mlx }
            let names = (try? FileManager.default.contentsOfDirectory(atPath: url.path)) ?? []
            if has("latest") || names.contains(where: { $0.hasPrefix("step-") && $0.hasSuffix(".h5") }) { return .runFolder }
            throw AdapterError(file: url.path, problem: "is not an adapter folder: no \(PEFTAdapterDirectory.weightsFileName) (PEFT), \(MLXAdapterDirectory.weightsFileName) (mlx-lm) or step-*.h5 checkpoints (Graft run folder)")
        }
        guard let handle = FileHandle(forReadingAtPath: url.path) else {
            throw AdapterError(file: url.path, problem: "cannot be opened for reading")
        }
        defer { try? handle.close() }
        let magic = [UInt8](handle.readData(ofLength: 8))
        if magic.starts(with: Array("GGUF".utf8)) { return .gguf }
        if magic == [0x89, 0x48, 0x44, 0x46, 0x0D, 0x0A, 0x1A, 0x0A] { return .checkpoint }
        throw AdapterError(file: url.path, problem: "is neither a GGUF LoRA adapter nor a Graft checkpoint (.h5)")
    }
}
