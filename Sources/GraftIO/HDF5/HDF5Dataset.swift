import CHDF5

/// An open dataset: its stored shape and type, and reads of its contents.
public final class HDF5Dataset: HDF5Object, @unchecked Sendable {
    /// Dimensions as stored; `[]` for a scalar dataset.
    public let shape: [Int]
    /// The element type as stored in the file.
    public let storedType: HDF5StoredType

    /// Number of elements (`1` for a scalar).
    public var elementCount: Int { shape.reduce(1, *) }

    private init(file: HDF5File, path: String, id: hid_t, shape: [Int], storedType: HDF5StoredType) {
        self.shape = shape
        self.storedType = storedType
        super.init(file: file, path: path, handle: HDF5Handle(id, closer: H5Dclose))
    }

    /// Opens the dataset `name` under `location`; reads its shape and type.
    /// Called with the lock held.
    static func open(in file: HDF5File, location: hid_t, name: String, absolutePath: String) throws -> HDF5Dataset {
        let id = H5Dopen2(location, name, hid_t(H5P_DEFAULT))
        guard id >= 0 else {
            throw HDF5Error.fromStack(file: file.path, objectPath: absolutePath, operation: "open dataset")
        }
        return try wrap(id, in: file, absolutePath: absolutePath)
    }

    /// Wraps a dataset identifier (taking ownership). Called with the lock held.
    static func wrap(_ id: hid_t, in file: HDF5File, absolutePath: String) throws -> HDF5Dataset {
        let failure = { (what: String) -> HDF5Error in
            // Read the error stack before closing: every HDF5 call clears it.
            let error = HDF5Error.fromStack(file: file.path, objectPath: absolutePath, operation: what)
            H5Dclose(id)
            return error
        }
        let space = H5Dget_space(id)
        guard space >= 0 else { throw failure("get dataset space") }
        defer { H5Sclose(space) }
        let rank = H5Sget_simple_extent_ndims(space)
        guard rank >= 0 else { throw failure("get dataset rank") }
        var dims = [hsize_t](repeating: 0, count: Int(rank))
        if rank > 0, H5Sget_simple_extent_dims(space, &dims, nil) < 0 { throw failure("get dataset shape") }
        let type = H5Dget_type(id)
        guard type >= 0 else { throw failure("get dataset type") }
        defer { H5Tclose(type) }
        return HDF5Dataset(file: file, path: absolutePath, id: id, shape: dims.map { Int($0) },
                           storedType: HDF5StoredType(typeID: type))
    }

    /// Reads the whole dataset, converting to `T` (e.g. a float32 dataset read as `Double`).
    public func read<T: HDF5Element>(as type: T.Type = T.self) throws -> HDF5Array<T> {
        let count = elementCount
        let values = try [T](unsafeUninitializedCapacity: count) { buffer, initialized in
            try read(into: buffer)
            initialized = count
        }
        return HDF5Array(shape: shape, values: values)
    }

    /// Reads the whole dataset into `buffer`, whose count must equal ``elementCount``.
    public func read<T: HDF5Element>(into buffer: UnsafeMutableBufferPointer<T>) throws {
        let operation = "read dataset as \(T.hdf5NumericType.rawValue)"
        guard buffer.count == elementCount else {
            throw plainError(operation, "buffer holds \(buffer.count) elements, dataset has \(elementCount)")
        }
        guard storedType.isNumeric else {
            throw plainError(operation, "dataset holds \(storedType), not numbers")
        }
        guard elementCount > 0 else { return }
        try HDF5Library.serialized {
            let id = try liveID(operation)
            let status = H5Dread(id, T.hdf5NumericType.nativeTypeID, hid_t(H5S_ALL), hid_t(H5S_ALL),
                                 hid_t(H5P_DEFAULT), buffer.baseAddress)
            guard status >= 0 else { throw stackError(operation) }
        }
    }

    /// Reads a scalar string dataset (variable- or fixed-length).
    public func readString() throws -> String {
        let operation = "read string dataset"
        guard storedType.isString else { throw plainError(operation, "dataset holds \(storedType), not a string") }
        guard shape.isEmpty || elementCount == 1 else {
            throw plainError(operation, "dataset has shape \(shape), expected a single string")
        }
        return try HDF5Library.serialized {
            let id = try liveID(operation)
            let type = H5Dget_type(id)
            guard type >= 0 else { throw stackError(operation) }
            defer { H5Tclose(type) }
            let value = HDF5Strings.readScalarString(storedType: type) { memoryType, buffer in
                H5Dread(id, memoryType, hid_t(H5S_ALL), hid_t(H5S_ALL), hid_t(H5P_DEFAULT), buffer)
            }
            guard let value else { throw stackError(operation) }
            return value
        }
    }
}
