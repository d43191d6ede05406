import Foundation
import GraftLM
import XCTest

/// `--set key.path=value` overrides: typed by the same schema, with the same errors naming the
/// `--set` argument.
final class RecipeOverrideTests: XCTestCase {
    typealias S = RecipeTestSupport

    func load(_ overrides: [String]) throws -> Recipe {
        try Recipe.load(path: S.fixture("full.yaml"), overrides: overrides, environment: S.environment)
    }

    func testOverridesReplaceFileValues() throws {
        let r = try load(["lora.rank=16", "optimizer.lr=2e-4", "lora.targets=[q, v]", "train.grad_clip=null",
                          "eval.batches=all", "lora.layers=4", "data.format=completions", "lora.dora=false",
                          "checkpoint.dir=out dir/x", "train.length_window=1"])
        XCTAssertEqual(r.lora.rank, 16)
        XCTAssertEqual(r.lora.scale, 32.5 / 16)
        XCTAssertEqual(r.optimizer.lr, 2e-4)
        XCTAssertEqual(r.lora.targets, [.q, .v])
        XCTAssertNil(r.train.gradClip)
        XCTAssertNil(r.eval.batches)
        XCTAssertEqual(r.lora.layers, .top(4))
        XCTAssertEqual(r.data.format, .completions)
        XCTAssertFalse(r.lora.dora)
        XCTAssertEqual(r.checkpoint.dir, "out dir/x")
        XCTAssertEqual(r.train.lengthWindow, 1)
        XCTAssertEqual(try load([]).train.lengthWindow, BatchIterator.defaultWindowBatches)
        XCTAssertThrowsError(try load(["train.length_window=0"]))
        XCTAssertEqual(r.overrides.count, 10)
    }

    /// A later override wins; overriding epochs with iters is a conflict unless epochs is
    /// cleared; a subsection can be switched off or on.
    func testOrderAndSections() throws {
        XCTAssertEqual(try load(["lora.rank=2", "lora.rank=3"]).lora.rank, 3)
        XCTAssertNil(try load(["model.quantize=null"]).model.quantize)
        let minimal = S.fixture("minimal.yaml")
        let quantized = try Recipe.load(path: minimal, overrides: ["model.quantize.bits=8"], environment: S.environment)
        XCTAssertEqual(quantized.model.quantize, Recipe.Quantization(bits: 8, groupSize: 64))
        let section = try Recipe.load(path: minimal, overrides: ["lora={rank: 2, alpha: 4}"], environment: S.environment)
        XCTAssertEqual(section.lora.rank, 2)
        XCTAssertEqual(section.lora.scale, 2)
        let conflict = S.error(try! String(contentsOfFile: S.fixture("full.yaml"), encoding: .utf8),
                               source: "full.yaml", overrides: ["train.iters=10"])
        XCTAssertEqual(conflict?.kind, .conflict)
        XCTAssertEqual(conflict?.location, .override("train.iters=10"))
        XCTAssertEqual(conflict?.keyPath, "train.iters")
        XCTAssertEqual(conflict?.message, "set either train.iters or train.epochs, not both (train.epochs is set at full.yaml:31:3)")
    }

    func testUnknownOverridePath() {
        let e = S.error(S.yaml(""), overrides: ["lora.rnak=4"])
        XCTAssertEqual(e?.kind, .unknownKey)
        XCTAssertEqual(e?.location, .override("lora.rnak=4"))
        XCTAssertEqual(e?.description, "--set lora.rnak=4: error: lora.rnak: unknown key; allowed keys in lora: "
            + "rank, alpha, dropout, targets, layers, dora; did you mean 'rank'?")
        let top = S.error(S.yaml(""), overrides: ["optimiser.lr=1"])
        XCTAssertEqual(top?.keyPath, "optimiser")
        XCTAssertEqual(top?.suggestion, "optimizer")
        let deep = S.error(S.yaml(""), overrides: ["lora.rank.value=4"])
        XCTAssertEqual(deep?.kind, .badOverride)
        XCTAssertEqual(deep?.message, "lora.rank is a value, it has no keys")
    }

    func testBadOverrideValues() {
        let type = S.error(S.yaml(""), overrides: ["lora.rank=big"])
        XCTAssertEqual(type?.description, "--set lora.rank=big: error: lora.rank: expected an integer, got 'big'")
        let range = S.error(S.yaml(""), overrides: ["optimizer.lr=-1"])
        XCTAssertEqual(range?.description, "--set optimizer.lr=-1: error: optimizer.lr: must be greater than 0, got -1")
        let empty = S.error(S.yaml(""), overrides: ["lora.rank="])
        XCTAssertEqual(empty?.message, "expected an integer, got no value (null)")
        let syntax = S.error(S.yaml(""), overrides: ["lora.targets=[q, v"])
        XCTAssertEqual(syntax?.kind, .syntax)
        XCTAssertEqual(syntax?.location, .override("lora.targets=[q, v"))
        XCTAssertEqual(syntax?.keyPath, "lora.targets")
    }

    func testMalformedOverrides() {
        let noEquals = S.error(S.yaml(""), overrides: ["lora.rank"])
        XCTAssertEqual(noEquals?.description, "--set lora.rank: error: expected key.path=value, like lora.rank=16")
        XCTAssertEqual(S.error(S.yaml(""), overrides: ["lora..rank=3"])?.kind, .badOverride)
        XCTAssertEqual(S.error(S.yaml(""), overrides: ["=3"])?.kind, .badOverride)
    }
}

extension RecipeOverrideTests {
    /// Cross-key rules see the overridden values: lowering lr under the file's min_lr fails.
    func testRulesApplyAfterOverrides() {
        let yaml = try! String(contentsOfFile: S.fixture("full.yaml"), encoding: .utf8)
        let e = S.error(yaml, source: "full.yaml", overrides: ["optimizer.lr=2e-5"])
        XCTAssertEqual(e?.description, "full.yaml:29:3: error: schedule.min_lr: 3e-05 exceeds optimizer.lr (2e-05)")
    }
}
