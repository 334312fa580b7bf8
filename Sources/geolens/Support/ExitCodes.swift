import ArgumentParser
import Foundation
import GeoLensPipeline
import GeoLensTrain

/// A command body that may throw any error; `run()` turns errors into the one-line `error:`
/// contract with the exit status of the error's kind (`PipelineError.exitStatus`: 64 for usage
/// and configuration mistakes, 1 for bad data and runtime failures).
protocol ReportingCommand: ParsableCommand {
    func execute() throws
}

extension ReportingCommand {
    func run() throws {
        do {
            try execute()
        } catch let exit as ExitCode {
            throw exit
        } catch let error as ValidationError {
            throw error
        } catch let error as TrainingError {
            printError(error.description)
            throw ExitCode(error.isConfiguration ? 64 : 1)
        } catch {
            let failure = PipelineError(wrapping: error)
            printError(failure.message)
            throw ExitCode(failure.exitStatus)
        }
    }
}

/// Writes `error: <message>` as a single line on stderr.
func printError(_ message: String) {
    let line = "error: " + message.replacingOccurrences(of: "\n", with: " ") + "\n"
    FileHandle.standardError.write(Data(line.utf8))
}

/// Writes a line to stderr (progress and notes; stdout is for results).
func printNote(_ message: String) {
    FileHandle.standardError.write(Data((message + "\n").utf8))
}
