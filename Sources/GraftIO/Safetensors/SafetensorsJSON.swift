/// Compact JSON text in the form the reference safetensors writer (serde_json) produces:
/// no spaces; `"`, `\` and control characters escaped (`\n`, `\t`, `\r`, `\b`, `\f`, else
/// `\u00xx` in lowercase hex); `/` and non-ASCII characters written as they are.
enum SafetensorsJSON {
    /// Appends `value` as a quoted JSON string.
    static func appendString(_ value: String, to output: inout [UInt8]) {
        output.append(UInt8(ascii: "\""))
        for byte in value.utf8 {
            switch byte {
            case UInt8(ascii: "\""): output.append(contentsOf: [0x5C, 0x22])
            case UInt8(ascii: "\\"): output.append(contentsOf: [0x5C, 0x5C])
            case 0x0A: output.append(contentsOf: [0x5C, UInt8(ascii: "n")])
            case 0x0D: output.append(contentsOf: [0x5C, UInt8(ascii: "r")])
            case 0x09: output.append(contentsOf: [0x5C, UInt8(ascii: "t")])
            case 0x08: output.append(contentsOf: [0x5C, UInt8(ascii: "b")])
            case 0x0C: output.append(contentsOf: [0x5C, UInt8(ascii: "f")])
            case 0..<0x20:
                let hex = Array("0123456789abcdef".utf8)
                output.append(contentsOf: Array("\\u00".utf8))
                output.append(hex[Int(byte >> 4)])
                output.append(hex[Int(byte & 0xF)])
            default: output.append(byte)
            }
        }
        output.append(UInt8(ascii: "\""))
    }

    /// Appends `[a,b,...]`.
    static func appendIntegers(_ values: [Int], to output: inout [UInt8]) {
        output.append(UInt8(ascii: "["))
        for (index, value) in values.enumerated() {
            if index > 0 { output.append(UInt8(ascii: ",")) }
            output.append(contentsOf: Array(String(value).utf8))
        }
        output.append(UInt8(ascii: "]"))
    }

    /// The header object: `__metadata__` first (keys sorted), then the tensors in the order
    /// given, each as `{"dtype":..,"shape":[..],"data_offsets":[b,e]}`.
    static func header(metadata: [String: String]?, tensors: [SafetensorsTensorInfo]) -> [UInt8] {
        var output: [UInt8] = [UInt8(ascii: "{")]
        var first = true
        func separator() {
            if !first { output.append(UInt8(ascii: ",")) }
            first = false
        }
        if let metadata {
            separator()
            appendString("__metadata__", to: &output)
            output.append(contentsOf: Array(":{".utf8))
            for (index, key) in metadata.keys.sorted().enumerated() {
                if index > 0 { output.append(UInt8(ascii: ",")) }
                appendString(key, to: &output)
                output.append(UInt8(ascii: ":"))
                appendString(metadata[key]!, to: &output)
            }
            output.append(UInt8(ascii: "}"))
        }
        for tensor in tensors {
            separator()
            appendString(tensor.name, to: &output)
            output.append(contentsOf: Array(":{\"dtype\":".utf8))
            appendString(tensor.dtype.rawValue, to: &output)
            output.append(contentsOf: Array(",\"shape\":".utf8))
            appendIntegers(tensor.shape, to: &output)
            output.append(contentsOf: Array(",\"data_offsets\":".utf8))
            appendIntegers([tensor.dataOffsets.lowerBound, tensor.dataOffsets.upperBound], to: &output)
            output.append(UInt8(ascii: "}"))
        }
        output.append(UInt8(ascii: "}"))
        return output
    }
}
