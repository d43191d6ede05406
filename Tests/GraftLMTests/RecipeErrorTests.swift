import Foundation
import GraftLM
import XCTest

/// Every way a recipe file can be wrong gives an error with its place, key path, allowed keys
/// and a suggestion, before any training.
final class RecipeErrorTests: XCTestCase {
    typealias S = RecipeTestSupport

    func testUnknownKeyInSectionFromFile() throws {
        let path = S.fixture("typo.yaml")
        XCTAssertThrowsError(try Recipe.load(path: path, environment: S.environment)) { error in
            let e = error as! RecipeError
            XCTAssertEqual(e.kind, .unknownKey)
            XCTAssertEqual(e.location, .file(path: path, line: 7, column: 3))
            XCTAssertEqual(e.keyPath, "lora.alpah")
            XCTAssertEqual(e.allowedKeys, ["rank", "alpha", "dropout", "targets", "layers", "dora"])
            XCTAssertEqual(e.suggestion, "alpha")
            XCTAssertEqual(e.description, "\(path):7:3: error: lora.alpah: unknown key; allowed keys in lora: "
                + "rank, alpha, dropout, targets, layers, dora; did you mean 'alpha'?")
        }
    }

    func testUnknownTopLevelKey() {
        let e = S.error(S.yaml("\nlorra:\n  rank: 4\n"))
        XCTAssertEqual(e?.location, .file(path: "r.yaml", line: 6, column: 1))
        XCTAssertEqual(e?.keyPath, "lorra")
        XCTAssertEqual(e?.suggestion, "lora")
        XCTAssertEqual(e?.allowedKeys, ["model", "data", "lora", "optimizer", "schedule", "train", "eval", "checkpoint", "report"])
        XCTAssertTrue(e?.description.contains("r.yaml:6:1: error: lorra: unknown key; allowed keys at the top level: model, data,") == true)
    }

    /// Third level (model.quantize), with a synonym other tools use.
    func testUnknownKeyInSubsection() {
        let e = S.error("data:\n  dir: d\nmodel:\n  path: m\n  quantize:\n    bits: 4\n    q_group_size: 64\n")
        XCTAssertEqual(e?.kind, .unknownKey)
        XCTAssertEqual(e?.location, .file(path: "r.yaml", line: 7, column: 5))
        XCTAssertEqual(e?.keyPath, "model.quantize.q_group_size")
        XCTAssertEqual(e?.allowedKeys, ["bits", "group_size"])
        XCTAssertEqual(e?.suggestion, "group_size")
        XCTAssertTrue(e?.description.hasSuffix("allowed keys in model.quantize: bits, group_size; did you mean 'group_size'?") == true)
    }

    /// Names from mlx-lm / Hugging Face map to Graft's keys; unrelated names get no suggestion.
    func testSynonymsAndNoSuggestion() {
        XCTAssertEqual(S.error(S.yaml("optimizer:\n  learning_rate: 1e-4\n"))?.suggestion, "lr")
        XCTAssertEqual(S.error(S.yaml("schedule:\n  warmup_steps: 10\n"))?.suggestion, "warmup")
        XCTAssertEqual(S.error(S.yaml("train:\n  batchsize: 8\n"))?.suggestion, "batch_size")
        XCTAssertEqual(S.error(S.yaml("train:\n  iter: 8\n"))?.suggestion, "iters")
        let none = S.error(S.yaml("train:\n  colour: blue\n"))
        XCTAssertEqual(none?.kind, .unknownKey)
        XCTAssertNil(none?.suggestion)
        XCTAssertFalse(none?.description.contains("did you mean") ?? true)
    }

    func testWrongTypes() {
        let word = S.error(S.yaml("lora:\n  rank: eight\n"))
        XCTAssertEqual(word?.kind, .wrongType)
        XCTAssertEqual(word?.location, .file(path: "r.yaml", line: 6, column: 9))
        XCTAssertEqual(word?.description, "r.yaml:6:9: error: lora.rank: expected an integer, got 'eight'")
        let quoted = S.error(S.yaml("lora:\n  rank: \"8\"\n"))
        XCTAssertEqual(quoted?.message, "expected an integer, got the quoted string \"8\"")
        let fraction = S.error(S.yaml("train:\n  batch_size: 2.5\n"))
        XCTAssertEqual(fraction?.message, "expected an integer, got '2.5'")
        let flag = S.error(S.yaml("lora:\n  dora: yes\n"))
        XCTAssertEqual(flag?.message, "expected true or false, got 'yes'")
        let list = S.error(S.yaml("optimizer:\n  lr: [1, 2]\n"))
        XCTAssertEqual(list?.message, "expected a number, got a list")
        let empty = S.error(S.yaml("optimizer:\n  lr:\n"))
        XCTAssertEqual(empty?.message, "expected a number, got no value (null)")
        let section = S.error(S.yaml("lora: 8\n"))
        XCTAssertEqual(section?.kind, .wrongType)
        XCTAssertEqual(section?.keyPath, "lora")
        XCTAssertEqual(section?.message, "expected a mapping with keys rank, alpha, dropout, targets, layers, dora, got '8'")
        let root = S.error("- a\n- b\n")
        XCTAssertEqual(root?.keyPath, "")
        XCTAssertEqual(root?.location, .file(path: "r.yaml", line: 1, column: 1))
        let pair = S.error(S.yaml("optimizer:\n  betas: [0.9]\n"))
        XCTAssertEqual(pair?.message, "expected a list of two numbers, like [0.9, 0.999], got a list")
    }

    func testOutOfRangeValues() {
        let rank = S.error(S.yaml("lora:\n  rank: 0\n"))
        XCTAssertEqual(rank?.kind, .invalidValue)
        XCTAssertEqual(rank?.description, "r.yaml:6:9: error: lora.rank: must be at least 1, got 0")
        let lr = S.error(S.yaml("optimizer:\n  lr: -1e-4\n"))
        XCTAssertEqual(lr?.description, "r.yaml:6:7: error: optimizer.lr: must be greater than 0, got -0.0001")
        XCTAssertEqual(S.error(S.yaml("lora:\n  dropout: 1\n"))?.message, "must be less than 1, got 1")
        XCTAssertEqual(S.error("model:\n  path: m\n  quantize: {bits: 3}\ndata:\n  dir: d\n")?.message, "must be one of 4, 8, got 3")
        let beta = S.error(S.yaml("optimizer:\n  betas: [0.9, 1.5]\n"))
        XCTAssertEqual(beta?.location, .file(path: "r.yaml", line: 6, column: 16))
        XCTAssertEqual(beta?.message, "each value must be less than 1, got 1.5")
        XCTAssertEqual(S.error(S.yaml("lora:\n  layers: 0\n"))?.message, "must be at least 1 or 'all', got 0")
        XCTAssertEqual(S.error(S.yaml("optimizer:\n  lr: .nan\n"))?.kind, .wrongType)
    }

    func testChoices() {
        let name = S.error(S.yaml("optimizer:\n  name: adamm\n"))
        XCTAssertEqual(name?.description, "r.yaml:6:9: error: optimizer.name: 'adamm' is not one of adamw, adam, sgd; did you mean 'adamw'?")
        let target = S.error(S.yaml("lora:\n  targets:\n    - q\n    - gate_proj\n"))
        XCTAssertEqual(target?.location, .file(path: "r.yaml", line: 8, column: 7))
        XCTAssertEqual(target?.suggestion, "gate")
        XCTAssertEqual(S.error(S.yaml("lora:\n  targets: [q, q]\n"))?.message, "lists 'q' twice")
        XCTAssertEqual(S.error(S.yaml("lora:\n  targets: []\n"))?.message, "must name at least one of q, k, v, o, gate, up, down")
        XCTAssertEqual(S.error(S.yaml("schedule:\n  name: cosine_decay\n"))?.suggestion, "cosine")
    }

    func testItersAndEpochsTogether() {
        let e = S.error(S.yaml("train:\n  iters: 100\n  batch_size: 2\n  epochs: 2\n"))
        XCTAssertEqual(e?.kind, .conflict)
        XCTAssertEqual(e?.location, .file(path: "r.yaml", line: 8, column: 3))
        XCTAssertEqual(e?.keyPath, "train.epochs")
        XCTAssertEqual(e?.message, "set either train.iters or train.epochs, not both (train.iters is set at r.yaml:6:3)")
    }

    func testSettingsThatDoNotApply() {
        let momentum = S.error(S.yaml("optimizer:\n  momentum: 0.9\n"))
        XCTAssertEqual(momentum?.kind, .conflict)
        XCTAssertEqual(momentum?.message, "applies only to sgd (optimizer.name is adamw)")
        let betas = S.error(S.yaml("optimizer:\n  name: sgd\n  betas: [0.9, 0.99]\n"))
        XCTAssertEqual(betas?.location, .file(path: "r.yaml", line: 7, column: 3))
        XCTAssertEqual(betas?.message, "applies only to adam and adamw (optimizer.name is sgd)")
        XCTAssertEqual(S.error(S.yaml("optimizer:\n  name: adam\n  weight_decay: 0.01\n"))?.message,
                       "adam has no weight decay; use name: adamw for decoupled weight decay")
        XCTAssertEqual(S.error(S.yaml("schedule:\n  min_lr: 0\n"))?.message,
                       "applies only to the cosine and linear schedules (schedule.name is constant)")
        let both = S.error(S.yaml("schedule:\n  name: cosine\n  min_lr_ratio: 0.1\n  min_lr: 1e-6\n"))
        XCTAssertEqual(both?.keyPath, "schedule.min_lr")
        XCTAssertEqual(S.error(S.yaml("schedule:\n  name: cosine\n  min_lr: 1\n"))?.message, "1 exceeds optimizer.lr (0.0001)")
        XCTAssertEqual(S.error(S.yaml("train:\n  iters: 10\nschedule:\n  warmup: 11\n"))?.message,
                       "11 warmup steps do not fit in train.iters (10)")
        XCTAssertEqual(S.error("model:\n  path: m\ndata:\n  dir: d\n  format: text\n  mask_prompt: true\n")?.kind, .conflict)
    }

    func testMissingRequiredKeys() {
        let noModel = S.error("data:\n  dir: d\n")
        XCTAssertEqual(noModel?.kind, .missingKey)
        XCTAssertEqual(noModel?.location, .wholeFile(path: "r.yaml"))
        XCTAssertEqual(noModel?.description, "r.yaml: error: model.path: required key is missing (write it under model: or pass --set model.path=…)")
        let noDir = S.error("model:\n  path: m\ndata:\n  format: chat\n")
        XCTAssertEqual(noDir?.keyPath, "data.dir")
        XCTAssertEqual(noDir?.location, .file(path: "r.yaml", line: 3, column: 1))
        XCTAssertEqual(S.error("")?.keyPath, "model.path")
    }

    func testSyntaxErrorsAndDuplicates() {
        let bad = S.error(S.yaml("lora:\n  rank: [8\n"))
        XCTAssertEqual(bad?.kind, .syntax)
        if case .file(let file, let line, _)? = bad?.location {
            XCTAssertEqual(file, "r.yaml")
            XCTAssertGreaterThanOrEqual(line, 6)
        } else {
            XCTFail("syntax error without a line: \(String(describing: bad))")
        }
        XCTAssertTrue(bad?.message.hasPrefix("invalid YAML: ") == true)
        let duplicate = S.error(S.yaml("lora:\n  rank: 8\n  rank: 4\n"))
        XCTAssertEqual(duplicate?.kind, .syntax)
        XCTAssertEqual(duplicate?.message, "a mapping repeats the key(s) 'rank'")
        XCTAssertEqual(S.error(S.yaml("lora:\n  [a]: 1\n"))?.kind, .wrongType)
    }

    func testUnreadableFile() {
        XCTAssertThrowsError(try Recipe.load(path: "/nonexistent/recipe.yaml")) { error in
            XCTAssertEqual(String(describing: error), "/nonexistent/recipe.yaml: error: recipe no such file")
        }
    }

    func testUnsetEnvironmentVariable() {
        let e = S.error("model:\n  path: ${MODELS}/m.gguf\ndata:\n  dir: d\n")
        XCTAssertEqual(e?.kind, .invalidValue)
        XCTAssertEqual(e?.message, "environment variable MODELS is not set (write ${MODELS:-default} to give a default)")
    }
}
