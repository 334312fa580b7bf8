import Foundation

extension ModelLoader {
    /// Checks that the model's output fits the card's `task` (`[N, K, H, W]` for segmentation,
    /// `[N, K]` for classification and multilabel) and that a per-class threshold has one value
    /// per output class; each failure names the card, the checkpoint and what to change.
    static func checkTask(of model: any SegmentationModel, card: ModelCard, cardName: String,
                          checkpoint: URL) throws(ModelCardError) {
        let file = checkpoint.lastPathComponent
        if model.outputLayout != card.task.outputLayout {
            if card.task == .segmentation {
                throw ModelCardError(message: "\(cardName): \(file) outputs \(model.outputLayout.shapeDescription) scores (a classifier) "
                                     + "but the card's task is 'segmentation' (the default); set \"task\": \"classification\" "
                                     + "or \"task\": \"multilabel\" in the model card")
            }
            throw ModelCardError(message: "\(cardName): task '\(card.task.rawValue)' needs a model with N x classes outputs "
                                 + "but \(file) outputs \(model.outputLayout.shapeDescription) maps; "
                                 + "use a classifier checkpoint or \"task\": \"segmentation\"")
        }
        if let count = card.threshold?.perClassCount, count != model.classCount {
            throw ModelCardError(message: "\(cardName): 'threshold' lists \(count) values but \(file) has \(model.classCount) classes; "
                                 + "give one per class or a single number")
        }
    }
}
