// Peak memory of streaming a Sentinel-2-sized scene through `ScenePredictor`.
//
//   swift run -c release geolens-geo-bench /tmp/scene-dir [size] [tile] [overlap]
//
// Generates a size x size x 6 UInt16 tiled GeoTIFF in the given directory (block by block,
// never the whole scene in memory), streams it through a trivial model (softmax of a fixed
// linear map of the bands, 3 classes) and writes the class-id and entropy GeoTIFFs, then prints
// peak resident memory (VmHWM) and wall time of each phase.
//
// Measured on a 2-core build machine shared with other builds (release, GDAL 3.6.2, 64 MiB GDAL
// block cache, 10980 x 10980 x 6, tile 256, overlap 32, 2401 windows): generating the scene took
// 27 s with peak RSS 142 MiB; streaming it through the model and writing the class-id and entropy
// GeoTIFFs took 60 s wall (30 s CPU for the whole run) with peak RSS 257 MiB. A 2048 x 2048 scene
// peaks at 170 MiB, so memory follows the window-row working set, not the scene size.
import Foundation
import GeoLensGeo
import GeoLensTensor

let arguments = CommandLine.arguments
guard arguments.count >= 2 else {
    FileHandle.standardError.write(Data("usage: geolens-geo-bench DIR [size=10980] [tile=256] [overlap=32]\n".utf8))
    exit(2)
}
let directory = arguments[1]
let size = arguments.count > 2 ? Int(arguments[2])! : 10980
let tile = arguments.count > 3 ? Int(arguments[3])! : 256
let overlap = arguments.count > 4 ? Int(arguments[4])! : 32
let bands = 6, classes = 3
GDALSettings.blockCacheBytes = 64 << 20

/// Peak resident set size so far, in MiB (`VmHWM` of /proc/self/status).
func peakResidentMiB() -> Double {
    let status = (try? String(contentsOfFile: "/proc/self/status", encoding: .utf8)) ?? ""
    let line = status.split(separator: "\n").first { $0.hasPrefix("VmHWM:") } ?? ""
    let kib = Double(line.split(separator: " ").dropFirst().first ?? "0") ?? 0
    return kib / 1024
}

/// Resets `VmHWM` to the current RSS so the next phase is measured on its own.
func resetPeak() {
    try? "5".write(toFile: "/proc/self/clear_refs", atomically: false, encoding: .utf8)
}

func seconds(since start: Date) -> String { String(format: "%.1f s", Date().timeIntervalSince(start)) }

let scenePath = directory + "/synthetic_scene.tif"
let started = Date()
do {
    let writer = try GeoTIFFWriter(path: scenePath, width: size, height: size, bandCount: bands, dataType: .uint16,
                                   georeference: Georeference(geoTransform: GeoTransform([300_000, 10, 0, 5_000_040, 0, -10]),
                                                              crs: CRSInfo(epsg: 32633)),
                                   options: GeoTIFFOptions(blockSize: 256, compression: .deflate))
    var y = 0
    var plane = [Float](repeating: 0, count: 256 * size)
    while y < size {
        let rows = min(256, size - y)
        for b in 0..<bands {
            for r in 0..<rows {
                for x in 0..<size { plane[r * size + x] = Float((x / 7 + (y + r) / 5 + b * 400) % 3000 + 500) }
            }
            try plane.withUnsafeBufferPointer { p in
                try writer.write(band: b + 1, window: RasterWindow(x: 0, y: y, width: size, height: rows),
                                 values: UnsafeBufferPointer(rebasing: p[0..<(rows * size)]))
            }
        }
        y += rows
    }
    try writer.finish()
}
let generated = seconds(since: started)
let generationPeak = peakResidentMiB()
resetPeak()

/// Softmax of a fixed linear map of the bands: `[N, 6, t, t]` to `[N, 3, t, t]`.
func trivialModel(_ x: Tensor) -> Tensor {
    let (n, c, h, w) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
    let weights: [[Float]] = [[1, -1, 0, 0, 0.5, 0], [0, 1, -1, 0, 0, 0.5], [-1, 0, 1, 0.5, 0, 0]]
    precondition(c == weights[0].count, "trivialModel: expects \(weights[0].count) bands, got \(x.shape)")
    let plane = h * w
    return x.withUnsafeBufferPointer { input in
        Tensor(shape: [n, classes, h, w]) { out in
            for image in 0..<n {
                let src = image * c * plane, dst = image * classes * plane
                for i in 0..<plane {
                    var l0: Float = 0, l1: Float = 0, l2: Float = 0
                    for b in 0..<c {
                        let v = input[src + b * plane + i]
                        l0 += weights[0][b] * v; l1 += weights[1][b] * v; l2 += weights[2][b] * v
                    }
                    let top = max(l0, l1, l2)
                    let e0 = expf(l0 - top), e1 = expf(l1 - top), e2 = expf(l2 - top)
                    let total = e0 + e1 + e2
                    out[dst + i] = e0 / total
                    out[dst + plane + i] = e1 / total
                    out[dst + 2 * plane + i] = e2 / total
                }
            }
        }
    }
}

let predictStart = Date()
let raster = try Raster(path: scenePath)
let predictor = try ScenePredictor(raster: raster, options: ScenePredictionOptions(
    tileSize: tile, overlap: overlap, inputScale: 1e-4, blend: .hann, batchSize: 4))
let outputs = try predictor.predict(to: directory, stem: "synthetic_scene", model: trivialModel)
let predicted = seconds(since: predictStart)
let predictionPeak = peakResidentMiB()

print("scene: \(size) x \(size) x \(bands) UInt16, tile \(tile), overlap \(overlap), \(predictor.tiler.windowCount) windows, GDAL \(GDALSettings.version), block cache \(GDALSettings.blockCacheBytes >> 20) MiB")
print("generate: \(generated), peak RSS \(String(format: "%.0f", generationPeak)) MiB")
print("predict:  \(predicted), peak RSS \(String(format: "%.0f", predictionPeak)) MiB (read, model, stitch, write \(outputs.classIds), \(outputs.entropy))")
