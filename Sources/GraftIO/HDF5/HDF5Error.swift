import CHDF5

/// A failed HDF5 operation: names the file, the object path inside it and the operation,
/// plus the innermost messages of HDF5's own error stack.
public struct HDF5Error: Error, CustomStringConvertible, Sendable, Equatable {
    /// Path of the HDF5 file on disk.
    public let file: String
    /// Path of the object inside the file (`/` for the root group), or "" when not relevant.
    public let objectPath: String
    /// What was being attempted, e.g. "create dataset" or "read attribute 'step'".
    public let operation: String
    /// Messages taken from HDF5's error stack (innermost first), or a Graft-side reason.
    public let reason: String

    /// Creates an error; `reason` is usually filled from HDF5's error stack.
    public init(file: String, objectPath: String, operation: String, reason: String) {
        self.file = file
        self.objectPath = objectPath
        self.operation = operation
        self.reason = reason
    }

    public var description: String {
        var text = "HDF5 error in '\(file)'"
        if !objectPath.isEmpty { text += " at '\(objectPath)'" }
        text += ": \(operation) failed"
        if !reason.isEmpty { text += ": \(reason)" }
        return text
    }
}

extension HDF5Error {
    /// Builds an error from the current HDF5 error stack and clears that stack.
    /// Must be called with the library lock held, right after the failing call.
    static func fromStack(file: String, objectPath: String, operation: String) -> HDF5Error {
        HDF5Error(file: file, objectPath: objectPath, operation: operation,
                  reason: HDF5Library.takeErrorStackMessages())
    }
}
