/// Nested parameters: dictionaries and lists of tensors, addressed by dotted key paths such as
/// `model.layers.3.self_attn.q_proj.lora_a` (list items are numbered).
public indirect enum ParameterTree: CustomStringConvertible {
    case tensor(Tensor)
    case dict([String: ParameterTree])
    case list([ParameterTree])

    /// An empty dictionary.
    public static var empty: ParameterTree { .dict([:]) }

    /// Every tensor with its key path, sorted by path (list indices numerically).
    public func flattened(prefix: String = "") -> [(path: String, tensor: Tensor)] {
        func join(_ key: String) -> String { prefix.isEmpty ? key : prefix + "." + key }
        switch self {
        case .tensor(let t): return [(prefix, t)]
        case .dict(let d):
            return d.keys.sorted().flatMap { d[$0]!.flattened(prefix: join($0)) }
        case .list(let l):
            return l.enumerated().flatMap { $0.element.flattened(prefix: join(String($0.offset))) }
        }
    }

    /// Rebuilds a tree of dictionaries from key paths (numeric components stay dictionary keys).
    public init(flattened items: [(String, Tensor)]) {
        var root = ParameterTree.dict([:])
        for (path, t) in items { root[path] = t }
        self = root
    }

    /// The tensor at a dotted key path, or nil.
    public subscript(path: String) -> Tensor? {
        get {
            if case .tensor(let t)? = subtree(path) { return t }
            return nil
        }
        set {
            let keys = path.split(separator: ".").map(String.init)
            self = ParameterTree.setting(self, keys[...], newValue)
        }
    }

    private static func setting(_ node: ParameterTree, _ keys: ArraySlice<String>, _ value: Tensor?) -> ParameterTree {
        guard let key = keys.first else { return value.map { .tensor($0) } ?? .dict([:]) }
        switch node {
        case .list(var l) where Int(key).map(l.indices.contains) == true:
            l[Int(key)!] = setting(l[Int(key)!], keys.dropFirst(), value)
            return .list(l)
        case .dict(var d):
            let child = d[key] ?? .dict([:])
            if keys.count == 1 && value == nil { d[key] = nil } else { d[key] = setting(child, keys.dropFirst(), value) }
            return .dict(d)
        default:
            return setting(.dict([:]), keys, value)
        }
    }

    /// The subtree at a dotted key path, or nil.
    public func subtree(_ path: String) -> ParameterTree? {
        var node = self
        for key in path.split(separator: ".").map(String.init) {
            switch node {
            case .dict(let d): guard let n = d[key] else { return nil }; node = n
            case .list(let l): guard let i = Int(key), l.indices.contains(i) else { return nil }; node = l[i]
            case .tensor: return nil
            }
        }
        return node
    }

    /// Applies `transform` to every tensor, keeping the structure.
    public func map(_ transform: (Tensor) -> Tensor) -> ParameterTree {
        switch self {
        case .tensor(let t): return .tensor(transform(t))
        case .dict(let d): return .dict(d.mapValues { $0.map(transform) })
        case .list(let l): return .list(l.map { $0.map(transform) })
        }
    }

    /// All tensors in key-path order.
    public var tensors: [Tensor] { flattened().map(\.tensor) }

    /// Total number of elements.
    public var parameterCount: Int { tensors.reduce(0) { $0 + $1.size } }

    public var description: String {
        flattened().map { "\($0.path): \($0.tensor.shape) \($0.tensor.dtype)" }.joined(separator: "\n")
    }
}
