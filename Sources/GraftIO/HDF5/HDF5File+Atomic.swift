import Foundation

extension HDF5File {
    /// Writes a complete HDF5 file to `url` atomically (see ``AtomicFile``): `body` fills a
    /// freshly created file at a temporary path; the file is closed (close errors are
    /// reported), made durable and renamed over `url`. If `body` throws, `url` is untouched
    /// and the temporary file is removed. `body` must not keep the file after returning.
    @discardableResult
    public static func writeAtomically<T>(to url: URL, _ body: (HDF5File) throws -> T) throws -> T {
        try AtomicFile.write(to: url) { temporary in
            let file = try HDF5File.create(at: temporary, mode: .exclusive)
            do {
                let result = try body(file)
                try file.close()
                return result
            } catch {
                try? file.close()
                throw error
            }
        }
    }
}
