public import Foundation

/// A STAC item with the Machine Learning Model extension (MLM 1.x; GeoLens writes 1.5), read as
/// a JSON tree so that every complaint can name the field it is about
/// (`mlm:input[0].value_scaling[2].type`).
///
/// GeoLens reads such an item wherever it reads a model card (`--model-card item.json`, a
/// sidecar `M.stac.json` or `M.item.json`, or `--model item.json` whose `mlm:model` asset names
/// the checkpoint); `modelCard()` (in `MLMItem+ModelCard.swift`) is the one mapping to `ModelCard`.
public struct MLMItem: Sendable {
    /// The extension schema GeoLens writes.
    public static let schemaURL = "https://stac-extensions.github.io/mlm/v1.5.2/schema.json"
    /// Prefix of every MLM 1.x schema URL (items of 1.x versions are read alike).
    static let schemaPrefix = "https://stac-extensions.github.io/mlm/v1."

    /// The whole item.
    public let root: [String: JSONValue]
    /// Where it was read from (errors name this file; relative hrefs resolve against it).
    public let url: URL

    /// Whether `data` is a STAC item (a JSON object with `"type": "Feature"` or `stac_extensions`)
    /// rather than a GeoLens model card.
    public static func isItem(_ data: Data) -> Bool {
        guard let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else { return false }
        return object["type"] as? String == "Feature" || object["stac_extensions"] != nil
    }

    /// Parses an item; not JSON, not a STAC item, or no MLM extension is an error naming `url`.
    public init(data: Data, url: URL) throws(ModelCardError) {
        self.url = url
        let value: JSONValue
        do { value = try JSONDecoder().decode(JSONValue.self, from: data) } catch {
            throw ModelCardError(message: "\(url.path) is not valid JSON: \(error.localizedDescription)")
        }
        guard case .object(let root) = value else {
            throw ModelCardError(message: "\(url.path): a STAC item must be a JSON object")
        }
        self.root = root
        guard root["type"]?.stringValue == "Feature" else {
            throw ModelCardError(message: "\(url.path): field 'type' must be \"Feature\" in a STAC item (a collection or catalog cannot describe one checkpoint)")
        }
        let extensions = root["stac_extensions"]?.arrayValue?.compactMap(\.stringValue) ?? []
        guard extensions.contains(where: { $0.hasPrefix(Self.schemaPrefix) }) else {
            throw ModelCardError(message: "\(url.path): field 'stac_extensions' does not list the MLM extension (\(Self.schemaURL))")
        }
    }

    /// Reads the item at `url`.
    public static func load(from url: URL) throws(ModelCardError) -> MLMItem {
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw ModelCardError(message: "cannot read STAC item \(url.path): \(error.localizedDescription)")
        }
        return try MLMItem(data: data, url: url)
    }

    /// The item's `properties`.
    var properties: [String: JSONValue] { root["properties"].flatMap(\.objectValue) ?? [:] }

    /// The checkpoint the item's model asset (role `mlm:model`) names: a relative href resolves
    /// against the item's folder; `file://` URLs and absolute paths are taken as they are.
    public func checkpointURL() throws(ModelCardError) -> URL {
        let assets = root["assets"].flatMap(\.objectValue) ?? [:]
        let models = assets.sorted { $0.key < $1.key }.filter { _, asset in
            asset.objectValue?["roles"]?.arrayValue?.contains(.string("mlm:model")) == true
        }
        guard let (key, asset) = models.first else {
            throw fail("assets", "holds no asset with role 'mlm:model', so it names no checkpoint; pass --model")
        }
        guard let href = asset.objectValue?["href"]?.stringValue, !href.isEmpty else {
            throw fail("assets.\(key).href", "is missing")
        }
        if let scheme = URL(string: href)?.scheme?.lowercased(), scheme != "file" {
            throw fail("assets.\(key).href", "is \(href); GeoLens reads local checkpoints: download it and pass --model")
        }
        if href.lowercased().hasPrefix("file://"), let fileURL = URL(string: href) { return fileURL }
        if href.hasPrefix("/") { return URL(fileURLWithPath: href) }
        return url.deletingLastPathComponent().appendingPathComponent(href).standardizedFileURL
    }

    /// An error about `field` of this item.
    func fail(_ field: String, _ why: String) -> ModelCardError {
        ModelCardError(message: "\(url.path): field '\(field)' \(why)")
    }
}

extension JSONValue {
    /// The value as an object, when it is one.
    var objectValue: [String: JSONValue]? { if case .object(let v) = self { return v }; return nil }
    /// The value as a number, when it is one.
    var doubleValue: Double? { if case .number(let v) = self { return v }; return nil }
    /// Whether the value is JSON null.
    var isNull: Bool { self == .null }
}
