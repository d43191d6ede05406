import Foundation

/// What scripts/fixtures/llamacpp_reference.py recorded with llama-cpp-python
/// (Fixtures/llamacpp/reference.json and the GGUF LoRA it ran, adapter.gguf).
struct LlamaCppReference: Decodable {
    /// The LoRA run: the adapter file (in the fixture folder) and llama.cpp's continuations.
    struct LoRARun: Decodable {
        let adapterFile: String
        let cases: [GreedyReference.Case]

        enum CodingKeys: String, CodingKey { case cases, adapterFile = "adapter_file" }
    }

    /// A run on a file Graft wrote: which file llama.cpp ran (size, CRC-32) and its continuations.
    struct FusedRun: Decodable {
        let fileSize: Int
        let fileCRC32: UInt32
        let cases: [GreedyReference.Case]

        enum CodingKeys: String, CodingKey { case cases, fileSize = "file_size", fileCRC32 = "file_crc32" }
    }

    let newTokens: Int
    let base: [GreedyReference.Case]
    let lora: LoRARun
    let fusedQ8: FusedRun
    /// `graft convert --format gguf --quantize 4 --q4-type q4_0` of the model (same record).
    let convertedQ4_0: FusedRun

    enum CodingKeys: String, CodingKey {
        case base, lora
        case newTokens = "new_tokens", fusedQ8 = "fused_q8_0", convertedQ4_0 = "converted_q4_0"
    }

    static var directory: URL {
        Bundle.module.url(forResource: "Fixtures", withExtension: nil)!.appendingPathComponent("llamacpp")
    }

    static func load() throws -> LlamaCppReference {
        try JSONDecoder().decode(LlamaCppReference.self, from: Data(contentsOf: directory.appendingPathComponent("reference.json")))
    }
}
