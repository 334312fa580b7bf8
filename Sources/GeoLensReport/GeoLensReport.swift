/// GeoLensReport: what people look at — PNG images through libpng, colormaps, band composites,
/// inline SVG charts, and self-contained HTML reports for one run and for comparing runs.
public enum GeoLensReport {}
