import Foundation
import GeoLensGeo
import GeoLensNN
import GeoLensPipeline
import GeoLensTestSupport
import Testing

/// Tile labels for classification cards: label tables and class folders, read through
/// `SampleSource` (the path eval, explain and train share).
@Suite struct TileLabelSourceTests {
    static let root = Fixtures.url("fixtures/classification")
    static let glob = root.appendingPathComponent("images").path + "/*/*.tif"

    func card(_ task: ModelTask = .classification) -> ModelCard {
        ModelCard(architecture: "onnx", inChannels: 4, classes: ["water", "vegetation", "cloud"], inputScale: 0.0001,
                  task: task)
    }

    @Test func classFoldersLabelEachTileWithItsFolder() throws {
        let source = try SampleSource(SampleSourceOptions(images: Self.root.appendingPathComponent("images").path, classFolders: true))
        #expect(source.files.count == 15)
        #expect(source.files[0].relativePath == "cloud/chip_10.tif" && source.files[0].stem == "chip_10")
        try source.checkLabels(card: card())
        let sample = try source.read(source.files[0], card: card())
        #expect(sample.label == .tileClass(2))
        #expect(sample.image.shape == [4, 16, 16])
        #expect(throws: PipelineError.self) { try source.checkLabels(card: card(.multilabel)) }
    }

    @Test func tablesMatchFileNamesStemsAndIndices() throws {
        let source = try SampleSource(SampleSourceOptions(images: Self.glob, labels: Self.root.appendingPathComponent("labels.csv").path))
        try source.checkLabels(card: card())
        var labels: [String: SampleLabel] = [:]
        for file in source.files { labels[file.stem] = try source.read(file, card: card()).label }
        #expect(labels["chip_00"] == .tileClass(0))   // keyed by file name
        #expect(labels["chip_01"] == .tileClass(0))   // keyed by stem
        #expect(labels["chip_04"] == .tileClass(0))   // class given as index 0
        #expect(labels["chip_14"] == .tileClass(2))
    }

    @Test func multiLabelTablesReadSetsAndEmptyFields() throws {
        let table = Self.root.appendingPathComponent("labels_multilabel.csv").path
        let missing = #expect(throws: PipelineError.self) { try SampleSource(SampleSourceOptions(images: Self.glob, labels: table)) }
        #expect(missing?.message.contains("chip_08.tif") == true && missing?.message.contains("--allow-unlabelled") == true)
        let source = try SampleSource(SampleSourceOptions(images: Self.glob, labels: table, allowUnlabelled: true))
        let card = card(.multilabel)
        var labels: [String: SampleLabel?] = [:]
        for file in source.files { labels[file.stem] = try source.read(file, card: card).label }
        #expect(labels["chip_13"] == .tileClasses([1, 2]))
        #expect(labels["chip_14"] == .tileClasses([]))
        #expect(labels["chip_08"] == .some(nil))
    }

    @Test func csvQuotingAndLineNumbers() throws {
        let dir = try GeoLensCLI.temporaryDirectory("labels")
        defer { try? FileManager.default.removeItem(at: dir) }
        let csv = dir.appendingPathComponent("labels.csv")
        try "\u{FEFF}tile,labels,notes\r\n\r\n\"chip_00\",\"water;cloud\",\"a, b\"\r\nchip_01,vegetation,\"two\nlines\"\r\nchip_02,sea,\n"
            .write(to: csv, atomically: true, encoding: .utf8)
        let source = try SampleSource(SampleSourceOptions(images: Self.glob, labels: csv.path, allowUnlabelled: true))
        let chip0 = try #require(source.files.first { $0.stem == "chip_00" })
        #expect(try source.read(chip0, card: card(.multilabel)).label == .tileClasses([0, 2]))
        let error = #expect(throws: PipelineError.self) { try source.checkLabels(card: card(.multilabel)) }
        #expect(error?.message.hasPrefix("\(csv.path) line 6: 'sea' is neither a class") == true, "\(error?.message ?? "")")
    }
}
