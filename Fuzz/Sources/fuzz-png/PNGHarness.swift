import Foundation
import FuzzSupport
import GeoLensReport

/// Any bytes decoded by `PNGReader` (libpng's simplified API and GeoLens's buffer sizing).
@_cdecl("LLVMFuzzerTestOneInput")
func fuzzPNG(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    _ = try? PNGReader.decode(Data(FuzzScratch.bytes(data, size)))
    return 0
}
