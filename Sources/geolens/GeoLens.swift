import ArgumentParser
import GeoLensTensor

@main
struct GeoLens: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "geolens",
        abstract: "Evaluate and explain semantic-segmentation checkpoints on GeoTIFF tiles.",
        version: "0.1.0",
        subcommands: [InspectCommand.self, ExplainCommand.self])
}
