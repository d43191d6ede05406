import Foundation
import GraftIO
import XCTest

/// Groups, paths, attributes and the error paths of the HDF5 wrapper.
final class HDF5BehaviourTests: XCTestCase {
    private var directory: URL!

    override func setUpWithError() throws {
        directory = try HDF5TestSupport.temporaryDirectory(for: self)
    }

    func testNestedGroupsAreCreatedOnDemandAndListed() throws {
        let url = directory.appendingPathComponent("groups.h5")
        let file = try HDF5File.create(at: url)
        let deep = try file.createGroup("a/b/c")
        XCTAssertEqual(deep.path, "/a/b/c")
        try file.createGroup("a/b2")
        try file.root.writeDataset("a/b/values", [1, 2, 3] as [Int32])
        XCTAssertEqual(try file.group("a").children(), ["b", "b2"])
        XCTAssertEqual(try file.group("a/b").children(), ["c", "values"])
        XCTAssertTrue(try file.exists("a/b/c"))
        XCTAssertTrue(try file.exists("/a/b/values"))
        XCTAssertFalse(try file.exists("a/x/c"))
        XCTAssertFalse(try file.exists("a/b/values/deeper"), "a dataset has no children")
        XCTAssertEqual(try file.group("a/b").kind(of: "values"), .dataset)
        // Re-creating an existing group opens it; creating through a dataset fails.
        XCTAssertEqual(try file.createGroup("a/b").path, "/a/b")
        XCTAssertThrowsError(try file.createGroup("a/b/values/x")) { error in
            XCTAssertTrue("\(error)".contains("/a/b/values"), "\(error)")
            XCTAssertTrue("\(error)".contains("not a group"), "\(error)")
        }
        try file.createGroup("tmp/x")
        try file.root.remove("tmp")
        XCTAssertFalse(try file.exists("tmp"))
        XCTAssertThrowsError(try file.root.remove("tmp")) { error in
            XCTAssertEqual((error as? HDF5Error)?.objectPath, "/tmp")
        }
        try file.close()
        let reopened = try HDF5File.open(url)
        XCTAssertEqual(try reopened.root.children(), ["a"])
        XCTAssertEqual(try reopened.root.readDataset("a/b/values", as: Int32.self).values, [1, 2, 3])
    }

    func testAttributesOnFileGroupAndDatasetAreReplaceable() throws {
        let url = directory.appendingPathComponent("attributes.h5")
        let file = try HDF5File.create(at: url)
        let root = try file.root
        try root.setAttribute("step", Int64(1))
        try root.setAttribute("step", Int64(2))
        try root.setAttribute("name", "first")
        try root.setAttribute("name", "sécond ✓")
        let dataset = try root.writeDataset("x", [1.5] as [Double], shape: [])
        try dataset.setAttribute("scale", 0.25)
        try file.createGroup("g").setAttribute("json", "{\"a\": [1, 2]}")
        try file.close()

        let reader = try HDF5File.open(url)
        XCTAssertEqual(try reader.root.attributeNames(), ["name", "step"])
        XCTAssertEqual(try reader.root.attribute("step").int64Value, 2)
        XCTAssertEqual(try reader.root.attribute("name").stringValue, "sécond ✓")
        XCTAssertEqual(try reader.dataset("x").attribute("scale"), .double(0.25))
        XCTAssertEqual(try reader.dataset("x").shape, [])
        XCTAssertEqual(try reader.dataset("x").read(as: Double.self).values, [1.5])
        XCTAssertEqual(try reader.group("g").attribute("json").stringValue, "{\"a\": [1, 2]}")
        XCTAssertFalse(try reader.root.hasAttribute("missing"))
        XCTAssertThrowsError(try reader.root.attribute("missing")) { error in
            XCTAssertTrue("\(error)".contains("read attribute 'missing'"), "\(error)")
            XCTAssertTrue("\(error)".contains(url.path), "\(error)")
        }
    }

    /// Every identifier the wrapper opens internally is closed again: after a busy session,
    /// once the objects handed out are released only the file itself is open.
    func testNoIdentifierLeaks() throws {
        let file = try HDF5File.create(at: directory.appendingPathComponent("leaks.h5"))
        do {
            let group = try file.createGroup("a/b/c")
            try group.setAttribute("n", Int64(1))
            try group.setAttribute("s", "text")
            try group.writeDataset("d", [1, 2] as [Float]).setAttribute("x", 0.5)
            try file.root.writeString("json", "{}")
            _ = try group.children()
            _ = try group.attributeNames()
            _ = try group.attribute("s")
            _ = try file.exists("a/b/c/d")
            _ = try file.root.readDataset("a/b/c/d", as: Double.self)
            _ = try file.root.readString("json")
            _ = try? file.root.attribute("missing")
            XCTAssertGreaterThan(file.openObjectCount, 1, "the group held here is open")
        }
        XCTAssertEqual(file.openObjectCount, 1)
        try file.close()
        XCTAssertEqual(file.openObjectCount, 0)
    }

    func testLargeDatasetRoundTripsThroughBufferPointers() throws {
        let url = directory.appendingPathComponent("large.h5")
        let count = 300_000
        let values = (0..<count).map { Float($0 % 977) * 0.125 - 3 }
        try HDF5File.writeAtomically(to: url) { file in
            _ = try values.withUnsafeBufferPointer { try file.root.writeDataset("w", $0, shape: [600, 500]) }
        }
        let dataset = try HDF5File.open(url).dataset("w")
        XCTAssertEqual(dataset.shape, [600, 500])
        var output = [Float](repeating: .nan, count: count)
        try output.withUnsafeMutableBufferPointer { try dataset.read(into: $0) }
        XCTAssertEqual(output, values)
        var tooSmall = [Float](repeating: 0, count: 10)
        XCTAssertThrowsError(try tooSmall.withUnsafeMutableBufferPointer { try dataset.read(into: $0) })
    }

    func testOpeningMissingGarbageAndTruncatedFilesFailsWithFileName() throws {
        let missing = directory.appendingPathComponent("missing.h5")
        XCTAssertThrowsError(try HDF5File.open(missing)) { error in
            XCTAssertTrue("\(error)".contains(missing.path) && "\(error)".contains("open file"), "\(error)")
        }
        let garbage = directory.appendingPathComponent("garbage.h5")
        try Data("this is not an HDF5 file at all, just text".utf8).write(to: garbage)
        XCTAssertThrowsError(try HDF5File.open(garbage)) { error in
            XCTAssertTrue("\(error)".contains(garbage.path), "\(error)")
            XCTAssertTrue("\(error)".contains("file signature not found"), "HDF5 reason missing: \(error)")
        }
        // The h5py fixture cut in half: either open fails or reading its datasets fails;
        // in both cases the error names the file and nothing crashes.
        let whole = try Data(contentsOf: HDF5TestSupport.fixture("h5py_written.h5"))
        let truncated = directory.appendingPathComponent("truncated.h5")
        try whole.prefix(whole.count / 2).write(to: truncated)
        do {
            let file = try HDF5File.open(truncated)
            _ = try file.root.readDataset("chunked", as: Float.self)
            _ = try file.root.readDataset("meta/config", as: Float.self)
            XCTFail("reading a truncated file succeeded")
        } catch let error as HDF5Error {
            XCTAssertEqual(error.file, truncated.path)
        }
    }

    func testMisuseIsReportedWithObjectPathAndOperation() throws {
        let url = directory.appendingPathComponent("misuse.h5")
        let file = try HDF5File.create(at: url)
        XCTAssertThrowsError(try HDF5File.create(at: url, mode: .exclusive), "exclusive create of an existing file")
        try file.root.writeDataset("m/x", [1, 2] as [Float])
        XCTAssertThrowsError(try file.root.writeDataset("m/x", [3] as [Float])) { error in
            let error = error as? HDF5Error
            XCTAssertEqual(error?.objectPath, "/m/x")
            XCTAssertEqual(error?.operation, "write float32 dataset")
        }
        XCTAssertThrowsError(try file.root.writeDataset("bad", [1, 2, 3] as [Float], shape: [2, 2])) { error in
            XCTAssertTrue("\(error)".contains("shape [2, 2] does not hold 3 elements"), "\(error)")
        }
        XCTAssertThrowsError(try file.root.readString("m/x")) { error in
            XCTAssertTrue("\(error)".contains("not a string"), "\(error)")
        }
        try file.root.writeString("s", "text")
        XCTAssertThrowsError(try file.root.readDataset("s", as: Float.self)) { error in
            XCTAssertTrue("\(error)".contains("not numbers"), "\(error)")
        }
        XCTAssertThrowsError(try file.dataset("m/nope")) { error in
            XCTAssertEqual((error as? HDF5Error)?.objectPath, "/m/nope")
        }
        XCTAssertThrowsError(try file.root.writeDataset("a//b", [1] as [Float]))
        let group = try file.group("m")
        try file.close()
        XCTAssertFalse(file.isOpen)
        XCTAssertThrowsError(try group.children()) { error in
            XCTAssertTrue("\(error)".contains("file is closed"), "\(error)")
        }
        // The strong close degree released the file: it can be reopened read-write.
        let again = try HDF5File.open(url, mode: .readWrite)
        try again.root.setAttribute("reopened", Int64(1))
        XCTAssertEqual(try again.root.readDataset("m/x", as: Float.self).values, [1, 2])
    }

    func testConcurrentUseIsSerialized() throws {
        let url = directory.appendingPathComponent("threads.h5")
        let file = try HDF5File.create(at: url)
        DispatchQueue.concurrentPerform(iterations: 8) { worker in
            for index in 0..<20 {
                let values = (0..<100).map { Double(worker * 1000 + index + $0) }
                do {
                    try file.root.writeDataset("w\(worker)/d\(index)", values)
                } catch {
                    XCTFail("\(error)")
                }
            }
        }
        try file.close()
        let reader = try HDF5File.open(url)
        for worker in 0..<8 {
            XCTAssertEqual(try reader.group("w\(worker)").children().count, 20)
            XCTAssertEqual(try reader.root.readDataset("w\(worker)/d7", as: Double.self).values[0],
                           Double(worker * 1000 + 7))
        }
    }
}
