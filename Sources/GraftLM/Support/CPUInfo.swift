import Foundation

/// The processor as Linux describes it in `/proc/cpuinfo`, and the SIMD features Graft's
/// kernels depend on.
public struct CPUInfo: Sendable, Equatable, Codable {
    /// One SIMD feature: whether the processor has it and whether this build of Graft needs it.
    public struct Feature: Sendable, Equatable, Codable {
        /// The feature as `/proc/cpuinfo` spells it (`avx2`, `fma`, `f16c`, `avx512f`, `asimd`).
        public let name: String
        /// Whether the processor reports it.
        public let present: Bool
        /// Whether this binary was compiled to use it (running without it stops with SIGILL).
        public let required: Bool
    }

    /// The processor's name (`model name` on x86, `Model` or the implementer/part on Arm).
    public let model: String
    /// The machine architecture this binary was compiled for (`x86_64`, `arm64`).
    public let architecture: String
    /// The SIMD features Graft's kernels and OpenBLAS use on this architecture.
    public let features: [Feature]

    /// The features this binary needs but the processor lacks.
    public var missingFeatures: [String] { features.filter { $0.required && !$0.present }.map(\.name) }

    /// Features Graft looks at on x86_64: the kernels are compiled for Haswell (AVX2, FMA, F16C:
    /// see Package.swift); AVX-512 is used by OpenBLAS's kernels and by the decoding products on
    /// interleaved weights when present, AVX-512 VNNI (with BW) by those of `--activations int8`
    /// (both chosen at run time).
    static let x86Features: [(name: String, required: Bool)] = [("avx2", true), ("fma", true), ("f16c", true),
                                                                  ("avx512f", false), ("avx512bw", false), ("avx512_vnni", false)]
    /// On 64-bit Arm, NEON (`asimd`) is part of the baseline the compiler targets.
    static let armFeatures: [(name: String, required: Bool)] = [("asimd", true), ("fphp", false), ("asimdhp", false)]

    /// Reads `/proc/cpuinfo`.
    /// - Throws: ``ModelError/invalidInput(_:)`` naming the file when it cannot be read.
    public static func current() throws -> CPUInfo {
        let path = "/proc/cpuinfo"
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw ModelError.invalidInput("\(path) cannot be read: Graft reports the processor only on Linux")
        }
        return CPUInfo(cpuinfo: text)
    }

    /// Parses the text of `/proc/cpuinfo` (the first processor's entry decides).
    public init(cpuinfo text: String) {
        var fields: [String: String] = [:]
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.trimmingCharacters(in: .whitespaces).isEmpty && !fields.isEmpty { break }
            guard let colon = line.firstIndex(of: ":") else { continue }
            let key = line[..<colon].trimmingCharacters(in: .whitespaces)
            let value = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            if fields[key] == nil { fields[key] = value }
        }
        #if arch(x86_64)
        architecture = "x86_64"
        let wanted = Self.x86Features
        let flags = Set((fields["flags"] ?? "").split(separator: " ").map(String.init))
        #elseif arch(arm64)
        architecture = "arm64"
        let wanted = Self.armFeatures
        let flags = Set((fields["Features"] ?? "").split(separator: " ").map(String.init))
        #else
        architecture = "unknown"
        let wanted: [(name: String, required: Bool)] = []
        let flags = Set<String>()
        #endif
        model = fields["model name"] ?? fields["Model"]
            ?? [fields["CPU implementer"], fields["CPU part"]].compactMap { $0 }.joined(separator: " part ")
        features = wanted.map { Feature(name: $0.name, present: flags.contains($0.name), required: $0.required) }
    }
}
