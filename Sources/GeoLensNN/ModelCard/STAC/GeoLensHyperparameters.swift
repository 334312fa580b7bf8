/// What a STAC MLM item carries for GeoLens beyond the MLM fields, under
/// `properties["mlm:hyperparameters"]["geolens"]`: the model card keys that MLM has no field for.
/// GeoLens writes it into the items it exports so they load back to the same card; items from
/// elsewhere may leave it out. Decoding is strict, like a card.
struct GeoLensHyperparameters: Codable, Sendable, Equatable {
    /// A GeoLens built-in architecture name or `onnx`.
    var architecture: String?
    var architectureOptions: [String: JSONValue]?
    var output: ModelCard.Output?
    var overlap: Int?
    var ignoreIndex: Int?
    var rename: [ModelCard.RenameRule]?
    var allowPartialLoad: Bool?

    enum CodingKeys: String, CodingKey, CaseIterable {
        case architecture, output, overlap, rename
        case architectureOptions = "architecture_options", ignoreIndex = "ignore_index", allowPartialLoad = "allow_partial_load"
    }

    init(card: ModelCard) {
        architecture = card.architecture
        architectureOptions = card.architectureOptions.isEmpty ? nil : card.architectureOptions
        output = card.output
        overlap = card.overlap
        ignoreIndex = card.ignoreIndex
        rename = card.rename.isEmpty ? nil : card.rename
        allowPartialLoad = card.allowPartialLoad ? true : nil
    }

    init(from decoder: Decoder) throws {
        try StrictDecoding.rejectUnknownKeys(in: decoder, allowed: CodingKeys.self, context: "mlm:hyperparameters.geolens")
        let c = try decoder.container(keyedBy: CodingKeys.self)
        architecture = try c.decodeIfPresent(String.self, forKey: .architecture)
        architectureOptions = try c.decodeIfPresent([String: JSONValue].self, forKey: .architectureOptions)
        output = try c.decodeIfPresent(ModelCard.Output.self, forKey: .output)
        overlap = try c.decodeIfPresent(Int.self, forKey: .overlap)
        ignoreIndex = try c.decodeIfPresent(Int.self, forKey: .ignoreIndex)
        rename = try c.decodeIfPresent([ModelCard.RenameRule].self, forKey: .rename)
        allowPartialLoad = try c.decodeIfPresent(Bool.self, forKey: .allowPartialLoad)
    }
}
