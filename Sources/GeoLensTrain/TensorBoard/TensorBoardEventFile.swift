public import Foundation
import GeoLensPipeline

/// A TensorBoard event file: `events.out.tfevents.<seconds>.<host>.<pid>.<n>`, the name
/// `tensorboard --logdir` looks for, holding TFRecord-framed `Event`s. The writer appends and
/// flushes after every `append`, so TensorBoard shows each epoch as it ends and a killed run loses
/// nothing it logged.
public final class TensorBoardEventFile {
    public let url: URL
    private let handle: FileHandle

    /// Creates a new event file in `directory`, starting with the file version event.
    public init(directory: URL, wallTime: Double = Date().timeIntervalSince1970) throws(TrainingError) {
        do { try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true) } catch {
            throw .data("cannot create \(directory.path) for TensorBoard events: \(error.localizedDescription)")
        }
        let host = ProcessInfo.processInfo.hostName.split(separator: ".").first.map(String.init) ?? "localhost"
        var counter = 0
        var url: URL
        repeat {
            url = directory.appendingPathComponent("events.out.tfevents.\(Int(wallTime)).\(host).\(getpid()).\(counter)")
            counter += 1
        } while FileManager.default.fileExists(atPath: url.path)
        guard FileManager.default.createFile(atPath: url.path, contents: nil),
              let handle = try? FileHandle(forWritingTo: url) else {
            throw .data("cannot create the TensorBoard event file \(url.path)")
        }
        self.url = url
        self.handle = handle
        try append([TensorBoardEvent(wallTime: wallTime, step: 0, content: .fileVersion(TensorBoardEvent.fileVersion),
                                     writer: "geolens \(GeoLensVersion.current)")])
    }

    deinit { try? handle.close() }

    /// Appends `events` and flushes them to disk.
    public func append(_ events: [TensorBoardEvent]) throws(TrainingError) {
        var data = Data()
        for event in events { data.append(TFRecord.frame(event.encoded())) }
        do {
            try handle.write(contentsOf: data)
            try handle.synchronize()
        } catch {
            throw .data("cannot write TensorBoard events to \(url.path): \(error.localizedDescription)")
        }
    }

    /// The events of an event file, in order.
    public static func read(_ url: URL) throws(TrainingError) -> [TensorBoardEvent] {
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw .data("cannot read TensorBoard event file \(url.path): \(error.localizedDescription)")
        }
        return try TFRecord.records(in: data, source: url.path).map { (record: Data) throws(TrainingError) -> TensorBoardEvent in
            try TensorBoardEvent(decoding: record, source: url.path)
        }
    }

    /// The event files in `directory` (not recursive), oldest first.
    public static func files(in directory: URL) -> [URL] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        return names.filter { $0.hasPrefix("events.out.tfevents.") }.sorted().map { directory.appendingPathComponent($0) }
    }
}
