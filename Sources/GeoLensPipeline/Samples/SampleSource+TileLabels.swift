import GeoLensGeo
public import GeoLensNN

/// Tile labels of the classification tasks: from a label table or class folders, resolved to
/// class indices of the model card.
extension SampleSource {
    /// Checks that the label layout fits the card's task (`SampleSourceOptions.checkLayout(task:)`)
    /// and that a label table has the column the task reads (`label` or `labels`).
    public func checkLayout(card: ModelCard) throws(PipelineError) {
        try options.checkLayout(task: card.task)
        guard let table else { return }
        let task = card.task
        let expected: TileLabelTable.Kind = task == .multilabel ? .multiple : .single
        if table.kind != expected {
            throw .data("\(table.path) has a '\(table.kind.rawValue)' column but the model card's task is '\(task.rawValue)', "
                        + "which needs '\(expected.rawValue)'"
                        + (expected == .multiple ? " (classes separated by ';', empty for none)" : " (one class per tile)"))
        }
    }

    /// Checks every tile's label against the card's classes before a run starts, so a bad row
    /// fails at once (naming the file and line) rather than after the tiles before it are scored.
    public func checkLabels(card: ModelCard) throws(PipelineError) {
        try checkLayout(card: card)
        guard card.task.scoresTiles else { return }
        for file in dataset.pairs { _ = try tileLabel(file, card: card) }
    }

    /// The label of `file` for a tile task: its class or its set of classes (the card's `classes`,
    /// required for tile tasks); nil when it has no row in the table (only with `allowUnlabelled`).
    func tileLabel(_ file: TilePair, card: ModelCard) throws(PipelineError) -> SampleLabel? {
        let classNames = card.classes ?? []
        if options.classFolders {
            let folder = TileDataset.classFolder(of: file)
            guard let index = Self.classIndex(folder, classNames: classNames) else {
                throw .data("\(file.image): its class folder '\(folder)' is neither a class of the model card "
                            + "(\(classNames.joined(separator: ", "))) nor a class index below \(classNames.count)")
            }
            return .tileClass(index)
        }
        guard let table else { return nil }
        guard let row = table.row(for: file) else {
            if options.allowUnlabelled { return nil }
            throw .data("\(table.path) has no row for tile \(file.image); add one or pass --allow-unlabelled")
        }
        var indices: [Int] = []
        for value in row.values {
            guard let index = Self.classIndex(value, classNames: classNames) else {
                throw .data("\(table.path) line \(row.line): '\(value)' is neither a class of the model card "
                            + "(\(classNames.joined(separator: ", "))) nor a class index below \(classNames.count)")
            }
            indices.append(index)
        }
        return table.kind == .single ? .tileClass(indices[0]) : .tileClasses(Set(indices))
    }

    /// A class name, or a 0-based index written as an integer, as a class index.
    static func classIndex(_ text: String, classNames: [String]) -> Int? {
        if let index = classNames.firstIndex(of: text) { return index }
        if let index = Int(text), classNames.indices.contains(index) { return index }
        return nil
    }
}
