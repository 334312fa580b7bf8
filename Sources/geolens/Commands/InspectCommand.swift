import ArgumentParser
import Foundation
import GeoLensGeo

/// `geolens inspect PATH [--json]`: prints the facts of a raster (size, bands, types, nodata,
/// CRS, geotransform, block size). Checkpoints are recognized by extension so that their
/// inspection can be added beside the raster branch.
struct InspectCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inspect",
        abstract: "Print the facts of a raster (or, later, a checkpoint).")

    @Argument(help: "A raster (GeoTIFF or any GDAL raster).")
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

    func run() throws {
        do {
            switch Target(path: path) {
            case .raster:
                try printRaster()
            case .checkpoint(let format):
                throw InspectFailure("\(path) looks like a checkpoint (\(format)); checkpoint inspection is not available in this build")
            }
        } catch let error as GeoError {
            Self.fail(error.description)
        } catch let error as InspectFailure {
            Self.fail(error.message)
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

    /// Prints one `error:` line on stderr and exits with the data-error status.
    private static func fail(_ message: String) -> Never {
        FileHandle.standardError.write(Data("error: \(message)\n".utf8))
        Foundation.exit(1)
    }
}

/// A failure of `inspect` that is not a raster error.
struct InspectFailure: Error {
    let message: String
    init(_ message: String) { self.message = message }
}
