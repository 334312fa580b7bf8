import Foundation
import GeoLensTensor
import Testing
@testable import GeoLensNN

/// safetensors writing, header validation, and the zero-copy read path.
@Suite("Checkpoint safetensors")
struct CheckpointSafetensorsTests {
    static func sample() -> StateDict {
        var dict = StateDict(metadata: ["format": "pt"])
        dict["encoder.weight"] = .float(Tensor(shape: [2, 3], scalars: [1, -2, 3.5, 0, .infinity, -0.25]))
        dict["encoder.bn.num_batches_tracked"] = .integer(IntegerTensor(shape: [], values: [12]))
        dict["mask"] = .integer(IntegerTensor(shape: [3], values: [1, 0, 1], dtype: .bool))
        dict["small"] = .integer(IntegerTensor(shape: [2], values: [-5, 300], dtype: .int16))
        dict["empty"] = .float(Tensor(shape: [0, 4], scalars: []))
        return dict
    }

    @Test func writeThenReadRoundTrips() throws {
        let scratch = try CheckpointScratch()
        let url = scratch.url("weights.safetensors")
        let original = Self.sample()
        try SafetensorsWriter.write(original, metadata: ["classes": "clear,\"cloud\"\n"], to: url)
        let back = try CheckpointReader.read(url)
        #expect(back.names == original.names, "file order is the write order")
        #expect(back.metadata == ["classes": "clear,\"cloud\"\n"])
        #expect(back.tensor("encoder.weight")?.scalars == [1, -2, 3.5, 0, .infinity, -0.25])
        #expect(back.integer("encoder.bn.num_batches_tracked") == IntegerTensor(shape: [], values: [12]))
        #expect(back.integer("mask") == IntegerTensor(shape: [3], values: [1, 0, 1], dtype: .bool))
        #expect(back.integer("small") == IntegerTensor(shape: [2], values: [-5, 300], dtype: .int16))
        #expect(back.tensor("empty")?.shape == [0, 4])
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: scratch.root.path)
        #expect(leftovers == ["weights.safetensors"], "no temporary file remains")
    }

    @Test func writingReplacesAnExistingFileWhileItIsMapped() throws {
        let scratch = try CheckpointScratch()
        let url = scratch.url("weights.safetensors")
        try SafetensorsWriter.write(Self.sample(), to: url)
        let first = try SafetensorsReader.read(url)   // borrows the mapping of the first file
        var second = StateDict()
        second["only"] = .float(Tensor(shape: [1], scalars: [42]))
        try SafetensorsWriter.write(second, to: url)
        #expect(try SafetensorsReader.read(url).names == ["only"])
        // The renamed-over file stays mapped and intact for tensors still borrowing it.
        #expect(first.tensor("encoder.weight")?.scalars[2] == 3.5)
    }

    @Test func writingIntoAMissingFolderNamesIt() throws {
        let url = URL(fileURLWithPath: "/nonexistent-geolens-folder/w.safetensors")
        let error = try #require(throws: CheckpointError.self) { try SafetensorsWriter.write(Self.sample(), to: url) }
        #expect(error.code == .unwritable)
        #expect(error.description.contains("/nonexistent-geolens-folder/w.safetensors"))
    }

    /// A safetensors file with the given JSON header and `dataBytes` zero bytes of data.
    static func file(header: String, dataBytes: Int, in scratch: CheckpointScratch) throws -> URL {
        var bytes = withUnsafeBytes(of: UInt64(header.utf8.count).littleEndian) { Array($0) }
        bytes += Array(header.utf8) + [UInt8](repeating: 0, count: dataBytes)
        let url = scratch.url("bad.safetensors")
        try Data(bytes).write(to: url)
        return url
    }

    static let invalidHeaders: [(String, Int, CheckpointError.Code, String)] = [
        (#"{"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"v":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}"#,
         12, .corrupt, "overlap"),
        (#"{"w":{"dtype":"C64","shape":[1],"data_offsets":[0,8]}}"#, 8, .unsupportedDType, "C64"),
        (#"{"w":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}"#, 8, .corrupt, "w: shape [3]"),
        (#"{"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}"#, 4, .truncated, "w ends at data byte 8"),
        (#"{"w":{"dtype":"F32","shape":[-2],"data_offsets":[0,8]}}"#, 8, .corrupt, "shape entry -2"),
        (#"{"w":{"dtype":"F32","shape":[2],"data_offsets":[8,0]}}"#, 8, .corrupt, "data_offsets [8, 0]"),
        (#"{"w":{"shape":[2],"data_offsets":[0,8]}}"#, 8, .corrupt, "w has no dtype"),
        (#"{"__metadata__":{"n":3}}"#, 0, .corrupt, "__metadata__ key n"),
        (#"{"w": [1, 2"#, 0, .corrupt, "not well-formed JSON"),
        (#"[1, 2]"#, 0, .corrupt, "not a JSON object"),
        (String(repeating: "[", count: 100_000), 0, .corrupt, "not well-formed JSON"),
    ]

    @Test func invalidHeadersGiveOneClearError() throws {
        let scratch = try CheckpointScratch()
        for (header, dataBytes, code, fragment) in Self.invalidHeaders {
            let url = try Self.file(header: header, dataBytes: dataBytes, in: scratch)
            let error = try #require(throws: CheckpointError.self, "\(header)") { try SafetensorsReader.read(url) }
            #expect(error.code == code, "\(header): \(error)")
            #expect(error.message.contains(fragment), "\(header): \(error)")
            #expect(error.description.hasPrefix(url.path))
        }
    }

    @Test func headerLengthStartingWithThePickleMarkerIsStillSafetensors() throws {
        let scratch = try CheckpointScratch()
        let json = #"{"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}"#
        let header = json + String(repeating: " ", count: 0x80 - json.utf8.count)
        let url = try Self.file(header: header, dataBytes: 4, in: scratch)
        #expect(try Data(contentsOf: url).first == 0x80)
        #expect(try CheckpointReader.detectFormat(url) == .safetensors)
        #expect(try CheckpointReader.read(url).tensor("w")?.scalars == [0])
    }

    /// The read path copies no Float32 bytes: tensors point into the mapped file, and writing to
    /// one copies that tensor only, leaving the file untouched.
    @Test func float32TensorsBorrowTheMappedFile() throws {
        let scratch = try CheckpointScratch()
        let url = scratch.url("big.safetensors")
        var dict = StateDict()
        dict["a"] = .float(Tensor(shape: [256, 256], repeating: 1.5))
        dict["h"] = .float(Tensor(shape: [4], scalars: [1, 2, 3, 4]))
        try SafetensorsWriter.write(dict, to: url)
        let file = try MappedFile(url: url)
        let mapped = file.base..<(file.base + file.count)
        let borrowed = try SafetensorsReader.read(file, borrowingMappedMemory: true)
        var a = try #require(borrowed.tensor("a"))
        let aAddress = a.withUnsafeBufferPointer { UnsafeRawPointer($0.baseAddress!) }
        #expect(mapped.contains(aAddress), "Float32 data is read in place")
        a.withUnsafeMutableBufferPointer { $0[0] = 99 }
        #expect(!mapped.contains(a.withUnsafeBufferPointer { UnsafeRawPointer($0.baseAddress!) }),
                "a write copies the tensor out of the mapping")
        #expect(try SafetensorsReader.read(url).tensor("a")?.scalars[0] == 1.5, "the file is unchanged")

        let copied = try SafetensorsReader.read(file, borrowingMappedMemory: false)
        let cAddress = try #require(copied.tensor("a")).withUnsafeBufferPointer { UnsafeRawPointer($0.baseAddress!) }
        #expect(!mapped.contains(cAddress), "copy mode converts once into owned storage")
        #expect(copied.tensor("a")?.scalars == Array(repeating: 1.5, count: 65536))
    }

    @Test func halfPrecisionConversionCoversSpecialValues() {
        let cases: [(UInt16, Float)] = [(0x3C00, 1), (0xC000, -2), (0x0001, 5.9604645e-8), (0x7BFF, 65504),
                                        (0x7C00, .infinity), (0x8000, -0.0), (0x3555, 0.33325195)]
        for (bits, value) in cases {
            #expect(CheckpointDType.halfToFloat(bits) == value, "0x\(String(bits, radix: 16))")
        }
        #expect(CheckpointDType.halfToFloat(0x7E00).isNaN)
    }
}
