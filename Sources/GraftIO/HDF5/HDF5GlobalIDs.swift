@preconcurrency import CHDF5

/// Reads of libhdf5's predefined type and property-list-class identifiers (`*_g` globals).
///
/// The C macros such as `H5T_NATIVE_FLOAT` cannot be imported into Swift; the globals behind
/// them are -1 until `H5open()` has run, which ``HDF5Library/serialized(_:)`` guarantees.
/// They never change afterwards, so reading them under the library lock is safe.
enum HDF5GlobalIDs {
    static var nativeFloat: hid_t { H5T_NATIVE_FLOAT_g }
    static var nativeDouble: hid_t { H5T_NATIVE_DOUBLE_g }
    static var nativeInt32: hid_t { H5T_NATIVE_INT32_g }
    static var nativeInt64: hid_t { H5T_NATIVE_INT64_g }
    static var nativeUInt8: hid_t { H5T_NATIVE_UINT8_g }
    static var nativeUInt32: hid_t { H5T_NATIVE_UINT32_g }
    static var float32LE: hid_t { H5T_IEEE_F32LE_g }
    static var float64LE: hid_t { H5T_IEEE_F64LE_g }
    static var int32LE: hid_t { H5T_STD_I32LE_g }
    static var int64LE: hid_t { H5T_STD_I64LE_g }
    static var uint8LE: hid_t { H5T_STD_U8LE_g }
    static var uint32LE: hid_t { H5T_STD_U32LE_g }
    static var cString: hid_t { H5T_C_S1_g }
    static var fileAccessClass: hid_t { H5P_CLS_FILE_ACCESS_ID_g }
    static var linkCreateClass: hid_t { H5P_CLS_LINK_CREATE_ID_g }
}
