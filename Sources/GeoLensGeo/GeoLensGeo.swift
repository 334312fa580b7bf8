/// GeoLensGeo: raster IO through GDAL's C API (the only module that touches GDAL),
/// tile datasets with image/label pairing, scene tiling and blended stitching,
/// georeferenced GeoTIFF outputs.
///
/// Where things are:
/// - `GDAL/`: the C boundary. `GDALDataset` owns a handle, `GDALRuntime` registers drivers once,
///   silences GDAL's own printing and turns its last error into a `GeoError`.
/// - `Raster/`: `Raster` (facts + `read(window:bands:scale:offset:)` into a `RasterBlock` with a
///   validity mask), `RasterWindow`, `GeoTransform`, `CRSInfo`, `RasterFacts` (for `inspect`).
/// - `Labels/`: `LabelReader` and `LabelRemapping`.
/// - `Tiles/`: `TileDataset`/`TilePair` with `PairingRule`, and `Shard` (`--shard I/N`).
/// - `Scene/`: `SceneTiler`, `ReflectPadding`, `BlendWeight`, `ProbabilityStitcher` and the streaming
///   `ScenePredictor`, which writes `<stem>_pred.tif`, `<stem>_entropy.tif`, `<stem>_prob.tif`.
/// - `Writers/`: `GeoTIFFWriter` (tiled/striped, DEFLATE/LZW, overviews, COG; atomic rename).
public enum GeoLensGeo {}
