import FuzzSupport
import GeoLensNN

/// Any bytes as a `.safetensors` file, read the way `geolens` reads a checkpoint: format
/// detection, then the header (length, JSON, dtypes, shapes, offsets) and every tensor.
@_cdecl("LLVMFuzzerTestOneInput")
func fuzzSafetensors(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let url = FuzzScratch.file("input.safetensors", FuzzScratch.bytes(data, size))
    _ = try? CheckpointReader.read(url)
    return 0
}
