import Graft
import GraftLM
import XCTest

final class MLPDemoTests: XCTestCase {
    /// The demo really learns: loss falls and held-in accuracy rises far above chance (1/3).
    func testLossFallsAndAccuracyRises() {
        var demo = MLPDemo()
        demo.steps = 400
        var reports: [MLPDemo.Report] = []
        demo.run(every: 50) { reports.append($0) }
        XCTAssertEqual(reports.count, 8)
        let first = reports.first!, last = reports.last!
        XCTAssertLessThan(last.loss, first.loss * 0.6, "loss \(first.loss) → \(last.loss)")
        XCTAssertGreaterThan(last.accuracy, 0.85, "accuracy \(last.accuracy)")
    }
}
