import ArgumentParser
import Foundation
import GeoLensPipeline

/// `geolens export-stac M`: a STAC MLM 1.5 item describing checkpoint `M` and its model card
/// (`STACExport`), which GeoLens and other MLM tools read back.
struct ExportSTACCommand: ReportingCommand {
    static let configuration = CommandConfiguration(
        commandName: "export-stac",
        abstract: "Write a STAC MLM 1.5 item (M.item.json) for a checkpoint with a model card.",
        discussion: """
            The item carries the card: input shape and dimension order, band names, value scaling (z-score, \
            min-max, offset, scale, clip), classes with colour hints, and the GeoLens keys MLM has no field for \
            (mlm:hyperparameters.geolens). Wherever a model card is accepted, the item is too (--model-card \
            item.json, M.item.json or M.stac.json beside the checkpoint, or --model item.json).
            """)

    @Argument(help: "Checkpoint (.safetensors, .pth/.pt/.ckpt, .onnx) with a model card.") var model: String
    @Option(name: .customLong("model-card"), help: "Model card (default: the checkpoint's sidecar).") var modelCard: String?
    @Option(help: "Output file (default: the checkpoint's name with .item.json).") var out: String?
    @Option(name: .customLong("bands-from"), help: "Name the fed bands after this raster's band descriptions.")
    var bandsFrom: String?
    @Option(help: "The model's name (mlm:name; default: the checkpoint's stem).") var title: String?

    func execute() throws {
        let path = try STACExport.write(checkpoint: model, card: modelCard, out: out, bandsFrom: bandsFrom, title: title)
        print(path)
    }
}
