/// The allowed shape of a recipe: every section, key and value type. Reading a YAML file and
/// applying `--set` overrides both go through it, so both give the same errors.
/// recipes/README.md documents each key (a test keeps the two in step).
indirect enum RecipeSchemaNode: Sendable {
    /// A mapping with exactly these keys (all optional here; required ones are checked later).
    case group([(name: String, node: RecipeSchemaNode)])
    /// A single value.
    case leaf(RecipeValueKind)

    /// Key names of a group, in documentation order.
    var keyNames: [String] {
        if case .group(let entries) = self { return entries.map(\.name) }
        return []
    }

    /// The child called `name` of a group.
    func child(_ name: String) -> RecipeSchemaNode? {
        if case .group(let entries) = self { return entries.first { $0.name == name }?.node }
        return nil
    }

    /// Every leaf key path below this node.
    func leafPaths(prefix: String = "") -> [String] {
        switch self {
        case .leaf: return [prefix]
        case .group(let entries):
            return entries.flatMap { $0.node.leafPaths(prefix: prefix.isEmpty ? $0.name : prefix + "." + $0.name) }
        }
    }
}

/// Bounds of a number; nil means unbounded on that side.
struct RecipeNumberRange: Sendable {
    var lower: Double?
    var lowerInclusive = true
    var upper: Double?
    var upperInclusive = true

    static let positive = RecipeNumberRange(lower: 0, lowerInclusive: false)
    static let nonNegative = RecipeNumberRange(lower: 0)
    static let unitInterval = RecipeNumberRange(lower: 0, upper: 1)
    static let unitHalfOpen = RecipeNumberRange(lower: 0, upper: 1, upperInclusive: false)

    /// Why `x` is out of range, or nil when it is inside.
    func violation(_ x: Double) -> String? {
        if let lower, lowerInclusive ? x < lower : x <= lower {
            return (lowerInclusive ? "must be at least " : "must be greater than ") + RecipeFormat.number(lower)
        }
        if let upper, upperInclusive ? x > upper : x >= upper {
            return (upperInclusive ? "must be at most " : "must be less than ") + RecipeFormat.number(upper)
        }
        return nil
    }
}

/// The type (and range) of one recipe value.
enum RecipeValueKind: Sendable {
    /// An integer in `min...max`.
    case integer(min: Int, max: Int = .max)
    /// One of a few integers.
    case integerChoice([Int])
    /// A finite number in a range (integers are accepted).
    case number(RecipeNumberRange)
    /// A number in a range, or null for "off".
    case optionalNumber(RecipeNumberRange)
    /// `true` or `false`.
    case boolean
    /// A non-empty string; `${VAR}`, `${VAR:-default}` and a leading `~` are expanded.
    case path
    /// One of a set of names (misspellings and `aliases` get a suggestion).
    case choice([String], aliases: [String: String])
    /// A non-empty list of distinct names from a set.
    case choiceList([String], aliases: [String: String])
    /// An integer ≥ `min`, or the word `all`.
    case integerOrAll(min: Int)
    /// A list of exactly two numbers in [0, 1).
    case unitPair

    /// How the expected type reads in an error message.
    var expectation: String {
        switch self {
        case .integer, .integerChoice: return "an integer"
        case .number: return "a number"
        case .optionalNumber: return "a number or null"
        case .boolean: return "true or false"
        case .path: return "a path (a string)"
        case .choice(let names, _): return "one of " + names.joined(separator: ", ")
        case .choiceList(let names, _): return "a list of names from " + names.joined(separator: ", ")
        case .integerOrAll: return "an integer or 'all'"
        case .unitPair: return "a list of two numbers, like [0.9, 0.999]"
        }
    }
}

/// The recipe schema.
enum RecipeSchema {
    static let targetNames = ["q", "k", "v", "o", "gate", "up", "down"]
    static let targetAliases: [String: String] = [
        "q_proj": "q", "k_proj": "k", "v_proj": "v", "o_proj": "o", "gate_proj": "gate", "up_proj": "up",
        "down_proj": "down", "self_attn.q_proj": "q", "self_attn.k_proj": "k", "self_attn.v_proj": "v",
        "self_attn.o_proj": "o", "mlp.gate_proj": "gate", "mlp.up_proj": "up", "mlp.down_proj": "down",
    ]

    static let root: RecipeSchemaNode = .group([
        ("model", .group([
            ("path", .leaf(.path)),
            ("quantize", .group([
                ("bits", .leaf(.integerChoice([4, 8]))),
                ("group_size", .leaf(.integerChoice([32, 64]))),
            ])),
        ])),
        ("data", .group([
            ("dir", .leaf(.path)),
            ("format", .leaf(.choice(["auto", "text", "completions", "chat"],
                                     aliases: ["completion": "completions", "prompt_completion": "completions",
                                               "messages": "chat"]))),
            ("mask_prompt", .leaf(.boolean)),
        ])),
        ("lora", .group([
            ("rank", .leaf(.integer(min: 1, max: 4096))),
            ("alpha", .leaf(.number(.positive))),
            ("dropout", .leaf(.number(.unitHalfOpen))),
            ("targets", .leaf(.choiceList(targetNames, aliases: targetAliases))),
            ("layers", .leaf(.integerOrAll(min: 1))),
            ("dora", .leaf(.boolean)),
        ])),
        ("optimizer", .group([
            ("name", .leaf(.choice(["adamw", "adam", "sgd"], aliases: ["adam_w": "adamw"]))),
            ("lr", .leaf(.number(.positive))),
            ("betas", .leaf(.unitPair)),
            ("eps", .leaf(.number(.positive))),
            ("weight_decay", .leaf(.number(.nonNegative))),
            ("bias_correction", .leaf(.boolean)),
            ("momentum", .leaf(.number(.unitHalfOpen))),
        ])),
        ("schedule", .group([
            ("name", .leaf(.choice(["constant", "cosine", "linear"],
                                   aliases: ["cosine_decay": "cosine", "linear_schedule": "linear"]))),
            ("warmup", .leaf(.integer(min: 0))),
            ("warmup_init", .leaf(.number(.nonNegative))),
            ("min_lr", .leaf(.number(.nonNegative))),
            ("min_lr_ratio", .leaf(.number(.unitInterval))),
        ])),
        ("train", .group([
            ("iters", .leaf(.integer(min: 1))),
            ("epochs", .leaf(.integer(min: 1))),
            ("batch_size", .leaf(.integer(min: 1))),
            ("max_seq_length", .leaf(.integer(min: 2))),
            ("seed", .leaf(.integer(min: 0))),
            ("grad_accumulation", .leaf(.integer(min: 1))),
            ("grad_clip", .leaf(.optionalNumber(.positive))),
            ("length_window", .leaf(.integer(min: 1))),
        ])),
        ("eval", .group([
            ("every", .leaf(.integer(min: 1))),
            ("batches", .leaf(.integerOrAll(min: 1))),
        ])),
        ("checkpoint", .group([
            ("dir", .leaf(.path)),
            ("every", .leaf(.integer(min: 1))),
            ("keep_last", .leaf(.integer(min: 0))),
            ("keep_best", .leaf(.boolean)),
        ])),
        ("report", .group([
            ("every", .leaf(.integer(min: 1))),
        ])),
    ])

    /// The schema node at a dotted path, or nil.
    static func node(at path: String) -> RecipeSchemaNode? {
        var node = root
        for part in path.split(separator: ".") {
            guard let next = node.child(String(part)) else { return nil }
            node = next
        }
        return node
    }
}

/// Number formatting shared by errors and the summary (shortest round-trip form).
enum RecipeFormat {
    static func number(_ x: Double) -> String {
        if x == x.rounded(), Swift.abs(x) < 1e15 { return String(Int(x)) }
        return "\(x)"
    }
}
