import Foundation
import GeoLensGeo
import GeoLensTensor
import Testing

/// Reads of generated GeoTIFFs (several types, striped and tiled, nodata) against the values written.
@Suite struct RasterReadTests {
    @Test(arguments: [RasterDataType.uint8, .uint16, .int16, .int32, .float32, .float64])
    func readsEveryTypeExactly(type: RasterDataType) throws {
        let dir = try TemporaryDirectory()
        let path = dir.file("t.tif")
        for blockSize in [16, nil] as [Int?] {
            let planes = try GeoFixtures.write(path, width: 37, height: 21, bands: 3, type: type, blockSize: blockSize)
            let raster = try Raster(path: path)
            #expect(raster.width == 37 && raster.height == 21 && raster.bandCount == 3)
            #expect(raster.bands.allSatisfy { $0.dataType == type })
            #expect(raster.bands[0].blockWidth == (blockSize ?? 37))
            let block = try raster.read()
            #expect(block.values.shape == [3, 21, 37])
            #expect(differences(block.values.scalars, planes.flatMap { $0 }) == nil)
            #expect(block.validity.allSatisfy { $0 })
        }
    }

    @Test func windowAndBandSelectionWithScaleAndOffset() throws {
        let dir = try TemporaryDirectory()
        let path = dir.file("w.tif")
        let planes = try GeoFixtures.write(path, width: 40, height: 30, bands: 4, type: .uint16)
        let raster = try Raster(path: path)
        let window = RasterWindow(x: 5, y: 7, width: 11, height: 9)
        let block = try raster.read(window: window, bands: [4, 2], scale: 0.5, offset: -1)
        #expect(block.values.shape == [2, 9, 11])
        #expect(block.batched.shape == [1, 2, 9, 11])
        let got = block.values.scalars
        for (k, band) in [4, 2].enumerated() {
            for y in 0..<9 {
                for x in 0..<11 {
                    let expected = planes[band - 1][(y + 7) * 40 + x + 5] * 0.5 - 1
                    #expect(got[(k * 9 + y) * 11 + x] == expected)
                }
            }
        }
    }

    @Test func nodataOfAnyFedBandMarksPixelsInvalid() throws {
        let dir = try TemporaryDirectory()
        let path = dir.file("n.tif")
        try GeoFixtures.write(path, width: 12, height: 10, bands: 2, type: .uint16, nodata: 65535,
                              nodataPixels: [(3, 2), (11, 9)])
        let raster = try Raster(path: path)
        #expect(raster.bands[0].nodata == 65535)
        #expect(raster.bands[0].maskKind == .nodata)
        let block = try raster.read()
        #expect(block.validCount == 120 - 2)
        #expect(!block.validity[2 * 12 + 3] && !block.validity[9 * 12 + 11])
        #expect(block.validity[0])
    }

    @Test func nonFiniteValuesAreInvalidAndZeroed() throws {
        let dir = try TemporaryDirectory()
        let path = dir.file("f.tif")
        let writer = try GeoTIFFWriter(path: path, width: 4, height: 2, bandCount: 1, dataType: .float32,
                                       georeference: .none, options: GeoTIFFOptions(blockSize: nil))
        try writer.write(band: 1, window: .full(width: 4, height: 2), values: [1, .nan, 3, .infinity, 5, 6, 7, -.infinity])
        try writer.finish()
        let block = try Raster(path: path).read()
        #expect(block.validity == [true, false, true, false, true, true, true, false])
        #expect(block.values.scalars == [1, 0, 3, 0, 5, 6, 7, 0])
    }

    @Test func factsReportGeoreferenceAndBlocks() throws {
        let dir = try TemporaryDirectory()
        let path = dir.file("g.tif")
        try GeoFixtures.write(path, width: 33, height: 17, bands: 2, type: .int16, blockSize: 32, nodata: -9999)
        let raster = try Raster(path: path)
        #expect(raster.geoTransform == GeoFixtures.transform)
        #expect(raster.crs?.epsg == 32633)
        #expect(raster.crs?.isSame(as: GeoFixtures.utm33) == true)
        #expect(raster.crs?.isSame(as: GeoFixtures.utm32) == false)
        #expect(raster.bands[1].blockWidth == 32 && raster.bands[1].blockHeight == 32)
        #expect(raster.bands[1].nodata == -9999)
        let facts = RasterFacts(raster)
        #expect(facts.textLines.contains("crs: EPSG:32633 (WGS 84 / UTM zone 33N)"))
        #expect(facts.textLines.contains { $0.hasPrefix("band 2: Int16, block 32 x 32, nodata -9999.0") })
    }

    @Test(.enabled(if: GeoFixtures.hasGDALPrograms, "gdal_translate (gdal-bin) is not installed"))
    func stripedReadEqualsGDALTranslate() throws {
        let dir = try TemporaryDirectory()
        let path = dir.file("s.tif")
        try GeoFixtures.write(path, width: 45, height: 23, bands: 3, type: .int16, blockSize: nil)
        let reference = try GeoFixtures.gdalTranslateBands(path, in: dir)
        let block = try Raster(path: path).read()
        #expect(differences(block.values.scalars, reference.flatMap { $0 }) == nil)
    }

    @Test func parallelReadsOfOneRasterAgree() throws {
        let dir = try TemporaryDirectory()
        let path = dir.file("p.tif")
        try GeoFixtures.write(path, width: 64, height: 64, bands: 2, type: .uint16)
        let raster = try Raster(path: path)
        let expected = try (0..<8).map { try raster.read(window: RasterWindow(x: 0, y: $0 * 8, width: 64, height: 8)).values.scalars }
        let results = Mutex8()
        DispatchQueue.concurrentPerform(iterations: 8) { i in
            let got = try? raster.read(window: RasterWindow(x: 0, y: i * 8, width: 64, height: 8)).values.scalars
            results.set(i, got == expected[i])
        }
        #expect(results.all)
    }
}

/// Eight flags set from concurrent workers.
final class Mutex8: @unchecked Sendable {
    private let lock = NSLock()
    private var flags = [Bool](repeating: false, count: 8)
    func set(_ i: Int, _ value: Bool) { lock.lock(); flags[i] = value; lock.unlock() }
    var all: Bool { lock.lock(); defer { lock.unlock() }; return flags.allSatisfy { $0 } }
}

/// GDAL mask bands (not nodata) decide validity too.
@Suite(.enabled(if: GeoFixtures.hasGDALPrograms, "gdal_translate (gdal-bin) is not installed"))
struct MaskBandTests {
    @Test func perDatasetMaskMarksPixelsInvalid() throws {
        let dir = try TemporaryDirectory()
        let source = dir.file("src.tif"), masked = dir.file("masked.tif")
        try GeoFixtures.write(source, width: 20, height: 10, bands: 2, type: .uint16, nodata: 7,
                              nodataPixels: [(1, 1), (19, 9)])
        // A per-dataset mask band made from band 1's nodata mask, and no nodata value left.
        try GeoFixtures.run("gdal_translate", ["-q", "-mask", "mask,1", "-a_nodata", "none", source, masked])
        let raster = try Raster(path: masked)
        #expect(raster.bands[0].nodata == nil)
        #expect(raster.bands[0].maskKind == .perDataset)
        let block = try raster.read()
        #expect(!block.validity[1 * 20 + 1] && !block.validity[9 * 20 + 19])
        let expectedInvalid = try Raster(path: source).read(bands: [1]).validity.filter { !$0 }.count
        #expect(block.validity.filter { !$0 }.count == expectedInvalid)
    }
}

@Suite struct WideIntegerNodataTests {
    /// 16777217 rounds to 16777216 in Float32: only the exact comparison keeps its neighbour valid.
    @Test func nodataOfInt32IsComparedExactly() throws {
        let dir = try TemporaryDirectory()
        let path = dir.file("i32.tif")
        let writer = try GeoTIFFWriter(path: path, width: 3, height: 1, bandCount: 1, dataType: .int32,
                                       georeference: .none, nodata: 16_777_217)
        try writer.write(band: 1, window: .full(width: 3, height: 1), doubles: [16_777_216, 16_777_217, 5])
        try writer.finish()
        let block = try Raster(path: path).read()
        #expect(block.validity == [true, false, true])
        #expect(try LabelReader(path: path, ignoreIndex: -1).read() == [16_777_216, -1, 5])
    }
}
