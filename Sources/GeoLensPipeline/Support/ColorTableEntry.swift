public import GeoLensGeo

/// GeoLensGeo's colour-table entry (GeoLensReport has an `RGBA` of its own for PNGs).
public typealias ColorTableEntry = RGBA
