/// One row of the runs index: an evaluation or a training run found under a folder.
public struct RunsIndexEntry: Sendable, Equatable {
    public enum Kind: String, Sendable { case eval, train }

    /// A headline number with its 95 % interval when the run has one.
    public struct Metric: Sendable, Equatable {
        public var value: Double?
        public var low: Double?
        public var high: Double?
        public init(_ value: Double?, low: Double? = nil, high: Double? = nil) {
            self.value = value; self.low = low; self.high = high
        }
    }

    public var kind: Kind
    /// The run folder relative to the index (`eval/a`), also the link base of `links`.
    public var name: String
    /// The checkpoint's file name, and its full path for the tooltip.
    public var model: String
    public var modelPath: String
    public var sha256: String?
    /// Images the run read (eval) or trained on (train).
    public var data: String
    /// ISO 8601 date of the run.
    public var date: String
    /// Eval: mIoU and overall accuracy with their intervals; train: the best epoch's validation
    /// mIoU and accuracy (no intervals).
    public var miou: Metric
    public var accuracy: Metric
    /// Eval: "12 tiles"; train: "40 epochs (best 31)".
    public var extent: String
    /// Sort key of `extent`.
    public var extentValue: Double
    /// Links relative to the index: (label, href).
    public var links: [(label: String, href: String)]

    public init(kind: Kind, name: String, model: String, modelPath: String, sha256: String?, data: String, date: String,
                miou: Metric, accuracy: Metric, extent: String, extentValue: Double, links: [(label: String, href: String)]) {
        self.kind = kind; self.name = name; self.model = model; self.modelPath = modelPath; self.sha256 = sha256
        self.data = data; self.date = date; self.miou = miou; self.accuracy = accuracy; self.extent = extent
        self.extentValue = extentValue; self.links = links
    }

    public static func == (a: RunsIndexEntry, b: RunsIndexEntry) -> Bool {
        a.kind == b.kind && a.name == b.name && a.model == b.model && a.modelPath == b.modelPath && a.sha256 == b.sha256
            && a.data == b.data && a.date == b.date && a.miou == b.miou && a.accuracy == b.accuracy && a.extent == b.extent
            && a.links.map(\.label) == b.links.map(\.label) && a.links.map(\.href) == b.links.map(\.href)
    }
}
