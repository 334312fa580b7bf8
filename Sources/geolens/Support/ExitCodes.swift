import ArgumentParser
import Foundation

/// How GeoLens commands fail: one `error:` line on stderr and an exit status that tells
/// usage and configuration mistakes (64, as swift-argument-parser's usage errors) apart
/// from data and runtime failures (1).
enum Failure: Error, CustomStringConvertible {
    /// A bad flag, config file or config value: the user must change the command.
    case usage(String)
    /// Bad input data or a failure while running: the message names the file.
    case runtime(String)

    var description: String {
        switch self {
        case .usage(let m), .runtime(let m): m
        }
    }

    var exitCode: ExitCode {
        switch self {
        case .usage: ExitCode(64)
        case .runtime: ExitCode(1)
        }
    }
}

/// A command body that may throw any error; `runReportingErrors` turns errors into the
/// one-line `error:` contract.
protocol ReportingCommand: ParsableCommand {
    func execute() throws
}

extension ReportingCommand {
    func run() throws {
        do {
            try execute()
        } catch let failure as Failure {
            printError(failure.description)
            throw failure.exitCode
        } catch let exit as ExitCode {
            throw exit
        } catch let error as ValidationError {
            throw error
        } catch {
            printError(String(describing: error))
            throw ExitCode(1)
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
