import Foundation

/// The one mapping from a STAC MLM item to a `ModelCard`:
///
/// | MLM field | model card |
/// |---|---|
/// | `mlm:input[0].input.shape` `[B, C, H, W]`, `dim_order` `[batch, bands|channel, height, width]` | `in_channels` = C, `tile_size` = H when H = W > 0 |
/// | `mlm:input[0].bands` (names) | `band_names`, matched to raster band descriptions when read |
/// | `mlm:input[0].value_scaling` (one per band or one broadcast) | `z-score`: `mean`/`std`; `min-max`: mean = minimum, std = maximum - minimum; `offset`: mean = value; `scale`: std = value; `clip`, `clip-min`, `clip-max`: `clip_min`/`clip_max` |
/// | `mlm:output[0].classification:classes` (value 0...K-1; a `nodata` class) | `classes` by value; `ignore_index` |
/// | `mlm:output[0].result.shape` `[B, K, H, W]` | checked against the classes |
/// | `mlm:hyperparameters.geolens` | `architecture`, `architecture_options`, `output`, `overlap`, `ignore_index`, `rename`, `allow_partial_load` |
/// | `mlm:architecture`, model asset `mlm:artifact_type` | `architecture` when the block above has none (`onnx` for ONNX artifacts, else a built-in name such as `U-Net` -> `unet`) |
///
/// What GeoLens cannot carry out is an error naming the field: processing expressions
/// (`pre_processing_function`, `post_processing_function`, band `expression`, value scaling of
/// type `processing`), `resize_type`, several inputs or outputs, other dimension orders, tasks
/// other than segmentation.
extension MLMItem {
    /// The model card this item describes (validated like a JSON card).
    public func modelCard() throws(ModelCardError) -> ModelCard {
        let properties = properties
        guard !properties.isEmpty else { throw fail("properties", "is missing or empty") }
        let geolens = try hyperparameters()
        let input = try modelInput(properties)
        let output = try modelOutput(properties, ignoreIndex: geolens?.ignoreIndex)
        var card = ModelCard(architecture: try architecture(properties, geolens: geolens),
                             inChannels: input.channels, classes: output.classes, tileSize: input.tileSize,
                             ignoreIndex: geolens?.ignoreIndex ?? output.ignoreIndex,
                             architectureOptions: geolens?.architectureOptions ?? [:],
                             rename: geolens?.rename ?? [], allowPartialLoad: geolens?.allowPartialLoad ?? false,
                             bandNames: input.bandNames)
        card.output = geolens?.output ?? .logits
        card.overlap = geolens?.overlap
        if let scaling = input.scaling {
            if scaling.mean.contains(where: { $0 != 0 }) || scaling.std.contains(where: { $0 != 1 }) {
                card.mean = scaling.mean
                card.std = scaling.std
            }
            if scaling.clipMin.contains(where: { $0 != nil }) { card.clipMin = scaling.clipMin }
            if scaling.clipMax.contains(where: { $0 != nil }) { card.clipMax = scaling.clipMax }
        }
        do { try card.validate() } catch { throw ModelCardError(message: "\(url.path) (STAC MLM item): \(error.message)") }
        return card
    }

    /// The per-channel scaling of `value_scaling`.
    struct Scaling {
        var mean: [Double], std: [Double], clipMin: [Double?], clipMax: [Double?]
    }

    /// `mlm:input`: channels, tile size, band names and scaling.
    private func modelInput(_ properties: [String: JSONValue]) throws(ModelCardError)
        -> (channels: Int?, tileSize: Int?, bandNames: [String]?, scaling: Scaling?) {
        guard let inputs = properties["mlm:input"]?.arrayValue else { throw fail("mlm:input", "is missing (a list of model inputs)") }
        guard inputs.count == 1, let input = inputs[0].objectValue else {
            throw fail("mlm:input", "lists \(inputs.count) inputs; GeoLens feeds a model one raster input")
        }
        let field = "mlm:input[0]"
        for key in ["pre_processing_function", "resize_type"] {
            if let value = input[key], !value.isNull {
                let why = key == "resize_type"
                    ? "is \(describe(value)); GeoLens feeds windows at the raster's own resolution and cannot resize them"
                    : "is a processing expression (\(describe(value))), which GeoLens cannot run; express it as value_scaling or remove it"
                throw fail("\(field).\(key)", why)
            }
        }
        guard let structure = input["input"]?.objectValue else { throw fail("\(field).input", "is missing (shape, dim_order, data_type)") }
        let shape = try integers(structure["shape"], field: "\(field).input.shape")
        let order = try strings(structure["dim_order"], field: "\(field).input.dim_order")
        guard shape.count == 4, order.count == 4,
              order.map(Self.dimension) == ["batch", "channel", "height", "width"] else {
            throw fail("\(field).input.dim_order", "is \(order) for shape \(shape); GeoLens feeds [batch, bands (or channel), height, width]")
        }
        if let bad = shape.first(where: { $0 == 0 || $0 < -1 }) {
            throw fail("\(field).input.shape", "holds \(bad); dimensions are positive or -1 (any size)")
        }
        var names: [String] = []
        for (i, band) in (input["bands"]?.arrayValue ?? []).enumerated() {
            if let name = band.stringValue { names.append(name); continue }
            guard let object = band.objectValue, let name = object["name"]?.stringValue else {
                throw fail("\(field).bands[\(i)]", "must be a band name or an object with 'name'")
            }
            if let expression = object["expression"], !expression.isNull {
                throw fail("\(field).bands[\(i)].expression", "computes band '\(name)' with an expression (\(describe(expression))), which GeoLens cannot run")
            }
            names.append(name)
        }
        let channels = shape[1] > 0 ? shape[1] : (names.isEmpty ? nil : names.count)
        if !names.isEmpty, let channels, names.count != channels {
            throw fail("\(field).bands", "names \(names.count) bands but the input shape has \(channels) channels")
        }
        let tileSize = shape[2] > 0 && shape[2] == shape[3] ? shape[2] : nil
        let scaling = try valueScaling(input["value_scaling"], channels: channels, field: "\(field).value_scaling")
        return (channels, tileSize, names.isEmpty ? nil : names, scaling)
    }

    /// `value_scaling`: null, or one object per channel, or one object broadcast to all.
    private func valueScaling(_ value: JSONValue?, channels: Int?, field: String) throws(ModelCardError) -> Scaling? {
        guard let value, !value.isNull else { return nil }
        guard let entries = value.arrayValue else { throw fail(field, "must be a list of value scaling objects or null") }
        if entries.isEmpty { return nil }
        let count: Int
        if entries.count == 1 {
            guard let channels else { throw fail(field, "broadcasts one object but the input shape gives no channel count") }
            count = channels
        } else {
            if let channels, entries.count != channels {
                throw fail(field, "has \(entries.count) objects for \(channels) channels; give one per band or a single one")
            }
            count = entries.count
        }
        var scaling = Scaling(mean: .init(repeating: 0, count: count), std: .init(repeating: 1, count: count),
                              clipMin: .init(repeating: nil, count: count), clipMax: .init(repeating: nil, count: count))
        for c in 0..<count {
            let index = entries.count == 1 ? 0 : c
            let entryField = "\(field)[\(index)]"
            guard let object = entries[index].objectValue else {
                if entries[index].isNull { continue }
                throw fail(entryField, "must be a value scaling object")
            }
            guard let typeValue = object["type"], !typeValue.isNull else { continue }
            guard let type = typeValue.stringValue else { throw fail("\(entryField).type", "must be a string or null") }
            func number(_ key: String) throws(ModelCardError) -> Double {
                guard let v = object[key]?.doubleValue, v.isFinite else {
                    throw fail("\(entryField).\(key)", "must be a finite number for type '\(type)'")
                }
                return v
            }
            switch type {
            case "z-score":
                scaling.mean[c] = try number("mean")
                scaling.std[c] = try number("stddev")
                if scaling.std[c] <= 0 { throw fail("\(entryField).stddev", "must be positive, got \(scaling.std[c])") }
            case "min-max":
                let (low, high) = (try number("minimum"), try number("maximum"))
                guard high > low else { throw fail("\(entryField).maximum", "must exceed minimum \(low), got \(high)") }
                scaling.mean[c] = low
                scaling.std[c] = high - low
            case "offset":
                scaling.mean[c] = try number("value")
            case "scale":
                scaling.std[c] = try number("value")
                if scaling.std[c] <= 0 { throw fail("\(entryField).value", "must be positive for type 'scale', got \(scaling.std[c])") }
            case "clip":
                scaling.clipMin[c] = try number("minimum")
                scaling.clipMax[c] = try number("maximum")
                if scaling.clipMin[c]! > scaling.clipMax[c]! { throw fail("\(entryField).minimum", "is above its maximum") }
            case "clip-min":
                scaling.clipMin[c] = try number("minimum")
            case "clip-max":
                scaling.clipMax[c] = try number("maximum")
            case "processing":
                throw fail("\(entryField).type", "is 'processing' (\(describe(object["expression"] ?? .null))), an expression GeoLens cannot run")
            default:
                throw fail("\(entryField).type", "is '\(type)'; MLM defines z-score, min-max, clip, clip-min, clip-max, offset, scale and processing")
            }
        }
        return scaling
    }

    /// `mlm:output`: class names by value, and a `nodata` class as ignore index.
    private func modelOutput(_ properties: [String: JSONValue], ignoreIndex: Int?) throws(ModelCardError)
        -> (classes: [String]?, ignoreIndex: Int?) {
        guard let outputs = properties["mlm:output"]?.arrayValue else { throw fail("mlm:output", "is missing (a list of model outputs)") }
        guard outputs.count == 1, let output = outputs[0].objectValue else {
            throw fail("mlm:output", "lists \(outputs.count) outputs; GeoLens reads one segmentation head")
        }
        let field = "mlm:output[0]"
        let tasks = try strings(output["tasks"], field: "\(field).tasks")
        guard tasks.contains(where: { ["segmentation", "semantic-segmentation"].contains($0) }) else {
            throw fail("\(field).tasks", "is \(tasks); GeoLens runs semantic-segmentation models")
        }
        if let post = output["post_processing_function"], !post.isNull {
            throw fail("\(field).post_processing_function", "is a processing expression (\(describe(post))), which GeoLens cannot run; GeoLens applies softmax and arg-max itself")
        }
        var resultClasses: Int?
        if let result = output["result"]?.objectValue {
            let shape = try integers(result["shape"], field: "\(field).result.shape")
            let order = try strings(result["dim_order"], field: "\(field).result.dim_order")
            guard shape.count == 4, order.count == 4,
                  order.map(Self.dimension) == ["batch", "class", "height", "width"] else {
                throw fail("\(field).result.dim_order", "is \(order) for shape \(shape); GeoLens reads [batch, class, height, width] scores")
            }
            resultClasses = shape[1] > 0 ? shape[1] : nil
        }
        let key = output["classification:classes"] != nil ? "classification:classes" : "classification_classes"
        guard let list = output[key]?.arrayValue, !list.isEmpty else {
            return (resultClasses.map { (0..<$0).map { "class_\($0)" } }, nil)
        }
        var named: [Int: String] = [:]
        var nodata: Int?
        for (i, entry) in list.enumerated() {
            guard let object = entry.objectValue, let value = object["value"]?.intValue else {
                throw fail("\(field).\(key)[\(i)].value", "must be an integer class value")
            }
            if object["nodata"]?.boolValue == true { nodata = value; continue }
            let name = object["name"]?.stringValue ?? object["title"]?.stringValue ?? "class_\(value)"
            if named[value] != nil { throw fail("\(field).\(key)[\(i)].value", "repeats class value \(value)") }
            named[value] = name
        }
        let values = named.keys.sorted()
        guard values == Array(0..<values.count) else {
            throw fail("\(field).\(key)", "has class values \(values); GeoLens needs the model's output channels 0...\(values.count - 1)")
        }
        if let resultClasses, resultClasses != values.count {
            throw fail("\(field).\(key)", "names \(values.count) classes but result.shape has \(resultClasses) class channels")
        }
        return (values.map { named[$0]! }, nodata)
    }

    /// The GeoLens architecture: `mlm:hyperparameters.geolens.architecture`, `onnx` for an ONNX
    /// model asset, or a built-in matching `mlm:architecture`.
    private func architecture(_ properties: [String: JSONValue], geolens: GeoLensHyperparameters?) throws(ModelCardError) -> String {
        if let name = geolens?.architecture { return name }
        let assets = root["assets"].flatMap(\.objectValue) ?? [:]
        let models = assets.values.compactMap(\.objectValue).filter { $0["roles"]?.arrayValue?.contains(.string("mlm:model")) == true }
        let isONNX = models.contains {
            $0["mlm:artifact_type"]?.stringValue?.lowercased() == "onnx"
                || $0["href"]?.stringValue?.lowercased().hasSuffix(".onnx") == true
        } || properties["mlm:framework"]?.stringValue?.lowercased() == "onnx"
        if isONNX { return "onnx" }
        guard let declared = properties["mlm:architecture"]?.stringValue else {
            throw fail("mlm:architecture", "is missing")
        }
        func key(_ text: String) -> String { text.lowercased().filter { $0.isLetter || $0.isNumber } }
        if let match = ModelRegistry.names.first(where: { key($0) == key(declared) }) { return match }
        throw fail("mlm:architecture", "is '\(declared)', not a GeoLens built-in (\(ModelRegistry.names.joined(separator: ", "))); "
                   + "name one in mlm:hyperparameters.geolens.architecture, or describe an ONNX model asset")
    }

    /// `mlm:hyperparameters.geolens`, decoded strictly.
    private func hyperparameters() throws(ModelCardError) -> GeoLensHyperparameters? {
        guard let block = properties["mlm:hyperparameters"]?.objectValue?["geolens"] else { return nil }
        do {
            return try JSONDecoder().decode(GeoLensHyperparameters.self, from: JSONEncoder().encode(block))
        } catch let error as DecodingError {
            throw fail("mlm:hyperparameters.geolens", error.readableDescription)
        } catch {
            throw fail("mlm:hyperparameters.geolens", "\(error)")
        }
    }

    /// MLM dimension names folded to the four GeoLens knows.
    static func dimension(_ name: String) -> String {
        switch name.lowercased() {
        case "batch", "b", "n": "batch"
        case "bands", "channel", "channels", "c": "channel"
        case "class", "classes", "score", "k": "class"
        case "height", "h", "y": "height"
        case "width", "w", "x": "width"
        default: name
        }
    }

    private func integers(_ value: JSONValue?, field: String) throws(ModelCardError) -> [Int] {
        guard let list = value?.arrayValue else { throw fail(field, "is missing (a list of integers)") }
        var result: [Int] = []
        for item in list {
            guard let v = item.intValue else { throw fail(field, "must hold integers only") }
            result.append(v)
        }
        return result
    }

    private func strings(_ value: JSONValue?, field: String) throws(ModelCardError) -> [String] {
        guard let list = value?.arrayValue else { throw fail(field, "is missing (a list of strings)") }
        let result = list.compactMap(\.stringValue)
        guard result.count == list.count else { throw fail(field, "must hold strings only") }
        return result
    }

    /// A short description of an expression value for error messages.
    private func describe(_ value: JSONValue) -> String {
        if let object = value.objectValue {
            let format = object["format"]?.stringValue.map { "format '\($0)'" }
            let expression = object["expression"]?.stringValue.map { "'\($0.prefix(60))'" }
            return [format, expression].compactMap { $0 }.joined(separator: ", ")
        }
        if let text = value.stringValue { return "'\(text)'" }
        if let list = value.arrayValue { return "\(list.count) expressions" }
        return "\(value)"
    }
}
