import Foundation
import GraftLM
import GraftOptim
import XCTest

/// Valid recipes parse to the values written in them, and to the documented defaults otherwise.
final class RecipeParsingTests: XCTestCase {
    let env = RecipeTestSupport.environment

    func testEveryKeySet() throws {
        let r = try Recipe.load(path: RecipeTestSupport.fixture("full.yaml"), environment: env)
        XCTAssertEqual(r.name, "full")
        XCTAssertEqual(r.model.path, "/models/base.gguf")
        XCTAssertEqual(r.model.quantize, Recipe.Quantization(bits: 8, groupSize: 32))
        XCTAssertEqual(r.data.dir, "data/chat")
        XCTAssertEqual(r.data.format, .chat)
        XCTAssertTrue(r.data.maskPrompt)
        XCTAssertEqual(r.lora.rank, 4)
        XCTAssertEqual(r.lora.alpha, 32.5)
        XCTAssertEqual(r.lora.scale, 32.5 / 4)
        XCTAssertEqual(r.lora.dropout, 0.05)
        XCTAssertEqual(r.lora.targets, [.q, .v, .down], "targets come back in block order")
        XCTAssertEqual(r.lora.layers, .all)
        XCTAssertTrue(r.lora.dora)
        XCTAssertEqual(r.optimizer.name, .adamw)
        XCTAssertEqual(r.optimizer.lr, 3e-4)
        XCTAssertEqual(r.optimizer.beta1, 0.8)
        XCTAssertEqual(r.optimizer.beta2, 0.95)
        XCTAssertEqual(r.optimizer.eps, 1e-6)
        XCTAssertEqual(r.optimizer.weightDecay, 0.1)
        XCTAssertFalse(r.optimizer.biasCorrection)
        XCTAssertEqual(r.schedule.name, .linear)
        XCTAssertEqual(r.schedule.warmup, 20)
        XCTAssertEqual(r.schedule.warmupInit, 1e-5)
        XCTAssertEqual(r.schedule.minLR, 3e-5)
        XCTAssertEqual(r.train.length, .epochs(3))
        XCTAssertEqual(r.train.batchSize, 2)
        XCTAssertEqual(r.train.maxSeqLength, 512)
        XCTAssertEqual(r.train.seed, 42)
        XCTAssertEqual(r.train.gradAccumulation, 8)
        XCTAssertEqual(r.train.gradClip, 1.0)
        XCTAssertEqual(r.eval.every, 25)
        XCTAssertEqual(r.eval.batches, 10)
        XCTAssertEqual(r.checkpoint, Recipe.CheckpointSection(dir: "runs/full", every: 40, keepLast: 0, keepBest: false))
        XCTAssertEqual(r.report.every, 5)
    }

    /// Only the required keys: everything else is the documented default.
    func testDefaults() throws {
        let r = try Recipe.load(path: RecipeTestSupport.fixture("minimal.yaml"), environment: env)
        XCTAssertEqual(r.name, "minimal")
        XCTAssertNil(r.model.quantize)
        XCTAssertEqual(r.data.format, .auto)
        XCTAssertFalse(r.data.maskPrompt)
        XCTAssertEqual(r.lora.rank, 8)
        XCTAssertEqual(r.lora.alpha, 16)
        XCTAssertEqual(r.lora.scale, 2)
        XCTAssertEqual(r.lora.dropout, 0)
        XCTAssertEqual(r.lora.targets, Recipe.LoRATarget.allCases)
        XCTAssertEqual(r.lora.layers, .top(16))
        XCTAssertFalse(r.lora.dora)
        XCTAssertEqual(r.optimizer, Recipe.OptimizerSection(name: .adamw, lr: 1e-4, beta1: 0.9, beta2: 0.999, eps: 1e-8,
                                                            weightDecay: 0.01, biasCorrection: true, momentum: 0))
        XCTAssertEqual(r.schedule, Recipe.ScheduleSection(name: .constant, warmup: 0, warmupInit: 0, minLR: 1e-4))
        XCTAssertEqual(r.train, Recipe.TrainSection(length: .iters(1000), batchSize: 4, maxSeqLength: 2048, seed: 0,
                                                    gradAccumulation: 1, gradClip: nil))
        XCTAssertEqual(r.eval, Recipe.EvalSection(every: 200, batches: 25))
        XCTAssertEqual(r.checkpoint, Recipe.CheckpointSection(dir: "checkpoints/minimal", every: 100, keepLast: 3, keepBest: true))
        XCTAssertEqual(r.report.every, 10)
    }

    func testSGDRecipe() throws {
        let r = try Recipe.load(path: RecipeTestSupport.fixture("sgd.yaml"), environment: env)
        XCTAssertEqual(r.optimizer.name, .sgd)
        XCTAssertEqual(r.optimizer.momentum, 0.9)
        XCTAssertEqual(r.optimizer.weightDecay, 0.0005)
        XCTAssertNil(r.train.gradClip, "grad_clip: null turns clipping off")
        let optimizer = try XCTUnwrap(r.makeOptimizer() as? SGD)
        XCTAssertEqual(optimizer.momentum, 0.9)
        XCTAssertEqual(optimizer.weightDecay, 0.0005)
        XCTAssertEqual(optimizer.learningRate, 0.05)
        let schedule = r.makeSchedule(totalUpdates: r.totalUpdates())
        XCTAssertEqual(schedule.decay, .constant)
        XCTAssertEqual(schedule.peak, 0.05)
        XCTAssertEqual(schedule.warmupSteps, 5)
        XCTAssertEqual(schedule.warmupInit, 0.01)
        XCTAssertEqual(schedule.learningRate(at: 0), 0.01)
        XCTAssertEqual(schedule.learningRate(at: 29), 0.05)
    }

    /// Yams' YAML 1.1 rules would read `1e-4` as a string; the schema reads it as a number. A
    /// quoted string stays a string, an integer is a number where a number is expected.
    func testNumbersAreTypedBySchema() throws {
        let r = try Recipe.parse(yaml: RecipeTestSupport.yaml("optimizer:\n  lr: 1e-4\n  eps: 1\nlora:\n  alpha: 8\n"),
                                 source: "n.yaml", environment: env)
        XCTAssertEqual(r.optimizer.lr, 1e-4)
        XCTAssertEqual(r.optimizer.eps, 1)
        XCTAssertEqual(r.lora.alpha, 8)
        let paths = try Recipe.parse(yaml: "model:\n  path: \"123\"\ndata:\n  dir: 'x y'\n", source: "p.yaml", environment: env)
        XCTAssertEqual(paths.model.path, "123")
        XCTAssertEqual(paths.data.dir, "x y")
    }

    func testPathExpansion() throws {
        let yaml = "model:\n  path: ${GRAFT_CACHE:-~/.cache/graft}/models/m.gguf\ndata:\n  dir: ~/data/${NAME}\n"
        let withCache = try Recipe.parse(yaml: yaml, source: "e.yaml",
                                         environment: ["HOME": "/h", "GRAFT_CACHE": "/cache", "NAME": "sql"])
        XCTAssertEqual(withCache.model.path, "/cache/models/m.gguf")
        XCTAssertEqual(withCache.data.dir, "/h/data/sql")
        let withoutCache = try Recipe.parse(yaml: yaml, source: "e.yaml", environment: ["HOME": "/h", "NAME": "sql"])
        XCTAssertEqual(withoutCache.model.path, "/h/.cache/graft/models/m.gguf")
    }

    func testQuantizeGroup() throws {
        let on = try Recipe.parse(yaml: "model:\n  path: m.gguf\n  quantize: {bits: 4}\ndata:\n  dir: d\n",
                                  source: "q.yaml", environment: env)
        XCTAssertEqual(on.model.quantize, Recipe.Quantization(bits: 4, groupSize: 64))
        let off = try Recipe.parse(yaml: "model:\n  path: m.gguf\n  quantize:\ndata:\n  dir: d\n", source: "q.yaml", environment: env)
        XCTAssertNil(off.model.quantize)
    }

    /// The shipped quickstart parses to the values the task asks for.
    func testQuickstartRecipe() throws {
        let path = RecipeTestSupport.repositoryRoot.appendingPathComponent("recipes/quickstart.yaml").path
        let r = try Recipe.load(path: path, environment: ["HOME": "/home/u"])
        XCTAssertEqual(r.name, "quickstart")
        XCTAssertEqual(r.model.path, "/home/u/.cache/graft/models/SmolLM2-135M-Instruct.Q4_1.gguf")
        XCTAssertEqual(r.data.dir, "data/sql")
        XCTAssertEqual(r.lora.rank, 8)
        XCTAssertEqual(r.lora.alpha, 16)
        XCTAssertEqual(r.lora.targets, Recipe.LoRATarget.allCases)
        XCTAssertEqual(r.lora.layers, .top(16))
        XCTAssertEqual(r.optimizer.name, .adamw)
        XCTAssertEqual(r.optimizer.lr, 3e-4)
        XCTAssertEqual(r.train.length, .iters(200))
        XCTAssertEqual(r.train.batchSize, 4)
        XCTAssertEqual(r.train.maxSeqLength, 256)
        XCTAssertEqual(r.eval.every, 50)
        XCTAssertEqual(r.checkpoint.every, 100)
        let schedule = r.makeSchedule(totalUpdates: r.totalUpdates())
        XCTAssertEqual(schedule.learningRate(at: 0), 0)
        XCTAssertEqual(schedule.learningRate(at: 10), 3e-4)
        XCTAssertEqual(schedule.learningRate(at: 200), 3e-5, accuracy: 1e-18)
        let adamw = try XCTUnwrap(r.makeOptimizer() as? AdamW)
        XCTAssertTrue(adamw.biasCorrection)
        XCTAssertEqual(adamw.weightDecay, 0.01)
    }

    func testSummaryShowsResolvedValues() throws {
        let r = try Recipe.load(path: RecipeTestSupport.fixture("minimal.yaml"), overrides: ["lora.rank=4", "train.grad_clip=0.5"],
                                environment: env)
        let s = r.summary
        for part in ["minimal (", "--set lora.rank=4 --set train.grad_clip=0.5)",
                     "models/tiny.gguf, weights as stored in the file",
                     "rank 4, alpha 16 → scale 4 (alpha/rank)", "targets q k v o gate up down", "top 16 layers",
                     "adamw, lr 0.0001, betas [0.9, 0.999], eps 1e-08, weight_decay 0.01, bias_correction true",
                     "constant: 0.0001", "1000 iters, batch_size 4, max_seq_length 2048, seed 0",
                     "grad_accumulation 1 (effective batch 4), grad_clip 0.5", "every 200 steps, 25 batches",
                     "checkpoints/minimal, every 100 steps, keep_last 3, keep_best true", "report      every 10 steps"] {
            XCTAssertTrue(s.contains(part), "summary lacks '\(part)':\n\(s)")
        }
        XCTAssertEqual(s.split(separator: "\n").count, 10)
    }

    func testEpochUpdatesCount() throws {
        let r = try Recipe.load(path: RecipeTestSupport.fixture("full.yaml"), environment: env)
        // 3 epochs of 20 micro-batches, 8 per update: ⌈20/8⌉ = 3 updates per epoch.
        XCTAssertEqual(r.totalUpdates(microBatchesPerEpoch: 20), 9)
        let schedule = r.makeSchedule(totalUpdates: 9)
        XCTAssertEqual(schedule.warmupSteps, 9, "warmup is capped at the run's length")
    }
}
