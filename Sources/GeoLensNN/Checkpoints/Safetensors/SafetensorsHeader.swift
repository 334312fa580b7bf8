import Foundation

/// The validated header of a safetensors file.
///
/// Layout: an 8-byte little-endian header length `N`, `N` bytes of JSON
/// (`{"name": {"dtype", "shape", "data_offsets": [begin, end]}, ..., "__metadata__": {...}}`),
/// then the data section; offsets are relative to its start. Every rule is checked here so the
/// reader can copy bytes without further checks: header length within the file, well-formed JSON,
/// known dtypes, integral non-negative shapes, offsets inside the data section and not
/// overlapping, and `product(shape) * dtype size == end - begin`.
struct SafetensorsHeader {
    /// One tensor's record.
    struct TensorRecord {
        let name: String
        let dtype: CheckpointDType
        let shape: [Int]
        /// Byte range inside the data section.
        let span: Range<Int>
    }

    /// Records in data-section order.
    let tensors: [TensorRecord]
    let metadata: [String: String]
    /// File offset of the data section.
    let dataStart: Int

    /// The safetensors reference implementation refuses headers above 100 MB; so does GeoLens.
    static let maximumHeaderLength = 100_000_000

    /// Parses and validates the header of `file` (`url` only names the file in errors).
    init(bytes file: UnsafeRawBufferPointer, url: URL?) throws(CheckpointError) {
        guard file.count >= 8 else {
            throw .truncated(url, "safetensors file has \(file.count) bytes, fewer than the 8-byte header length")
        }
        let declared = UInt64(littleEndian: file.loadUnaligned(as: UInt64.self))
        guard declared <= UInt64(Self.maximumHeaderLength) else {
            throw .corrupt(url, "safetensors header length \(declared) exceeds \(Self.maximumHeaderLength) bytes")
        }
        let headerLength = Int(declared)
        guard 8 + headerLength <= file.count else {
            throw .truncated(url, "safetensors header declares \(headerLength) bytes but only \(file.count - 8) follow")
        }
        dataStart = 8 + headerLength
        let dataSize = file.count - dataStart
        let json = Data(UnsafeRawBufferPointer(rebasing: file[8..<dataStart]))
        let root: SafetensorsJSON
        do {
            root = try JSONDecoder().decode(SafetensorsJSON.self, from: json)
        } catch {
            throw .corrupt(url, "safetensors header is not well-formed JSON")
        }
        guard case .object(let fields) = root else {
            throw .corrupt(url, "safetensors header is not a JSON object")
        }

        var metadata: [String: String] = [:]
        var records: [TensorRecord] = []
        for (name, value) in fields {
            if name == "__metadata__" {
                metadata = try Self.metadata(value, url: url)
            } else {
                records.append(try Self.record(name, value, dataSize: dataSize, url: url))
            }
        }
        records.sort { ($0.span.lowerBound, $0.span.upperBound, $0.name) < ($1.span.lowerBound, $1.span.upperBound, $1.name) }
        for (previous, next) in zip(records, records.dropFirst())
        where next.span.lowerBound < previous.span.upperBound && !next.span.isEmpty && !previous.span.isEmpty {
            throw .corrupt(url, "safetensors tensors \(previous.name) (bytes \(previous.span)) and \(next.name) "
                               + "(bytes \(next.span)) overlap")
        }
        self.tensors = records
        self.metadata = metadata
    }

    private static func metadata(_ value: SafetensorsJSON, url: URL?) throws(CheckpointError) -> [String: String] {
        guard case .object(let entries) = value else {
            throw .corrupt(url, "safetensors __metadata__ is \(value.brief), not an object of strings")
        }
        var out: [String: String] = [:]
        for (key, entry) in entries {
            guard case .string(let text) = entry else {
                throw .corrupt(url, "safetensors __metadata__ key \(key) is \(entry.brief), not a string")
            }
            out[key] = text
        }
        return out
    }

    private static func record(_ name: String, _ value: SafetensorsJSON, dataSize: Int,
                               url: URL?) throws(CheckpointError) -> TensorRecord {
        guard case .object(let fields) = value else {
            throw .corrupt(url, "safetensors tensor \(name) has \(value.brief) instead of {dtype, shape, data_offsets}")
        }
        guard case .string(let dtypeName)? = fields["dtype"] else {
            throw .corrupt(url, "safetensors tensor \(name) has no dtype string")
        }
        guard let dtype = CheckpointDType(rawValue: dtypeName) else {
            throw CheckpointError(.unsupportedDType, file: url,
                                  "safetensors tensor \(name) has dtype \(dtypeName); GeoLens reads "
                                  + CheckpointDType.allCases.map(\.rawValue).joined(separator: ", ")
                                  + ", convert the tensor to one of them")
        }
        guard case .array(let dims)? = fields["shape"] else {
            throw .corrupt(url, "safetensors tensor \(name) has no shape array")
        }
        var shape: [Int] = []
        var elements = 1
        for dim in dims {
            guard let d = dim.nonNegativeInteger else {
                throw .corrupt(url, "safetensors tensor \(name) has shape entry \(dim.brief), not a non-negative integer")
            }
            let (product, overflow) = elements.multipliedReportingOverflow(by: d)
            guard !overflow else { throw .corrupt(url, "safetensors tensor \(name) has an absurd shape \(dims.map(\.brief))") }
            shape.append(d)
            elements = product
        }
        guard case .array(let offsets)? = fields["data_offsets"], offsets.count == 2,
              let begin = offsets[0].nonNegativeInteger, let end = offsets[1].nonNegativeInteger, begin <= end else {
            throw .corrupt(url, "safetensors tensor \(name) has data_offsets \(fields["data_offsets"]?.brief ?? "missing"), "
                               + "not [begin, end] with begin <= end")
        }
        guard end <= dataSize else {
            throw .truncated(url, "safetensors tensor \(name) ends at data byte \(end) but the data section has \(dataSize) bytes")
        }
        let (bytes, overflow) = elements.multipliedReportingOverflow(by: dtype.byteSize)
        guard !overflow, bytes == end - begin else {
            throw .corrupt(url, "safetensors tensor \(name): shape \(shape) of \(dtype.rawValue) needs "
                               + "\(elements) x \(dtype.byteSize) bytes but data_offsets span \(end - begin)")
        }
        return TensorRecord(name: name, dtype: dtype, shape: shape, span: begin..<end)
    }
}
