/// Typed metadata accessors.
///
/// The optional-returning accessors give nil when the key is absent and throw
/// `GGUFError.typeMismatch` when it holds another type. Integer accessors accept every integer
/// type (llama.cpp writes UINT32 for most counts), float accessors FLOAT32 and FLOAT64.
/// The `required…` variants throw `GGUFError.missingKey` instead of returning nil.
extension GGUFFile {
    /// The raw value for `key`, or nil.
    public func value(_ key: String) -> GGUFValue? { metadata[key] }

    /// A STRING value.
    public func string(_ key: String) throws -> String? {
        guard let value = metadata[key] else { return nil }
        guard case let .string(s) = value else { throw mismatch(key, "STRING", value) }
        return s
    }

    /// Any integer value, as `Int`.
    public func int(_ key: String) throws -> Int? {
        guard let value = metadata[key] else { return nil }
        guard let i = value.intValue else { throw mismatch(key, "an integer", value) }
        return i
    }

    /// A FLOAT32 or FLOAT64 value, as `Float`.
    public func float(_ key: String) throws -> Float? {
        try double(key).map { Float($0) }
    }

    /// A FLOAT32 or FLOAT64 value, as `Double` (FLOAT32 widened exactly).
    public func double(_ key: String) throws -> Double? {
        guard let value = metadata[key] else { return nil }
        guard let d = value.doubleValue else { throw mismatch(key, "FLOAT32 or FLOAT64", value) }
        return d
    }

    /// A BOOL value.
    public func bool(_ key: String) throws -> Bool? {
        guard let value = metadata[key] else { return nil }
        guard case let .bool(b) = value else { throw mismatch(key, "BOOL", value) }
        return b
    }

    /// An ARRAY of STRING.
    public func stringArray(_ key: String) throws -> [String]? {
        guard let value = metadata[key] else { return nil }
        guard case let .array(.string(a)) = value else { throw mismatch(key, "ARRAY of STRING", value) }
        return a
    }

    /// An ARRAY of any integer type, as `[Int]`.
    public func intArray(_ key: String) throws -> [Int]? {
        guard let value = metadata[key] else { return nil }
        guard case let .array(a) = value, let ints = a.intValues else {
            throw mismatch(key, "ARRAY of integers", value)
        }
        return ints
    }

    /// An ARRAY of FLOAT32 or FLOAT64, as `[Float]`.
    public func floatArray(_ key: String) throws -> [Float]? {
        guard let value = metadata[key] else { return nil }
        guard case let .array(a) = value, let floats = a.floatValues else {
            throw mismatch(key, "ARRAY of FLOAT32 or FLOAT64", value)
        }
        return floats
    }

    /// A STRING value that must be present.
    public func requiredString(_ key: String) throws -> String {
        guard let s = try string(key) else { throw GGUFError.missingKey(path: path, key: key) }
        return s
    }

    /// An integer value that must be present.
    public func requiredInt(_ key: String) throws -> Int {
        guard let i = try int(key) else { throw GGUFError.missingKey(path: path, key: key) }
        return i
    }

    /// A float value that must be present.
    public func requiredFloat(_ key: String) throws -> Float {
        guard let f = try float(key) else { throw GGUFError.missingKey(path: path, key: key) }
        return f
    }

    private func mismatch(_ key: String, _ expected: String, _ found: GGUFValue) -> GGUFError {
        .typeMismatch(path: path, key: key, expected: expected, found: found.description)
    }
}
