public import Foundation

/// One named input of a multi-input model (the model card's `inputs` list): which source feeds
/// it, which bands or table columns, and its own scaling and normalization.
///
/// `name` is the ONNX graph input (or the built-in architecture's input). `source` is `images`
/// (the tile being evaluated, which defines the pixel grid) or the name of a source bound with
/// `--source NAME=PATH` (config `sources:`): a raster directory, a single raster warped onto each
/// tile's grid with `resampling`, or a CSV of per-tile scalars (`columns`).
public struct ModelInput: Codable, Sendable, Equatable {
    public var name: String
    public var source: String
    /// 1-based raster bands (raster sources). May be left out for an ONNX graph whose input
    /// declares its channel count (then bands 1...c); built-in architectures need it.
    public var bands: [Int]?
    /// CSV columns (table sources): one scalar each.
    public var columns: [String]?
    public var inputScale: Double
    public var inputOffset: Double
    public var mean: [Double]?
    public var std: [Double]?
    /// How a raster that is not on the tile's grid is warped onto it (default bilinear).
    public var resampling: String?

    /// The source name of the tile itself.
    public static let imagesSource = "images"
    public static let resamplings = ["nearest", "bilinear", "cubic", "average"]

    public init(name: String, source: String, bands: [Int]? = nil, columns: [String]? = nil, inputScale: Double = 1,
                inputOffset: Double = 0, mean: [Double]? = nil, std: [Double]? = nil, resampling: String? = nil) {
        self.name = name
        self.source = source
        self.bands = bands
        self.columns = columns
        self.inputScale = inputScale
        self.inputOffset = inputOffset
        self.mean = mean
        self.std = std
        self.resampling = resampling
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case name, source, bands, columns, mean, std, resampling
        case inputScale = "input_scale", inputOffset = "input_offset"
    }

    public init(from decoder: Decoder) throws {
        try StrictDecoding.rejectUnknownKeys(in: decoder, allowed: CodingKeys.self, context: "model card input")
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(name: try c.decode(String.self, forKey: .name),
                  source: try c.decodeIfPresent(String.self, forKey: .source) ?? Self.imagesSource,
                  bands: try c.decodeIfPresent([Int].self, forKey: .bands),
                  columns: try c.decodeIfPresent([String].self, forKey: .columns),
                  inputScale: try c.decodeIfPresent(Double.self, forKey: .inputScale) ?? 1,
                  inputOffset: try c.decodeIfPresent(Double.self, forKey: .inputOffset) ?? 0,
                  mean: try c.decodeIfPresent([Double].self, forKey: .mean),
                  std: try c.decodeIfPresent([Double].self, forKey: .std),
                  resampling: try c.decodeIfPresent(String.self, forKey: .resampling))
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(name, forKey: .name)
        try c.encode(source, forKey: .source)
        try c.encodeIfPresent(bands, forKey: .bands)
        try c.encodeIfPresent(columns, forKey: .columns)
        try c.encode(inputScale, forKey: .inputScale)
        try c.encode(inputOffset, forKey: .inputOffset)
        try c.encodeIfPresent(mean, forKey: .mean)
        try c.encodeIfPresent(std, forKey: .std)
        try c.encodeIfPresent(resampling, forKey: .resampling)
    }

    /// Whether this input is per-tile scalars (CSV columns) rather than raster bands.
    public var isScalar: Bool { columns != nil }

    /// How many channels this input feeds: its bands or its columns (0 while a raster input's
    /// bands are not yet known; see `bands`).
    public var channels: Int { columns?.count ?? bands?.count ?? 0 }

    /// A raster input whose bands the card leaves to the model's declared input.
    public var bandsUnresolved: Bool { bands == nil && columns == nil }

    /// Checks one entry, naming it (`inputs[2] 'dem'`).
    func validate(index: Int) throws(ModelCardError) {
        let label = "inputs[\(index)] '\(name)'"
        func fail(_ why: String) -> ModelCardError { ModelCardError(message: "model card \(label) \(why)") }
        if name.isEmpty { throw fail("has an empty name") }
        if source.isEmpty { throw fail("has an empty source") }
        switch (bands, columns) {
        case (nil, nil): break  // a raster input; its bands come from the model's declared input (ONNX)
        case (_?, _?): throw fail("has both 'bands' and 'columns'; a raster input takes bands, a table input columns")
        case (let bands?, nil):
            if bands.isEmpty { throw fail("lists no bands") }
            if let bad = bands.first(where: { $0 < 1 }) { throw fail("selects band \(bad); bands are 1-based") }
        case (nil, let columns?):
            if columns.isEmpty { throw fail("lists no columns") }
            if source == Self.imagesSource { throw fail("takes columns, but source 'images' is the tile raster; name a CSV source") }
            if resampling != nil { throw fail("takes columns; 'resampling' applies to raster inputs only") }
        }
        if let resampling, !Self.resamplings.contains(resampling) {
            throw fail("has resampling '\(resampling)'; use one of \(Self.resamplings.joined(separator: ", "))")
        }
        for (key, values) in [("mean", mean), ("std", std)] {
            guard let values else { continue }
            if !bandsUnresolved, values.count != channels { throw fail("has \(values.count) '\(key)' values for \(channels) channels") }
            if values.contains(where: { !$0.isFinite }) { throw fail("holds a non-finite '\(key)' value") }
        }
        if let std, std.contains(where: { $0 <= 0 }) { throw fail("has a 'std' value that is not positive") }
        if !inputScale.isFinite || inputScale == 0 { throw fail("'input_scale' must be finite and non-zero") }
    }
}

/// Where each input of a multi-input card sits in the one channel-stacked tensor GeoLens feeds
/// through its runs (`[N, C1 + C2 + ..., H, W]`, in card order; a scalar input is a constant plane
/// per column). Models split it back into named tensors with `unpack`, and attribution groups
/// name channels of it by input name (`image:1,2,3`).
public struct ModelInputLayout: Sendable, Equatable {
    public struct Entry: Sendable, Equatable {
        public let name: String
        public let source: String
        /// The channels of the stacked tensor this input occupies.
        public let channels: Range<Int>
        /// A per-tile scalar input (fed to the model as `[N, k]`).
        public let isScalar: Bool
    }

    public let entries: [Entry]

    public init(_ inputs: [ModelInput]) {
        var start = 0
        entries = inputs.map { input in
            defer { start += input.channels }
            return Entry(name: input.name, source: input.source, channels: start..<start + input.channels, isScalar: input.isScalar)
        }
    }

    /// Channels of the stacked tensor.
    public var channelCount: Int { entries.last?.channels.upperBound ?? 0 }

    public func entry(named name: String) -> Entry? { entries.first { $0.name == name } }
}

extension ModelCard {
    /// The stacking of the card's `inputs`, or nil for a single-input card.
    public var inputLayout: ModelInputLayout? { inputs.map(ModelInputLayout.init) }

    /// Checks the `inputs` list: each entry, unique names, and that card-level input keys that
    /// the entries replace are absent.
    func validateInputs() throws(ModelCardError) {
        guard let inputs else { return }
        func fail(_ why: String) -> ModelCardError { ModelCardError(message: "model card key 'inputs' \(why)") }
        if inputs.isEmpty { throw fail("must list at least one input") }
        for (index, input) in inputs.enumerated() { try input.validate(index: index) }
        let names = inputs.map(\.name)
        if let duplicate = names.first(where: { name in names.filter { $0 == name }.count > 1 }) {
            throw fail("names '\(duplicate)' twice; input names are the model's input names and must be unique")
        }
        if !inputs.contains(where: { $0.source == ModelInput.imagesSource }) {
            throw fail("has no input with source 'images'; the tile raster defines the grid and must feed one input")
        }
        for (key, set) in [("bands", bands != nil), ("band_names", bandNames != nil), ("mean", mean != nil), ("std", std != nil),
                           ("clip_min", clipMin != nil), ("clip_max", clipMax != nil),
                           ("input_scale", inputScale != 1), ("input_offset", inputOffset != 0)] where set {
            throw fail("gives each input its own '\(key)'; remove the card-level '\(key)'")
        }
        let total = inputs.reduce(0) { $0 + $1.channels }
        if let n = inChannels, n != total, !inputs.contains(where: \.bandsUnresolved) {
            throw fail("feeds \(total) channels in all but in_channels is \(n)")
        }
    }
}

extension ModelCard {
    /// Fails naming the input when a raster input gives no `bands` and nothing else can say how
    /// many it takes (built-in architectures, training).
    public func requireResolvedInputs(for what: String) throws(ModelCardError) {
        if let input = inputs?.first(where: \.bandsUnresolved) {
            throw ModelCardError(message: "model card input '\(input.name)' gives no 'bands'; \(what) needs them "
                                 + "(1-based bands of source '\(input.source)')")
        }
    }

    /// The card with every raster input's `bands` filled in from `channels` (the model's declared
    /// channel count per input name), for inputs that leave them out.
    public func resolvingInputs(_ channels: [String: Int]) -> ModelCard {
        guard var inputs else { return self }
        for i in inputs.indices where inputs[i].bandsUnresolved {
            if let c = channels[inputs[i].name], c > 0 { inputs[i].bands = Array(1...c) }
        }
        var card = self
        card.inputs = inputs
        return card
    }

    /// The single-input card that feeds the same stacked tensor, when every input reads the tile
    /// (`source: images`) with one `input_scale` and `input_offset` (a two-date card taking bands
    /// 1-4 and 5-8 is bands 1-8): what a STAC MLM item, which has one input, can describe.
    /// Nil when an input reads another source or the inputs scale differently.
    public var stackedImageCard: ModelCard? {
        guard let inputs else { return self }
        guard inputs.allSatisfy({ $0.source == ModelInput.imagesSource && !$0.isScalar }),
              Set(inputs.map(\.inputScale)).count == 1, Set(inputs.map(\.inputOffset)).count == 1 else { return nil }
        var card = self
        card.inputs = nil
        card.bands = inputs.flatMap { $0.bands ?? [] }
        card.inputScale = inputs[0].inputScale
        card.inputOffset = inputs[0].inputOffset
        if inputs.contains(where: { $0.mean != nil || $0.std != nil }) {
            card.mean = inputs.flatMap { $0.mean ?? Array(repeating: 0, count: $0.channels) }
            card.std = inputs.flatMap { $0.std ?? Array(repeating: 1, count: $0.channels) }
        }
        return card
    }
}
