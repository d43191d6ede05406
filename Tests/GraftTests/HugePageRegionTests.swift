import Foundation
import Graft
import XCTest

/// `Allocator.withHugePageRegion`: buffers made inside are laid out back to back in one region
/// backed by transparent huge pages (checked in the kernel's own accounting, /proc/self/smaps).
final class HugePageRegionTests: XCTestCase {
    func address(_ t: Tensor) -> Int { Int(bitPattern: t.node.buffer!.data) }

    func testBuffersAreBackToBackInCreationOrderAndKeepTheirValues() throws {
        let sizes = [576, 7, 100_000, 64, 1]
        let before = Allocator.activeBytes
        var tensors: [Tensor] = []
        Allocator.withHugePageRegion(reserving: 1 << 20) {
            for (i, n) in sizes.enumerated() { tensors.append(Tensor((0..<n).map { Float($0 + i) })) }
        }
        var expected = address(tensors[0])
        for (i, t) in tensors.enumerated() {
            XCTAssertEqual(address(t), expected, "tensor \(i) follows the previous one (64-byte aligned)")
            XCTAssertEqual(address(t) % 64, 0)
            expected = (address(t) + sizes[i] * 4 + 63) & ~63
            XCTAssertEqual(t.toArray(), (0..<sizes[i]).map { Float($0 + i) })
        }
        XCTAssertEqual(Allocator.activeBytes - before, sizes.reduce(0) { $0 + $1 * 4 }, "region buffers count as active")
        let outside = Tensor([Float](repeating: 1, count: 1000))
        XCTAssertFalse((address(tensors[0])..<expected).contains(address(outside)), "made after the scope: not in the region")
        let withBoth = Allocator.activeBytes
        tensors.removeAll()
        XCTAssertEqual(withBoth - Allocator.activeBytes, sizes.reduce(0) { $0 + $1 * 4 }, "released region buffers are no longer counted")
        _ = outside
    }

    func testBuffersThatDoNotFitAreAllocatedAsUsual() throws {
        var inside: [Tensor] = []
        Allocator.withHugePageRegion(reserving: 1 << 20) {
            // The region is rounded up to 2 MB: the third 1 MB buffer no longer fits.
            for i in 0..<3 { inside.append(Tensor([Float](repeating: Float(i), count: 1 << 18))) }
        }
        XCTAssertEqual(address(inside[1]), address(inside[0]) + (1 << 20))
        XCTAssertNotEqual(address(inside[2]), address(inside[1]) + (1 << 20))
        XCTAssertEqual(inside[2].toArray().reduce(0, +), Float(2 << 18))
    }

    func testRegionUsesHugePagesWhereTheKernelOffersThem() throws {
        let mode = (try? String(contentsOfFile: "/sys/kernel/mm/transparent_hugepage/enabled", encoding: .utf8)) ?? ""
        guard mode.contains("[always]") || mode.contains("[madvise]") else {
            throw XCTSkip("transparent huge pages are off here (\(mode.trimmingCharacters(in: .whitespacesAndNewlines)))")
        }
        var weights: Tensor?
        Allocator.withHugePageRegion(reserving: 8 << 20) {
            weights = Tensor([Float](repeating: 0.5, count: 1 << 20))  // 4 MB: at least one whole 2 MB page
        }
        let start = address(weights!)
        // The smaps entry of the mapping that holds the buffer reports its huge pages.
        // (proc files report size 0: read to the end rather than by size)
        let handle = try XCTUnwrap(FileHandle(forReadingAtPath: "/proc/self/smaps"))
        let smaps = String(decoding: handle.readDataToEndOfFile(), as: UTF8.self)
        try handle.close()
        var inMapping = false, hugeKB: Int?
        for line in smaps.split(separator: "\n") {
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            if let range = fields.first, range.contains("-"), fields.count >= 5 {
                let bounds = range.split(separator: "-").compactMap { Int($0, radix: 16) }
                inMapping = bounds.count == 2 && (bounds[0]..<bounds[1]).contains(start)
            } else if inMapping, fields.first == "AnonHugePages:" {
                hugeKB = Int(fields[1])
            }
        }
        XCTAssertNotNil(hugeKB, "no smaps entry holds the region")
        XCTAssertGreaterThanOrEqual(hugeKB ?? 0, 2048, "the region's written pages are not huge pages")
    }
}
