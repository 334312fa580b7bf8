import Foundation
import GeoLensGeo
import GeoLensTestSupport
import Testing

/// Reads of the real GeoTIFFs in `../shared/realdata` against GDAL's own `gdal_translate` output.
@Suite(.enabled(if: Fixtures.realData != nil, "../shared/realdata is absent"),
       .enabled(if: GeoFixtures.hasGDALPrograms, "gdal_translate (gdal-bin) is not installed"))
struct RealDataTests {
    @Test(arguments: [
        ("landsat7_rgb_byte.tif", 791, 718, 3, "Byte", 32618, 0.0 as Double?),
        ("s2_8band_two_dates_uint16.tif", 578, 379, 8, "UInt16", 32633, nil),
        ("s2_l1c_13band_uint16.tif", 9, 8, 13, "UInt16", 32632, 65535),
    ] as [(String, Int, Int, Int, String, Int, Double?)])
    func factsAndValuesEqualGDAL(name: String, width: Int, height: Int, bands: Int, type: String,
                                 epsg: Int, nodata: Double?) throws {
        let path = try #require(GeoFixtures.realFile(name))
        let raster = try Raster(path: path)
        #expect(raster.width == width && raster.height == height && raster.bandCount == bands)
        #expect(raster.bands.allSatisfy { $0.typeName == type && $0.nodata == nodata })
        #expect(raster.crs?.epsg == epsg)
        let dir = try TemporaryDirectory()
        let reference = try GeoFixtures.gdalTranslateBands(path, in: dir)
        let block = try raster.read()
        #expect(differences(block.values.scalars, reference.flatMap { $0 }) == nil)
        if let nodata {
            let expected = (0..<(width * height)).map { i in reference.contains { $0[i] == Float(nodata) } ? 0 : 1 }
            if name.hasPrefix("landsat") { #expect(expected.contains(0)) }
            #expect(differences(block.validity.map { $0 ? 1 : 0 }, expected) == nil)
        }
    }

    @Test func sentinelScaleGivesReflectance() throws {
        let path = try #require(GeoFixtures.realFile("s2_l1c_13band_uint16.tif"))
        let raster = try Raster(path: path)
        let raw = try raster.read(bands: [2])
        let scaled = try raster.read(bands: [2], scale: 1e-4)
        for (r, s) in zip(raw.values.scalars, scaled.values.scalars) { #expect(abs(r * 1e-4 - s) < 1e-7) }
    }

    @Test func writtenOutputKeepsRealGeoreference() throws {
        let path = try #require(GeoFixtures.realFile("landsat7_rgb_byte.tif"))
        let source = try Raster(path: path)
        let dir = try TemporaryDirectory()
        let out = dir.file("copy.tif")
        let block = try source.read(bands: [1])
        let writer = try GeoTIFFWriter(path: out, width: source.width, height: source.height, bandCount: 1,
                                       dataType: .float32, georeference: Georeference(of: source))
        try block.values.withUnsafeBufferPointer { try writer.write(band: 1, window: source.fullWindow, values: $0) }
        try writer.finish()
        let copy = try Raster(path: out)
        #expect(copy.geoTransform == source.geoTransform)
        #expect(copy.crs?.isSame(as: source.crs!) == true)
        #expect(copy.crs?.epsg == 32618)
        #expect(differences(try copy.read().values.scalars, block.values.scalars) == nil)
    }
}
