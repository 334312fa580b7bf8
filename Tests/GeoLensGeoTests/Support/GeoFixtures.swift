import Foundation
import GeoLensGeo
import GeoLensTensor
import GeoLensTestSupport

/// A temporary directory removed when the value is released.
final class TemporaryDirectory {
    let path: String

    init() throws {
        path = NSTemporaryDirectory() + "geolens-geo-tests-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }

    func file(_ name: String) -> String { path + "/" + name }
}

/// Small GeoTIFFs written by the tests with GDAL (through `GeoTIFFWriter`), with known values.
enum GeoFixtures {
    static let utm33 = CRSInfo(epsg: 32633)!
    static let utm32 = CRSInfo(epsg: 32632)!
    static let transform = GeoTransform([500_000, 10, 0, 5_000_000, 0, -10])

    /// A deterministic value for band `b`, column `x`, row `y`, in a range every type holds.
    static func value(band b: Int, x: Int, y: Int, type: RasterDataType) -> Float {
        let raw = Float((x * 7 + y * 13 + b * 31) % 200)
        switch type {
        case .int16, .int32, .int64: return raw - 100
        case .float32, .float64: return raw * 0.25 - 10
        default: return raw
        }
    }

    /// Writes a `width x height x bands` raster of `type`; `blockSize` nil makes it striped.
    @discardableResult
    static func write(_ path: String, width: Int, height: Int, bands: Int, type: RasterDataType,
                      blockSize: Int? = 16, nodata: Double? = nil, nodataPixels: [(x: Int, y: Int)] = [],
                      crs: CRSInfo? = utm33, transform: GeoTransform? = transform) throws -> [[Float]] {
        let writer = try GeoTIFFWriter(path: path, width: width, height: height, bandCount: bands, dataType: type,
                                       georeference: Georeference(geoTransform: transform, crs: crs),
                                       options: GeoTIFFOptions(blockSize: blockSize), nodata: nodata)
        var planes: [[Float]] = []
        for b in 1...bands {
            var plane = [Float](repeating: 0, count: width * height)
            for y in 0..<height { for x in 0..<width { plane[y * width + x] = value(band: b, x: x, y: y, type: type) } }
            if let nodata { for p in nodataPixels { plane[p.y * width + p.x] = Float(nodata) } }
            try writer.write(band: b, window: .full(width: width, height: height), values: plane)
            planes.append(plane)
        }
        try writer.finish()
        return planes
    }

    /// Path of a GDAL command-line program, or nil when gdal-bin is not installed.
    static func gdalProgram(_ name: String) -> String? {
        ["/usr/bin/", "/usr/local/bin/"].map { $0 + name }.first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    static var hasGDALPrograms: Bool { gdalProgram("gdal_translate") != nil }

    /// Runs a GDAL program and returns its standard output; throws when it fails.
    @discardableResult
    static func run(_ program: String, _ arguments: [String]) throws -> String {
        guard let executable = gdalProgram(program) else { throw FixtureError("\(program) is not installed") }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let output = Pipe()
        process.standardOutput = output
        process.standardError = Pipe()
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw FixtureError("\(program) \(arguments) failed") }
        return String(decoding: data, as: UTF8.self)
    }

    /// GDAL's own read of all bands, through `gdal_translate -ot Float32 -of ENVI` (band-sequential
    /// raw Float32), as planes per band.
    static func gdalTranslateBands(_ path: String, in directory: TemporaryDirectory) throws -> [[Float]] {
        let out = directory.file("reference-\(UUID().uuidString).bin")
        try run("gdal_translate", ["-q", "-ot", "Float32", "-of", "ENVI", "-co", "INTERLEAVE=BSQ", path, out])
        let data = try Data(contentsOf: URL(fileURLWithPath: out))
        let raster = try Raster(path: path)
        let plane = raster.width * raster.height
        let all: [Float] = data.withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }
        return (0..<raster.bandCount).map { Array(all[($0 * plane)..<(($0 + 1) * plane)]) }
    }

    /// The real-data file `name`, or nil when `../shared/realdata` is absent.
    static func realFile(_ name: String) -> String? {
        Fixtures.realData.map { $0.appendingPathComponent(name).path }
    }
}

struct FixtureError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// Nil when `actual` equals `expected` element for element (NaN equals NaN), else a short account
/// of the first difference; keeps failure messages small for arrays of thousands of pixels.
func differences<T: BinaryFloatingPoint>(_ actual: [T], _ expected: [T]) -> String? {
    guard actual.count == expected.count else { return "\(actual.count) values, expected \(expected.count)" }
    var count = 0
    var first: Int?
    for i in actual.indices where actual[i] != expected[i] && !(actual[i].isNaN && expected[i].isNaN) {
        count += 1
        if first == nil { first = i }
    }
    guard let first else { return nil }
    return "\(count) of \(actual.count) differ; first at \(first): \(actual[first]) vs \(expected[first])"
}

func differences<T: BinaryInteger>(_ actual: [T], _ expected: [T]) -> String? {
    differences(actual.map { Double($0) }, expected.map { Double($0) })
}
