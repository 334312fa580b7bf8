import Foundation
import GeoLensTensor
import GeoLensTestSupport
import Testing
@testable import GeoLensNN

/// `fixtures/checkpoints/expected.json`, written by scripts/reference/checkpoints.py.
struct CheckpointExpectations: Decodable {
    struct Entry: Decodable {
        let name: String
        let kind: String
        let shape: [Int]
        let data: [Double]
    }

    let torch: String
    let lightning: String
    let payloadMarker: String
    let safetensorsMetadata: [String: String]
    let files: [String: [Entry]]
    let refused: [String: String]
    /// Damaged copies of state_dict.pth and a fragment their error must contain.
    let damaged: [String: String]

    enum CodingKeys: String, CodingKey {
        case torch, lightning, files, refused, damaged
        case payloadMarker = "payload_marker"
        case safetensorsMetadata = "safetensors_metadata"
    }

    static func load() throws -> CheckpointExpectations {
        let data = try Data(contentsOf: Fixtures.url("fixtures/checkpoints/expected.json"))
        return try JSONDecoder().decode(CheckpointExpectations.self, from: data)
    }

    static func url(_ name: String) -> URL { Fixtures.url("fixtures/checkpoints/\(name)") }
}

/// Reads the fixture checkpoints PyTorch, Lightning and safetensors wrote and compares every
/// tensor exactly with the values the generator recorded.
@Suite("Checkpoint fixtures")
struct CheckpointFixtureTests {
    /// Checks that `dict` holds exactly the `expected` entries with their shapes and values.
    func expectMatches(_ dict: StateDict, _ expected: [CheckpointExpectations.Entry], orderMatters: Bool) {
        if orderMatters {
            #expect(dict.names == expected.map(\.name))
        } else {
            #expect(Set(dict.names) == Set(expected.map(\.name)))
        }
        for entry in expected {
            switch dict[entry.name] {
            case .float(let tensor)?:
                #expect(entry.kind == "float", "\(entry.name) read as float")
                #expect(tensor.shape == entry.shape, "\(entry.name) shape")
                #expect(tensor.scalars == entry.data.map { Float($0) }, "\(entry.name) values")
            case .integer(let buffer)?:
                #expect(entry.kind == "int", "\(entry.name) read as integer")
                #expect(buffer.shape == entry.shape, "\(entry.name) shape")
                #expect(buffer.values == entry.data.map { Int64($0) }, "\(entry.name) values")
            case nil:
                Issue.record("\(entry.name) missing")
            }
        }
    }

    @Test(arguments: ["state_dict.pth", "nested.pth", "lightning.ckpt"])
    func torchZipCheckpointsMatchPyTorch(_ name: String) throws {
        let expected = try CheckpointExpectations.load()
        let dict = try CheckpointReader.read(CheckpointExpectations.url(name))
        try expectMatches(dict, #require(expected.files[name]), orderMatters: true)
    }

    @Test func stateDictHoldsEveryDTypeAndView() throws {
        let dict = try CheckpointReader.read(CheckpointExpectations.url("state_dict.pth"))
        #expect(dict.format == .pytorch)
        #expect(dict.integer("model.bn.num_batches_tracked") == IntegerTensor(shape: [], values: [7], dtype: .int64))
        #expect(dict.integer("model.extra.mask")?.dtype == .bool)
        #expect(dict.integer("model.extra.uint8")?.values == [0, 200, 255])
        // A transposed [3, 5] tensor: element (i, j) of the view is element (j, i) of the storage.
        let transposed = try #require(dict.tensor("model.extra.transposed"))
        #expect(transposed.shape == [5, 3])
        let base = try #require(dict.tensor("model.extra.shared_base")).scalars
        #expect(try #require(dict.tensor("model.extra.shared_row")).scalars == Array(base[8..<12]))
        #expect(try #require(dict.tensor("model.extra.strided")).scalars
                == [base[4], base[6], base[8], base[10], base[12], base[14], base[16], base[18], base[20], base[22]])
    }

    @Test func nestedCheckpointKeepsScalarsAsMetadata() throws {
        let dict = try CheckpointReader.read(CheckpointExpectations.url("nested.pth"))
        #expect(dict.metadata["epoch"] == "3")
        #expect(dict.format == .pytorch)
    }

    @Test func lightningCheckpointTakesItsStateDict() throws {
        let expected = try CheckpointExpectations.load()
        let dict = try CheckpointReader.read(CheckpointExpectations.url("lightning.ckpt"))
        #expect(dict.format == .lightning)
        #expect(dict.metadata["global_step"] == "2")
        if expected.lightning.hasPrefix("lightning") {
            // Written by a real Trainer: hyper-parameters include a PosixPath and a Namespace.
            #expect(dict.metadata["hyper_parameters.lr"] == "0.01")
            #expect(dict.metadata["hyper_parameters.data_dir"] == "/data/tiles")
            #expect(dict.metadata["pytorch-lightning_version"] != nil)
        }
    }

    @Test func safetensorsMatchesPyTorchAndKeepsMetadata() throws {
        let expected = try CheckpointExpectations.load()
        let url = CheckpointExpectations.url("state_dict.safetensors")
        #expect(try CheckpointReader.detectFormat(url) == .safetensors)
        let dict = try CheckpointReader.read(url)
        try expectMatches(dict, #require(expected.files["state_dict.safetensors"]), orderMatters: false)
        #expect(dict.metadata == expected.safetensorsMetadata)
        #expect(dict.format == .safetensors)
    }

    @Test func legacyPickleIsRefusedWithAdvice() throws {
        let url = CheckpointExpectations.url("legacy.pth")
        let error = try #require(throws: CheckpointError.self) { try CheckpointReader.read(url) }
        #expect(error.code == .legacyPickle)
        #expect(error.description.contains("legacy.pth"))
        #expect(error.description.contains("torch.save(model.state_dict(), path)"))
    }

    @Test(arguments: ["damaged_big_endian.pth", "damaged_missing_storage.pth"])
    func damagedArchivesNameTheProblem(_ name: String) throws {
        let fragment = try #require(try CheckpointExpectations.load().damaged[name])
        let error = try #require(throws: CheckpointError.self) { try CheckpointReader.read(CheckpointExpectations.url(name)) }
        #expect(error.message.contains(fragment), "\(error)")
        #expect(error.description.contains(name))
    }

    @Test func unknownContentIsReportedWithTheFileName() throws {
        let dir = try CheckpointScratch()
        let url = dir.url("weights.onnx")
        try Data("not a checkpoint at all".utf8).write(to: url)
        let error = try #require(throws: CheckpointError.self) { try CheckpointReader.read(url) }
        #expect(error.code == .unknownFormat)
        #expect(error.description.hasPrefix(url.path))
        let missing = try #require(throws: CheckpointError.self) { try CheckpointReader.read(dir.url("absent.pth")) }
        #expect(missing.code == .unreadable)
    }
}

/// A temporary folder removed when the value is released.
final class CheckpointScratch {
    let root: URL

    init() throws {
        root = FileManager.default.temporaryDirectory
            .appendingPathComponent("geolens-checkpoint-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
    }

    func url(_ name: String) -> URL { root.appendingPathComponent(name) }

    deinit { try? FileManager.default.removeItem(at: root) }
}
