public import GeoLensTensor

extension GeoTIFFWriter {
    /// Writes a whole `[bands, height, width]` (or `[1, bands, height, width]`) Float32 tensor
    /// as a georeferenced GeoTIFF in one call: attribution maps, probabilities, entropy.
    public static func writeFloat32(_ tensor: Tensor, to path: String, georeference: Georeference,
                                    bandDescriptions: [String] = [], nodata: Double? = nil,
                                    options: GeoTIFFOptions = .standard) throws {
        let shape = tensor.rank == 4 && tensor.shape[0] == 1 ? Array(tensor.shape.dropFirst()) : tensor.shape
        precondition(shape.count == 3, "GeoTIFFWriter.writeFloat32: expects [bands, h, w] or [1, bands, h, w], got \(tensor.shape) for \(path)")
        let (bands, height, width) = (shape[0], shape[1], shape[2])
        let writer = try GeoTIFFWriter(path: path, width: width, height: height, bandCount: bands, dataType: .float32,
                                       georeference: georeference, options: options, nodata: nodata,
                                       bandDescriptions: bandDescriptions)
        let plane = width * height
        try tensor.withUnsafeBufferPointer { values in
            for band in 0..<bands {
                try writer.write(band: band + 1, window: .full(width: width, height: height),
                                 values: UnsafeBufferPointer(rebasing: values[(band * plane)..<((band + 1) * plane)]))
            }
        }
        try writer.finish()
    }

    /// Writes class ids `[height * width]` as a single-band UInt8 GeoTIFF, nodata 255, with
    /// `colorTable` (one colour per class; 255 transparent) when given.
    public static func writeClassIds(_ ids: [UInt8], width: Int, height: Int, to path: String,
                                     georeference: Georeference, colorTable: [RGBA]? = nil,
                                     options: GeoTIFFOptions = .standard) throws {
        let colors = colorTable.map(RGBA.colorTable(classColors:))
        let writer = try GeoTIFFWriter(path: path, width: width, height: height, bandCount: 1, dataType: .uint8,
                                       georeference: georeference, options: options, nodata: 255,
                                       bandDescriptions: ["class"], colorTable: colors)
        try writer.write(band: 1, window: .full(width: width, height: height), bytes: ids)
        try writer.finish()
    }
}
