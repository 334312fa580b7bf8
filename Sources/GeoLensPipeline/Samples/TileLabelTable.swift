import Foundation
import GeoLensGeo

/// A CSV of tile labels (`--labels labels.csv`) for the tile tasks.
///
/// The header names a `tile` column and either a `label` column (one class per tile, for
/// `classification`) or a `labels` column (`;`-separated classes, empty for none, for
/// `multilabel`); other columns are ignored. Classes are names of the model card or 0-based
/// indices. A row's `tile` is the tile's file name (`t_001.tif`), its stem (`t_001`, after the
/// image suffix rule) or its path relative to the image root. Fields may be quoted (RFC 4180).
/// Every error names the CSV file and, for a row, its line.
struct TileLabelTable: Sendable {
    enum Kind: String, Sendable {
        /// A `label` column: one class per tile.
        case single = "label"
        /// A `labels` column: a `;`-separated set of classes per tile.
        case multiple = "labels"
    }

    /// One labelled tile: its 1-based line in the file and its class names or indices as written.
    struct Row: Sendable {
        let line: Int
        let tile: String
        let values: [String]
    }

    let path: String
    let kind: Kind
    private let rows: [String: Row]

    /// Reads and checks the table: the header, one row per tile, a non-empty `label` field.
    init(path: String) throws(PipelineError) {
        self.path = path
        let text: String
        do { text = try String(contentsOfFile: path, encoding: .utf8) } catch {
            throw .data("cannot read label table \(path): \(error.localizedDescription)")
        }
        var records = try Self.records(text, path: path)
        guard !records.isEmpty else { throw .data("label table \(path) is empty; its first line must be `tile,label` or `tile,labels`") }
        let header = records.removeFirst()
        let columns = header.fields.map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
        guard let tileColumn = columns.firstIndex(of: "tile") else {
            throw .data("\(path) line \(header.line): the header \(columns) has no 'tile' column; write `tile,label` or `tile,labels`")
        }
        let single = columns.firstIndex(of: Kind.single.rawValue), multiple = columns.firstIndex(of: Kind.multiple.rawValue)
        if single != nil && multiple != nil {
            throw .data("\(path) line \(header.line): the header has both 'label' and 'labels'; keep 'label' for one class "
                        + "per tile or 'labels' for ;-separated classes")
        }
        guard let labelColumn = single ?? multiple else {
            throw .data("\(path) line \(header.line): the header \(columns) has no 'label' (one class per tile) or 'labels' "
                        + "(;-separated classes) column")
        }
        kind = single != nil ? .single : .multiple
        var rows: [String: Row] = [:]
        for record in records {
            guard record.fields.count == columns.count else {
                throw .data("\(path) line \(record.line): \(record.fields.count) fields for \(columns.count) header columns")
            }
            let tile = record.fields[tileColumn].trimmingCharacters(in: .whitespaces)
            let field = record.fields[labelColumn].trimmingCharacters(in: .whitespaces)
            guard !tile.isEmpty else { throw .data("\(path) line \(record.line): the 'tile' field is empty") }
            if let other = rows[tile] {
                throw .data("\(path) line \(record.line): tile '\(tile)' is labelled again (first on line \(other.line)); keep one row per tile")
            }
            let values: [String]
            switch kind {
            case .single:
                guard !field.isEmpty else {
                    throw .data("\(path) line \(record.line): tile '\(tile)' has an empty label; give its class or drop the row")
                }
                values = [field]
            case .multiple:
                values = field.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
            }
            rows[tile] = Row(line: record.line, tile: tile, values: values)
        }
        self.rows = rows
    }

    /// The row of `pair`: by relative path, file name, pairing stem or file stem, in that order.
    func row(for pair: TilePair) -> Row? {
        matches(for: pair).first
    }

    /// Every row naming `pair` under one of its keys, in key order (more than one is an error
    /// that `checkUnique` reports).
    func matches(for pair: TilePair) -> [Row] {
        let name = fileName(of: pair.image)
        var found: [Row] = []
        for key in [pair.relativePath, name, pair.stem, (name as NSString).deletingPathExtension] {
            if let row = rows[key], !found.contains(where: { $0.line == row.line }) { found.append(row) }
        }
        return found
    }

    /// Fails when two rows name the same tile under different keys (`t.tif` and `t`).
    func checkUnique(_ pairs: [TilePair]) throws(PipelineError) {
        for pair in pairs {
            let found = matches(for: pair)
            if found.count > 1 {
                let lines = found.map(\.line).sorted()
                throw .data("\(path) line \(lines[1]): tile '\(found.first { $0.line == lines[1] }!.tile)' is labelled again "
                            + "(first on line \(lines[0]) as '\(found.first { $0.line == lines[0] }!.tile)'); keep one row per tile")
            }
        }
    }

    // MARK: CSV

    /// A record of the file: its fields and the line it starts on.
    struct Record { let line: Int; let fields: [String] }

    /// Splits CSV text into records (RFC 4180 quoting, `\n` or `\r\n` line ends, a leading
    /// byte-order mark, blank lines skipped).
    static func records(_ text: String, path: String) throws(PipelineError) -> [Record] {
        var records: [Record] = []
        var fields: [String] = []
        var field = ""
        var line = 1, recordLine = 1
        var quoted = false, wasQuoted = false
        var characters = Array(text.hasPrefix("\u{FEFF}") ? String(text.dropFirst()) : text)
        characters.append("\n")
        var i = 0
        func endRecord() {
            fields.append(field)
            if !(fields.count == 1 && fields[0].trimmingCharacters(in: .whitespaces).isEmpty && !wasQuoted) {
                records.append(Record(line: recordLine, fields: fields))
            }
            fields = []; field = ""; wasQuoted = false
        }
        while i < characters.count {
            let c = characters[i]
            if quoted {
                if c == "\"" {
                    if i + 1 < characters.count, characters[i + 1] == "\"" { field.append("\""); i += 1 } else { quoted = false }
                } else {
                    if c == "\n" || c == "\r\n" { line += 1 }
                    field.append(c)
                }
            } else if c == "\"" && field.trimmingCharacters(in: .whitespaces).isEmpty {
                quoted = true; wasQuoted = true; field = ""
            } else if c == "," {
                fields.append(field); field = ""
            } else if c == "\n" || c == "\r\n" || c == "\r" {
                endRecord()
                line += 1
                recordLine = line
            } else {
                field.append(c)
            }
            i += 1
        }
        if quoted { throw .data("\(path) line \(recordLine): a quoted field is never closed") }
        return records
    }
}
