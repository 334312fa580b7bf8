import Foundation
import GeoLensGeo
import GeoLensTensor
import Testing

@Suite struct ScenePredictorTests {
    /// A model whose "probabilities" are its input channels: the stitched output must equal the scene.
    private static func identity(_ x: Tensor) -> Tensor { x }

    /// GDAL's own default cache (5% of memory) grows with every block a streamed scene touches.
    @Test func gdalBlockCacheIsBoundedUnlessTheEnvironmentSetsIt() {
        if ProcessInfo.processInfo.environment["GDAL_CACHEMAX"] == nil {
            #expect(GDALSettings.blockCacheBytes == GDALSettings.defaultBlockCacheBytes)
        }
    }

    /// A scene stored in strips gets room for every strip one row of windows reads; a tiled one
    /// keeps the default (re-reading the shared block row costs little).
    @Test func streamingReservesTheBlockCacheAStripedSceneNeeds() throws {
        let dir = try TemporaryDirectory()
        let (tiledPath, stripedPath) = (dir.file("tiled.tif"), dir.file("striped.tif"))
        _ = try GeoFixtures.write(tiledPath, width: 600, height: 40, bands: 3, type: .uint16, blockSize: 16)
        _ = try GeoFixtures.write(stripedPath, width: 600, height: 40, bands: 3, type: .uint16, blockSize: nil)
        let tiled = try Raster(path: tiledPath), striped = try Raster(path: stripedPath)
        #expect(GDALSettings.blockCacheBytes(forStreaming: tiled.bands, width: 600, windowRows: 40000)
                == GDALSettings.defaultBlockCacheBytes)
        let band = striped.bands[0]
        #expect(band.blockWidth == 600)
        #expect(GDALSettings.blockCacheBytes(forStreaming: striped.bands, width: 600, windowRows: 40000)
                == (40000 + band.blockHeight) * 600 * 3 * 2 + (8 << 20))
        #expect(GDALSettings.blockCacheBytes(forStreaming: striped.bands, width: 600, windowRows: 256)
                == GDALSettings.defaultBlockCacheBytes)
    }

    @Test func identityModelReproducesTheSceneThroughOutputs() throws {
        let dir = try TemporaryDirectory()
        let source = dir.file("scene.tif")
        let (width, height) = (150, 110)
        let planes = try GeoFixtures.write(source, width: width, height: height, bands: 3, type: .uint8,
                                           nodata: 0, nodataPixels: [(5, 5)])
        let raster = try Raster(path: source)
        let options = ScenePredictionOptions(tileSize: 48, overlap: 16, inputScale: 0.01, batchSize: 3)
        let predictor = try ScenePredictor(raster: raster, options: options)
        let outputs = try predictor.predict(to: dir.file("out"), stem: "scene", writeProbabilities: true,
                                            model: Self.identity)
        let probabilities = try Raster(path: try #require(outputs.probabilities))
        #expect(probabilities.bandCount == 3 && probabilities.geoTransform == raster.geoTransform)
        #expect(probabilities.crs?.isSame(as: raster.crs!) == true)
        let got = try probabilities.read().values.scalars
        // Pixels where any band holds the nodata value 0 are invalid (including the planted one).
        let valid = (0..<(width * height)).map { i in planes.allSatisfy { $0[i] != 0 } }
        #expect(!valid[5 * width + 5] && valid.filter { !$0 }.count < width * height / 20)
        var worst: Float = 0
        for (k, plane) in planes.enumerated() {
            for i in 0..<(width * height) where valid[i] {
                worst = max(worst, abs(got[k * width * height + i] - plane[i] * 0.01))
            }
        }
        #expect(worst < 1e-5)
        let ids = try Raster(path: outputs.classIds)
        #expect(ids.geoTransform == raster.geoTransform && ids.bands[0].dataType == .uint8)
        let classValues = try ids.read().values.scalars
        #expect(classValues[5 * width + 5] == 255)
        let expectedClass = (0..<3).max { planes[$0][7] < planes[$1][7] }!
        #expect(classValues[7] == Float(expectedClass))
        let entropy = try Raster(path: outputs.entropy).read()
        #expect(differences(entropy.validity.map { $0 ? 1 : 0 }, valid.map { $0 ? 1 : 0 }) == nil)
    }

    @Test func smallSceneIsReflectPaddedAndEveryRowScoredOnce() throws {
        let dir = try TemporaryDirectory()
        let source = dir.file("tiny.tif")
        let planes = try GeoFixtures.write(source, width: 9, height: 8, bands: 2, type: .int16)
        let predictor = try ScenePredictor(raster: Raster(path: source),
                                           options: ScenePredictionOptions(tileSize: 32, overlap: 8))
        var seenShapes: [[Int]] = []
        var rows: [Int] = []
        var values: [Float] = []
        try predictor.run(model: { x in seenShapes.append(x.shape); return x }) { stitched in
            rows += Array(stitched.firstRow..<(stitched.firstRow + stitched.rowCount))
            values += stitched.probabilities.scalars
        }
        #expect(seenShapes == [[1, 2, 32, 32]])
        #expect(rows == Array(0..<8))
        #expect(differences(values, planes.flatMap { $0 }) == nil)
    }

    @Test func selectedBandsOutOfRangeAreRejected() throws {
        let dir = try TemporaryDirectory()
        let source = dir.file("b.tif")
        try GeoFixtures.write(source, width: 8, height: 8, bands: 2, type: .uint8)
        #expect(throws: GeoError.self) {
            try ScenePredictor(raster: Raster(path: source), options: ScenePredictionOptions(bands: [3]))
        }
    }
}
