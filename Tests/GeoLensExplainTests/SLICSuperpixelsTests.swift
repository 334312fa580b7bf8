import Foundation
import GeoLensExplain
import GeoLensTensor
import Testing

/// SLIC superpixels on synthetic images: boundaries, connectivity, coverage, determinism.
@Suite struct SLICSuperpixelsTests {
    /// A [1, 3, H, W] image of four constant-colour quadrants split at row `splitY` and column `splitX`.
    static func quadrants(height: Int, width: Int, splitY: Int, splitX: Int) -> Tensor {
        let colours: [[Float]] = [[0.1, 0.9, 0.3], [0.8, 0.2, 0.5], [0.4, 0.4, 0.95], [0.95, 0.7, 0.05]]
        return Tensor(shape: [1, 3, height, width]) { out in
            for y in 0..<height {
                for x in 0..<width {
                    let q = (y < splitY ? 0 : 2) + (x < splitX ? 0 : 1)
                    for c in 0..<3 { out[(c * height + y) * width + x] = colours[q][c] }
                }
            }
        }
    }

    /// A smooth multi-band pattern with a few blobs, deterministic.
    static func blobs(height: Int, width: Int, bands: Int = 4) -> Tensor {
        Tensor(shape: [1, bands, height, width]) { out in
            for c in 0..<bands {
                for y in 0..<height {
                    for x in 0..<width {
                        let (fy, fx) = (Float(y) / Float(height), Float(x) / Float(width))
                        let wave = sin(6.3 * fx * Float(c + 1)) * cos(4.1 * fy + Float(c))
                        let blob = (fx - 0.3) * (fx - 0.3) + (fy - 0.6) * (fy - 0.6) < 0.04 ? Float(2) : 0
                        out[(c * height + y) * width + x] = wave + blob + Float((x * 7 + y * 13 + c * 5) % 11) * 0.02
                    }
                }
            }
        }
    }

    /// True when the pixels labelled `label` form one 4-connected set.
    static func isConnected(_ s: SuperpixelSegmentation, label: Int32) -> Bool {
        guard let start = s.labels.firstIndex(of: label) else { return false }
        var seen = Set([start]), stack = [start]
        while let i = stack.popLast() {
            let (y, x) = (i / s.width, i % s.width)
            for (ny, nx) in [(y, x - 1), (y - 1, x), (y, x + 1), (y + 1, x)]
            where (0..<s.height).contains(ny) && (0..<s.width).contains(nx) {
                let n = ny * s.width + nx
                if s.labels[n] == label && seen.insert(n).inserted { stack.append(n) }
            }
        }
        return seen.count == s.labels.filter { $0 == label }.count
    }

    @Test(arguments: [(4, 40, 52, 20, 26), (9, 60, 60, 30, 30), (16, 48, 64, 17, 40), (30, 64, 64, 23, 45)])
    func everySegmentLiesInsideOneQuadrant(_ setting: (Int, Int, Int, Int, Int)) {
        let (n, height, width, splitY, splitX) = setting
        let image = Self.quadrants(height: height, width: width, splitY: splitY, splitX: splitX)
        let s = SLICSuperpixels.segment(image, parameters: .init(segments: n))
        #expect(s.count >= 4, "at least one segment per quadrant, got \(s.count)")
        for label in 1...Int32(s.count) {
            let quadrants = Set(s.labels.indices.filter { s.labels[$0] == label }.map { i in
                (i / width < splitY ? 0 : 2) + (i % width < splitX ? 0 : 1)
            })
            #expect(quadrants.count == 1, "segment \(label) of \(s.count) spans quadrants \(quadrants.sorted()) (n = \(n))")
        }
    }

    @Test func fourTargetSegmentsRecoverTheFourQuadrantsExactly() {
        let image = Self.quadrants(height: 40, width: 52, splitY: 20, splitX: 26)
        let s = SLICSuperpixels.segment(image, parameters: .init(segments: 4))
        #expect(s.count == 4)
        #expect(s.sizes == [20 * 26, 20 * 26, 20 * 26, 20 * 26])
    }

    @Test(arguments: [5, 12, 40, 150])
    func everySegmentIsFourConnectedAndLabelsAreDense(_ n: Int) {
        let s = SLICSuperpixels.segment(Self.blobs(height: 48, width: 56), parameters: .init(segments: n, compactness: 5))
        #expect(s.count >= 1)
        #expect(Set(s.labels) == Set(1...Int32(s.count)), "labels are 1...K with no gaps and no 0 on a fully valid tile")
        for label in 1...Int32(s.count) { #expect(Self.isConnected(s, label: label), "segment \(label) is not 4-connected") }
        // The count follows the target (grid seeding, then merging of small components).
        #expect(Double(s.count) >= 0.4 * Double(n) && Double(s.count) <= 2.0 * Double(n), "\(s.count) segments for a target of \(n)")
    }

    @Test func labelsCoverExactlyTheValidPixels() {
        let (height, width) = (40, 48)
        // Nodata: a disk, a full column and an isolated pixel.
        let validity = (0..<height * width).map { i -> Bool in
            let (y, x) = (i / width, i % width)
            let inDisk = (y - 12) * (y - 12) + (x - 30) * (x - 30) < 64
            return !inDisk && x != 7 && !(y == 35 && x == 40)
        }
        let s = SLICSuperpixels.segment(Self.blobs(height: height, width: width, bands: 3), validity: validity,
                                        parameters: .init(segments: 20))
        for i in validity.indices { #expect((s.labels[i] > 0) == validity[i], "pixel \(i): label \(s.labels[i]), valid \(validity[i])") }
        for label in 1...Int32(s.count) { #expect(Self.isConnected(s, label: label)) }
    }

    @Test func segmentationIsDeterministicAndUsesTheChosenChannels() {
        let image = Self.blobs(height: 40, width: 40, bands: 4)
        let a = SLICSuperpixels.segment(image, parameters: .init(segments: 25))
        let b = SLICSuperpixels.segment(image, parameters: .init(segments: 25))
        #expect(a == b)
        // Channel 3 alone, or channel 3 given as the only band of another image, segment alike.
        let only = Tensor(shape: [1, 1, 40, 40], scalars: Array(image.scalars[3 * 1600..<4 * 1600]))
        #expect(SLICSuperpixels.segment(image, channels: [3], parameters: .init(segments: 25))
                == SLICSuperpixels.segment(only, parameters: .init(segments: 25)))
    }

    @Test func higherCompactnessGivesMoreRegularSegments() {
        let image = Self.blobs(height: 48, width: 48, bands: 3)
        /// Mean of (perimeter^2 / area) over segments: 16 for a square, larger for ragged shapes.
        func irregularity(_ s: SuperpixelSegmentation) -> Double {
            var perimeter = [Int](repeating: 0, count: s.count), area = s.sizes
            for i in s.labels.indices {
                let (y, x) = (i / s.width, i % s.width)
                for (ny, nx) in [(y, x - 1), (y - 1, x), (y, x + 1), (y + 1, x)] {
                    let inside = (0..<s.height).contains(ny) && (0..<s.width).contains(nx)
                    if !inside || s.labels[ny * s.width + nx] != s.labels[i] { perimeter[Int(s.labels[i]) - 1] += 1 }
                }
            }
            return zip(perimeter, area).reduce(0.0) { $0 + Double($1.0 * $1.0) / Double($1.1) } / Double(s.count)
        }
        let loose = irregularity(SLICSuperpixels.segment(image, parameters: .init(segments: 16, compactness: 1)))
        let tight = irregularity(SLICSuperpixels.segment(image, parameters: .init(segments: 16, compactness: 100)))
        #expect(tight < loose, "compactness 100 gives irregularity \(tight), compactness 1 gives \(loose)")
    }

    @Test func spansCoverEachSegmentOnce() {
        let s = SLICSuperpixels.segment(Self.blobs(height: 30, width: 33), parameters: .init(segments: 10))
        var rebuilt = [Int32](repeating: 0, count: s.labels.count)
        for (index, spans) in s.spans().enumerated() {
            for span in spans { for x in span.columns { rebuilt[span.row * s.width + x] += Int32(index + 1) } }
        }
        #expect(rebuilt == s.labels)
    }

    @Test func restrictingAFeatureDropsInvalidPixels() {
        let (height, width) = (4, 5)
        var validity = [Bool](repeating: true, count: 20)
        validity[6] = false
        validity[12] = false
        let cell = AttributionFeature(name: "g@0,0", channels: [0], cell: (1, 1, 3, 2))
        let restricted = cell.restricted(to: validity, height: height, width: width)
        #expect(restricted.pixelCount(height: height, width: width) == 4)
        var covered: [Int] = []
        restricted.forEachRun(height: height, width: width) { covered += Array($0) }
        #expect(covered == [7, 8, 11, 13])
        #expect(restricted.cell?.width == 3, "the grid cell is kept for reference")
        let whole = AttributionFeature(name: "g", channels: [0])
        #expect(whole.restricted(to: [Bool](repeating: true, count: 20), height: height, width: width) == whole)
        #expect(whole.restricted(to: validity, height: height, width: width).pixelCount(height: height, width: width) == 18)
    }
}
