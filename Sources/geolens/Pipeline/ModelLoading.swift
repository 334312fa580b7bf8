import Foundation
import GeoLensNN

/// Loads `--model` (with `--model-card` or its sidecar) and turns every failure into one
/// `error:` line naming the file.
enum ModelLoading {
    static func load(checkpoint: URL, card: String?) throws -> LoadedModel {
        do {
            return try ModelLoader.load(checkpoint: checkpoint, card: card.map { URL(fileURLWithPath: $0) })
        } catch let error as ModelCardError {
            throw Failure.runtime(error.message)
        } catch let error as CheckpointError {
            throw Failure.runtime(error.description)
        }
    }
}
