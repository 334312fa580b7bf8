import GeoLensReport
import GeoLensTensor
import Testing

@Suite("Colormaps, composites, heatmaps and class maps")
struct ImagingTests {
    @Test("Colormaps run from their first to their last anchor")
    func colormapEnds() {
        #expect(Colormap.viridis.color(0) == RGBA(0x44, 0x01, 0x54))
        #expect(Colormap.viridis.color(1) == RGBA(0xfd, 0xe7, 0x25))
        #expect(Colormap.magma.color(0) == RGBA(0, 0, 4))
        #expect(Colormap.named("CIVIDIS")?.color(1) == RGBA(0xfe, 0xe8, 0x38))
        let centre = Colormap.diverging.color(0.5)
        #expect([centre.red, centre.green, centre.blue].allSatisfy { $0 >= 245 && $0 <= 247 })
        #expect(Colormap.jet.color(.nan) == Colormap.jet.color(0))
    }

    @Test("Percentile stretch maps the 2nd percentile to black and the 98th to white; nodata is black")
    func compositeStretch() throws {
        let values = (0..<100).map(Float.init)
        var valid = [Bool](repeating: true, count: 100)
        valid[99] = false
        let tensor = Tensor(shape: [3, 10, 10]) { out in
            for c in 0..<3 { for i in 0..<100 { out[c * 100 + i] = values[i] * Float(c + 1) } }
        }
        let image = Composite.make(tensor, channels: [2, 1, 0], valid: valid)
        #expect(image.width == 10 && image.layout == .rgb)
        #expect(image.color(x: 0, y: 0) == RGBA(0, 0, 0))
        #expect(image.color(x: 7, y: 9) == RGBA(255, 255, 255))
        #expect(image.color(x: 9, y: 9) == RGBA(0, 0, 0))
        let middle = image.color(x: 9, y: 4)
        #expect(middle.red > 100 && middle.red < 160)
    }

    @Test("Symmetric heatmaps put zero at the centre colour; blending keeps the composite")
    func heatmap() {
        let map: [Float] = [-2, 0, 1, 2]
        let image = Heatmap.render(map: map, width: 2, height: 2, colormap: .diverging, symmetric: true)
        #expect(image.color(x: 1, y: 0) == Colormap.diverging.color(0.5))
        #expect(image.color(x: 0, y: 0) == Colormap.diverging.color(0))
        let base = PNGImage(width: 2, height: 2, filledWith: RGBA(100, 100, 100))
        let blended = Heatmap.render(map: map, width: 2, height: 2, over: base, alpha: 0, valid: [true, true, true, false])
        #expect(blended.color(x: 1, y: 1) == RGBA(100, 100, 100))
        #expect(Heatmap.range(of: [1, 3, .nan], symmetric: false) == Heatmap.Range(low: 1, high: 3))
        let bar = ColorBar.image(.magma, width: 10, height: 2)
        #expect(bar.color(x: 9, y: 1) == Colormap.magma.color(1))
    }

    @Test("Class ids render through the palette; invalid ids get the nodata colour")
    func classMaps() throws {
        let palette = ClassPalette(classCount: 3)
        let image = try PNGReader.decode(PNGWriter.encode(palette.render(classIDs: [0, 1, 2, 255], width: 2, height: 2)))
        #expect(image.color(x: 0, y: 0) == palette.colors[0])
        #expect(image.color(x: 1, y: 1) == palette.nodata)
        let errors = ClassPalette.errorMap(reference: [0, 1, 255, 2], prediction: [0, 2, 1, 2], classCount: 3, width: 4, height: 1)
        #expect(errors.pixels == [1, 2, 0, 1])
    }
}
