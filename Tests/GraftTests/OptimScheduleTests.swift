import Foundation
import Graft
import GraftOptim
import XCTest

/// Learning-rate schedules against the rate each update used in PyTorch: Hugging Face's
/// get_*_schedule_with_warmup (LambdaLR) and PyTorch's LinearLR / CosineAnnealingLR chained by
/// SequentialLR for warmups that start above 0. Within 1e-12.
final class OptimScheduleTests: XCTestCase {
    func testEveryScheduleMatchesReference() {
        let cases = OptimFixtures.schedules.schedules
        XCTAssertEqual(cases.count, 16)
        for spec in cases {
            let schedule = OptimFixtures.schedule(spec)
            let expected = spec.learning_rates!
            XCTAssertEqual(expected.count, spec.total_steps)
            for (step, lr) in expected.enumerated() {
                XCTAssertEqual(schedule.learningRate(at: step), lr, accuracy: 1e-12, "\(spec.name!) step \(step)")
            }
        }
    }

    /// Each decay shape is covered with and without warmup, and warmups from 0 and from above 0.
    func testFixtureCoversEveryShape() {
        let cases = OptimFixtures.schedules.schedules
        for decay in LearningRateSchedule.Decay.allCases {
            XCTAssertTrue(cases.contains { $0.decay == decay.rawValue && $0.warmup_steps == 0 }, "\(decay) without warmup")
            XCTAssertTrue(cases.contains { $0.decay == decay.rawValue && $0.warmup_init > 0 }, "\(decay) from warmup_init")
            XCTAssertTrue(cases.contains { $0.decay == decay.rawValue && $0.warmup_steps > 0 && $0.warmup_init == 0 })
        }
        XCTAssertTrue(cases.contains { $0.decay == "cosine" && $0.minimum > 0 })
        XCTAssertTrue(cases.contains { $0.decay == "linear" && $0.minimum > 0 })
    }

    /// With warmup, the first update uses the warmup's initial rate (0 by default, as in Hugging
    /// Face), the peak is reached at step W, and past the end the rate stays at the minimum.
    func testBoundaries() {
        let spec = OptimFixtures.schedules.schedules.first { $0.name == "hf_cosine_min_lr_w8_n60" }!
        let schedule = OptimFixtures.schedule(spec)
        XCTAssertEqual(schedule.learningRate(at: 0), spec.learning_rates![0])
        XCTAssertEqual(schedule.learningRate(at: 0), 0)
        XCTAssertEqual(schedule.learningRate(at: 8), spec.peak)
        for s in [60, 61, 100, 10_000] {
            XCTAssertEqual(schedule.learningRate(at: s), spec.minimum, accuracy: 1e-18, "step \(s)")
        }
        let linear = LearningRateSchedule.linear(peak: 1e-3, warmupSteps: 2, totalSteps: 10, minimum: 1e-4)
        XCTAssertEqual(linear.learningRate(at: 10), 1e-4, accuracy: 1e-18)
        XCTAssertEqual(linear.learningRate(at: 50), 1e-4, accuracy: 1e-18)
        XCTAssertEqual(LearningRateSchedule.constant(5e-4).learningRate(at: 0), 5e-4)
    }

    /// `apply(to:)` sets the rate for the optimizer's next update from its step count.
    func testApplySetsRateFromOptimizerStep() {
        let spec = OptimFixtures.schedules.schedules.first { $0.name == "hf_linear_w5_n40" }!
        let schedule = OptimFixtures.schedule(spec)
        let optimizer = SGD(learningRate: 123)
        var params = ParameterTree.dict(["w": .tensor(Tensor([1.0, 2.0]))])
        let grads = ParameterTree.dict(["w": .tensor(Tensor([0.0, 0.0]))])
        for k in 0..<12 {
            schedule.apply(to: optimizer)
            XCTAssertEqual(optimizer.learningRate, spec.learning_rates![k], accuracy: 1e-15, "update \(k + 1)")
            params = optimizer.update(params, gradients: grads)
        }
    }

    func testDescription() {
        let s = LearningRateSchedule.cosine(peak: 1e-4, warmupSteps: 10, totalSteps: 200)
        XCTAssertEqual(s.description, "cosine: warmup 10 steps from 0.0 to 0.0001, then to 0.0 at step 200")
    }
}
