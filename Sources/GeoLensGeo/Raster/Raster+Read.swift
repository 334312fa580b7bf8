internal import CGDAL
import Foundation
import GeoLensTensor

extension Raster {
    /// Reads `bands` (1-based, default all) of `window` (default the whole raster) as Float32
    /// `[bands, height, width]`, computing `value * scale + offset`, plus a validity mask.
    ///
    /// A pixel is invalid when GDAL's mask band masks it in any fed band, when it equals the
    /// declared nodata of any fed band, or when any fed value is not finite; non-finite values
    /// are replaced by 0 so that a model never sees NaN.
    public func read(window: RasterWindow? = nil, bands requested: [Int]? = nil,
                     scale: Float = 1, offset: Float = 0) throws -> RasterBlock {
        let window = window ?? fullWindow
        let bandList = requested ?? Array(1...bandCount)
        try checkInside(window)
        precondition(!bandList.isEmpty, "Raster.read: no bands requested from \(path)")
        var infos: [RasterBandInfo] = []
        for b in bandList {
            let info = try band(b)
            guard info.dataType != nil else {
                throw GeoError(.unsupportedDataType, "band \(b) of \(path) has pixel type \(info.typeName), "
                               + "which GeoLens cannot read; convert it with gdal_translate -ot Float32")
            }
            infos.append(info)
        }
        try Self.checkMemoryBudget(window: window, bands: bandList.count, path: path)
        let plane = window.pixelCount
        var validity = [Bool](repeating: true, count: plane)
        let values = try Tensor(shape: [bandList.count, window.height, window.width]) { (out) throws in
            try readSamples(window: window, bands: bandList, type: GDT_Float32, into: UnsafeMutableRawPointer(out.baseAddress!))
            try validity.withUnsafeMutableBufferPointer { (valid) throws in
                try applyMasks(infos, window: window, values: out, valid: valid)
                for k in 0..<bandList.count {
                    let channel = UnsafeMutableBufferPointer(rebasing: out[(k * plane)..<((k + 1) * plane)])
                    for i in 0..<plane {
                        let v = channel[i]
                        if v.isFinite {
                            channel[i] = v * scale + offset
                        } else {
                            channel[i] = 0
                            valid[i] = false
                        }
                    }
                }
            }
        }
        return RasterBlock(values: values, validity: validity, window: window, bands: bandList)
    }

    /// The most bytes one `read` allocates (Float32 values and the validity mask): half the
    /// machine's memory. A GeoTIFF's header can declare any size; a window beyond this is refused
    /// before allocating (a scene that large is read window by window, as `predict` does).
    public static var maximumReadBytes: Int { Int(min(ProcessInfo.processInfo.physicalMemory / 2, UInt64(Int.max))) }

    static func checkMemoryBudget(window: RasterWindow, bands: Int, path: String) throws {
        let (perPixel, o1) = bands.multipliedReportingOverflow(by: 4)
        let (values, o2) = window.pixelCount.multipliedReportingOverflow(by: perPixel + 1)
        guard !o1, !o2, values <= maximumReadBytes else {
            throw GeoError(.readFailed, "reading \(window.width) x \(window.height) pixels x \(bands) bands of \(path) at once needs "
                           + "\(o1 || o2 ? "more than \(Int.max)" : "\(values)") bytes, more than half this machine's memory "
                           + "(\(maximumReadBytes) bytes); tile the scene (geolens predict reads scenes window by window)")
        }
    }

    /// Reads `bands` of `window` band-sequentially into `buffer` as GDAL `type`, under the handle lock.
    func readSamples(window: RasterWindow, bands: [Int], type: GDALDataType,
                     into buffer: UnsafeMutableRawPointer) throws {
        var bandMap = bands.map { Int32($0) }
        let path = self.path
        try lock.withLock { () throws in
            GDALRuntime.clearError()
            let result = GDALDatasetRasterIO(dataset.handle, GF_Read, Int32(window.x), Int32(window.y),
                                             Int32(window.width), Int32(window.height), buffer,
                                             Int32(window.width), Int32(window.height), type,
                                             Int32(bands.count), &bandMap, 0, 0, 0)
            try GDALRuntime.check(result, .readFailed, "cannot read bands \(bands) of \(window) from \(path)")
        }
    }

    /// Clears `valid` where a band's mask band, or its nodata value, marks a pixel invalid.
    private func applyMasks(_ infos: [RasterBandInfo], window: RasterWindow,
                            values: UnsafeMutableBufferPointer<Float>, valid: UnsafeMutableBufferPointer<Bool>) throws {
        let plane = window.pixelCount
        var perDatasetDone = false
        var maskBytes: [UInt8] = []
        for (k, info) in infos.enumerated() {
            switch info.maskKind {
            case .allValid:
                continue
            case .nodata:
                guard let nodata = info.nodata else { continue }
                if info.dataType?.isExactInFloat32 == false {
                    try markNodataExactly(band: info.index, nodata: nodata, window: window, valid: valid)
                    continue
                }
                let channel = UnsafeBufferPointer(rebasing: values[(k * plane)..<((k + 1) * plane)])
                let target = Float(nodata)
                if target.isNaN {
                    for i in 0..<plane where channel[i].isNaN { valid[i] = false }
                } else {
                    for i in 0..<plane where channel[i] == target { valid[i] = false }
                }
            case .perDataset, .alpha, .perBand:
                if info.maskKind == .perDataset {
                    if perDatasetDone { continue }
                    perDatasetDone = true
                }
                if maskBytes.isEmpty { maskBytes = [UInt8](repeating: 0, count: plane) }
                try readMask(band: info.index, window: window, into: &maskBytes)
                for i in 0..<plane where maskBytes[i] == 0 { valid[i] = false }
            }
        }
    }

    /// Compares a band with its nodata value in Float64, for types whose values Float32 would round
    /// (32/64-bit integers, Float64), so a value next to nodata is not mistaken for it.
    private func markNodataExactly(band index: Int, nodata: Double, window: RasterWindow,
                                   valid: UnsafeMutableBufferPointer<Bool>) throws {
        var exact = [Double](repeating: 0, count: window.pixelCount)
        try exact.withUnsafeMutableBytes { raw in
            try readSamples(window: window, bands: [index], type: GDT_Float64, into: raw.baseAddress!)
        }
        for i in 0..<exact.count where exact[i] == nodata || (nodata.isNaN && exact[i].isNaN) { valid[i] = false }
    }

    /// Reads the GDAL mask band of `band` (0 = invalid, 255 = valid).
    private func readMask(band index: Int, window: RasterWindow, into bytes: inout [UInt8]) throws {
        let path = self.path
        try bytes.withUnsafeMutableBytes { (raw) throws in
            try lock.withLock { () throws in
                GDALRuntime.clearError()
                guard let mask = GDALGetMaskBand(dataset.band(index)) else {
                    throw GDALRuntime.error(.readFailed, "cannot get the mask band of band \(index) of \(path)")
                }
                let result = GDALRasterIO(mask, GF_Read, Int32(window.x), Int32(window.y),
                                          Int32(window.width), Int32(window.height), raw.baseAddress,
                                          Int32(window.width), Int32(window.height), GDT_Byte, 0, 0)
                try GDALRuntime.check(result, .readFailed, "cannot read the mask of band \(index) of \(window) from \(path)")
            }
        }
    }
}
