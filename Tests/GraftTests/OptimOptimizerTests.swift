import Foundation
import Graft
import GraftOptim
import XCTest

/// Graft's AdamW / SGD / clipping against PyTorch (and MLX's bias-correction-free Adam), step by
/// step on the fixture's parameters and gradient sequences: 1e-6 in float32, 1e-12 in float64.
final class OptimOptimizerTests: XCTestCase {
    typealias Run = OptimFixtures.OptimizerRun

    static func makeOptimizer(_ spec: OptimFixtures.OptimizerSpec) -> any Optimizer {
        switch spec.kind {
        case "adamw", "adam":
            return AdamW(learningRate: spec.lr, beta1: spec.beta1!, beta2: spec.beta2!, eps: spec.eps!,
                         weightDecay: spec.weight_decay, biasCorrection: spec.bias_correction!)
        case "sgd":
            return SGD(learningRate: spec.lr, momentum: spec.momentum!, weightDecay: spec.weight_decay)
        default:
            fatalError("unknown optimizer kind \(spec.kind) in fixture")
        }
    }

    /// Replays one reference run; returns the largest parameter difference over all steps.
    @discardableResult
    func replay(_ run: Run, file: StaticString = #filePath, line: UInt = #line) -> Double {
        let dtype = OptimFixtures.dtype(run.dtype)
        let tolerance = OptimFixtures.tolerance(dtype)
        let optimizer = Self.makeOptimizer(run.optimizer)
        let schedule = run.schedule.map(OptimFixtures.schedule)
        var params = OptimFixtures.tree(run.initial, shapes: run.shapes, dtype: dtype)
        var worst = 0.0
        for (step, gradValues) in run.gradients.enumerated() {
            var grads = OptimFixtures.tree(gradValues, shapes: run.shapes, dtype: dtype)
            if let maxNorm = run.clip_max_norm {
                let (clipped, norm) = clipGradientNorm(grads, maxNorm: maxNorm)
                grads = clipped
                XCTAssertEqual(norm.item(Double.self), run.grad_norms![step], accuracy: tolerance * 4,
                               "\(run.name) step \(step + 1): gradient norm", file: file, line: line)
            }
            schedule?.apply(to: optimizer)
            XCTAssertEqual(optimizer.learningRate, run.learning_rates[step], accuracy: 1e-15,
                           "\(run.name) step \(step + 1): learning rate", file: file, line: line)
            params = optimizer.update(params, gradients: grads)
            eval(params.tensors + Array(optimizer.state.values))
            for (path, expected) in run.expected[step] {
                guard let t = params[path] else { XCTFail("\(run.name): no parameter \(path)", file: file, line: line); continue }
                XCTAssertEqual(t.dtype, dtype, file: file, line: line)
                let diff = OptimFixtures.maxDifference(t, expected)
                worst = Swift.max(worst, diff)
                XCTAssertLessThanOrEqual(diff, tolerance, "\(run.name) step \(step + 1) \(path)", file: file, line: line)
            }
        }
        XCTAssertEqual(optimizer.step, run.gradients.count, file: file, line: line)
        print("\(run.name) (\(run.source)): \(run.gradients.count) steps, max |Δ| = \(worst)")
        return worst
    }

    func runs(_ prefix: String) -> [Run] {
        let selected = OptimFixtures.optimizers.optimizer_runs.filter { $0.name.hasPrefix(prefix) }
        XCTAssertFalse(selected.isEmpty, "fixture has no runs named \(prefix)*")
        return selected
    }

    func testAdamWMatchesTorch() {
        for run in runs("adamw_f") + runs("adamw_betas_") { replay(run) }
    }

    func testAdamMatchesTorch() {
        for run in runs("adam_f") { replay(run) }
    }

    func testSGDWithMomentumAndWeightDecayMatchesTorch() {
        for run in runs("sgd_momentum_wd_") { replay(run) }
    }

    func testPlainSGDMatchesTorch() {
        for run in runs("sgd_plain_") { replay(run) }
    }

    func testAdamWWithClippingMatchesTorch() {
        for run in runs("adamw_clip_") { replay(run) }
    }

    /// AdamW driven by `LearningRateSchedule.apply(to:)` before each update reproduces AdamW
    /// under Hugging Face's cosine schedule stepped after each update (first update at lr 0).
    func testAdamWUnderCosineScheduleMatchesTorch() {
        for run in runs("adamw_hf_cosine_") { replay(run) }
    }

    /// MLX's default Adam/AdamW (no bias correction, formats.md §9.2) with `biasCorrection: false`.
    func testNoBiasCorrectionMatchesMLX() throws {
        let mlx = OptimFixtures.optimizers.optimizer_runs.filter { $0.name.hasPrefix("mlx_") }
        if mlx.isEmpty { throw XCTSkip("fixture was generated without mlx") }
        for run in mlx {
            XCTAssertEqual(run.optimizer.bias_correction, false)
            replay(run)
        }
    }

    /// The bias correction matters: replaying a torch run without it departs from the reference,
    /// so the comparisons above are sensitive to it.
    func testBiasCorrectionIsObservable() {
        let run = runs("adamw_f64")[0]
        let o = run.optimizer
        let variant = OptimFixtures.OptimizerSpec(kind: o.kind, lr: o.lr, beta1: o.beta1, beta2: o.beta2, eps: o.eps,
                                                  weight_decay: o.weight_decay, bias_correction: false, momentum: nil)
        let optimizer = Self.makeOptimizer(variant)
        let params = OptimFixtures.tree(run.initial, shapes: run.shapes, dtype: .float64)
        let grads = OptimFixtures.tree(run.gradients[0], shapes: run.shapes, dtype: .float64)
        let updated = optimizer.update(params, gradients: grads)
        let diff = OptimFixtures.maxDifference(updated["scale"]!, run.expected[0]["scale"]!)
        XCTAssertGreaterThan(diff, 1e-3)
    }

    func testClipGradientNormMatchesTorch() {
        let cases = OptimFixtures.optimizers.clip
        XCTAssertEqual(cases.count, 6)
        for c in cases {
            let dtype = OptimFixtures.dtype(c.dtype)
            let tolerance = OptimFixtures.tolerance(dtype)
            let grads = OptimFixtures.tree(c.gradients, shapes: c.shapes, dtype: dtype)
            let (clipped, norm) = clipGradientNorm(grads, maxNorm: c.max_norm)
            XCTAssertEqual(norm.item(Double.self), c.norm, accuracy: tolerance * 10, c.name)
            for (path, expected) in c.clipped {
                let diff = OptimFixtures.maxDifference(clipped[path]!, expected)
                XCTAssertLessThanOrEqual(diff, tolerance, "\(c.name) \(path)")
            }
        }
    }
}
