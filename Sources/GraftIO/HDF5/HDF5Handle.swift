import CHDF5

/// Owns one HDF5 identifier and closes it exactly once (explicitly or in `deinit`).
/// Internal building block of the RAII wrappers; all use happens under the library lock.
final class HDF5Handle {
    /// The raw identifier; invalid after ``close()``.
    private(set) var id: hid_t
    private let closer: (hid_t) -> herr_t

    /// Takes ownership of `id`, which `closer` (e.g. `H5Dclose`) releases.
    init(_ id: hid_t, closer: @escaping (hid_t) -> herr_t) {
        self.id = id
        self.closer = closer
    }

    /// Closes the identifier now; returns false when HDF5 reported a failure.
    @discardableResult
    func close() -> Bool {
        guard id >= 0 else { return true }
        let status = HDF5Library.serialized { () -> herr_t in
            // Identifiers of a file closed with H5F_CLOSE_STRONG are already gone.
            let valid = H5Iis_valid(id) > 0
            return valid ? closer(id) : 0
        }
        id = -1
        return status >= 0
    }

    deinit { close() }
}

/// Runs `body` with a freshly created identifier and closes it afterwards.
/// Throws `error()` if the creating call returned a negative identifier.
func withHDF5ID<T>(_ id: hid_t, closer: (hid_t) -> herr_t, error: () -> HDF5Error,
                   _ body: (hid_t) throws -> T) throws -> T {
    guard id >= 0 else { throw error() }
    defer { _ = closer(id) }
    return try body(id)
}
