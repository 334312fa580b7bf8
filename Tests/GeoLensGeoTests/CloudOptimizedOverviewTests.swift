import Foundation
import GeoLensGeo
import GeoLensTensor
import Testing

/// Cloud-Optimized outputs: the COG layout, an overview pyramid, and overviews resampled the way
/// the raster's content needs (MODE keeps class ids, AVERAGE smooths continuous values).
@Suite struct CloudOptimizedOverviewTests {
    static let size = 600

    /// Class ids in 2 x 2 blocks whose top-left pixel is 0 and whose other three are 3: nearest
    /// picks 0, average gives 2.25 (a class that is nowhere), mode gives 3. The last row of blocks
    /// is nodata (255) but for one pixel.
    static func blockClasses() -> [UInt8] {
        let n = size
        var ids = [UInt8](repeating: 3, count: n * n)
        for y in stride(from: 0, to: n, by: 2) { for x in stride(from: 0, to: n, by: 2) { ids[y * n + x] = 0 } }
        for y in (n - 2)..<n { for x in 0..<n { ids[y * n + x] = 255 } }
        ids[(n - 1) * n] = 3
        return ids
    }

    @Test func classRastersGetModeOverviewsThatHoldOnlyClassIds() throws {
        let dir = try TemporaryDirectory()
        let path = dir.file("pred.tif")
        try GeoTIFFWriter.writeClassIds(Self.blockClasses(), width: Self.size, height: Self.size, to: path,
                                        georeference: Georeference(geoTransform: GeoFixtures.transform, crs: GeoFixtures.utm33),
                                        colorTable: [RGBA(1, 2, 3), RGBA(4, 5, 6), RGBA(7, 8, 9), RGBA(10, 11, 12)],
                                        options: .cloudOptimizedClasses)
        let raster = try Raster(path: path)
        let layout = raster.layout()
        #expect(layout.isCloudOptimized)
        #expect(layout.compression == "DEFLATE")
        #expect(layout.overviews == [[300, 300], [150, 150]])
        #expect(raster.bands[0].blockWidth == 256 && raster.bands[0].colorInterpretation == "Palette")
        #expect(raster.bands[0].nodata == 255)
        let overview = try raster.readOverview(level: 0, band: 1)
        #expect(overview.width == 300 && overview.height == 300)
        let body = overview.values[0..<(299 * 300)]
        #expect(Set(body) == [3], "mode keeps the majority class of every block: \(Set(body))")
        // The nodata row: mode ignores nodata, so the block with one class pixel keeps it.
        #expect(overview.values[299 * 300] == 3)
        #expect(Set(overview.values[(299 * 300 + 1)...]) == [255])
        #expect(differences(try raster.read().values.scalars, Self.blockClasses().map(Float.init)) == nil)
    }

    @Test func continuousRastersGetAverageOverviews() throws {
        let dir = try TemporaryDirectory()
        let path = dir.file("prob.tif")
        let n = Self.size
        let values = (0..<(n * n)).map { Float(($0 / n) % 2 == 0 ? 0.2 : 0.6) }
        try GeoTIFFWriter.writeFloat32(Tensor(shape: [1, n, n], scalars: values), to: path, georeference: .none,
                                       options: .cloudOptimizedContinuous)
        let raster = try Raster(path: path)
        #expect(raster.layout().isCloudOptimized)
        let overview = try raster.readOverview(level: 0, band: 1)
        #expect(overview.values.allSatisfy { abs($0 - 0.4) < 1e-6 }, "\(overview.values.prefix(4))")
    }

    @Test func plainOptionsWriteNoCOGAndNoOverviews() throws {
        let dir = try TemporaryDirectory()
        let path = dir.file("plain.tif")
        try GeoTIFFWriter.writeClassIds(Self.blockClasses(), width: Self.size, height: Self.size, to: path,
                                        georeference: .none, options: .standard)
        let layout = try Raster(path: path).layout()
        #expect(!layout.isCloudOptimized && layout.layout == nil)
        #expect(layout.overviews.isEmpty)
        #expect(throws: GeoError.self) { try Raster(path: path).readOverview(level: 0, band: 1) }
    }

    @Test(.enabled(if: GeoFixtures.hasGDALPrograms, "gdalinfo (gdal-bin) is not installed"))
    func gdalinfoSeesTheCOGLayoutAndOverviews() throws {
        let dir = try TemporaryDirectory()
        let path = dir.file("pred.tif")
        try GeoTIFFWriter.writeClassIds(Self.blockClasses(), width: Self.size, height: Self.size, to: path,
                                        georeference: .none, options: .cloudOptimizedClasses)
        let info = try GeoFixtures.run("gdalinfo", [path])
        #expect(info.contains("LAYOUT=COG"))
        #expect(info.contains("Overviews: 300x300, 150x150"))
    }
}
