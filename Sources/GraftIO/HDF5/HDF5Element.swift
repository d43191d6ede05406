import CHDF5

/// Numeric element types that Graft stores in HDF5 datasets.
public enum HDF5NumericType: String, Sendable, CaseIterable {
    case float32, float64, int32, int64, uint8, uint32

    /// Memory type describing a Swift buffer of this element (valid once HDF5 is open).
    var nativeTypeID: hid_t {
        switch self {
        case .float32: HDF5GlobalIDs.nativeFloat
        case .float64: HDF5GlobalIDs.nativeDouble
        case .int32: HDF5GlobalIDs.nativeInt32
        case .int64: HDF5GlobalIDs.nativeInt64
        case .uint8: HDF5GlobalIDs.nativeUInt8
        case .uint32: HDF5GlobalIDs.nativeUInt32
        }
    }

    /// Little-endian type written to files, independent of the host.
    var fileTypeID: hid_t {
        switch self {
        case .float32: HDF5GlobalIDs.float32LE
        case .float64: HDF5GlobalIDs.float64LE
        case .int32: HDF5GlobalIDs.int32LE
        case .int64: HDF5GlobalIDs.int64LE
        case .uint8: HDF5GlobalIDs.uint8LE
        case .uint32: HDF5GlobalIDs.uint32LE
        }
    }
}

/// A Swift scalar that can be written to and read from HDF5 datasets.
/// Conformances: `Float`, `Double`, `Int32`, `Int64`, `UInt8`, `UInt32`.
public protocol HDF5Element: Sendable {
    /// The HDF5 element type used for this Swift type.
    static var hdf5NumericType: HDF5NumericType { get }
}

extension Float: HDF5Element { public static var hdf5NumericType: HDF5NumericType { .float32 } }
extension Double: HDF5Element { public static var hdf5NumericType: HDF5NumericType { .float64 } }
extension Int32: HDF5Element { public static var hdf5NumericType: HDF5NumericType { .int32 } }
extension Int64: HDF5Element { public static var hdf5NumericType: HDF5NumericType { .int64 } }
extension UInt8: HDF5Element { public static var hdf5NumericType: HDF5NumericType { .uint8 } }
extension UInt32: HDF5Element { public static var hdf5NumericType: HDF5NumericType { .uint32 } }

/// A dense row-major (C order) array read from a dataset, with the shape it was stored with.
public struct HDF5Array<Element: HDF5Element>: Sendable {
    /// Dimensions as stored; `[]` for a scalar dataset.
    public var shape: [Int]
    /// Elements in row-major order; `count == shape.reduce(1, *)`.
    public var values: [Element]

    /// Wraps `values` with `shape`.
    public init(shape: [Int], values: [Element]) {
        self.shape = shape
        self.values = values
    }
}

extension HDF5Array: Equatable where Element: Equatable {}

/// What a dataset or attribute holds, as HDF5 describes its stored type.
public enum HDF5StoredType: Equatable, Sendable {
    /// IEEE float of the given size in bytes.
    case float(bytes: Int)
    /// Integer of the given size in bytes.
    case integer(bytes: Int, signed: Bool)
    /// Variable-length string.
    case variableLengthString
    /// Fixed-length string of the given size in bytes.
    case fixedLengthString(bytes: Int)
    /// Anything else (compound, enum, reference, ...).
    case other

    /// Classifies an HDF5 datatype identifier. Called with the library lock held.
    init(typeID: hid_t) {
        let size = H5Tget_size(typeID)
        switch H5Tget_class(typeID) {
        case H5T_FLOAT: self = .float(bytes: size)
        case H5T_INTEGER: self = .integer(bytes: size, signed: H5Tget_sign(typeID) == H5T_SGN_2)
        case H5T_STRING:
            self = H5Tis_variable_str(typeID) > 0 ? .variableLengthString : .fixedLengthString(bytes: size)
        default: self = .other
        }
    }

    /// True for integer and float types, which HDF5 converts between on read.
    public var isNumeric: Bool {
        switch self {
        case .float, .integer: true
        default: false
        }
    }

    /// True for both string kinds.
    public var isString: Bool {
        switch self {
        case .variableLengthString, .fixedLengthString: true
        default: false
        }
    }
}
