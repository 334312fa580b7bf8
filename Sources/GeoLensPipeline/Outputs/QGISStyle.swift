import Foundation
import GeoLensEval
public import GeoLensReport

/// A QGIS layer style (`.qml`) for a GeoLens raster. QGIS loads `<name>.qml` beside
/// `<name>.tif` as the layer's default style, so prediction rasters open with the class names and
/// the report palette, and entropy and attribution rasters with the reports' colour ramps.
///
/// Two renderers, both QGIS 3 XML:
/// - `paletted(classNames:palette:)`: a paletted renderer on band 1 with one entry per class id
///   (value, colour, class name); values outside the classes (nodata 255) are left out and draw
///   transparent.
/// - `pseudocolor(minimum:maximum:colormap:quantity:)`: a single-band pseudocolor renderer with an
///   interpolated ramp sampled from a GeoLens `Colormap` between fixed limits.
public struct QGISStyle: Sendable, Equatable {
    /// The `.qml` document.
    public let xml: String

    /// The QGIS version the documents are written for (the renderers exist since QGIS 3.0).
    static let qgisVersion = "3.28.0-Firenze"
    /// Stops of a pseudocolor ramp (and legend items).
    static let rampStops = 11

    /// A paletted style: class `i` is drawn in `palette.colors[i]` and named `classNames[i]`.
    public static func paletted(classNames: [String], palette: ClassPalette) -> QGISStyle {
        precondition(!classNames.isEmpty, "QGISStyle.paletted: no classes")
        let entries = classNames.enumerated().map { index, name in
            let color = palette.colors[index % palette.colors.count]
            return "        <paletteEntry value=\"\(index)\" color=\"\(hex(color))\" alpha=\"\(color.alpha)\" label=\"\(HTML.escape(name))\"/>"
        }
        let renderer = """
                <rasterrenderer type="paletted" band="1" opacity="1" alphaBand="-1" nodataColor="">
                  <rasterTransparency/>
            \(minMaxOrigin)
                  <colorPalette>
            \(entries.joined(separator: "\n"))
                  </colorPalette>
                </rasterrenderer>
            """
        return QGISStyle(xml: document(renderer: renderer, resampling: "nearestNeighbour"))
    }

    /// A single-band pseudocolor style from `minimum` to `maximum` through `colormap`, with the
    /// legend labelled in units of `quantity` (e.g. "entropy (nats)").
    public static func pseudocolor(minimum: Double, maximum: Double, colormap: Colormap, quantity: String) -> QGISStyle {
        var (low, high) = (minimum.isFinite ? minimum : 0, maximum.isFinite ? maximum : 1)
        if high <= low { high = low + 1 }
        let count = rampStops
        let positions = (0..<count).map { Double($0) / Double(count - 1) }
        let colors = positions.map { colormap.color(Float($0)) }
        let stops = zip(positions, colors).dropFirst().dropLast()
            .map { "\(number($0));\(rgba($1));rgb;ccw" }.joined(separator: ":")
        let items = zip(positions, colors).map { position, color in
            let value = low + (high - low) * position
            return "              <item value=\"\(number(value))\" color=\"\(hex(color))\" alpha=\"255\" label=\"\(number(value, digits: 4))\"/>"
        }
        let renderer = """
                <rasterrenderer type="singlebandpseudocolor" band="1" opacity="1" alphaBand="-1" nodataColor="" classificationMin="\(number(low))" classificationMax="\(number(high))">
                  <rasterTransparency/>
            \(minMaxOrigin)
                  <rastershader>
                    <colorrampshader colorRampType="INTERPOLATED" classificationMode="1" clip="0" labelPrecision="4" minimumValue="\(number(low))" maximumValue="\(number(high))">
                      <colorramp type="gradient" name="[source]">
                        <Option type="Map">
                          <Option type="QString" name="color1" value="\(rgba(colors.first!))"/>
                          <Option type="QString" name="color2" value="\(rgba(colors.last!))"/>
                          <Option type="QString" name="direction" value="ccw"/>
                          <Option type="QString" name="discrete" value="0"/>
                          <Option type="QString" name="rampType" value="gradient"/>
                          <Option type="QString" name="spec" value="rgb"/>
                          <Option type="QString" name="stops" value="\(stops)"/>
                        </Option>
                      </colorramp>
            \(items.joined(separator: "\n"))
                      <rampLegendSettings minimumLabel="" maximumLabel="" prefix="" suffix="" direction="0" useContinuousLegend="1" orientation="2"/>
                    </colorrampshader>
                  </rastershader>
                </rasterrenderer>
            """
        return QGISStyle(xml: document(renderer: renderer, resampling: "bilinear", comment: quantity))
    }

    /// The style's path for `raster`: the same name with `.qml` in place of `.tif`.
    public static func path(for raster: String) -> String {
        (raster as NSString).deletingPathExtension + ".qml"
    }

    /// Writes the style beside `raster` (atomically), returning its path.
    @discardableResult
    public func write(besides raster: String) throws(PipelineError) -> String {
        let path = Self.path(for: raster)
        try PipelineError.wrapping(context: path) {
            try AtomicFile.write(Data(xml.utf8), to: URL(fileURLWithPath: path))
        }
        return path
    }

    /// The renderer's (unused, fixed) statistics settings, which QGIS expects in every raster renderer.
    private static let minMaxOrigin = """
              <minMaxOrigin>
                <limits>None</limits>
                <extent>WholeRaster</extent>
                <statAccuracy>Estimated</statAccuracy>
                <cumulativeCutLower>0.02</cumulativeCutLower>
                <cumulativeCutUpper>0.98</cumulativeCutUpper>
                <stdDevFactor>2</stdDevFactor>
              </minMaxOrigin>
        """

    private static func document(renderer: String, resampling: String, comment: String? = nil) -> String {
        """
        <!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>
        <!-- Written by GeoLens\(comment.map { ": " + HTML.escape($0).replacingOccurrences(of: "--", with: "- -") } ?? ""). -->
        <qgis version="\(qgisVersion)" styleCategories="AllStyleCategories" hasScaleBasedVisibilityFlag="0" minScale="1e+08" maxScale="0">
          <pipe>
            <provider>
              <resampling enabled="false" zoomedInResamplingMethod="nearestNeighbour" zoomedOutResamplingMethod="\(resampling)" maxOversampling="2"/>
            </provider>
        \(renderer)
            <brightnesscontrast brightness="0" contrast="0" gamma="1"/>
            <huesaturation saturation="0" grayscaleMode="0" colorizeOn="0" colorizeRed="255" colorizeGreen="128" colorizeBlue="128" colorizeStrength="100" invertColors="0"/>
            <rasterresampler maxOversampling="2"/>
            <resamplingStage>resamplingFilter</resamplingStage>
          </pipe>
          <blendMode>0</blendMode>
        </qgis>

        """
    }

    private static func hex(_ color: RGBA) -> String {
        "#" + [color.red, color.green, color.blue].map { byte in
            let text = String(byte, radix: 16)
            return byte < 16 ? "0" + text : text
        }.joined()
    }

    private static func rgba(_ color: RGBA) -> String { "\(color.red),\(color.green),\(color.blue),\(color.alpha)" }

    /// A number as QGIS writes it: shortest round-trip text, no exponent for ordinary values.
    private static func number(_ value: Double, digits: Int? = nil) -> String {
        if let digits { return String(format: "%.\(digits)f", value) }
        let rounded = (value * 1e9).rounded() / 1e9
        return rounded == rounded.rounded() && abs(rounded) < 1e15 ? String(Int64(rounded)) : String(rounded)
    }
}
