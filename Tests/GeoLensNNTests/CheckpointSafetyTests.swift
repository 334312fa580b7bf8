import Foundation
import Testing
@testable import GeoLensNN

/// Hostile and damaged checkpoints: refused with a clear error, never executed, never a crash.
@Suite("Checkpoint safety")
struct CheckpointSafetyTests {
    @Test(arguments: ["malicious_os_system.pth", "malicious_builtins_eval.pth",
                      "malicious_subprocess_popen.pth", "malicious_posix_system.pth"])
    func maliciousPicklesAreRefusedNamingTheGlobal(_ name: String) throws {
        let expected = try CheckpointExpectations.load()
        let global = try #require(expected.refused[name])
        try? FileManager.default.removeItem(atPath: expected.payloadMarker)
        let error = try #require(throws: CheckpointError.self) {
            try CheckpointReader.read(CheckpointExpectations.url(name))
        }
        #expect(error.code == .forbiddenGlobal)
        #expect(error.message.contains(global), "message names \(global): \(error.message)")
        #expect(error.description.contains(name))
        #expect(!FileManager.default.fileExists(atPath: expected.payloadMarker), "the payload must never run")
    }

    /// Pickle programs written opcode by opcode; each must fail with the given code.
    static let brokenPickles: [(String, [UInt8], CheckpointError.Code)] = [
        ("empty", [], .truncated),
        ("no STOP", [0x80, 0x02, 0x7D], .truncated),
        ("pop from empty stack", [0x80, 0x02, 0x30, 0x2E], .corrupt),
        ("memo read before write", [0x80, 0x02, 0x68, 0x05, 0x2E], .corrupt),
        ("SETITEMS without MARK", [0x80, 0x02, 0x7D, 0x75, 0x2E], .corrupt),
        ("APPEND to a dict", [0x80, 0x02, 0x7D, 0x4E, 0x61, 0x2E], .corrupt),
        ("string longer than the stream", [0x80, 0x02, 0x58, 0xFF, 0xFF, 0x00, 0x00, 0x41], .truncated),
        ("text protocol INT", [0x49, 0x31, 0x0A, 0x2E], .unsupportedOpcode),
        ("INST of os.system", Array("ios\nsystem\n".utf8) + [0x2E], .forbiddenGlobal),
        ("REDUCE of a string", [0x80, 0x02, 0x8C, 0x01, 0x41, 0x29, 0x52, 0x2E], .corrupt),
        ("STACK_GLOBAL of eval", [0x80, 0x04, 0x8C, 0x08] + Array("builtins".utf8) + [0x8C, 0x04] + Array("eval".utf8)
            + [0x93, 0x2E], .forbiddenGlobal),
    ]

    @Test func brokenPickleProgramsThrowTheRightError() {
        for (label, program, code) in Self.brokenPickles {
            var unpickler = SafeUnpickler(program, file: nil, entry: "data.pkl")
            do {
                _ = try unpickler.load()
                Issue.record("\(label): loaded without error")
            } catch {
                #expect(error.code == code, "\(label): \(error)")
            }
        }
    }

    @Test func allowedGlobalsBuildInertValues() throws {
        // OrderedDict([("a", 1)]) with a LONG1 value and a BINFLOAT: only data comes out.
        let program: [UInt8] = [0x80, 0x02] + Array("ccollections\nOrderedDict\n".utf8)
            + [0x29, 0x52, 0x28, 0x8C, 0x01, 0x61, 0x8A, 0x03, 0x00, 0x80, 0x00, 0x8C, 0x01, 0x62,
               0x47, 0x3F, 0xF8, 0, 0, 0, 0, 0, 0, 0x75, 0x2E]
        var unpickler = SafeUnpickler(program, file: nil, entry: "data.pkl")
        guard case .dict(let dict) = try unpickler.load() else { Issue.record("not a dict"); return }
        #expect(dict["a"]?.intValue == 32768)
        guard case .float(let b)? = dict["b"] else { Issue.record("b is not a float"); return }
        #expect(b == 1.5)
    }

    /// Views that reach outside their storage, or whose arithmetic would overflow, are errors.
    @Test func hostileTensorViewsAreRefused() throws {
        let storage = TorchStorageReference(key: "0", dtype: .float32, elementCount: 6)
        let bytes = [UInt8](repeating: 0, count: 24)
        let views = [
            TorchTensorReference(storage: storage, offset: 4, shape: [2, 2], strides: [2, 1]),
            TorchTensorReference(storage: storage, offset: 0, shape: [2, 3], strides: [Int.max / 2, 1]),
            TorchTensorReference(storage: storage, offset: Int.max / 8, shape: [0], strides: [1]),
        ]
        for view in views {
            let result = bytes.withUnsafeBytes { raw in
                Result { () throws(CheckpointError) in try TorchTensorView.entry(view, storage: raw, name: "w", file: nil) }
            }
            #expect(throws: CheckpointError.self, "\(view)") { try result.get() }
        }
        let ok = TorchTensorReference(storage: storage, offset: 1, shape: [2, 2], strides: [1, 2])
        let result = [Float](repeating: 0, count: 6).indices.map { Float($0) }.withUnsafeBytes { raw in
            Result { () throws(CheckpointError) in try TorchTensorView.entry(ok, storage: raw, name: "w", file: nil) }
        }
        guard case .float(let tensor) = try result.get() else { Issue.record("not a float tensor"); return }
        #expect(tensor.scalars == [1, 3, 2, 4], "element (i, j) is storage[1 + i + 2 j]")

        let huge: [PickleValue] = [.storage(storage), .int(0), .tuple(PickleList([.int(1 << 31), .int(1 << 31)])),
                                   .tuple(PickleList([.int(1), .int(1)]))]
        #expect(throws: CheckpointError.self) {
            try AllowedGlobal.rebuildTensor.apply(huge) { CheckpointError.corrupt(nil, $0) }
        }
    }

    /// A broadcast view (stride 0) of a 6-element storage claiming 2^36 elements is refused
    /// before the gather indices and the tensor (256 GiB) are allocated; small broadcasts still load.
    @Test func broadcastViewsBeyondTheirStorageAreBounded() throws {
        let storage = TorchStorageReference(key: "0", dtype: .float32, elementCount: 6)
        let bytes = [Float](repeating: 2, count: 6)
        let bomb = TorchTensorReference(storage: storage, offset: 0, shape: [1 << 18, 1 << 18], strides: [0, 0])
        let refused = bytes.withUnsafeBytes { raw in
            Result { () throws(CheckpointError) in try TorchTensorView.entry(bomb, storage: raw, name: "w", file: nil) }
        }
        let error = #expect(throws: CheckpointError.self) { try refused.get() }
        #expect(error?.message.contains("tensor w of shape [262144, 262144] has 68719476736 elements but its storage 0 holds 6") == true)
        let small = TorchTensorReference(storage: storage, offset: 0, shape: [4, 6], strides: [0, 1])
        let loaded = bytes.withUnsafeBytes { raw in
            Result { () throws(CheckpointError) in try TorchTensorView.entry(small, storage: raw, name: "w", file: nil) }
        }
        guard case .float(let tensor) = try loaded.get() else { Issue.record("not a float tensor"); return }
        #expect(tensor.shape == [4, 6] && tensor.scalars.allSatisfy { $0 == 2 })
    }

    /// A tuple nested 100 000 levels deep (100 kB of TUPLE1 opcodes) and a list
    /// containing itself: taken apart without recursion, whether loading succeeds or fails.
    @Test func deeplyNestedAndCyclicPicklesAreReleasedWithoutRecursion() throws {
        let deep: [UInt8] = [0x80, 0x02, 0x29] + [UInt8](repeating: 0x85, count: 100_000)
        var loaded = SafeUnpickler(deep + [0x2E], file: nil, entry: "data.pkl")
        let root = try loaded.load()
        loaded.dismantle(root)
        guard case .tuple(let outer) = root else { Issue.record("not a tuple"); return }
        #expect(outer.items.isEmpty, "dismantled in place")

        var failing = SafeUnpickler(deep + [0x30, 0x30, 0x2E], file: nil, entry: "data.pkl")
        #expect(throws: CheckpointError.self) { try failing.load() }
        failing.dismantle(nil)

        let cycle: [UInt8] = [0x80, 0x02, 0x5D, 0x71, 0x00, 0x68, 0x00, 0x61, 0x2E]   // l = []; l.append(l)
        var cyclic = SafeUnpickler(cycle, file: nil, entry: "data.pkl")
        let list = try cyclic.load()
        guard case .list(let items) = list, case .list(let inner)? = items.items.first else {
            Issue.record("not a self-containing list"); return
        }
        #expect(inner === items)
        cyclic.dismantle(list)
        #expect(items.items.isEmpty)
    }

    /// Every prefix cut and several flipped bytes of each readable fixture: a value or a
    /// `CheckpointError`, never a crash or another error type.
    @Test(arguments: ["state_dict.pth", "lightning.ckpt", "state_dict.safetensors"])
    func truncatedAndCorruptFilesFailCleanly(_ name: String) throws {
        let original = try Data(contentsOf: CheckpointExpectations.url(name))
        let scratch = try CheckpointScratch()
        let url = scratch.url(name)
        let n = original.count
        let cuts = [0, 1, 4, 8, 9, 30, 64, n / 3, n / 2, n - 100, n - 22, n - 1]
        for cut in cuts where cut >= 0 && cut < n {
            try original.prefix(cut).write(to: url)
            let error = try #require(throws: CheckpointError.self, "cut at \(cut)") { try CheckpointReader.read(url) }
            #expect(error.description.contains(name), "cut at \(cut): \(error)")
        }
        var failures = 0
        for position in stride(from: 0, to: n, by: max(1, n / 97)) {
            var damaged = original
            damaged[position] ^= 0xA5
            try damaged.write(to: url)
            do {
                _ = try CheckpointReader.read(url)
            } catch {
                failures += 1
                #expect(!error.message.isEmpty)
            }
        }
        #expect(failures > 0, "some flipped bytes must be detected")
    }

    @Test func flippedSafetensorsHeaderBytesAreNamed() throws {
        let original = try Data(contentsOf: CheckpointExpectations.url("state_dict.safetensors"))
        let scratch = try CheckpointScratch()
        let url = scratch.url("flipped.safetensors")
        // Header length made huge, then the opening brace of the JSON broken.
        for (position, expectedCode) in [(7, CheckpointError.Code.corrupt), (1, .truncated), (8, .corrupt)] {
            var damaged = original
            damaged[position] ^= 0x40
            try damaged.write(to: url)
            let error = try #require(throws: CheckpointError.self) { try SafetensorsReader.read(url) }
            #expect(error.code == expectedCode, "byte \(position): \(error)")
            #expect(error.description.contains("flipped.safetensors"))
        }
    }

    @Test func zipWithoutDataPickleIsNotATorchCheckpoint() throws {
        // The malicious fixtures are valid zips; a zip of something else is reported as such.
        let scratch = try CheckpointScratch()
        let url = scratch.url("other.pth")
        let original = try Data(contentsOf: CheckpointExpectations.url("malicious_os_system.pth"))
        var renamed = original
        // Rename "data.pkl" in both the local and the central header to "data.pkx".
        let needle = Array("data.pkl".utf8)
        var start = renamed.startIndex
        while let range = renamed[start...].firstRange(of: needle) {
            renamed[range.upperBound - 1] = UInt8(ascii: "x")
            start = range.upperBound
        }
        try renamed.write(to: url)
        let error = try #require(throws: CheckpointError.self) { try CheckpointReader.read(url) }
        #expect(error.code == .unknownFormat || error.code == .corrupt, "\(error)")
    }
}
