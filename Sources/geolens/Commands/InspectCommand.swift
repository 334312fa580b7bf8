import ArgumentParser
import Foundation
import GeoLensGeo
import GeoLensNN

/// `geolens inspect PATH [--json]`: prints the facts of a raster (size, bands, types, nodata,
/// CRS, geotransform, block size), of an ONNX model (inputs, outputs, operator sets, operator
/// counts, parameters, layers usable as `--layer`) or of a checkpoint (format, tensors,
/// parameters, and the GradCAM layers when a model card of a built-in architecture is beside it).
/// The kind of file is decided by its extension.
struct InspectCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inspect",
        abstract: "Print the facts of a raster, an ONNX model or a checkpoint.")

    @Argument(help: "A raster (GeoTIFF or any GDAL raster), an .onnx model, or a .safetensors/.pth/.pt/.ckpt checkpoint.")
    var path: String

    @Flag(help: "Print JSON instead of text.")
    var json = false

    /// What kind of file `path` names, decided before opening it.
    enum Target {
        case raster
        case checkpoint(format: String)

        static let checkpointExtensions = ["onnx": "ONNX", "safetensors": "safetensors", "pt": "PyTorch",
                                           "pth": "PyTorch", "ckpt": "PyTorch"]

        init(path: String) {
            let ext = (path as NSString).pathExtension.lowercased()
            if let format = Self.checkpointExtensions[ext] { self = .checkpoint(format: format) } else { self = .raster }
        }
    }

    func run() throws {
        do {
            switch Target(path: path) {
            case .raster:
                try printRaster()
            case .checkpoint(let format):
                guard FileManager.default.fileExists(atPath: path) else {
                    throw InspectFailure("\(path) does not exist; check the path")
                }
                let output = format == "ONNX" ? try InspectModelFacts.onnx(path: path, json: json)
                    : try InspectModelFacts.checkpoint(path: path, json: json)
                print(output)
            }
        } catch let error as GeoError {
            Self.fail(error.description)
        } catch let error as InspectFailure {
            Self.fail(error.message)
        } catch let error as ONNXError {
            Self.fail(error.message)
        } catch let error as CheckpointError {
            Self.fail(String(describing: error))
        } catch let error as ModelCardError {
            Self.fail(error.message)
        } catch {
            Self.fail(String(describing: error))
        }
    }

    private func printRaster() throws {
        let facts = RasterFacts(try Raster(path: path))
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf",
                                                                          negativeInfinity: "-inf", nan: "nan")
            print(String(decoding: try encoder.encode(facts), as: UTF8.self))
        } else {
            print(facts.textLines.joined(separator: "\n"))
        }
    }

    /// Prints one `error:` line on stderr and exits with the data-error status.
    private static func fail(_ message: String) -> Never {
        FileHandle.standardError.write(Data("error: \(message)\n".utf8))
        Foundation.exit(1)
    }
}

/// A failure of `inspect` that is not a raster error.
struct InspectFailure: Error {
    let message: String
    init(_ message: String) { self.message = message }
}

/// The text and JSON `inspect` prints for models: ONNX graphs and weight checkpoints.
enum InspectModelFacts {
    /// Tensors listed in text output before the listing is abbreviated.
    static let textTensorLimit = 40

    static func encode(_ value: some Encodable) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }

    struct ONNXFacts: Encodable {
        struct Value: Encodable { let name: String; let type: String; let shape: [String]? }
        struct Layer: Encodable { let name: String; let node: String; let op: String; let shape: [Int] }
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

    static func onnx(path: String, json: Bool) throws -> String {
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
            layers: inspection.layers.map { .init(name: $0.name, node: $0.node, op: $0.opType, shape: $0.shape) },
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

    static func checkpoint(path: String, json: Bool) throws -> String {
        let url = URL(fileURLWithPath: path)
        let stateDict = try CheckpointReader.read(url)
        let stored = stateDict.format == .safetensors ? safetensorsDTypes(url) : [:]
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

    /// Stored element types of a safetensors file by tensor name, read from its JSON header.
    static func safetensorsDTypes(_ url: URL) -> [String: String] {
        guard let handle = try? FileHandle(forReadingFrom: url) else { return [:] }
        defer { try? handle.close() }
        guard let prefix = try? handle.read(upToCount: 8), prefix.count == 8 else { return [:] }
        let length = prefix.enumerated().reduce(UInt64(0)) { $0 | UInt64($1.element) << (8 * UInt64($1.offset)) }
        guard length < 100_000_000, let header = try? handle.read(upToCount: Int(length)),
              let object = try? JSONSerialization.jsonObject(with: header) as? [String: Any] else { return [:] }
        var types: [String: String] = [:]
        for (name, info) in object {
            if let dtype = (info as? [String: Any])?["dtype"] as? String { types[name] = dtype }
        }
        return types
    }
}
