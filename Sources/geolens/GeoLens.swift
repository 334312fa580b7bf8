import ArgumentParser
import GeoLensTensor

@main
struct GeoLens: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "geolens",
        abstract: "Evaluate and explain semantic-segmentation checkpoints on GeoTIFF tiles.",
        version: "0.1.0",
        subcommands: [EvalCommand.self, PredictCommand.self, ExplainCommand.self, CompareCommand.self,
                      ReportCommand.self, TrainCommand.self, MergeCommand.self, InspectCommand.self,
                      DemoCommand.self])
}
