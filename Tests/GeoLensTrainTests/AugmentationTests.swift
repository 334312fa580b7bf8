import GeoLensTensor
@testable import GeoLensTrain
import Testing

/// Crops, flips and rotations must move image and label together.
@Suite struct AugmentationTests {
    /// A tile whose single band holds each pixel's own label, so any misalignment shows.
    static func tile(size: Int) -> TrainingTile {
        var generator = SeededGenerator(seed: 5)
        let labels = (0..<(size * size)).map { _ in Int32(generator.next() % 3) }
        let image = Tensor(shape: [1, size, size], scalars: labels.map(Float.init))
        return TrainingTile(id: "t", image: image, labels: labels, classCount: 3)
    }

    @Test func imageAndLabelStayAlignedUnderRandomCropsFlipsAndRotations() {
        var augmentation = AugmentationConfiguration()
        augmentation.flips = true
        augmentation.rotate90 = true
        let assembler = BatchAssembler(tiles: [Self.tile(size: 12)], mean: [0], std: [1], crop: 8, augmentation: augmentation)
        var generator: SeededGenerator? = SeededGenerator(seed: 9)
        var layouts = Set<[Int32]>()
        for _ in 0..<16 {
            let (images, labels) = assembler.batch([0, 0], generator: &generator)
            #expect(images.shape == [2, 1, 8, 8])
            #expect(images.scalars == labels.map(Float.init))
            layouts.insert(labels)
        }
        #expect(layouts.count > 8, "random crops and transforms should vary the batches")
    }

    @Test func classCapKeepsTilesThatStillAddToARareClass() {
        let make = { (id: String, labels: [Int32]) in
            TrainingTile(id: id, image: Tensor(zeros: [1, 1, labels.count]), labels: labels, classCount: 3)
        }
        let tiles = [make("a", [0, 0]), make("b", [0, 0]), make("c", [0, 1]), make("d", [0, 0]), make("e", [2, 2])]
        let kept = DatasetSplit.capPerClass(Array(tiles.indices), tiles: tiles, cap: 1, seed: 1)
        #expect(kept.contains(4))
        #expect(kept.filter { tiles[$0].classesPresent == [0] }.count <= 1)
    }
}
