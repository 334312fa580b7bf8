import Foundation
import GeoLensPipeline
import GeoLensReport
import GeoLensTestSupport
import Testing

/// QGIS styles parse as XML with the entries GeoLens means, whatever the class names hold.
@Suite struct QGISStyleTests {
    @Test func palettedStyleEscapesClassNamesAndUsesThePalette() throws {
        let directory = try GeoLensCLI.temporaryDirectory("qml")
        defer { try? FileManager.default.removeItem(at: directory) }
        let names = ["water & ice", "<cloud>", "\"shadow\" -- dark", "l'herbe"]
        let raster = directory.appendingPathComponent("x_pred.tif").path
        let path = try RasterStyles.classes(besides: raster, classNames: names)
        #expect(path == directory.appendingPathComponent("x_pred.qml").path)
        let style = try QGISStyleDocument(contentsOf: URL(fileURLWithPath: path))
        #expect(style.rendererType == "paletted")
        #expect(style.entries.map(\.label) == names)
        #expect(style.entries.map(\.value) == [0, 1, 2, 3])
        let colors = ClassPalette(classCount: 4).colors.map { String(format: "#%02x%02x%02x", $0.red, $0.green, $0.blue) }
        #expect(style.entries.map(\.color) == colors)
    }

    @Test func signedAttributionStylesAreSymmetricAboutZero() throws {
        let directory = try GeoLensCLI.temporaryDirectory("qml")
        defer { try? FileManager.default.removeItem(at: directory) }
        let raster = directory.appendingPathComponent("m.tif").path
        try RasterStyles.attribution(besides: raster, values: [-0.5, 0.1, 2, .nan], signed: true, quantity: "SHAP value")
        let style = try QGISStyleDocument(contentsOf: URL(fileURLWithPath: QGISStyle.path(for: raster)))
        #expect(style.rendererType == "singlebandpseudocolor")
        #expect(style.classificationRange == -2...2)
        #expect(style.entries.first?.value == -2 && style.entries.last?.value == 2)
        try RasterStyles.attribution(besides: raster, values: [0.25, 0.75], signed: false, quantity: "GradCAM++")
        #expect(try QGISStyleDocument(contentsOf: URL(fileURLWithPath: QGISStyle.path(for: raster))).classificationRange == 0.25...0.75)
    }
}
