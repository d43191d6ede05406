import CBLAS
import Foundation
import Graft
import GraftIO
#if canImport(Glibc)
import Glibc
#endif

/// What `graft env` prints: the build, the processor, threads, the linked BLAS and HDF5
/// libraries and the default model, with a one-line fix for everything that stops Graft.
public struct EnvironmentReport: Sendable, Codable {
    /// The linked OpenBLAS as it describes itself.
    public struct BLAS: Sendable, Codable, Equatable {
        /// The library's name.
        public let library: String
        /// `openblas_get_config()`: version and build options (e.g. `OpenBLAS 0.3.21 DYNAMIC_ARCH …`).
        public let config: String
        /// `openblas_get_corename()`: the kernel set chosen for this processor (e.g. `Haswell`).
        public let kernel: String
        /// `openblas_get_num_threads()`: threads OpenBLAS uses for one GEMM.
        public let threads: Int
    }

    /// Cores and the threads Graft runs on them.
    public struct Threads: Sendable, Codable, Equatable {
        /// Online logical processors (`sysconf(_SC_NPROCESSORS_ONLN)`).
        public let onlineProcessors: Int
        /// Processors this process may use (affinity and cgroup limits applied).
        public let activeProcessors: Int
        /// Threads Graft's kernels use (also given to OpenBLAS).
        public let inUse: Int
        /// Where ``inUse`` comes from: `GRAFT_NUM_THREADS=<n>` or `active processors`.
        public let source: String
    }

    /// The default model and where Graft looks for it.
    public struct Model: Sendable, Codable, Equatable {
        /// `${GRAFT_CACHE:-$HOME/.cache/graft}`.
        public let cacheDirectory: String
        /// The default model's path.
        public let defaultModel: String
        /// Whether that file exists and starts like a GGUF file.
        public let present: Bool
    }

    /// The kernels decoding's quantized products run on this CPU.
    public struct DecodingKernels: Sendable, Codable, Equatable {
        /// For float32 activations (the default).
        public let float32: String
        /// For `--activations int8`.
        public let int8: String

        /// This CPU's.
        static var current: DecodingKernels {
            let interleaved = FewRowKernel.interleavedAvailable
            return DecodingKernels(float32: interleaved ? "AVX-512 on interleaved weights" : "AVX2 on packed weights",
                                   int8: ActivationPrecision.int8Available ? "AVX-512 VNNI on interleaved weights"
                                       : "not on this CPU (reads float32)")
        }
    }

    /// Something that stops Graft, and how to fix it.
    public struct Problem: Sendable, Codable, Equatable {
        /// What is wrong.
        public let problem: String
        /// One line saying what to do.
        public let fix: String
    }

    /// Graft's version (``graftVersion``).
    public let graftVersion: String
    /// The Swift compiler this binary was built with (`6.3` or later, major.minor).
    public let swiftCompiler: String
    /// The processor.
    public let cpu: CPUInfo
    /// Cores and threads.
    public let threads: Threads
    /// The BLAS library.
    public let blas: BLAS
    /// The decoding kernels.
    public let decoding: DecodingKernels
    /// The runtime version of the linked libhdf5 (`H5get_libversion`).
    public let hdf5Version: String
    /// The default model.
    public let model: Model
    /// Problems found (empty when Graft can run).
    public let problems: [Problem]

    /// The Swift compiler version this file was compiled with (the newest `compiler(>=…)` that holds).
    public static var compilerVersion: String {
        #if compiler(>=6.5)
        return "6.5 or later"
        #elseif compiler(>=6.4)
        return "6.4"
        #elseif compiler(>=6.3)
        return "6.3"
        #elseif compiler(>=6.2)
        return "6.2"
        #elseif compiler(>=6.1)
        return "6.1"
        #else
        return "6.0"
        #endif
    }

    /// Gathers the report for this process (its environment and the linked libraries).
    /// - Throws: ``ModelError/invalidInput(_:)`` when `/proc/cpuinfo` cannot be read.
    public static func current() throws -> EnvironmentReport {
        let cpu = try CPUInfo.current()
        let inUse = ComputeThreads.count
        let variable = ProcessInfo.processInfo.environment["GRAFT_NUM_THREADS"]
        let source = variable.flatMap(Int.init).map { "GRAFT_NUM_THREADS=\($0)" } ?? "active processors"
        let threads = Threads(onlineProcessors: sysconf(Int32(_SC_NPROCESSORS_ONLN)),
                              activeProcessors: ProcessInfo.processInfo.activeProcessorCount, inUse: inUse, source: source)
        let blas = BLAS(library: "OpenBLAS", config: openblas_get_config().map { String(cString: $0) } ?? "",
                        kernel: openblas_get_corename().map { String(cString: $0) } ?? "",
                        threads: Int(openblas_get_num_threads()))
        let hdf5 = HDF5Library.version
        let model = Model(cacheDirectory: DefaultModel.cacheDirectory.path, defaultModel: DefaultModel.url.path,
                          present: isGGUF(DefaultModel.url))

        var problems: [Problem] = []
        if !cpu.missingFeatures.isEmpty {
            problems.append(Problem(problem: "the processor lacks \(cpu.missingFeatures.joined(separator: ", ")), which this build of Graft uses",
                                    fix: "build Graft on this machine without the Haswell target flags in Package.swift, or use a CPU with AVX2/FMA/F16C"))
        }
        if let variable, Int(variable).map({ $0 < 1 }) ?? true {
            problems.append(Problem(problem: "GRAFT_NUM_THREADS=\(variable) is not a positive integer (Graft uses \(inUse) threads instead)",
                                    fix: "export GRAFT_NUM_THREADS=\(threads.activeProcessors) (or unset it)"))
        }
        if !blas.config.hasPrefix("OpenBLAS") {
            problems.append(Problem(problem: "the linked BLAS is not OpenBLAS (config: \"\(blas.config)\")",
                                    fix: "apt-get install libopenblas-dev"))
        }
        let hdf5Parts = hdf5.split(separator: ".").compactMap { Int($0) }
        if hdf5Parts.count < 2 || (hdf5Parts[0], hdf5Parts[1]) < (1, 10) {
            problems.append(Problem(problem: "libhdf5 \(hdf5) is older than 1.10", fix: "apt-get install libhdf5-dev"))
        }
        if !model.present {
            let exists = FileManager.default.fileExists(atPath: model.defaultModel)
            problems.append(Problem(problem: exists ? "\(model.defaultModel) is not a GGUF file" : "the default model \(model.defaultModel) is missing",
                                    fix: "run scripts/fetch-model.sh (it downloads \(DefaultModel.fileName) into \(model.cacheDirectory)/models)"))
        }
        return EnvironmentReport(graftVersion: GraftLM.graftVersion, swiftCompiler: compilerVersion, cpu: cpu, threads: threads,
                                 blas: blas, decoding: .current, hdf5Version: hdf5, model: model, problems: problems)
    }

    /// Whether `url` is a file that starts with the GGUF magic.
    static func isGGUF(_ url: URL) -> Bool {
        guard let handle = try? FileHandle(forReadingFrom: url) else { return false }
        defer { try? handle.close() }
        return (try? handle.read(upToCount: 4)) == Data("GGUF".utf8)
    }

    /// The report as aligned `name: value` lines.
    public var text: String {
        func yesNo(_ value: Bool) -> String { value ? "yes" : "no" }
        let features = cpu.features.map { "\($0.name) \($0.present ? "yes" : "no")\($0.required ? " (required)" : "")" }
        var lines = [
            "graft           \(graftVersion)",
            "swift compiler  \(swiftCompiler)",
            "cpu             \(cpu.model) (\(cpu.architecture))",
            "simd            \(features.joined(separator: ", "))",
            "cores           \(threads.onlineProcessors) online, \(threads.activeProcessors) available to this process",
            "threads         \(threads.inUse) (\(threads.source))",
            "blas            \(blas.config)",
            "blas kernel     \(blas.kernel), \(blas.threads) threads",
            "decoding        float32: \(decoding.float32); int8: \(decoding.int8)",
            "hdf5            \(hdf5Version)",
            "model cache     \(model.cacheDirectory)",
            "default model   \(model.defaultModel) (present: \(yesNo(model.present)))",
        ]
        for problem in problems {
            lines.append("problem         \(problem.problem)")
            lines.append("fix             \(problem.fix)")
        }
        return lines.joined(separator: "\n")
    }

    /// The report as pretty-printed JSON with sorted keys.
    public var json: String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return String(decoding: (try? encoder.encode(self)) ?? Data("{}".utf8), as: UTF8.self)
    }
}
