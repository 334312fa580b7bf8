import Foundation
import GeoLensGeo
import GeoLensTensor
import Testing

@Suite struct GeoTIFFWriterTests {
    private func leftovers(in directory: String) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: directory).filter { $0.hasPrefix(".") }
    }

    @Test(arguments: [
        GeoTIFFOptions.standard,
        GeoTIFFOptions(blockSize: nil, compression: .none),
        GeoTIFFOptions(blockSize: 64, compression: .lzw, overviews: [2, 4]),
        GeoTIFFOptions(blockSize: 256, cloudOptimized: true),
    ])
    func classIdsKeepGeoreferenceColoursAndValues(options: GeoTIFFOptions) throws {
        let dir = try TemporaryDirectory()
        let source = dir.file("src.tif")
        try GeoFixtures.write(source, width: 300, height: 140, bands: 1, type: .uint16)
        let raster = try Raster(path: source)
        let out = dir.file("out/pred.tif")
        let ids = (0..<(300 * 140)).map { UInt8($0 % 5) }
        let writer = try GeoTIFFWriter(path: out, width: 300, height: 140, bandCount: 1, dataType: .uint8,
                                       georeference: Georeference(of: raster), options: options, nodata: 255,
                                       colorTable: RGBA.colorTable(classColors: [RGBA(1, 2, 3), RGBA(4, 5, 6), RGBA(7, 8, 9), RGBA(10, 11, 12), RGBA(13, 14, 15)]))
        #expect(!FileManager.default.fileExists(atPath: out))
        try writer.write(band: 1, window: raster.fullWindow, bytes: ids)
        try writer.finish()
        let written = try Raster(path: out)
        #expect(written.geoTransform == raster.geoTransform)
        #expect(written.crs?.isSame(as: raster.crs!) == true)
        #expect(written.bands[0].nodata == 255)
        #expect(written.bands[0].colorInterpretation == "Palette")
        #expect(differences(try written.read().values.scalars, ids.map { Float($0) }) == nil)
        if let block = options.blockSize, !options.cloudOptimized { #expect(written.bands[0].blockWidth == block) }
        if options.blockSize == nil { #expect(written.bands[0].blockWidth == 300) }
        #expect(try leftovers(in: dir.file("out")).isEmpty)
    }

    @Test(.enabled(if: GeoFixtures.hasGDALPrograms, "gdalinfo (gdal-bin) is not installed"))
    func overviewsAndCloudOptimizedLayoutAreReal() throws {
        let dir = try TemporaryDirectory()
        let plain = dir.file("ovr.tif"), cog = dir.file("cog.tif")
        for (path, options) in [(plain, GeoTIFFOptions(overviews: [2, 4])), (cog, GeoTIFFOptions(cloudOptimized: true))] {
            let writer = try GeoTIFFWriter(path: path, width: 600, height: 600, bandCount: 2, dataType: .float32,
                                           georeference: Georeference(geoTransform: GeoFixtures.transform, crs: GeoFixtures.utm33),
                                           options: options, bandDescriptions: ["a", "b"])
            let values = (0..<(600 * 600)).map { Float($0 % 600) }
            try writer.write(band: 1, window: .full(width: 600, height: 600), values: values)
            try writer.write(band: 2, window: .full(width: 600, height: 600), values: values)
            try writer.finish()
        }
        let info = try GeoFixtures.run("gdalinfo", [plain])
        #expect(info.contains("Overviews: 300x300, 150x150"))
        let cogInfo = try GeoFixtures.run("gdalinfo", [cog])
        #expect(cogInfo.contains("LAYOUT=COG"))
        #expect(cogInfo.contains("Description = b"))
        #expect(try Raster(path: cog).geoTransform == GeoFixtures.transform)
    }

    @Test func unfinishedWriterLeavesNothingBehind() throws {
        let dir = try TemporaryDirectory()
        let out = dir.file("half.tif")
        do {
            let writer = try GeoTIFFWriter(path: out, width: 32, height: 32, bandCount: 1, dataType: .float32, georeference: .none)
            try writer.write(band: 1, window: RasterWindow(x: 0, y: 0, width: 32, height: 4), values: [Float](repeating: 1, count: 128))
            #expect(try leftovers(in: dir.path).count == 1)
        }
        #expect(!FileManager.default.fileExists(atPath: out))
        #expect(try leftovers(in: dir.path).isEmpty)
    }

    @Test func unwritableTargetIsAWriteError() throws {
        let dir = try TemporaryDirectory()
        try "x".write(toFile: dir.file("file"), atomically: true, encoding: .utf8)
        #expect {
            try GeoTIFFWriter(path: dir.file("file/out.tif"), width: 4, height: 4, bandCount: 1, dataType: .uint8, georeference: .none)
        } throws: { error in
            (error as? GeoError)?.code == .writeFailed && "\(error)".contains("file/out.tif")
        }
    }
}

@Suite struct GeoTIFFWriterConvenienceTests {
    @Test func tensorAndClassIdWritersRoundTrip() throws {
        let dir = try TemporaryDirectory()
        let georeference = Georeference(geoTransform: GeoFixtures.transform, crs: GeoFixtures.utm33)
        let values = (0..<(2 * 5 * 7)).map { Float($0) * 0.5 - 3 }
        let attribution = dir.file("attr.tif")
        try GeoTIFFWriter.writeFloat32(Tensor(shape: [1, 2, 5, 7], scalars: values), to: attribution,
                                       georeference: georeference, bandDescriptions: ["vis", "nir"])
        let read = try Raster(path: attribution)
        #expect(read.bandCount == 2 && read.width == 7 && read.height == 5)
        #expect(read.bands.map(\.bandDescription) == ["vis", "nir"])
        #expect(differences(try read.read().values.scalars, values) == nil)
        #expect(read.geoTransform == GeoFixtures.transform && read.crs?.epsg == 32633)
        let ids = dir.file("ids.tif")
        try GeoTIFFWriter.writeClassIds([0, 1, 2, 255], width: 2, height: 2, to: ids, georeference: georeference,
                                        colorTable: [RGBA(1, 2, 3), RGBA(4, 5, 6), RGBA(7, 8, 9)])
        let classes = try Raster(path: ids)
        #expect(classes.bands[0].nodata == 255 && classes.bands[0].colorInterpretation == "Palette")
        #expect(try classes.read().validity == [true, true, true, false])
    }
}
