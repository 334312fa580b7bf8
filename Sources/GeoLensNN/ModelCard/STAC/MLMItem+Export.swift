public import Foundation

/// Writing a STAC MLM 1.5 item for a checkpoint and its card: the inverse of `modelCard()`, so an
/// exported item loads back to a card that feeds the model the same values.
extension MLMItem {
    /// What an exported item says beyond the card.
    public struct ExportFacts: Sendable {
        /// The checkpoint (the item's model asset href is its path relative to the item).
        public var checkpoint: URL
        /// `safetensors`, `pytorch` or `onnx`.
        public var format: String
        public var inputChannels: Int
        public var classCount: Int
        public var parameterCount: Int?
        public var sha256: String?
        public var byteCount: Int?
        /// Names of the fed bands (raster band descriptions), when known.
        public var bandNames: [String]?
        /// One `RRGGBB` colour per class (the report palette).
        public var classColors: [String]?
        public var title: String?
        public var description: String?
        public var datetime: Date

        public init(checkpoint: URL, format: String, inputChannels: Int, classCount: Int, datetime: Date = Date()) {
            self.checkpoint = checkpoint
            self.format = format
            self.inputChannels = inputChannels
            self.classCount = classCount
            self.datetime = datetime
        }
    }

    /// The item of `card` and `facts`, to be written at `itemURL`, as pretty-printed JSON.
    public static func export(card: ModelCard, facts: ExportFacts, itemURL: URL) throws(ModelCardError) -> Data {
        func fail(_ key: String, _ why: String) -> ModelCardError {
            ModelCardError(message: "cannot describe \(facts.checkpoint.path) as a STAC MLM item: card key '\(key)' \(why)")
        }
        guard let card = card.stackedImageCard else {
            throw fail("inputs", "lists inputs from several sources or with different input_scale/input_offset; an MLM item "
                       + "describes one input (GeoLens writes items of models fed by the tile alone)")
        }
        let channels = facts.inputChannels
        let names = facts.bandNames ?? card.bandNames
        if names == nil, let bands = card.bands, bands != Array(1...bands.count) {
            throw fail("bands", "selects raster bands \(bands) by number, which MLM cannot say; name them (geolens export-stac --bands-from RASTER)")
        }
        if let names, names.count != channels {
            throw fail("bands", "feeds \(channels) channels but \(names.count) band names were given")
        }
        let scaling = try valueScaling(card: card, channels: channels, fail: fail)
        let tile: JSONValue = card.tileSize.map { .number(Double($0)) } ?? .number(-1)
        var input: [String: JSONValue] = [
            "name": .string("image"),
            "bands": .array((names ?? []).map(JSONValue.string)),
            "input": .object([
                "shape": .array([.number(-1), .number(Double(channels)), tile, tile]),
                "dim_order": .array([.string("batch"), .string(names == nil ? "channel" : "bands"), .string("height"), .string("width")]),
                "data_type": .string("float32"),
            ]),
            "value_scaling": scaling,
            "resize_type": .null,
            "pre_processing_function": .null,
        ]
        input["description"] = .string("Raw raster band values, scaled per band by value_scaling; windows of the input height and width")
        let classNames = card.classNames(count: facts.classCount)
        let classes: [JSONValue] = classNames.enumerated().map { index, name in
            // The classification extension (1.1) requires a description.
            var object: [String: JSONValue] = ["value": .number(Double(index)), "name": .string(name),
                                               "description": .string("class \(name) (output channel \(index))")]
            if let colors = facts.classColors, index < colors.count { object["color_hint"] = .string(colors[index]) }
            return .object(object)
        }
        let output: [String: JSONValue] = [
            "name": .string(card.output == .probabilities ? "probabilities" : "logits"),
            "tasks": .array([.string("semantic-segmentation")]),
            "result": .object([
                "shape": .array([.number(-1), .number(Double(facts.classCount)), tile, tile]),
                "dim_order": .array([.string("batch"), .string("class"), .string("height"), .string("width")]),
                "data_type": .string("float32"),
            ]),
            "classification:classes": .array(classes),
            "post_processing_function": .null,
        ]
        let hyper = try JSONDecoder().decodeValue(GeoLensHyperparameters(card: card), fail: fail)
        let stem = facts.checkpoint.deletingPathExtension().lastPathComponent
        var properties: [String: JSONValue] = [
            "datetime": .string(Self.timestamp(facts.datetime)),
            "mlm:name": .string(modelName(facts.title ?? stem)),
            "mlm:architecture": .string(card.architecture),
            "mlm:tasks": .array([.string("semantic-segmentation")]),
            "mlm:framework": .string(facts.format == "onnx" ? "ONNX" : "pytorch"),
            "mlm:accelerator": .string("amd64"),
            "mlm:accelerator_constrained": .bool(false),
            "mlm:input": .array([.object(input)]),
            "mlm:output": .array([.object(output)]),
            "mlm:hyperparameters": .object(["geolens": hyper]),
        ]
        if let description = facts.description { properties["description"] = .string(description) }
        if let count = facts.parameterCount { properties["mlm:total_parameters"] = .number(Double(count)) }
        if let names {
            properties["bands"] = .array(names.map { .object(["name": .string($0)]) })
        }
        var asset: [String: JSONValue] = [
            "href": .string(relativePath(of: facts.checkpoint, from: itemURL.deletingLastPathComponent())),
            "title": .string("\(facts.format) checkpoint"),
            "type": .string(facts.format == "onnx" ? "application/octet-stream; framework=onnx" : "application/octet-stream; framework=pytorch"),
            "roles": .array(["mlm:model", "mlm:weights", "data"].map(JSONValue.string)),
            "mlm:artifact_type": .string(artifactType(facts.format)),
        ]
        var extensions = [schemaURL]
        if let sha = facts.sha256 {
            asset["file:checksum"] = .string("1220" + sha)
            extensions.append("https://stac-extensions.github.io/file/v2.1.0/schema.json")
        }
        if let size = facts.byteCount { asset["file:size"] = .number(Double(size)) }
        let item: [String: JSONValue] = [
            "type": .string("Feature"),
            "stac_version": .string("1.1.0"),
            "stac_extensions": .array(extensions.map(JSONValue.string)),
            "id": .string(stem),
            "geometry": .null,
            "properties": .object(properties),
            "links": .array([]),
            "assets": .object(["model": .object(asset)]),
        ]
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        do { return try encoder.encode(JSONValue.object(item)) + Data("\n".utf8) } catch {
            throw ModelCardError(message: "cannot encode the STAC item of \(facts.checkpoint.path): \(error)")
        }
    }

    /// The card's input pipeline per channel as MLM value scaling objects: `y = a x + b` (from
    /// input_scale/offset and mean/std) becomes `scale`, `offset` or `z-score`; clipping alone
    /// becomes `clip`/`clip-min`/`clip-max`; identical objects collapse to one broadcast object.
    private static func valueScaling(card: ModelCard, channels: Int,
                                     fail: (String, String) -> ModelCardError) throws(ModelCardError) -> JSONValue {
        let mean = card.mean ?? .init(repeating: 0, count: channels)
        let std = card.std ?? .init(repeating: 1, count: channels)
        var objects: [JSONValue] = []
        for c in 0..<channels {
            let a = card.inputScale / std[c], b = (card.inputOffset - mean[c]) / std[c]
            let low = card.clipMin?[c] ?? nil, high = card.clipMax?[c] ?? nil
            if low != nil || high != nil {
                guard a == 1 && b == 0 else {
                    throw fail("clip_min", "clips channel \(c) and also scales it; MLM allows one value scaling per band")
                }
                switch (low, high) {
                case let (l?, h?): objects.append(.object(["type": .string("clip"), "minimum": .number(l), "maximum": .number(h)]))
                case let (l?, nil): objects.append(.object(["type": .string("clip-min"), "minimum": .number(l)]))
                case let (nil, h?): objects.append(.object(["type": .string("clip-max"), "maximum": .number(h)]))
                default: break
                }
                continue
            }
            if a == 1 && b == 0 {
                // The schema has no identity object; an offset of 0 is one.
                objects.append(.object(["type": .string("offset"), "value": .number(0)]))
            } else if b == 0, a > 0 {
                objects.append(.object(["type": .string("scale"), "value": .number(1 / a)]))
            } else if a == 1 {
                objects.append(.object(["type": .string("offset"), "value": .number(-b)]))
            } else if a > 0 {
                objects.append(.object(["type": .string("z-score"), "mean": .number(-b / a), "stddev": .number(1 / a)]))
            } else {
                throw fail("input_scale", "is negative, which no MLM value scaling expresses")
            }
        }
        if objects.allSatisfy({ $0 == .object(["type": .string("offset"), "value": .number(0)]) }) { return .null }
        if Set(objects).count == 1 { return .array([objects[0]]) }
        return .array(objects)
    }

    /// `text` as an `mlm:name`, which the schema limits to letters, digits, `_`, `.`, `-` and
    /// spaces, starting with a letter and ending with a letter or digit.
    static func modelName(_ text: String) -> String {
        var name = String(text.map { $0.isASCII && ($0.isLetter || $0.isNumber || "_.- ".contains($0)) ? $0 : "_" })
        while let last = name.last, !(last.isASCII && (last.isLetter || last.isNumber)) { name.removeLast() }
        if !(name.first.map { $0.isASCII && $0.isLetter } ?? false) { name = "model " + name }
        if name.count < 3 { name = "model " + name }
        return name.trimmingCharacters(in: .whitespaces)
    }

    /// The MLM artifact type of a checkpoint format (the names of MLM's best practices).
    static func artifactType(_ format: String) -> String {
        switch format {
        case "onnx": "onnx"
        case "safetensors": "safetensors.torch.save_file"
        default: "torch.save"
        }
    }

    /// `path` relative to `directory` when inside it (`./best.safetensors`, `../m/model.onnx`), else absolute.
    static func relativePath(of file: URL, from directory: URL) -> String {
        let target = file.standardizedFileURL.pathComponents, base = directory.standardizedFileURL.pathComponents
        var shared = 0
        while shared < min(target.count, base.count), target[shared] == base[shared] { shared += 1 }
        guard shared > 1 else { return file.standardizedFileURL.path }
        let ups = Array(repeating: "..", count: base.count - shared)
        return (ups.isEmpty ? ["."] : ups).joined(separator: "/") + "/" + target[shared...].joined(separator: "/")
    }

    /// RFC 3339 UTC timestamp, whole seconds.
    static func timestamp(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        formatter.timeZone = TimeZone(identifier: "UTC")
        return formatter.string(from: date)
    }
}

private extension JSONDecoder {
    /// A Codable value as a JSON tree.
    func decodeValue<T: Encodable>(_ value: T, fail: (String, String) -> ModelCardError) throws(ModelCardError) -> JSONValue {
        do { return try decode(JSONValue.self, from: JSONEncoder().encode(value)) } catch {
            throw fail("architecture", "cannot be encoded: \(error)")
        }
    }
}
