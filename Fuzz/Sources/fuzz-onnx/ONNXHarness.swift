import FuzzSupport
import GeoLensNN

/// Any bytes as an `.onnx` model, loaded the way `geolens` loads one: protobuf decoding, graph
/// conversion (initializers, attributes, raw tensor bytes), operator support, then the model
/// session's checks, inspection and constant folding into an execution plan for the declared
/// input (`ONNXSegmentationModel`).
@_cdecl("LLVMFuzzerTestOneInput")
func fuzzONNX(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let url = FuzzScratch.file("input.onnx", FuzzScratch.bytes(data, size))
    guard let model = try? ONNXModel.load(url) else { return 0 }
    _ = try? ONNXSegmentationModel(model: model, inChannels: 3)
    return 0
}
