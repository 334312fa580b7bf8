import Foundation
import GeoLensGeo
import GeoLensTensor
import Testing

/// `Raster.warped(to:)`: GDAL warps onto a tile's grid, with the resampling methods of the model
/// card's `inputs` and nodata carried into the validity mask.
@Suite struct RasterWarpTests {
    static let utm = CRSInfo(epsg: 32633)!

    /// A 2-band 8 x 6 source at 20 m, band 2 = 10 * band 1, with nodata -1 at (row 0, column 0).
    func source(_ dir: TemporaryDirectory) throws -> Raster {
        let path = dir.file("source.tif")
        let plane = (0..<48).map { Float($0) }
        var values = plane + plane.map { $0 * 10 }
        values[0] = -1
        values[48] = -1
        try GeoTIFFWriter.writeFloat32(Tensor(shape: [2, 6, 8], scalars: values), to: path,
                                       georeference: Georeference(geoTransform: GeoTransform([500000, 20, 0, 5200000, 0, -20]), crs: Self.utm),
                                       nodata: -1)
        return try Raster(path: path)
    }

    @Test func nearestAndBilinearOntoTheSourceGridKeepEveryValue() throws {
        let dir = try TemporaryDirectory()
        let raster = try source(dir)
        let grid = try #require(RasterGrid(of: raster))
        for method in [WarpResampling.nearest, .bilinear, .cubic] {
            let block = try raster.warped(to: grid, gridName: "tile t.tif", bands: [2], resampling: method, scale: 0.5)
            #expect(block.values.shape == [1, 6, 8])
            #expect(!block.validity[0], "source nodata is invalid (\(method))")
            if method == .nearest {
                #expect(Array(block.values.scalars.dropFirst()) == (1..<48).map { Float($0) * 10 * 0.5 })
            }
            #expect(block.validity.dropFirst().allSatisfy { $0 } || method != .nearest)
        }
    }

    @Test func averageOntoACoarserGridIsTheMeanOfEachBlockWithoutNodata() throws {
        let dir = try TemporaryDirectory()
        let raster = try source(dir)
        let grid = RasterGrid(width: 4, height: 3, geoTransform: GeoTransform([500000, 40, 0, 5200000, 0, -40]), crs: Self.utm)
        let block = try raster.warped(to: grid, gridName: "tile coarse.tif", bands: [1], resampling: .average)
        #expect(block.values.shape == [1, 3, 4])
        for row in 0..<3 {
            for column in 0..<4 {
                var members = [Float]()
                for dy in 0..<2 { for dx in 0..<2 {
                    let r = 2 * row + dy, c = 2 * column + dx
                    if r != 0 || c != 0 { members.append(Float(r * 8 + c)) }
                } }
                let expected = members.reduce(0, +) / Float(members.count)
                #expect(abs(block.values.scalars[row * 4 + column] - expected) < 1e-4, "(\(row), \(column))")
            }
        }
        #expect(block.validity.allSatisfy { $0 })
    }

    @Test func pixelsTheSourceDoesNotCoverAreInvalidAndATileOutsideIsAnError() throws {
        let dir = try TemporaryDirectory()
        let raster = try source(dir)
        // Half the grid to the east of the source's 160 m extent.
        let partial = RasterGrid(width: 8, height: 2, geoTransform: GeoTransform([500080, 20, 0, 5200000, 0, -20]), crs: Self.utm)
        let block = try raster.warped(to: partial, gridName: "tile east.tif", bands: [1], resampling: .nearest)
        #expect(block.validity[0..<4].allSatisfy { $0 } && block.validity[4..<8].allSatisfy { !$0 })
        let far = RasterGrid(width: 8, height: 2, geoTransform: GeoTransform([600000, 20, 0, 5200000, 0, -20]), crs: Self.utm)
        let error = #expect(throws: GeoError.self) { try raster.warped(to: far, gridName: "tile far.tif") }
        #expect(error?.message.contains("tile far.tif") == true && error?.message.contains("source.tif") == true
                && error?.message.contains("outside the extent") == true)
    }

    @Test func aSourceInAnotherCRSIsReprojected() throws {
        let dir = try TemporaryDirectory()
        // A 4326 raster whose value is its column: reprojected onto a UTM 33N grid at 15 E.
        let path = dir.file("geographic.tif")
        let values = (0..<(20 * 20)).map { Float($0 % 20) }
        try GeoTIFFWriter.writeFloat32(Tensor(shape: [1, 20, 20], scalars: values), to: path,
                                       georeference: Georeference(geoTransform: GeoTransform([14.99, 0.001, 0, 46.96, 0, -0.001]),
                                                                  crs: CRSInfo(epsg: 4326)))
        let raster = try Raster(path: path)
        let grid = RasterGrid(width: 10, height: 10, geoTransform: GeoTransform([500000, 10, 0, 5200000, 0, -10]), crs: Self.utm)
        let block = try raster.warped(to: grid, gridName: "tile utm.tif", resampling: .nearest)
        #expect(block.validity.allSatisfy { $0 })
        // 15.0 E is 10 columns east of 14.99; 100 m east of it is about 1.3 columns further.
        let first = block.values.scalars[0], last = block.values.scalars[9]
        #expect(first == 10 && (last == 11 || last == 12), "\(first) ... \(last)")
    }
}
