import ArgumentParser
import Foundation
import GeoLensGeo
import GeoLensNN
import GeoLensPipeline

/// `geolens inspect PATH [--json]`: prints the facts of a raster (size, bands, types, nodata,
/// CRS, geotransform, block size), of an ONNX model (inputs, outputs, operator sets, operator
/// counts, parameters, layers usable as `--layer`) or of a checkpoint (format, tensors,
/// parameters, and the GradCAM layers when a model card of a built-in architecture is beside it).
/// The kind of file is decided by its extension.
struct InspectCommand: ReportingCommand {
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

    func execute() throws {
        switch Target(path: path) {
        case .raster:
            try printRaster()
        case .checkpoint(let format):
            guard FileManager.default.fileExists(atPath: path) else {
                throw PipelineError.data("\(path) does not exist; check the path")
            }
            print(format == "ONNX" ? try ModelInspection.onnx(path: path, json: json)
                  : try ModelInspection.checkpoint(path: path, json: json))
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
}
