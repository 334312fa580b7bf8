import Foundation
import GeoLensNN

/// The text and JSON `inspect` prints for models: ONNX graphs and weight checkpoints.
public enum ModelInspection {
    /// Tensors listed in text output before the listing is abbreviated.
    static let textTensorLimit = 40

    static func encode(_ value: some Encodable) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }

    struct ONNXFacts: Encodable {
        struct Value: Encodable { let name: String; let type: String; let shape: [String]? }
        struct Layer: Encodable { let name: String; let node: String; let op: String; let shape: [Int]; let module: String; let layout: String }
        let path: String
        let format = "onnx"
        let producer: String
        let opsets: [String: Int]
        let inputs: [Value]
        let outputs: [Value]
        let operators: [String: Int]
        let parameters: Int
        let layerInputShapes: [String: [Int]]
        let layers: [Layer]
        let defaultLayer: String?
    }

    /// The facts of an ONNX graph: inputs, outputs, operator sets and counts, parameters, CAM layers.
    public static func onnx(path: String, json: Bool) throws -> String {
        let model = try ONNXModel.load(URL(fileURLWithPath: path))
        let inspection = try ONNXInspection(model: model)
        let defaultLayer = ONNXSegmentationModel.deepestEncoderLayer(inspection.layers)
        guard json else {
            return inspection.description + (defaultLayer.map { "\ndefault --layer: \($0)" } ?? "")
        }
        func value(_ v: ONNXValueInfo) -> ONNXFacts.Value {
            .init(name: v.name, type: "\(v.elementType)", shape: v.shape?.map(\.description))
        }
        return try encode(ONNXFacts(
            path: path, producer: inspection.producer,
            opsets: Dictionary(inspection.opsetImports.map { ($0.domain.isEmpty ? "ai.onnx" : $0.domain, $0.version) }, uniquingKeysWith: max),
            inputs: inspection.inputs.map(value), outputs: inspection.outputs.map(value),
            operators: Dictionary(inspection.operatorCounts.map { ($0.opType, $0.count) }, uniquingKeysWith: +),
            parameters: inspection.parameterCount, layerInputShapes: inspection.inputShapes,
            layers: inspection.layers.map {
                .init(name: $0.name, node: $0.node, op: $0.opType, shape: $0.shape, module: $0.module, layout: $0.layout.rawValue)
            },
            defaultLayer: defaultLayer))
    }

    struct CheckpointFacts: Encodable {
        struct Entry: Encodable { let name: String; let shape: [Int]; let dtype: String }
        let path: String
        let format: String
        let tensorCount: Int
        let parameters: Int
        let tensors: [Entry]
        let modelCard: String?
        let architecture: String?
        let camLayers: [String]?
        let defaultCAMLayer: String?
    }

    /// The facts of a weight checkpoint: format, tensors with stored types, parameters, and the
    /// GradCAM layers when a model card of a built-in architecture is beside it.
    public static func checkpoint(path: String, json: Bool) throws -> String {
        let url = URL(fileURLWithPath: path)
        let stateDict = try CheckpointReader.read(url)
        let stored = stateDict.storedTypes.mapValues(\.rawValue)
        let entries = stateDict.names.map { name -> CheckpointFacts.Entry in
            switch stateDict[name] {
            case .float(let t)?: return .init(name: name, shape: t.shape, dtype: stored[name] ?? "float")
            case .integer(let t)?: return .init(name: name, shape: t.shape, dtype: t.dtype.rawValue)
            case nil: return .init(name: name, shape: [], dtype: "?")
            }
        }
        let parameters = entries.reduce(0) { $0 + ($1.dtype.hasPrefix("I") || $1.dtype.hasPrefix("U") || $1.dtype == "BOOL" ? 0 : $1.shape.reduce(1, *)) }
        var cardPath: String?, architecture: String?, camLayers: [String]?, defaultLayer: String?
        if let cardURL = ModelLoader.sidecar(for: url) {
            let card = try ModelCard.load(from: cardURL)
            cardPath = cardURL.path
            architecture = card.architecture
            if ModelRegistry.names.contains(card.architecture) {
                let model = try ModelRegistry.build(card, seed: 0)
                camLayers = model.camLayers
                defaultLayer = model.defaultCAMLayer
            }
        }
        let facts = CheckpointFacts(path: path, format: stateDict.format.rawValue, tensorCount: entries.count, parameters: parameters,
                                    tensors: entries, modelCard: cardPath, architecture: architecture,
                                    camLayers: camLayers, defaultCAMLayer: defaultLayer)
        if json { return try encode(facts) }
        var lines = ["checkpoint \(path)", "format: \(facts.format)", "tensors: \(facts.tensorCount)", "parameters: \(parameters)"]
        for entry in entries.prefix(textTensorLimit) {
            lines.append("  \(entry.name)  \(entry.dtype)  [\(entry.shape.map(String.init).joined(separator: ", "))]")
        }
        if entries.count > textTensorLimit { lines.append("  ... \(entries.count - textTensorLimit) more (--json lists all)") }
        if let cardPath { lines.append("model card: \(cardPath) (architecture \(architecture ?? "?"))") }
        if let camLayers {
            lines.append("GradCAM layers (usable as --layer; default \(defaultLayer ?? "?")):")
            lines += camLayers.map { "  \($0)" }
        }
        return lines.joined(separator: "\n")
    }
}
