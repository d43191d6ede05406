import Foundation

/// A value seen by a chat template: the Python objects a Jinja template works on
/// (`None`, booleans, numbers, strings, lists, insertion-ordered dicts), plus Jinja's
/// `Undefined`, `namespace()` objects and callables.
public enum TemplateValue: Sendable {
    /// Jinja's default `Undefined`: prints empty, is falsy, fails on arithmetic and attribute access.
    /// The payload is the error message such a failure reports (e.g. `'x' is undefined`).
    case undefined(String)
    /// Python `None`.
    case none
    /// Python `bool`.
    case bool(Bool)
    /// Python `int` (64-bit here; overflow is an error).
    case int(Int)
    /// Python `float`.
    case double(Double)
    /// Python `str`.
    case string(String)
    /// Python `list` (also used for tuples).
    case array([TemplateValue])
    /// Python `dict` with string keys, in insertion order.
    case dictionary(TemplateDictionary)
    /// A `namespace()` object: attributes that `{% set ns.x = ... %}` can change inside loops.
    case namespace(TemplateNamespace)
    /// A function, method, or macro that the template can call.
    case callable(TemplateCallable)

    /// Whether this is Jinja's `Undefined`.
    public var isUndefined: Bool {
        if case .undefined = self { return true }
        return false
    }

    /// The string payload, if this is a string.
    public var stringValue: String? {
        if case .string(let s) = self { return s }
        return nil
    }

    /// The array payload, if this is a list.
    public var arrayValue: [TemplateValue]? {
        if case .array(let a) = self { return a }
        return nil
    }

    /// The dictionary payload, if this is a dict.
    public var dictionaryValue: TemplateDictionary? {
        if case .dictionary(let d) = self { return d }
        return nil
    }

    /// The Python type name of the value, for error messages.
    var typeName: String {
        switch self {
        case .undefined: return "Undefined"
        case .none: return "NoneType"
        case .bool: return "bool"
        case .int: return "int"
        case .double: return "float"
        case .string: return "str"
        case .array: return "list"
        case .dictionary: return "dict"
        case .namespace: return "Namespace"
        case .callable: return "function"
        }
    }
}

extension TemplateValue: ExpressibleByStringLiteral, ExpressibleByIntegerLiteral, ExpressibleByFloatLiteral,
    ExpressibleByBooleanLiteral, ExpressibleByArrayLiteral, ExpressibleByDictionaryLiteral, ExpressibleByNilLiteral
{
    /// A string value.
    public init(stringLiteral value: String) { self = .string(value) }
    /// An integer value.
    public init(integerLiteral value: Int) { self = .int(value) }
    /// A float value.
    public init(floatLiteral value: Double) { self = .double(value) }
    /// A boolean value.
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    /// A list value.
    public init(arrayLiteral elements: TemplateValue...) { self = .array(elements) }
    /// A dict value whose keys keep the literal's order.
    public init(dictionaryLiteral elements: (String, TemplateValue)...) {
        var dictionary = TemplateDictionary()
        for (key, value) in elements { dictionary[key] = value }
        self = .dictionary(dictionary)
    }
    /// Python `None`.
    public init(nilLiteral: ()) { self = .none }
}

/// An insertion-ordered dictionary with string keys, like a Python `dict` built from JSON.
public struct TemplateDictionary: Sendable {
    /// The keys in insertion order.
    public private(set) var keys: [String] = []
    private var storage: [String: TemplateValue] = [:]

    /// An empty dictionary.
    public init() {}

    /// A dictionary from key-value pairs, in the given order (a repeated key keeps its first position).
    public init(_ pairs: [(String, TemplateValue)]) {
        for (key, value) in pairs { self[key] = value }
    }

    /// The number of entries.
    public var count: Int { keys.count }

    /// The value for `key`, or nil. Setting a new key appends it; setting nil removes it.
    public subscript(key: String) -> TemplateValue? {
        get { storage[key] }
        set {
            if let newValue {
                if storage.updateValue(newValue, forKey: key) == nil { keys.append(key) }
            } else if storage.removeValue(forKey: key) != nil {
                keys.removeAll { $0 == key }
            }
        }
    }

    /// The entries in insertion order.
    public var entries: [(key: String, value: TemplateValue)] {
        keys.map { ($0, storage[$0]!) }
    }
}

/// The mutable attribute bag behind Jinja's `namespace()`.
///
/// A reference type on purpose: `{% set ns.x = 1 %}` inside a loop must be seen after the loop.
/// Only one render touches a given namespace, so it is safe to share across concurrency domains.
public final class TemplateNamespace: @unchecked Sendable {
    var attributes: TemplateDictionary

    init(_ attributes: TemplateDictionary) { self.attributes = attributes }
}

/// Something a template can call: a global function, a bound method, a macro or `loop.cycle`.
public struct TemplateCallable: Sendable {
    indirect enum Kind: Sendable {
        case global(String)
        case method(receiver: TemplateValue, name: String)
        case macro(TemplateMacro)
        case loopCycle(index0: Int)
    }

    let kind: Kind
}
