import Foundation
import GraftIO
import XCTest

/// Parity with h5py in both directions, against JSON dumps made by `scripts/fixtures/hdf5.py`.
final class HDF5ParityTests: XCTestCase {
    /// Every group, dataset (all six numeric types, scalar, empty, chunked+gzip, strings)
    /// and attribute of a file written by h5py reads back exactly as h5py reads it.
    func testReadsH5pyWrittenFileExactly() throws {
        let tree = try HDF5TestSupport.jsonFixture("h5py_written.json")
        let file = try HDF5File.open(try HDF5TestSupport.fixture("h5py_written.h5"))
        try HDF5TestSupport.assertGroup(try file.root, matches: tree)
        try file.close()
    }

    /// HDF5 converts on read: a float32 dataset read as Double gives the exact widened
    /// values, a float64 dataset read as Float gives the rounded values.
    func testReadConvertsBetweenFloatWidths() throws {
        let tree = try HDF5TestSupport.jsonFixture("h5py_written.json")
        let file = try HDF5File.open(try HDF5TestSupport.fixture("h5py_written.h5"))
        let layer = try XCTUnwrap(((tree["children"] as? [String: Any])?["model"] as? [String: Any])
            .flatMap { ($0["children"] as? [String: Any])?["layers"] as? [String: Any] }
            .flatMap { ($0["children"] as? [String: Any])?["0"] as? [String: Any] }
            .flatMap { $0["children"] as? [String: Any] })
        let weights = try XCTUnwrap((layer["weight"] as? [String: Any])?["values"] as? [Any])
            .map(HDF5TestSupport.exactDouble)
        let bias = try XCTUnwrap((layer["bias"] as? [String: Any])?["values"] as? [Any]).map(HDF5TestSupport.exactDouble)
        let weightAsDouble = try file.root.readDataset("model/layers/0/weight", as: Double.self)
        XCTAssertEqual(weightAsDouble.shape, [3, 4])
        XCTAssertEqual(weightAsDouble.values, weights)
        let biasAsFloat = try file.root.readDataset("/model/layers/0/bias", as: Float.self)
        XCTAssertEqual(biasAsFloat.values, bias.map { Float($0) })
    }

    /// The committed `swift_written.h5` (made by ``SwiftWrittenFixture``) as h5py read it
    /// equals what the Swift writer produces today: the file is regenerated, then both the
    /// new file and the committed one are checked against h5py's dump.
    func testSwiftWrittenFileMatchesWhatH5pyRead() throws {
        let directory = try HDF5TestSupport.temporaryDirectory(for: self)
        let regenerated = directory.appendingPathComponent("swift_written.h5")
        try SwiftWrittenFixture.write(to: regenerated)
        if let target = ProcessInfo.processInfo.environment["GRAFT_WRITE_HDF5_FIXTURE"] {
            try? FileManager.default.removeItem(atPath: target)
            try FileManager.default.copyItem(at: regenerated, to: URL(fileURLWithPath: target))
        }
        let h5pyView = try HDF5TestSupport.jsonFixture("swift_written.h5py.json")
        for url in [regenerated, try HDF5TestSupport.fixture("swift_written.h5")] {
            let file = try HDF5File.open(url)
            try HDF5TestSupport.assertGroup(try file.root, matches: h5pyView)
            try file.close()
        }
    }
}

/// The content of `Fixtures/hdf5/swift_written.h5`. To refresh the fixture run the parity
/// test with `GRAFT_WRITE_HDF5_FIXTURE=<repo>/Tests/GraftIOTests/Fixtures/hdf5/swift_written.h5`,
/// then `python scripts/fixtures/hdf5.py read`.
enum SwiftWrittenFixture {
    static func write(to url: URL) throws {
        try HDF5File.writeAtomically(to: url) { file in
            let root = try file.root
            try root.setAttribute("format", "graft-checkpoint-test")
            try root.setAttribute("step", Int64(1234))
            try root.setAttribute("loss", 2.71875)
            try root.setAttribute("note", "\u{fc}n\u{ef}c\u{f8}d\u{e9} \u{2713}")
            let adapter = try file.createGroup("adapter/layers.0")
            try file.group("adapter").setAttribute("kind", "lora")
            let loraA = (0..<6).map { Float($0) * 0.5 - 1.25 }
            let dataset = try adapter.writeDataset("lora_a", loraA, shape: [2, 3])
            try dataset.setAttribute("rank", Int64(8))
            try dataset.setAttribute("alpha", 16.0)
            try dataset.setAttribute("target", "q_proj")
            try adapter.writeDataset("lora_b", [0.1, -2.5e-8, 3.0e10] as [Double])
            try root.writeDataset("optimizer/step", [Int64(77)], shape: [])
            try root.writeDataset("optimizer/int32", [Int32.min, -1, 0, Int32.max], shape: [2, 2])
            try root.writeDataset("optimizer/int64", [Int64.min, Int64.max, 0, -5], shape: [4])
            try root.writeDataset("optimizer/uint8", [0, 1, 128, 255, 3] as [UInt8])
            try root.writeDataset("optimizer/uint32", [0, 7, UInt32.max] as [UInt32])
            try root.writeDataset("optimizer/empty", [] as [Float], shape: [0, 4])
            let bits: [Float] = [.leastNonzeroMagnitude, -.greatestFiniteMagnitude, 1.0 / 3.0, -0.0]
            _ = try bits.withUnsafeBufferPointer { try root.writeDataset("optimizer/float_bits", $0, shape: [4]) }
            try root.writeString("config", "{\"rank\": 8, \"alpha\": 16, \"name\": \"caf\u{e9}\"}")
        }
    }
}
