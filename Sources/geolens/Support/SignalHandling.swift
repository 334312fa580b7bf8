import Dispatch
import Foundation
import GeoLensPipeline
#if canImport(Glibc)
import Glibc
#endif

/// SIGINT and SIGTERM ask the running pipeline to stop at its next safe point
/// (`RunInterruption`): an evaluation flushes its journal and exits 130/143 with the command
/// that resumes it. A second signal ends the process at once with the same status.
enum SignalHandling {
    nonisolated(unsafe) private static var sources: [DispatchSourceSignal] = []

    static func install() {
        guard sources.isEmpty else { return }
        for signalNumber in [SIGINT, SIGTERM] {
            signal(signalNumber, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: signalNumber, queue: .global())
            source.setEventHandler {
                if RunInterruption.requestedSignal != nil { exit(128 + signalNumber) }
                printNote("geolens: received \(signalNumber == SIGINT ? "SIGINT" : "SIGTERM"); stopping at the next safe point "
                          + "(send it again to stop at once)")
                RunInterruption.request(signal: signalNumber)
            }
            source.resume()
            sources.append(source)
        }
    }
}
