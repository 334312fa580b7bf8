import Foundation
@testable import GeoLensGeo
@testable import GeoLensPipeline
import GeoLensTestSupport
import Testing

/// Lookups in a CSV source table (`ScalarTable`) for tile paths that stopped the process
/// (found by the `source-table` fuzz harness, Fuzz/).
@Suite struct ScalarTableLookupTests {
    static func table(_ text: String) throws -> ScalarTable {
        let dir = try GeoLensCLI.temporaryDirectory("scalar-table")
        let url = dir.appendingPathComponent("source.csv")
        try Data(text.utf8).write(to: url)
        return try ScalarTable(path: url.path)
    }

    /// Foundation's `lastPathComponent` stopped on a path ending in `//` and a lone U+FEFF; the
    /// lookup takes the file name itself and finds the row.
    @Test func aTilePathEndingInADoubledSlashAndAByteOrderMarkIsLookedUpByItsFileName() throws {
        let table = try Self.table("tile,v\n\u{FEFF},1.5\n")
        let tile = TilePair(image: "/data/tiles//\u{FEFF}", label: nil, relativePath: "other", stem: "other")
        #expect(try table.values(for: tile, columns: ["v"], input: "scalars") == [1.5])
        #expect(fileName(of: "/data/tiles//\u{FEFF}") == "\u{FEFF}")
        #expect(fileName(of: "a/b.tif") == "b.tif")
        #expect(fileName(of: "tiles/") == "tiles")
    }

    /// The fuzzer's input (`/\r/\u{FEFF}\r`): a one-column table whose row is not a number is a
    /// clear error, not a crash.
    @Test func theFuzzedTableIsAnErrorNamingTheFileAndLine() throws {
        let table = try Self.table("/\r/\u{FEFF}\r")
        let tile = TilePair(image: "/data/tiles//\u{FEFF}", label: nil, relativePath: "/\u{FEFF}", stem: "/\u{FEFF}")
        #expect(throws: PipelineError.self) { try table.values(for: tile, columns: ["/"], input: "scalars") }
        do {
            _ = try table.values(for: tile, columns: ["/"], input: "scalars")
        } catch {
            #expect(error.description.contains("source.csv line 2: column '/'"))
        }
    }
}
