import FuzzSupport
@testable import GeoLensGeo
@testable import GeoLensPipeline

/// Any bytes as a CSV source of per-tile scalars (`--source NAME=table.csv`), read by
/// `InputSource` into a `ScalarTable` (RFC 4180 records, the header, the `tile` or first column as
/// the key, one row per tile). A table that loads is then looked up as a run does: for the keys
/// of its own first rows and for fixed tiles, by relative path, file name, stem and file stem,
/// reading every column (the key column's text included) as a number, and for a missing column.
@_cdecl("LLVMFuzzerTestOneInput")
func fuzzSourceTable(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = FuzzScratch.bytes(data, size)
    let url = FuzzScratch.file("source.csv", bytes)
    guard let source = try? InputSource(name: "weather", path: url.path), let table = source.table else { return 0 }
    var tiles = [TilePair(image: "/data/tiles/tile_r0_c0.tif", label: nil, relativePath: "tile_r0_c0.tif", stem: "tile_r0_c0"),
                 TilePair(image: "/data/tiles/a/b.tif", label: nil, relativePath: "a/b.tif", stem: "b")]
    // Tiles named after the keys of the table's first rows, so lookups find rows and parse their values.
    if let text = String(bytes: bytes, encoding: .utf8),
       let records = try? TileLabelTable.records(text, path: url.path), records.count > 1 {
        let keyColumn = table.columns.firstIndex { $0.lowercased() == "tile" } ?? 0
        for record in records.dropFirst().prefix(4) where keyColumn < record.fields.count {
            let key = record.fields[keyColumn].trimmingCharacters(in: .whitespaces)
            tiles.append(TilePair(image: "/data/tiles/" + key, label: nil, relativePath: key, stem: key))
            tiles.append(TilePair(image: "/data/tiles/sub/" + key + ".tif", label: nil, relativePath: "sub/" + key + ".tif", stem: key))
        }
    }
    let valueColumns = Array(table.columns.dropFirst())
    for tile in tiles {
        _ = try? table.values(for: tile, columns: table.columns, input: "scalars")
        _ = try? table.values(for: tile, columns: valueColumns, input: "scalars")
        for column in table.columns.prefix(8) {
            _ = try? table.values(for: tile, columns: [column], input: "scalars")
        }
        _ = try? table.values(for: tile, columns: ["no such column"], input: "scalars")
    }
    _ = try? table.checkColumns(table.columns, input: "scalars")
    return 0
}
