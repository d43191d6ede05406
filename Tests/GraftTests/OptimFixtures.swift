import Foundation
import Graft
import GraftOptim
import XCTest

/// Reference runs from scripts/fixtures/optim_reference.py (torch 2.13.0, transformers 5.24.0,
/// mlx 0.32.4) in Fixtures/optim/.
enum OptimFixtures {
    struct OptimizerSpec: Decodable {
        let kind: String
        let lr: Double
        let beta1: Double?
        let beta2: Double?
        let eps: Double?
        let weight_decay: Double
        let bias_correction: Bool?
        let momentum: Double?
    }

    struct ScheduleSpec: Decodable {
        let name: String?
        let source: String?
        let decay: String
        let peak: Double
        let warmup_steps: Int
        let warmup_init: Double
        let total_steps: Int
        let minimum: Double
        let learning_rates: [Double]?
    }

    struct OptimizerRun: Decodable {
        let name: String
        let source: String
        let dtype: String
        let optimizer: OptimizerSpec
        let shapes: [String: [Int]]
        let initial: [String: [Double]]
        let gradients: [[String: [Double]]]
        let expected: [[String: [Double]]]
        let learning_rates: [Double]
        let clip_max_norm: Double?
        let grad_norms: [Double]?
        let schedule: ScheduleSpec?
    }

    struct ClipCase: Decodable {
        let name: String
        let dtype: String
        let max_norm: Double
        let shapes: [String: [Int]]
        let gradients: [String: [Double]]
        let norm: Double
        let clipped: [String: [Double]]
    }

    struct OptimizersFile: Decodable { let optimizer_runs: [OptimizerRun]; let clip: [ClipCase] }
    struct SchedulesFile: Decodable { let schedules: [ScheduleSpec] }

    static func load<T: Decodable>(_ name: String, as: T.Type) throws -> T {
        let url = Bundle.module.url(forResource: "Fixtures", withExtension: nil)!
            .appendingPathComponent("optim").appendingPathComponent(name)
        return try JSONDecoder().decode(T.self, from: Data(contentsOf: url))
    }

    static let optimizers: OptimizersFile = try! load("optimizers.json", as: OptimizersFile.self)
    static let schedules: SchedulesFile = try! load("schedules.json", as: SchedulesFile.self)

    static func dtype(_ name: String) -> DType { name == "float64" ? .float64 : .float32 }

    /// Tolerance the task sets for each dtype.
    static func tolerance(_ dtype: DType) -> Double { dtype == .float64 ? 1e-12 : 1e-6 }

    static func tensor(_ values: [Double], shape: [Int], dtype: DType) -> Tensor {
        dtype == .float64 ? Tensor(values, shape: shape) : Tensor(values.map { Float($0) }, shape: shape)
    }

    static func tree(_ values: [String: [Double]], shapes: [String: [Int]], dtype: DType) -> ParameterTree {
        ParameterTree(flattened: values.keys.sorted().map { ($0, tensor(values[$0]!, shape: shapes[$0]!, dtype: dtype)) })
    }

    static func schedule(_ spec: ScheduleSpec) -> LearningRateSchedule {
        LearningRateSchedule(decay: LearningRateSchedule.Decay(rawValue: spec.decay)!, peak: spec.peak,
                             warmupSteps: spec.warmup_steps, warmupInit: spec.warmup_init,
                             totalSteps: spec.total_steps, minimum: spec.minimum)
    }

    /// Largest absolute difference between a tensor and reference values.
    static func maxDifference(_ t: Tensor, _ expected: [Double]) -> Double {
        let got = t.toArray(as: Double.self)
        XCTAssertEqual(got.count, expected.count)
        return zip(got, expected).map { Swift.abs($0 - $1) }.max() ?? 0
    }
}
