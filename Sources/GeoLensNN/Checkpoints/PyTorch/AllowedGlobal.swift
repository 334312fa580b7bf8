import Foundation

/// The Python globals a checkpoint pickle may reference: the allow-list of `SafeUnpickler`.
///
/// It mirrors what PyTorch's own `weights_only` unpickler accepts for state dicts, plus the few
/// classes a Lightning `.ckpt` stores in its hyper-parameters. Any other global (`os.system`,
/// `builtins.eval`, `subprocess.Popen`, ...) is refused when the GLOBAL opcode names it, before
/// any later opcode runs. Allowed globals are never executed either: "calling" one (REDUCE,
/// NEWOBJ) builds an inert value (`apply(_:)`).
enum AllowedGlobal: Equatable {
    case orderedDict
    case rebuildTensor
    case rebuildParameter
    case storageType(CheckpointDType)
    case dtype(CheckpointDType)
    case namespace
    case posixPath
    /// Lightning's `AttributeDict` (a dict subclass holding hyper-parameters).
    case attributeDict(String)
    case codecsEncode
    case set
    case frozenset

    /// Resolves `module.name` against the allow-list (nil: refused).
    init?(module: String, name: String) {
        switch (module, name) {
        case ("collections", "OrderedDict"): self = .orderedDict
        case ("torch._utils", "_rebuild_tensor_v2"): self = .rebuildTensor
        case ("torch._utils", "_rebuild_parameter"), ("torch._utils", "_rebuild_parameter_with_state"):
            self = .rebuildParameter
        case ("argparse", "Namespace"): self = .namespace
        case ("pathlib", "PosixPath"), ("pathlib", "PurePosixPath"),
             ("pathlib", "WindowsPath"), ("pathlib", "PureWindowsPath"), ("pathlib", "Path"):
            self = .posixPath
        case ("lightning.fabric.utilities.data", "AttributeDict"),
             ("lightning_fabric.utilities.data", "AttributeDict"),
             ("pytorch_lightning.utilities.parsing", "AttributeDict"),
             ("lightning.pytorch.utilities.parsing", "AttributeDict"):
            self = .attributeDict("\(module).\(name)")
        case ("_codecs", "encode"): self = .codecsEncode
        case ("builtins", "set"), ("__builtin__", "set"): self = .set
        case ("builtins", "frozenset"), ("__builtin__", "frozenset"): self = .frozenset
        case ("torch", _):
            if let dtype = CheckpointDType(torchStorage: name) {
                self = .storageType(dtype)
            } else if let dtype = CheckpointDType(torchDType: name) {
                self = .dtype(dtype)
            } else {
                return nil
            }
        default: return nil
        }
    }

    /// The dotted Python name, as written in error messages.
    var qualifiedName: String {
        switch self {
        case .orderedDict: return "collections.OrderedDict"
        case .rebuildTensor: return "torch._utils._rebuild_tensor_v2"
        case .rebuildParameter: return "torch._utils._rebuild_parameter"
        case .storageType(let d): return "torch storage of \(d.rawValue)"
        case .dtype(let d): return "torch dtype \(d.rawValue)"
        case .namespace: return "argparse.Namespace"
        case .posixPath: return "pathlib.PosixPath"
        case .attributeDict(let name): return name
        case .codecsEncode: return "_codecs.encode"
        case .set: return "builtins.set"
        case .frozenset: return "builtins.frozenset"
        }
    }

    /// The inert value standing for `self(*arguments)`; `fail` makes the error for bad arguments.
    func apply(_ arguments: [PickleValue], fail: (String) -> CheckpointError) throws(CheckpointError) -> PickleValue {
        switch self {
        case .orderedDict, .attributeDict:
            // OrderedDict() then SETITEMS; an iterable of pairs as argument is also accepted.
            let dict = PickleDict()
            if let pairs = arguments.first?.sequence {
                for pair in pairs {
                    guard let kv = pair.sequence, kv.count == 2 else { throw fail("\(qualifiedName) argument is not a list of pairs") }
                    dict.set(kv[0], kv[1])
                }
            }
            return .dict(dict)
        case .rebuildTensor:
            return .tensor(try Self.rebuildTensor(arguments, fail: fail))
        case .rebuildParameter:
            guard case .tensor(let t)? = arguments.first else { throw fail("_rebuild_parameter expects a tensor first") }
            return .tensor(t)
        case .codecsEncode:
            guard case .string(let text)? = arguments.first else { throw fail("_codecs.encode expects a string") }
            // Protocol 2 pickles bytes as _codecs.encode(latin-1 text, "latin1").
            return .bytes(text.unicodeScalars.map { UInt8(truncatingIfNeeded: $0.value) })
        case .set, .frozenset:
            return .list(PickleList(arguments.first?.sequence ?? []))
        case .namespace, .posixPath:
            return .object(PickleObject(type: self, arguments: arguments))
        case .storageType, .dtype:
            throw fail("\(qualifiedName) is a type, not a constructor a state dict calls")
        }
    }

    /// `_rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad, backward_hooks, [metadata])`.
    private static func rebuildTensor(_ args: [PickleValue],
                                      fail: (String) -> CheckpointError) throws(CheckpointError) -> TorchTensorReference {
        guard args.count >= 4, case .storage(let storage) = args[0] else {
            throw fail("_rebuild_tensor_v2 expects (storage, offset, size, stride, ...), got \(args.map(\.kind))")
        }
        guard let offset = args[1].intValue, offset >= 0,
              let size = args[2].sequence?.compactMap(\.intValue), size.count == args[2].sequence?.count,
              let stride = args[3].sequence?.compactMap(\.intValue), stride.count == size.count,
              size.allSatisfy({ $0 >= 0 }), stride.allSatisfy({ $0 >= 0 }) else {
            throw fail("_rebuild_tensor_v2 of storage \(storage.key) has an invalid offset, size or stride")
        }
        var elements = 1
        for dim in size {
            let (product, overflow) = elements.multipliedReportingOverflow(by: dim)
            guard !overflow, product <= TorchTensorReference.maximumElements else {
                throw fail("_rebuild_tensor_v2 of storage \(storage.key) has an impossible size \(size)")
            }
            elements = product
        }
        return TorchTensorReference(storage: storage, offset: offset, shape: size, strides: stride)
    }
}
