import CHDF5

/// Helpers shared by string attributes and string datasets. All run with the lock held.
enum HDF5Strings {
    /// A new variable-length UTF-8 string type (caller closes it with `H5Tclose`).
    static func makeVariableLengthUTF8Type() -> hid_t {
        let type = H5Tcopy(HDF5GlobalIDs.cString)
        guard type >= 0 else { return type }
        // H5T_VARIABLE is the macro ((size_t)-1), which Swift cannot import.
        guard H5Tset_size(type, -1) >= 0, H5Tset_cset(type, H5T_CSET_UTF8) >= 0 else {
            H5Tclose(type)
            return -1
        }
        return type
    }

    /// Passes the address of one `char*` pointing at `value` to `write`, as HDF5 expects for
    /// a scalar variable-length string.
    static func withStringPointer<T>(_ value: String, _ write: (UnsafeRawPointer) -> T) -> T {
        value.withCString { cString in
            var pointer: UnsafePointer<CChar>? = cString
            return withUnsafePointer(to: &pointer) { write(UnsafeRawPointer($0)) }
        }
    }

    /// Reads one string stored with type `storedType` (variable or fixed length) by calling
    /// `read(memoryType, buffer)`; returns nil when `read` fails or the type is not a string.
    static func readScalarString(storedType: hid_t, _ read: (hid_t, UnsafeMutableRawPointer) -> herr_t) -> String? {
        guard H5Tget_class(storedType) == H5T_STRING else { return nil }
        if H5Tis_variable_str(storedType) > 0 {
            var pointer: UnsafeMutablePointer<CChar>? = nil
            let status = withUnsafeMutablePointer(to: &pointer) { read(storedType, UnsafeMutableRawPointer($0)) }
            guard status >= 0 else { return nil }
            guard let pointer else { return "" }
            defer { H5free_memory(pointer) }
            return String(cString: pointer)
        }
        let size = H5Tget_size(storedType)
        guard size > 0 else { return nil }
        var bytes = [UInt8](repeating: 0, count: size)
        let status = bytes.withUnsafeMutableBytes { read(storedType, $0.baseAddress!) }
        guard status >= 0 else { return nil }
        // Fixed-length strings are padded with NULs (or spaces for H5T_STR_SPACEPAD).
        var end = bytes.firstIndex(of: 0) ?? bytes.count
        if H5Tget_strpad(storedType) == H5T_STR_SPACEPAD {
            while end > 0, bytes[end - 1] == 0x20 { end -= 1 }
        }
        return String(decoding: bytes[..<end], as: UTF8.self)
    }
}
