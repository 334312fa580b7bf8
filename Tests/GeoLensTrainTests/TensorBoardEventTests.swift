import Foundation
import GeoLensTestSupport
@testable import GeoLensTrain
import Testing

/// TensorBoard event files: CRC-32C, TFRecord framing and hand-encoded Event protos, checked
/// against a file written by TensorBoard's own `EventFileWriter`
/// (`scripts/reference/tensorboard_events.py write`).
@Suite struct TensorBoardEventTests {
    static let reference = Fixtures.url("fixtures/reference/tensorboard/reference.tfevents")

    /// PNG bytes of the reference image, from reference.json.
    static func referencePNG() throws -> Data {
        let json = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: Fixtures.url("fixtures/reference/tensorboard/reference.json"))) as? [String: Any])
        let events = try #require(json["events"] as? [[String: Any]])
        let image = try #require(events.compactMap { $0["image"] as? [String: Any] }.first)
        let text = try #require(image["png_base64"] as? String)
        return try #require(Data(base64Encoded: text))
    }

    /// The events the reference script wrote, built here from scratch.
    static func expectedEvents() throws -> [TensorBoardEvent] {
        let start = 1_700_000_000.0
        func scalars(_ values: [(String, Float)]) -> TensorBoardEvent.Content {
            .summary(values.map { ($0.0, TensorBoardEvent.Value.scalar($0.1)) })
        }
        return [
            TensorBoardEvent(wallTime: start, step: 0, content: .fileVersion("brain.Event:2"),
                             writer: "tensorboard.summary.writer.event_file_writer"),
            TensorBoardEvent(wallTime: start + 1, step: 1, content: scalars([("loss/train", 0.75), ("loss/val", 0.5),
                                                                             ("metrics/val_miou", 0.25), ("learning_rate", 0.001)])),
            TensorBoardEvent(wallTime: start + 2, step: 2, content: scalars([("loss/train", 0.375), ("loss/val", 0.3125),
                                                                             ("metrics/val_miou", 0.625), ("learning_rate", 0.0005)])),
            TensorBoardEvent(wallTime: start + 2.5, step: 2, content: .summary([
                ("snapshots/tile_class-cloud", .image(png: try referencePNG(), width: 3, height: 2, colorspace: 4))])),
            TensorBoardEvent(wallTime: start + 3, step: 2, content: .sessionLog(status: 1, message: "resumed after epoch 1")),
        ]
    }

    @Test func crc32cMatchesTheCastagnoliCheckValue() {
        #expect(CRC32C.checksum(Array("123456789".utf8)) == 0xE306_9283)
        #expect(CRC32C.checksum([UInt8]()) == 0)
        #expect(CRC32C.checksum([UInt8](repeating: 0, count: 32)) == 0x8A91_36AA)
    }

    @Test func readsTheFileTensorBoardWrote() throws {
        let events = try TensorBoardEventFile.read(Self.reference)
        #expect(events == (try Self.expectedEvents()))
    }

    @Test func writesTheSameBytesAsTensorBoard() throws {
        let ours = try Self.expectedEvents().reduce(into: Data()) { $0.append(TFRecord.frame($1.encoded())) }
        #expect(ours == (try Data(contentsOf: Self.reference)))
    }

    @Test func aCorruptRecordIsAnErrorNamingTheFile() throws {
        var bytes = try Data(contentsOf: Self.reference)
        bytes[bytes.count - 10] ^= 0xFF
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("corrupt-\(UUID().uuidString).tfevents")
        try bytes.write(to: url)
        defer { try? FileManager.default.removeItem(at: url) }
        let error = #expect(throws: TrainingError.self) { try TensorBoardEventFile.read(url) }
        #expect(error.map { "\($0)".contains(url.path) && "\($0)".contains("checksum") } == true)
        try bytes.prefix(bytes.count - 3).write(to: url)
        #expect(throws: TrainingError.self) { try TensorBoardEventFile.read(url) }
    }

    @Test func theEventFileStartsWithItsVersionAndAppends() throws {
        let directory = try GeoLensCLI.temporaryDirectory("tfevents")
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = try TensorBoardEventFile(directory: directory, wallTime: 1_700_000_000)
        #expect(file.url.lastPathComponent.hasPrefix("events.out.tfevents.1700000000."))
        try file.append([TensorBoardEvent(wallTime: 1_700_000_001, step: 1, content: .summary([("loss/train", .scalar(0.5))]))])
        let events = try TensorBoardEventFile.read(file.url)
        #expect(events.count == 2)
        #expect(events[0].content == .fileVersion("brain.Event:2") && events[0].writer?.hasPrefix("geolens") == true)
        #expect(events[1].step == 1 && events[1].content == .summary([("loss/train", .scalar(0.5))]))
        #expect(TensorBoardEventFile.files(in: directory) == [file.url])
    }
}
