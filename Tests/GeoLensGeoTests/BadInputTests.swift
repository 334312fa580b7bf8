import Foundation
import GeoLensGeo
import Testing

/// Each kind of bad input fails with a `GeoError` whose one-line message names the file and cause.
@Suite struct BadInputTests {
    /// Runs `body`, requires a `GeoError` of `code`, and returns its description.
    private func failure(_ code: GeoError.Code, _ body: () throws -> Void) throws -> String {
        do {
            try body()
        } catch let error as GeoError {
            #expect(error.code == code, "\(error)")
            #expect(!error.description.contains("\n"))
            return error.description
        }
        Issue.record("expected a \(code) error")
        return ""
    }

    @Test func missingFile() throws {
        let message = try failure(.fileNotFound) { _ = try Raster(path: "/nonexistent/scene.tif") }
        #expect(message == "raster /nonexistent/scene.tif does not exist; check the path")
    }

    @Test func notARaster() throws {
        let dir = try TemporaryDirectory()
        let path = dir.file("notes.tif")
        try "just some text\n".write(toFile: path, atomically: true, encoding: .utf8)
        let message = try failure(.notARaster) { _ = try Raster(path: path) }
        #expect(message.hasPrefix("cannot open \(path) as a raster: GDAL: "))
        #expect(message.contains("not recognized as"))
    }

    /// A little-endian TIFF header declaring a `width` x `height` Float32 raster in one sparse
    /// strip (offset and byte count 0): a few hundred bytes that GDAL opens as a huge raster.
    static func sparseTIFF(width: UInt32, height: UInt32) -> Data {
        var bytes: [UInt8] = [0x49, 0x49, 42, 0, 8, 0, 0, 0]
        func u16(_ v: UInt16) { bytes += [UInt8(v & 0xFF), UInt8(v >> 8)] }
        func u32(_ v: UInt32) { bytes += (0..<4).map { UInt8((v >> (8 * $0)) & 0xFF) } }
        // (tag, type, value): SHORT = 3, LONG = 4; entries in increasing tag order.
        let entries: [(UInt16, UInt16, UInt32)] = [
            (256, 4, width), (257, 4, height), (258, 3, 32), (259, 3, 1), (262, 3, 1), (273, 4, 0),
            (277, 3, 1), (278, 4, height), (279, 4, 0), (284, 3, 1), (339, 3, 3),
        ]
        u16(UInt16(entries.count))
        for (tag, type, value) in entries {
            u16(tag); u16(type); u32(1)
            if type == 3 { u16(UInt16(value)); u16(0) } else { u32(value) }
        }
        u32(0)
        return Data(bytes)
    }

    @Test func headerLargerThanMemoryIsRefusedBeforeAllocating() throws {
        let dir = try TemporaryDirectory()
        let path = dir.file("huge.tif")
        // 3 x 10^9 x 10^9 pixels' worth of Float32: more than any machine's memory.
        try Self.sparseTIFF(width: 1_000_000_000, height: 1_000_000_000).write(to: URL(fileURLWithPath: path))
        let raster = try Raster(path: path)
        #expect(raster.width == 1_000_000_000 && raster.height == 1_000_000_000)
        let message = try failure(.readFailed) { _ = try raster.read() }
        #expect(message.hasPrefix("reading 1000000000 x 1000000000 pixels x 1 bands of \(path) at once needs 5000000000000000000 bytes, "
                                  + "more than half this machine's memory"))
        #expect(message.contains("tile the scene"))
    }

    @Test func truncatedGeoTIFF() throws {
        let dir = try TemporaryDirectory()
        let path = dir.file("cut.tif")
        try GeoFixtures.write(path, width: 64, height: 64, bands: 2, type: .uint16, blockSize: 16)
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        // Keep the header and directory (GDAL writes them first) but drop most tile data.
        try data.prefix(data.count / 3).write(to: URL(fileURLWithPath: path))
        let message = try failure(.readFailed) { _ = try Raster(path: path).read() }
        #expect(message.contains(path))
        #expect(message.contains("GDAL: "))
    }

    @Test func truncatedHeader() throws {
        let dir = try TemporaryDirectory()
        let path = dir.file("head.tif")
        try GeoFixtures.write(path, width: 8, height: 8, bands: 1, type: .uint8)
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        try data.prefix(6).write(to: URL(fileURLWithPath: path))
        let message = try failure(.notARaster) { _ = try Raster(path: path) }
        #expect(message.contains(path))
    }

    @Test func bandIndexOutOfRange() throws {
        let dir = try TemporaryDirectory()
        let path = dir.file("b.tif")
        try GeoFixtures.write(path, width: 8, height: 8, bands: 3, type: .uint8)
        let raster = try Raster(path: path)
        let message = try failure(.bandOutOfRange) { _ = try raster.read(bands: [1, 4]) }
        #expect(message == "band 4 is out of range for \(path), which has bands 1...3")
        _ = try failure(.bandOutOfRange) { _ = try LabelReader(raster: raster, band: 0) }
        _ = try failure(.windowOutOfRange) { _ = try raster.read(window: RasterWindow(x: 4, y: 0, width: 5, height: 2)) }
    }

    @Test func labelImageSizeMismatch() throws {
        let dir = try TemporaryDirectory()
        let image = dir.file("a.tif"), label = dir.file("a_label.tif")
        try GeoFixtures.write(image, width: 16, height: 16, bands: 2, type: .uint16)
        try GeoFixtures.write(label, width: 16, height: 15, bands: 1, type: .uint8)
        let message = try failure(.mismatch) { try Raster(path: image).checkAligned(with: Raster(path: label)) }
        #expect(message.contains(image) && message.contains(label) && message.contains("16 x 15"))
    }

    @Test func labelImageCRSMismatch() throws {
        let dir = try TemporaryDirectory()
        let image = dir.file("a.tif"), label = dir.file("b.tif")
        try GeoFixtures.write(image, width: 16, height: 16, bands: 1, type: .uint16)
        try GeoFixtures.write(label, width: 16, height: 16, bands: 1, type: .uint8, crs: GeoFixtures.utm32)
        let message = try failure(.mismatch) { try Raster(path: image).checkAligned(with: Raster(path: label)) }
        #expect(message.contains("CRS of \(image) (EPSG:32633") && message.contains(label) && message.contains("EPSG:32632"))
    }

    @Test func geotransformMismatch() throws {
        let dir = try TemporaryDirectory()
        let image = dir.file("a.tif"), label = dir.file("b.tif")
        try GeoFixtures.write(image, width: 16, height: 16, bands: 1, type: .uint16)
        try GeoFixtures.write(label, width: 16, height: 16, bands: 1, type: .uint8,
                              transform: GeoTransform([500_010, 10, 0, 5_000_000, 0, -10]))
        let message = try failure(.mismatch) { try Raster(path: image).checkAligned(with: Raster(path: label)) }
        #expect(message.hasPrefix("geotransform of \(image)"))
    }

    @Test(.enabled(if: GeoFixtures.hasGDALPrograms, "gdal_translate (gdal-bin) is not installed"))
    func unsupportedComplexType() throws {
        let dir = try TemporaryDirectory()
        let source = dir.file("r.tif"), complex = dir.file("c.tif")
        try GeoFixtures.write(source, width: 8, height: 8, bands: 1, type: .int16)
        try GeoFixtures.run("gdal_translate", ["-q", "-ot", "CInt16", source, complex])
        let raster = try Raster(path: complex)
        #expect(raster.bands[0].dataType == nil && raster.bands[0].typeName == "CInt16")
        let message = try failure(.unsupportedDataType) { _ = try raster.read() }
        #expect(message.contains("band 1 of \(complex) has pixel type CInt16"))
        _ = try failure(.unsupportedDataType) { _ = try LabelReader(raster: raster) }
    }

    @Test func malformedShard() throws {
        _ = try failure(.invalidArgument) { _ = try Shard(parsing: "3/3") }
        _ = try failure(.invalidArgument) { _ = try Shard(parsing: "a/b") }
        _ = try failure(.invalidArgument) { _ = try Shard.fromEnvironment(["JOB_COMPLETION_INDEX": "1"]) }
    }
}
