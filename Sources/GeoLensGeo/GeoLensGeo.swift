/// GeoLensGeo: raster IO through GDAL's C API (the only module that touches GDAL),
/// tile datasets with image/label pairing, scene tiling and blended stitching,
/// georeferenced GeoTIFF outputs.
public enum GeoLensGeo {}
