import Foundation
import GeoLensNN
import GeoLensPipeline
import Testing

/// Config files as every command reads them (`--config`, `--set`).
@Suite("Config documents")
struct ConfigDocumentTests {
    func write(_ text: String) throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("config-\(UUID().uuidString).yaml")
        try text.write(to: url, atomically: true, encoding: .utf8)
        return url
    }

    /// Found by the config fuzz harness: YAML allows a sequence or mapping as a mapping key, and
    /// Yams's conversion to Foundation values stopped the process on one (a nil force-unwrap).
    @Test("a sequence or mapping used as a key is a usage error naming the file", arguments: [
        ("{[1]: 2}\n", "a sequence"),
        ("data:\n  ? [images, labels]\n  : x\n", "a sequence"),
        ("model:\n  {a: 1}: 2\n", "a mapping"),
    ])
    func nonScalarKeys(_ text: String, _ key: String) throws {
        let url = try write(text)
        defer { try? FileManager.default.removeItem(at: url) }
        let error = #expect(throws: PipelineError.self) { try ConfigDocument(file: url) }
        #expect(error?.kind == .usage)
        #expect(error?.message == "config \(url.path) uses \(key) as a key; keys must be plain names")
    }

    @Test("scalars, sequences, mappings and --set values keep their YAML types")
    func values() throws {
        let url = try write("model: unet\nbatch: 4\nscale: 0.5\ncog: false\nbands: [1, 2]\nnested: {a: x}\nnothing: null\n")
        defer { try? FileManager.default.removeItem(at: url) }
        var document = try ConfigDocument(file: url)
        try document.set("out=reports/x")
        try document.set("weird={[1]: 2}")
        #expect(document.root["model"] == .string("unet"))
        #expect(document.root["batch"] == .number(4))
        #expect(document.root["scale"] == .number(0.5))
        #expect(document.root["cog"] == .bool(false))
        #expect(document.root["bands"] == .array([.number(1), .number(2)]))
        #expect(document.root["nested"] == .object(["a": .string("x")]))
        #expect(document.root["nothing"] == .null)
        #expect(document.root["out"] == .string("reports/x"))
        #expect(document.root["weird"] == .string("{[1]: 2}"), "a --set value that is not a plain YAML value stays text")
    }
}
