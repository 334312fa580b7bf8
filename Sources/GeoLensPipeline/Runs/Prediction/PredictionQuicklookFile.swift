import Foundation
import GeoLensGeo
import GeoLensReport

/// `<stem>_pred.png`, the quicklook `geolens predict` writes beside a scene's class raster: the
/// raster read back row by row and sampled down (nearest pixel) to at most `maximumSide` pixels
/// on its long side, drawn by `PredictionQuicklook` with the class legend and a scale bar.
/// Memory stays bounded by one raster row, whatever the scene size.
enum PredictionQuicklookFile {
    /// The longest side of the shown class map.
    static let maximumSide = 1024

    /// Writes the quicklook of the class raster at `classRaster` to `path`.
    ///
    /// - Parameters:
    ///   - scene: the scene's name for the title.
    ///   - model: the checkpoint's name for the title.
    static func write(classRaster: String, to path: String, scene: String, model: String, classNames: [String]) throws {
        let raster = try Raster(path: classRaster)
        let step = max(1, (max(raster.width, raster.height) + maximumSide - 1) / maximumSide)
        let width = (raster.width + step - 1) / step, height = (raster.height + step - 1) / step
        var ids = [Int](repeating: -1, count: width * height)
        for row in 0..<height {
            let sourceRow = min(raster.height - 1, row * step + step / 2)
            let block = try raster.read(window: RasterWindow(x: 0, y: sourceRow, width: raster.width, height: 1), bands: [1])
            let values = block.values.scalars
            for column in 0..<width {
                let x = min(raster.width - 1, column * step + step / 2)
                if block.validity[x] { ids[row * width + column] = Int(values[x]) }
            }
        }
        let shown = "\(raster.width) x \(raster.height) pixels" + (step == 1 ? "" : ", shown at 1:\(step)")
        let metres = Georeference(of: raster).metresPerPixel.map { $0 * Double(step) }
        let quicklook = PredictionQuicklook(classIDs: ids, width: width, height: height, classNames: classNames,
                                            palette: ClassPalette(classCount: classNames.count),
                                            title: "\(scene) · predicted classes", subtitle: "\(model) · \(shown)",
                                            metresPerPixel: metres)
        try PNGWriter.write(try quicklook.render(), to: URL(fileURLWithPath: path))
    }
}
