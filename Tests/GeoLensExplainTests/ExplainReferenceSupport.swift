import Foundation
import GeoLensExplain
import GeoLensNN
import GeoLensTensor
import GeoLensTestSupport

/// One case of fixtures/reference/explain/attributions.json (scripts/reference/explain_attributions.py).
struct ExplainReferenceCase: Decodable {
    let name: String
    let kind: String
    let method: String
    let model: String
    let layer: String?
    let `class`: Int
    let input: ReferenceTensor
    let mask: ReferenceTensor
    let output: ReferenceTensor?
    let groups: [[Int]]?
    let grid: Int?
    let values: [Double]?
    let baseValue: Double?
    let fullValue: Double?

    enum CodingKeys: String, CodingKey {
        case name, kind, method, model, layer, `class`, input, mask, output, groups, grid, values
        case baseValue = "base_value", fullValue = "full_value"
    }

    var target: SegmentationTarget {
        SegmentationTarget(classIndex: self.class, height: mask.shape[0], width: mask.shape[1], mask: mask.data)
    }

    /// The case's features: band groups (0-based), crossed with the grid when one is given.
    var features: [AttributionFeature] {
        let groups = (self.groups ?? []).enumerated().map { AttributionFeature(name: "g\($0.offset)", channels: $0.element) }
        guard let grid, grid > 0 else { return groups }
        return FeatureGroups.crossed(groups, gridRows: grid, columns: grid, height: input.shape[2], width: input.shape[3])
    }
}

private struct ExplainReferenceFile: Decodable {
    let cases: [ExplainReferenceCase]
}

enum ExplainReference {
    nonisolated(unsafe) static let cases: [ExplainReferenceCase] = {
        let url = Fixtures.url("fixtures/reference/explain/attributions.json")
        guard let data = try? Data(contentsOf: url),
              let file = try? JSONDecoder().decode(ExplainReferenceFile.self, from: data) else {
            fatalError("cannot read \(url.path): regenerate with scripts/reference/explain_attributions.py")
        }
        return file.cases
    }()

    static func cases(kind: String, prefix: String = "") -> [ExplainReferenceCase] {
        cases.filter { $0.kind == kind && $0.name.hasPrefix(prefix) }
    }

    /// Loads a fixture model once per path.
    static func model(_ relativePath: String) throws -> any SegmentationModel {
        try ModelLoader.load(checkpoint: Fixtures.url(relativePath)).model
    }

    /// The largest absolute difference between two equally long arrays.
    static func maxAbsDifference(_ a: [Float], _ b: [Float]) -> Float {
        precondition(a.count == b.count, "maxAbsDifference: \(a.count) vs \(b.count) values")
        var worst: Float = 0
        for i in a.indices { let d = abs(a[i] - b[i]); if d > worst || d.isNaN { worst = d } }
        return worst
    }
}
