import FuzzSupport
import GeoLensPipeline
import GeoLensTrain

/// Any bytes as a config file (JSON or YAML), read by `ConfigDocument` as every command reads
/// its `--config`, then decoded strictly and validated as eval, explain and train settings.
@_cdecl("LLVMFuzzerTestOneInput")
func fuzzConfig(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let url = FuzzScratch.file("config.yaml", FuzzScratch.bytes(data, size))
    guard let document = try? ConfigDocument(file: url) else { return 0 }
    if let settings = try? document.decode(EvaluationSettings.self) { try? settings.validate(source: url.path) }
    if let settings = try? document.decode(ExplanationSettings.self) { try? settings.validate(source: url.path) }
    if let configuration = try? document.decode(TrainingConfiguration.self) { try? configuration.model.validate() }
    return 0
}
