import ArgumentParser
import GeoLensPipeline

@main
struct GeoLens: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "geolens",
        abstract: "Evaluate and explain semantic-segmentation checkpoints on GeoTIFF tiles.",
        version: GeoLensVersion.current,
        subcommands: [EvalCommand.self, PredictCommand.self, ExplainCommand.self, CompareCommand.self,
                      ReportCommand.self, TrainCommand.self, MergeCommand.self, InspectCommand.self,
                      DemoCommand.self, ExportSTACCommand.self, IndexCommand.self])
}
