import CHDF5

/// A scalar attribute value. Integers are stored as 64-bit signed, reals as 64-bit floats,
/// strings as variable-length UTF-8 (h5py reads them as `int`, `float` and `str`).
public enum HDF5AttributeValue: Equatable, Sendable, CustomStringConvertible {
    case int64(Int64)
    case double(Double)
    case string(String)

    /// The integer, if this is `.int64`.
    public var int64Value: Int64? { if case .int64(let v) = self { v } else { nil } }
    /// The number as a `Double`, for `.double` and `.int64`.
    public var doubleValue: Double? {
        switch self {
        case .double(let v): v
        case .int64(let v): Double(v)
        case .string: nil
        }
    }
    /// The text, if this is `.string`.
    public var stringValue: String? { if case .string(let v) = self { v } else { nil } }

    public var description: String {
        switch self {
        case .int64(let v): "\(v)"
        case .double(let v): "\(v)"
        case .string(let v): "\"\(v)\""
        }
    }
}

extension HDF5Object {
    /// Sets the scalar attribute `name` on this object, replacing any existing one.
    public func setAttribute(_ name: String, _ value: HDF5AttributeValue) throws {
        let operation = "write attribute '\(name)'"
        try HDF5Library.serialized {
            let id = try liveID(operation)
            let exists = H5Aexists(id, name)
            guard exists >= 0 else { throw stackError(operation) }
            if exists > 0, H5Adelete(id, name) < 0 { throw stackError(operation) }
            let space = H5Screate(H5S_SCALAR)
            guard space >= 0 else { throw stackError(operation) }
            defer { H5Sclose(space) }
            switch value {
            case .int64(var number):
                try withAttribute(id, name, HDF5GlobalIDs.int64LE, space, operation) {
                    H5Awrite($0, HDF5GlobalIDs.nativeInt64, &number)
                }
            case .double(var number):
                try withAttribute(id, name, HDF5GlobalIDs.float64LE, space, operation) {
                    H5Awrite($0, HDF5GlobalIDs.nativeDouble, &number)
                }
            case .string(let text):
                let type = HDF5Strings.makeVariableLengthUTF8Type()
                guard type >= 0 else { throw stackError(operation) }
                defer { H5Tclose(type) }
                try withAttribute(id, name, type, space, operation) { attribute in
                    HDF5Strings.withStringPointer(text) { H5Awrite(attribute, type, $0) }
                }
            }
        }
    }

    /// Sets an integer attribute.
    public func setAttribute(_ name: String, _ value: Int64) throws { try setAttribute(name, .int64(value)) }
    /// Sets a floating-point attribute.
    public func setAttribute(_ name: String, _ value: Double) throws { try setAttribute(name, .double(value)) }
    /// Sets a string attribute (variable-length UTF-8).
    public func setAttribute(_ name: String, _ value: String) throws { try setAttribute(name, .string(value)) }

    /// True if the attribute `name` exists on this object.
    public func hasAttribute(_ name: String) throws -> Bool {
        try HDF5Library.serialized {
            let result = H5Aexists(try liveID("test attribute '\(name)'"), name)
            guard result >= 0 else { throw stackError("test attribute '\(name)'") }
            return result > 0
        }
    }

    /// Names of all attributes on this object, in ascending name order.
    public func attributeNames() throws -> [String] {
        try HDF5Library.serialized {
            let id = try liveID("list attributes")
            var info = H5O_info_t()
            guard H5Oget_info2(id, &info, UInt32(H5O_INFO_NUM_ATTRS)) >= 0 else { throw stackError("list attributes") }
            var names: [String] = []
            for index in 0..<info.num_attrs {
                let length = H5Aget_name_by_idx(id, ".", H5_INDEX_NAME, H5_ITER_INC, index, nil, 0, hid_t(H5P_DEFAULT))
                guard length >= 0 else { throw stackError("list attributes") }
                var buffer = [CChar](repeating: 0, count: length + 1)
                guard H5Aget_name_by_idx(id, ".", H5_INDEX_NAME, H5_ITER_INC, index, &buffer, length + 1,
                                         hid_t(H5P_DEFAULT)) >= 0 else { throw stackError("list attributes") }
                names.append(String(decoding: buffer.prefix(length).map { UInt8(bitPattern: $0) }, as: UTF8.self))
            }
            return names
        }
    }

    /// Reads the scalar attribute `name`: integers come back as `.int64`, floats as
    /// `.double`, strings (variable- or fixed-length) as `.string`.
    public func attribute(_ name: String) throws -> HDF5AttributeValue {
        let operation = "read attribute '\(name)'"
        return try HDF5Library.serialized {
            let attribute = H5Aopen(try liveID(operation), name, hid_t(H5P_DEFAULT))
            guard attribute >= 0 else { throw stackError(operation) }
            defer { H5Aclose(attribute) }
            let space = H5Aget_space(attribute)
            guard space >= 0 else { throw stackError(operation) }
            let count = H5Sget_simple_extent_npoints(space)
            H5Sclose(space)
            guard count == 1 else { throw plainError(operation, "attribute holds \(count) values, expected 1") }
            let type = H5Aget_type(attribute)
            guard type >= 0 else { throw stackError(operation) }
            defer { H5Tclose(type) }
            switch HDF5StoredType(typeID: type) {
            case .integer:
                var value: Int64 = 0
                guard H5Aread(attribute, HDF5GlobalIDs.nativeInt64, &value) >= 0 else { throw stackError(operation) }
                return .int64(value)
            case .float:
                var value: Double = 0
                guard H5Aread(attribute, HDF5GlobalIDs.nativeDouble, &value) >= 0 else { throw stackError(operation) }
                return .double(value)
            case .variableLengthString, .fixedLengthString:
                let text = HDF5Strings.readScalarString(storedType: type) { H5Aread(attribute, $0, $1) }
                guard let text else { throw stackError(operation) }
                return .string(text)
            case .other:
                throw plainError(operation, "unsupported attribute type")
            }
        }
    }

    /// Creates attribute `name` with `fileType`, runs `write` on it and closes it; throws
    /// (with HDF5's messages, read before closing) if any step fails. Called with the lock held.
    private func withAttribute(_ object: hid_t, _ name: String, _ fileType: hid_t, _ space: hid_t,
                               _ operation: String, _ write: (hid_t) -> herr_t) throws {
        let attribute = H5Acreate2(object, name, fileType, space, hid_t(H5P_DEFAULT), hid_t(H5P_DEFAULT))
        guard attribute >= 0 else { throw stackError(operation) }
        guard write(attribute) >= 0 else {
            let error = stackError(operation)
            H5Aclose(attribute)
            throw error
        }
        guard H5Aclose(attribute) >= 0 else { throw stackError(operation) }
    }
}
