import Foundation

/// Finds the weights inside an unpickled torch checkpoint.
///
/// Accepted shapes, in this order:
/// 1. a dict with `state_dict` (Lightning `.ckpt`, many training scripts): that entry;
/// 2. a dict with `model_state_dict`, `model`, `state_dict_ema`, `net`, `module` or `weights`
///    holding tensors: that entry;
/// 3. a dict holding tensors itself: the state dict as saved by `torch.save(model.state_dict())`.
/// Nested dicts of tensors inside the chosen one are flattened with dotted names. Scalars beside
/// the state dict (`epoch`, `global_step`, Lightning `hyper_parameters`) become metadata.
enum TorchStateDictLocator {
    struct Located {
        var tensors: [(String, TorchTensorReference)]
        var format: CheckpointFormat
        var metadata: [String: String]
    }

    static let wrapperKeys = ["model_state_dict", "model", "state_dict_ema", "net", "module", "weights"]
    /// Nesting deeper than this is not a state dict (and bounds the walk on hostile input).
    static let maximumDepth = 16

    static func locate(_ root: PickleValue, file: URL?) throws(CheckpointError) -> Located {
        guard case .dict(let top) = root else {
            throw CheckpointError(.noStateDict, file: file,
                                  "holds a \(root.kind), not a dict of tensors; save model.state_dict() instead")
        }
        var metadata: [String: String] = [:]
        for (key, value) in top.stringItems {
            if let text = value.scalarText { metadata[key] = text }
        }
        if case .dict(let hyper)? = top["hyper_parameters"] {
            for (key, value) in hyper.stringItems {
                if let text = value.scalarText { metadata["hyper_parameters.\(key)"] = text }
            }
        }
        if case .dict(let inner)? = top["state_dict"] {
            let isLightning = top["pytorch-lightning_version"] != nil || top["global_step"] != nil
            return Located(tensors: try flatten(inner, file: file),
                           format: isLightning ? .lightning : .pytorch, metadata: metadata)
        }
        for key in wrapperKeys {
            if case .dict(let inner)? = top[key] {
                let tensors = try flatten(inner, file: file)
                if !tensors.isEmpty { return Located(tensors: tensors, format: .pytorch, metadata: metadata) }
            }
        }
        let tensors = try flatten(top, file: file)
        guard !tensors.isEmpty else {
            let keys = top.stringItems.prefix(12).map(\.0).joined(separator: ", ")
            throw CheckpointError(.noStateDict, file: file,
                                  "holds no tensors (top-level keys: \(keys)); save model.state_dict() instead")
        }
        return Located(tensors: tensors, format: .pytorch, metadata: [:])
    }

    /// Tensors of `dict` and of the dicts nested in it, with dotted names, in order.
    static func flatten(_ dict: PickleDict, file: URL?) throws(CheckpointError) -> [(String, TorchTensorReference)] {
        var out: [(String, TorchTensorReference)] = []
        var visiting: Set<ObjectIdentifier> = []
        try walk(dict, prefix: "", depth: 0, visiting: &visiting, into: &out, file: file)
        return out
    }

    private static func walk(_ dict: PickleDict, prefix: String, depth: Int, visiting: inout Set<ObjectIdentifier>,
                             into out: inout [(String, TorchTensorReference)], file: URL?) throws(CheckpointError) {
        guard depth <= maximumDepth, visiting.insert(ObjectIdentifier(dict)).inserted else {
            throw CheckpointError.corrupt(file, "nests dicts deeper than \(maximumDepth) levels or in a cycle at \(prefix)")
        }
        defer { visiting.remove(ObjectIdentifier(dict)) }
        for (key, value) in dict.stringItems {
            switch value {
            case .tensor(let view):
                out.append((prefix + key, view))
            case .dict(let inner):
                try walk(inner, prefix: prefix + key + ".", depth: depth + 1, visiting: &visiting, into: &out, file: file)
            default:
                continue
            }
        }
    }
}
