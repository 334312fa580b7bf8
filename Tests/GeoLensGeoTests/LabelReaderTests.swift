import Foundation
import GeoLensGeo
import Testing

@Suite struct LabelReaderTests {
    @Test(arguments: [RasterDataType.uint8, .uint16, .int16, .uint32, .int32, .int64])
    func readsIntegerLabelsOfAnyType(type: RasterDataType) throws {
        let dir = try TemporaryDirectory()
        let path = dir.file("l.tif")
        let planes = try GeoFixtures.write(path, width: 9, height: 7, bands: 1, type: type)
        let labels = try LabelReader(path: path).read()
        #expect(differences(labels, planes[0].map { Int32($0) }) == nil)
        #expect(Set(labels).count > 10)
    }

    @Test func floatLabelsHoldingIntegersAreAccepted() throws {
        let dir = try TemporaryDirectory()
        let path = dir.file("fl.tif")
        let writer = try GeoTIFFWriter(path: path, width: 3, height: 1, bandCount: 1, dataType: .float32, georeference: .none)
        try writer.write(band: 1, window: .full(width: 3, height: 1), values: [0, 2, 7])
        try writer.finish()
        #expect(try LabelReader(path: path).read() == [0, 2, 7])
    }

    @Test func fractionalFloatLabelIsAnError() throws {
        let dir = try TemporaryDirectory()
        let path = dir.file("frac.tif")
        let writer = try GeoTIFFWriter(path: path, width: 3, height: 2, bandCount: 1, dataType: .float32, georeference: .none)
        try writer.write(band: 1, window: .full(width: 3, height: 2), values: [0, 1, 2, 1, 1.5, 0])
        try writer.finish()
        #expect {
            try LabelReader(path: path).read()
        } throws: { error in
            guard let error = error as? GeoError else { return false }
            return error.code == .unsupportedDataType && error.message.contains("1.5 at column 1, row 1")
        }
    }

    @Test func nodataBecomesIgnoreAndRemappingApplies() throws {
        let dir = try TemporaryDirectory()
        let path = dir.file("r.tif")
        let writer = try GeoTIFFWriter(path: path, width: 5, height: 1, bandCount: 1, dataType: .uint16,
                                       georeference: .none, nodata: 0)
        try writer.write(band: 1, window: .full(width: 5, height: 1), values: [10, 20, 0, 30, 70000])
        try writer.finish()
        #expect(try LabelReader(path: path).read() == [10, 20, 255, 30, 65535])
        let keep = LabelRemapping([10: 0, 20: 1])
        #expect(try LabelReader(path: path, remapping: keep).read() == [0, 1, 255, 30, 65535])
        let drop = LabelRemapping([10: 0, 20: 1, 65535: 2], unmapped: .ignore)
        #expect(try LabelReader(path: path, remapping: drop, ignoreIndex: -1).read() == [0, 1, -1, -1, 2])
        let window = RasterWindow(x: 1, y: 0, width: 2, height: 1)
        #expect(try LabelReader(path: path, remapping: keep).read(window: window) == [1, 255])
    }

    @Test func largeRawValuesUseTheTableToo() throws {
        let remap = LabelRemapping([100_000: 3, -5: 4], unmapped: .ignore)
        let dir = try TemporaryDirectory()
        let path = dir.file("i32.tif")
        let writer = try GeoTIFFWriter(path: path, width: 3, height: 1, bandCount: 1, dataType: .int32, georeference: .none)
        try writer.write(band: 1, window: .full(width: 3, height: 1), values: [100_000, -5, 7])
        try writer.finish()
        #expect(try LabelReader(path: path, remapping: remap).read() == [3, 4, 255])
    }
}
