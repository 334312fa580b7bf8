import FuzzSupport
import GeoLensNN

/// A `torch.save` archive around fuzzed bytes, read by `CheckpointReader` as a `.pth` file.
///
/// Input: a first line of comma-separated storage sizes in bytes (`432,16,8\n`), then the bytes
/// of `data.pkl`. The harness writes `archive/data.pkl`, `archive/byteorder` and one zeroed
/// `archive/data/<i>` per size (at most 64 storages and 16 KiB in all), so the unpickler, the
/// state-dict locator and the tensor views all see fuzzed values with valid archive checksums.
/// `scripts/fuzz/seeds.py` writes the fixtures' checkpoints in this form.
@_cdecl("LLVMFuzzerTestOneInput")
func fuzzPickle(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let input = FuzzScratch.bytes(data, size)
    let newline = input.firstIndex(of: UInt8(ascii: "\n")) ?? input.startIndex
    var sizes: [Int] = []
    var total = 0
    for field in input[..<newline].split(separator: UInt8(ascii: ",")) where sizes.count < 64 {
        guard let text = String(bytes: field, encoding: .utf8), let n = Int(text), n >= 0, total + n <= 16 << 10 else { break }
        sizes.append(n)
        total += n
    }
    let pickle = input[(newline == input.endIndex ? newline : newline + 1)...]
    var zip = StoredZip()
    zip.add("archive/data.pkl", pickle)
    zip.add("archive/byteorder", Array("little".utf8))
    for (key, n) in sizes.enumerated() {
        zip.add("archive/data/\(key)", repeatElement(UInt8(0), count: n))
    }
    let bytes = zip.bytes
    let url = bytes.withUnsafeBytes { FuzzScratch.file("input.pth", $0) }
    _ = try? CheckpointReader.read(url)
    return 0
}
