public import GeoLensTensor

/// An integer or boolean buffer of a checkpoint (for example `num_batches_tracked`), kept exactly.
public struct IntegerTensor: Sendable, Equatable {
    public let shape: [Int]
    /// Row-major values widened to Int64 (booleans are 0 or 1).
    public let values: [Int64]
    /// The element type in the file, used again when writing.
    public let dtype: CheckpointDType

    public init(shape: [Int], values: [Int64], dtype: CheckpointDType = .int64) {
        precondition(!dtype.isFloatingPoint, "IntegerTensor: dtype \(dtype.rawValue) is a float type")
        precondition(shape.reduce(1, *) == values.count,
                     "IntegerTensor: shape \(shape) holds \(shape.reduce(1, *)) values, got \(values.count)")
        self.shape = shape
        self.values = values
        self.dtype = dtype
    }
}

/// Where a state dict was read from.
public enum CheckpointFormat: String, Sendable {
    case safetensors
    /// A `torch.save` zip archive (state dict or a dictionary holding one).
    case pytorch
    /// A Lightning `.ckpt` (a `torch.save` zip whose `state_dict` entry holds the weights).
    case lightning
    /// Built in memory.
    case memory
}

/// Named weights of a model: Float32 tensors and integer buffers, in file order.
///
/// Names are PyTorch-style dotted paths (`encoder.conv1.weight`). Float tensors of any stored
/// precision are Float32 here; integer buffers stay integers.
public struct StateDict: Sendable {
    /// One named value.
    public enum Entry: Sendable {
        case float(Tensor)
        case integer(IntegerTensor)

        /// The shape of the value.
        public var shape: [Int] {
            switch self {
            case .float(let t): return t.shape
            case .integer(let t): return t.shape
            }
        }
    }

    /// Names in the order of the file.
    public private(set) var names: [String] = []
    private var entries: [String: Entry] = [:]
    /// The format the values were read from.
    public var format: CheckpointFormat
    /// String metadata: safetensors `__metadata__`, or scalar facts of a PyTorch checkpoint
    /// (such as `epoch`) when they sit beside its state dict.
    public var metadata: [String: String]
    /// The element type each tensor is stored as in the file, where the format records it
    /// (safetensors); tensors are held as Float32 or Int64 whatever their stored type.
    public var storedTypes: [String: CheckpointDType] = [:]

    public init(format: CheckpointFormat = .memory, metadata: [String: String] = [:]) {
        self.format = format
        self.metadata = metadata
    }

    /// Number of entries.
    public var count: Int { names.count }

    /// The value named `name`, or nil.
    public subscript(name: String) -> Entry? {
        get { entries[name] }
        set {
            if let newValue {
                if entries.updateValue(newValue, forKey: name) == nil { names.append(name) }
            } else if entries.removeValue(forKey: name) != nil {
                names.removeAll { $0 == name }
            }
        }
    }

    /// The Float32 tensor named `name` (nil when absent or an integer buffer).
    public func tensor(_ name: String) -> Tensor? {
        if case .float(let t)? = entries[name] { return t }
        return nil
    }

    /// The integer buffer named `name` (nil when absent or a float tensor).
    public func integer(_ name: String) -> IntegerTensor? {
        if case .integer(let t)? = entries[name] { return t }
        return nil
    }

    /// Every name with its shape, the input of `StateDictMatcher`.
    public var shapes: [String: [Int]] {
        entries.mapValues(\.shape)
    }

    /// The same values under new names (`rename` returns the new name for an old one).
    /// Precondition: no two names map to the same new name.
    public func renamed(_ rename: (String) -> String) -> StateDict {
        var out = StateDict(format: format, metadata: metadata)
        for name in names {
            let newName = rename(name)
            precondition(out[newName] == nil, "StateDict.renamed: two entries map to \(newName)")
            out[newName] = entries[name]
        }
        return out
    }
}
