import CHDF5

extension HDF5Group {
    /// Writes `values` (row-major) as a new dataset `name` of the given `shape`
    /// (`[]` = scalar). Missing intermediate groups in `name` are created. Fails if the
    /// dataset already exists or if `values.count` does not match the shape.
    @discardableResult
    public func writeDataset<T: HDF5Element>(_ name: String, _ values: UnsafeBufferPointer<T>,
                                             shape: [Int]) throws -> HDF5Dataset {
        let operation = "write \(T.hdf5NumericType.rawValue) dataset"
        let absolute = absolutePath(of: name)
        _ = try components(of: name, operation: operation)
        guard shape.allSatisfy({ $0 >= 0 }), shape.reduce(1, *) == values.count else {
            throw plainError(operation, at: absolute, "shape \(shape) does not hold \(values.count) elements")
        }
        return try HDF5Library.serialized {
            let dataset = try createDataset(name, fileType: T.hdf5NumericType.fileTypeID, shape: shape,
                                            operation: operation)
            if values.count > 0 {
                let status = H5Dwrite(dataset.handle.id, T.hdf5NumericType.nativeTypeID, hid_t(H5S_ALL),
                                      hid_t(H5S_ALL), hid_t(H5P_DEFAULT), values.baseAddress)
                guard status >= 0 else { throw stackError(operation, at: absolute) }
            }
            return dataset
        }
    }

    /// Array form of ``writeDataset(_:_:shape:)-(_,UnsafeBufferPointer<T>,_)``;
    /// `shape` defaults to one dimension of `values.count`.
    @discardableResult
    public func writeDataset<T: HDF5Element>(_ name: String, _ values: [T], shape: [Int]? = nil) throws -> HDF5Dataset {
        try values.withUnsafeBufferPointer { try writeDataset(name, $0, shape: shape ?? [values.count]) }
    }

    /// Writes `value` as a scalar variable-length UTF-8 string dataset (h5py reads it as
    /// `str`); meant for JSON blobs such as configs or RNG state.
    @discardableResult
    public func writeString(_ name: String, _ value: String) throws -> HDF5Dataset {
        let operation = "write string dataset"
        let absolute = absolutePath(of: name)
        _ = try components(of: name, operation: operation)
        return try HDF5Library.serialized {
            let type = HDF5Strings.makeVariableLengthUTF8Type()
            guard type >= 0 else { throw stackError(operation, at: absolute) }
            defer { H5Tclose(type) }
            let dataset = try createDataset(name, fileType: type, shape: [], operation: operation)
            let status = HDF5Strings.withStringPointer(value) {
                H5Dwrite(dataset.handle.id, type, hid_t(H5S_ALL), hid_t(H5S_ALL), hid_t(H5P_DEFAULT), $0)
            }
            guard status >= 0 else { throw stackError(operation, at: absolute) }
            return dataset
        }
    }

    /// Opens the existing dataset at `name` (relative or absolute path).
    public func dataset(_ name: String) throws -> HDF5Dataset {
        _ = try components(of: name, operation: "open dataset")
        return try HDF5Library.serialized {
            try HDF5Dataset.open(in: file, location: try liveID("open dataset"), name: name,
                                 absolutePath: absolutePath(of: name))
        }
    }

    /// Reads the dataset at `name` converted to `T`, with its stored shape.
    public func readDataset<T: HDF5Element>(_ name: String, as type: T.Type = T.self) throws -> HDF5Array<T> {
        try dataset(name).read(as: type)
    }

    /// Reads the scalar string dataset at `name`.
    public func readString(_ name: String) throws -> String {
        try dataset(name).readString()
    }

    /// Creates an empty dataset, creating intermediate groups. Called with the lock held.
    private func createDataset(_ name: String, fileType: hid_t, shape: [Int], operation: String) throws -> HDF5Dataset {
        let location = try liveID(operation)
        let absolute = absolutePath(of: name)
        let space: hid_t
        if shape.isEmpty {
            space = H5Screate(H5S_SCALAR)
        } else {
            let dims = shape.map { hsize_t($0) }
            space = H5Screate_simple(Int32(dims.count), dims, nil)
        }
        guard space >= 0 else { throw stackError(operation, at: absolute) }
        defer { H5Sclose(space) }
        let linkList = H5Pcreate(HDF5GlobalIDs.linkCreateClass)
        guard linkList >= 0 else { throw stackError(operation, at: absolute) }
        defer { H5Pclose(linkList) }
        guard H5Pset_create_intermediate_group(linkList, 1) >= 0 else { throw stackError(operation, at: absolute) }
        let id = H5Dcreate2(location, name, fileType, space, linkList, hid_t(H5P_DEFAULT), hid_t(H5P_DEFAULT))
        guard id >= 0 else { throw stackError(operation, at: absolute) }
        return try HDF5Dataset.wrap(id, in: file, absolutePath: absolute)
    }
}
