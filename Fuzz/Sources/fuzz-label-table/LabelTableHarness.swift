import FuzzSupport
@testable import GeoLensPipeline

/// Any bytes as a tile label CSV (`--labels labels.csv` of the tile tasks), read by
/// `TileLabelTable`: RFC 4180 records, the header, one row per tile.
@_cdecl("LLVMFuzzerTestOneInput")
func fuzzLabelTable(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let url = FuzzScratch.file("labels.csv", FuzzScratch.bytes(data, size))
    _ = try? TileLabelTable(path: url.path)
    return 0
}
