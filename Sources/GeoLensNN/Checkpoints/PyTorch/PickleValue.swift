/// A value built by `SafeUnpickler`: plain data only, never a live Python object.
///
/// Containers are reference types: pickle fills lists and dicts after creating and memoizing them
/// (EMPTY_DICT, BINPUT, ..., SETITEMS), so every memo reference must see the items; and a
/// structure nested a million levels deep must be taken apart iteratively (`dismantle(_:)`)
/// rather than by recursive deinitialization, which would overflow the stack.
enum PickleValue {
    case none
    case bool(Bool)
    case int(Int64)
    /// An integer too large for Int64 (LONG1/LONG4), kept as its little-endian bytes.
    case bigInt([UInt8])
    case float(Double)
    case string(String)
    case bytes([UInt8])
    case tuple(PickleList)
    case list(PickleList)
    case dict(PickleDict)
    /// An allow-listed global (a callable or type), resolved but never executed.
    case global(AllowedGlobal)
    /// An inert instance of an allow-listed class (`argparse.Namespace`, `pathlib.PosixPath`, ...).
    case object(PickleObject)
    /// A PyTorch storage named by a persistent id.
    case storage(TorchStorageReference)
    /// A PyTorch tensor: a view of a storage.
    case tensor(TorchTensorReference)

    /// A short name of the kind of value, for error messages.
    var kind: String {
        switch self {
        case .none: return "None"
        case .bool: return "bool"
        case .int, .bigInt: return "int"
        case .float: return "float"
        case .string: return "str"
        case .bytes: return "bytes"
        case .tuple: return "tuple"
        case .list: return "list"
        case .dict: return "dict"
        case .global(let g): return "global \(g.qualifiedName)"
        case .object(let o): return "\(o.type.qualifiedName) object"
        case .storage: return "storage"
        case .tensor: return "tensor"
        }
    }

    /// The integer value, if this is a small integer (or a bool, as in Python).
    var intValue: Int? {
        switch self {
        case .int(let v): return Int(v)
        case .bool(let b): return b ? 1 : 0
        default: return nil
        }
    }

    /// The elements of a tuple or list.
    var sequence: [PickleValue]? {
        switch self {
        case .tuple(let list), .list(let list): return list.items
        default: return nil
        }
    }

    /// A one-line rendering of a scalar (nil for containers and tensors), used for metadata.
    var scalarText: String? {
        switch self {
        case .none: return "None"
        case .bool(let b): return b ? "True" : "False"
        case .int(let v): return String(v)
        case .float(let d): return String(d)
        case .string(let s): return s
        case .object(let o) where o.type == .posixPath:
            // PosixPath pickles its parts: ("/", "data", "tiles").
            return o.arguments.reduce("") { path, part in
                guard case .string(let s) = part else { return path }
                return path.isEmpty || path.hasSuffix("/") ? path + s : path + "/" + s
            }
        default: return nil
        }
    }

    /// Empties every container reachable from `roots` with an explicit work list, so releasing
    /// them afterwards frees one level at a time whatever the nesting depth (or cycles).
    static func dismantle(_ roots: [PickleValue]) {
        var work = roots
        while let value = work.popLast() {
            switch value {
            case .tuple(let list), .list(let list):
                work.append(contentsOf: list.items)
                list.items = []
            case .dict(let dict):
                work.append(contentsOf: dict.removeAll())
            case .object(let object):
                work.append(contentsOf: object.arguments)
                if let state = object.state { work.append(state) }
                object.arguments = []
                object.state = nil
            default:
                continue
            }
        }
    }
}

/// A Python list or tuple (tuples are never mutated after they are built).
final class PickleList {
    var items: [PickleValue]
    init(_ items: [PickleValue] = []) { self.items = items }
}

/// A mutable Python dict (or OrderedDict), in insertion order.
final class PickleDict {
    private(set) var keys: [PickleValue] = []
    private(set) var values: [PickleValue] = []
    private var stringIndex: [String: Int] = [:]

    /// Sets `key` to `value`; string keys replace an earlier value as in Python.
    func set(_ key: PickleValue, _ value: PickleValue) {
        if case .string(let s) = key {
            if let at = stringIndex[s] { values[at] = value; return }
            stringIndex[s] = keys.count
        }
        keys.append(key)
        values.append(value)
    }

    /// The value of string key `key`.
    subscript(key: String) -> PickleValue? {
        stringIndex[key].map { values[$0] }
    }

    /// The pairs whose key is a string, in order.
    var stringItems: [(String, PickleValue)] {
        zip(keys, values).compactMap { key, value in
            if case .string(let s) = key { return (s, value) }
            return nil
        }
    }

    var count: Int { keys.count }

    /// Removes and returns every key and value.
    func removeAll() -> [PickleValue] {
        defer { keys = []; values = []; stringIndex = [:] }
        return keys + values
    }
}

/// An instance of an allow-listed class: its type, constructor arguments and BUILD state.
final class PickleObject {
    let type: AllowedGlobal
    var arguments: [PickleValue]
    var state: PickleValue?
    init(type: AllowedGlobal, arguments: [PickleValue]) {
        self.type = type
        self.arguments = arguments
    }
}

/// The persistent id `('storage', storage_type, key, location, numel)` of a torch zip archive.
struct TorchStorageReference {
    let key: String
    let dtype: CheckpointDType
    let elementCount: Int
}

/// `torch._utils._rebuild_tensor_v2(storage, storage_offset, size, stride, ...)`.
struct TorchTensorReference {
    /// No real tensor or storage has more elements (2^40, 4 TiB of Float32); larger counts in a
    /// pickle are corruption and would overflow byte arithmetic.
    static let maximumElements = 1 << 40

    let storage: TorchStorageReference
    let offset: Int
    let shape: [Int]
    let strides: [Int]
}
