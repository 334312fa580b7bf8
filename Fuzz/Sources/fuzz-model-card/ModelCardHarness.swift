import Foundation
import FuzzSupport
import GeoLensNN

/// Any bytes as a model card: a GeoLens card or a STAC item with the MLM extension, read by
/// `ModelCard.load` (JSON, strict decoding, validation, the MLM mapping). A card that loads is
/// exported back to an MLM item, which must load again.
@_cdecl("LLVMFuzzerTestOneInput")
func fuzzModelCard(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let url = FuzzScratch.file("card.json", FuzzScratch.bytes(data, size))
    guard let card = try? ModelCard.load(from: url) else { return 0 }
    let item = FuzzScratch.folder.appendingPathComponent("item.json")
    let facts = MLMItem.ExportFacts(checkpoint: FuzzScratch.folder.appendingPathComponent("model.safetensors"),
                                    format: "safetensors", inputChannels: card.inChannels ?? 3,
                                    classCount: card.classes?.count ?? 2, datetime: Date(timeIntervalSince1970: 0))
    guard let exported = try? MLMItem.export(card: card, facts: facts, itemURL: item) else { return 0 }
    _ = exported.withUnsafeBytes { FuzzScratch.file("item.json", $0) }
    _ = try? ModelCard.load(from: item)
    return 0
}
