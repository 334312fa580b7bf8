import Foundation
import GeoLensExplain
import GeoLensTensor
import GeoLensTestSupport
import Testing

/// GeoLens's SLIC against scikit-image's `slic` on fixture tiles
/// (fixtures/reference/explain/superpixels.json, scripts/reference/explain_superpixels.py).
///
/// The two implementations differ in details (seeding, orphan merging), so labels are compared
/// by the adjusted Rand index, and against a plain grid of cells as the floor any SLIC must beat.
@Suite struct SLICReferenceTests {
    struct Case: Decodable {
        let name: String
        let segments: Int
        let compactness: Double
        let input: ReferenceTensor
        let validity: [Int]
        let skimageLabels: [Int32]

        enum CodingKeys: String, CodingKey {
            case name, segments, compactness, input, validity
            case skimageLabels = "skimage_labels"
        }
    }

    struct File: Decodable { let cases: [Case] }

    nonisolated(unsafe) static let cases: [Case] = {
        let url = Fixtures.url("fixtures/reference/explain/superpixels.json")
        guard let data = try? Data(contentsOf: url), let file = try? JSONDecoder().decode(File.self, from: data) else {
            fatalError("cannot read \(url.path): regenerate with scripts/reference/explain_superpixels.py")
        }
        return file.cases
    }()

    /// Adjusted Rand index (Hubert and Arabie 1985) of two labelings of the same pixels.
    static func adjustedRandIndex(_ a: [Int32], _ b: [Int32]) -> Double {
        precondition(a.count == b.count, "adjustedRandIndex: \(a.count) vs \(b.count) labels")
        func pairs(_ n: Int) -> Double { Double(n) * Double(n - 1) / 2 }
        var table: [Int64: Int] = [:], rows: [Int32: Int] = [:], columns: [Int32: Int] = [:]
        for (x, y) in zip(a, b) {
            table[Int64(x) << 32 | Int64(UInt32(bitPattern: y)), default: 0] += 1
            rows[x, default: 0] += 1
            columns[y, default: 0] += 1
        }
        let index = table.values.reduce(0) { $0 + pairs($1) }
        let (rowPairs, columnPairs) = (rows.values.reduce(0) { $0 + pairs($1) }, columns.values.reduce(0) { $0 + pairs($1) })
        let expected = rowPairs * columnPairs / pairs(a.count)
        let maximum = (rowPairs + columnPairs) / 2
        return maximum == expected ? 1 : (index - expected) / (maximum - expected)
    }

    /// A rows x columns grid labeling with about `segments` cells (what SLIC starts from).
    static func grid(height: Int, width: Int, segments: Int) -> [Int32] {
        let step = (Double(height * width) / Double(segments)).squareRoot()
        let rows = max(1, Int((Double(height) / step).rounded())), columns = max(1, Int((Double(width) / step).rounded()))
        return (0..<height * width).map { i in Int32((i / width) * rows / height * columns + (i % width) * columns / width + 1) }
    }

    @Test(arguments: cases.map(\.name))
    func agreesWithScikitImageBetterThanAGrid(_ name: String) throws {
        let reference = try #require(Self.cases.first { $0.name == name })
        let (height, width) = (reference.input.shape[1], reference.input.shape[2])
        let validity = reference.validity.map { $0 != 0 }
        let ours = SLICSuperpixels.segment(reference.input.tensor, validity: validity,
                                           parameters: .init(segments: reference.segments, compactness: reference.compactness))
        let valid = validity.indices.filter { validity[$0] }
        let theirs = valid.map { reference.skimageLabels[$0] }
        let ari = Self.adjustedRandIndex(valid.map { ours.labels[$0] }, theirs)
        let gridARI = Self.adjustedRandIndex(valid.map { Self.grid(height: height, width: width, segments: reference.segments)[$0] }, theirs)
        let skimageCount = Set(theirs).count
        print("SLIC vs scikit-image on \(name): ARI \(String(format: "%.3f", ari)) (regular grid: \(String(format: "%.3f", gridARI))); "
              + "\(ours.count) segments vs \(skimageCount)")
        #expect(ari > gridARI, "SLIC agrees with scikit-image less than a plain grid does: \(ari) vs \(gridARI)")
        #expect(ari > 0.5, "adjusted Rand index \(ari) against scikit-image")
        #expect(abs(ours.count - skimageCount) <= reference.segments / 2, "\(ours.count) segments vs scikit-image's \(skimageCount)")
    }
}
