import Foundation
import SwiftProtobuf

/// Converts the generated protobuf messages into GeoLens's own graph values, so protobuf types
/// stay inside this folder.
struct ONNXProtoConversion {
    let decoder: ONNXTensorDecoder

    init(modelURL: URL) {
        decoder = ONNXTensorDecoder(modelURL: modelURL)
    }

    func graph(_ proto: Onnx_GraphProto) throws -> ONNXGraph {
        var proto = proto
        return try graph(consuming: &proto)
    }

    /// The graph of `proto`, emptying each initializer's message once it is converted, so that
    /// the message's copy of a weight is freed as its tensor is made (the peak holds the weights
    /// about once, not twice).
    func graph(consuming proto: inout Onnx_GraphProto) throws -> ONNXGraph {
        var initializers: [String: ONNXConstant] = [:]
        var names: [String] = []
        for index in proto.initializer.indices {
            let tensor = proto.initializer[index]
            let name = tensor.name.isEmpty ? "initializer_\(index)" : tensor.name
            initializers[name] = try decoder.decode(tensor, context: name)
            names.append(name)
            proto.initializer[index] = Onnx_TensorProto()
        }
        let nodes = try proto.node.enumerated().map { index, node in
            try self.node(node, index: index)
        }
        // Old exporters list initializers among the inputs; only the others are fed by callers.
        let inputs = proto.input.filter { initializers[$0.name] == nil }.map(valueInfo)
        return ONNXGraph(name: proto.name, inputs: inputs, outputs: proto.output.map(valueInfo),
                         nodes: nodes, initializers: initializers, initializerNames: names)
    }

    func valueInfo(_ proto: Onnx_ValueInfoProto) -> ONNXValueInfo {
        guard proto.hasType, case .tensorType(let tensorType)? = proto.type.value else {
            return ONNXValueInfo(name: proto.name, elementType: .undefined, shape: nil)
        }
        let shape: [ONNXDimension]? = tensorType.hasShape ? tensorType.shape.dim.map { dim in
            switch dim.value {
            case .dimValue(let v)?: return .fixed(Int(v))
            case .dimParam(let name)? where !name.isEmpty: return .symbolic(name)
            default: return .unknown
            }
        } : nil
        return ONNXValueInfo(name: proto.name, elementType: ONNXElementType(code: Int(tensorType.elemType)), shape: shape)
    }

    func node(_ proto: Onnx_NodeProto, index: Int) throws -> ONNXNode {
        let name = proto.name.isEmpty ? "\(proto.opType)_\(index)" : proto.name
        var attributes: [String: ONNXAttribute] = [:]
        for attribute in proto.attribute {
            attributes[attribute.name] = try self.attribute(attribute, node: name)
        }
        return ONNXNode(name: name, opType: proto.opType, domain: proto.domain, inputs: proto.input,
                        outputs: proto.output, attributes: attributes)
    }

    func attribute(_ proto: Onnx_AttributeProto, node: String) throws -> ONNXAttribute {
        func text(_ data: Data) -> String { String(decoding: data, as: UTF8.self) }
        switch proto.type {
        case .int: return .int(Int(proto.i))
        case .float: return .float(proto.f)
        case .string: return .string(text(proto.s))
        case .ints: return .ints(proto.ints.map { Int($0) })
        case .floats: return .floats(proto.floats)
        case .strings: return .strings(proto.strings.map(text))
        case .tensor: return .tensor(try decoder.decode(proto.t, context: "\(node).\(proto.name)"))
        default:
            // Graphs saved before attribute types were mandatory: infer the kind from the payload.
            if proto.hasT { return .tensor(try decoder.decode(proto.t, context: "\(node).\(proto.name)")) }
            if !proto.ints.isEmpty { return .ints(proto.ints.map { Int($0) }) }
            if !proto.floats.isEmpty { return .floats(proto.floats) }
            if proto.hasI { return .int(Int(proto.i)) }
            if proto.hasF { return .float(proto.f) }
            if proto.hasS { return .string(text(proto.s)) }
            return .unsupported("\(proto.type)")
        }
    }
}
