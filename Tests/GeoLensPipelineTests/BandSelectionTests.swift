import Foundation
import GeoLensGeo
import GeoLensNN
import GeoLensPipeline
import GeoLensTestSupport
import Testing

/// Band names of a card (from a STAC MLM item) meet raster band descriptions.
@Suite struct BandSelectionTests {
    static let tile = Fixtures.url("fixtures/tiles/images/tile_r0_c0.tif").path  // "B2 blue", ..., "B12 swir2"

    func bands(_ names: [String]) throws(PipelineError) -> [Int]? {
        var card = ModelCard(architecture: "unet")
        card.bandNames = names
        return try BandSelection.bands(for: card, raster: try! Raster(path: Self.tile))
    }

    @Test func namesMatchWholeDescriptionsOrOneWordOfThem() throws {
        #expect(try bands(["B4 red", "B3 green", "B2 blue"]) == [3, 2, 1])
        #expect(try bands(["nir", "swir1", "B2"]) == [4, 5, 1])
        #expect(try bands(["RED"]) == [3])
        #expect(try BandSelection.bands(for: ModelCard(architecture: "unet"), raster: Raster(path: Self.tile)) == nil)
    }

    @Test func aMissingNameIsAnErrorNamingTheRasterAndItsBands() throws {
        let error = #expect(throws: PipelineError.self) { try bands(["B8A"]) }
        #expect(error?.message.contains(Self.tile) == true)
        #expect(error?.message.contains("'B8A'") == true && error?.message.contains("B11 swir1") == true)
        #expect(error?.exitStatus == 1)
    }
}
