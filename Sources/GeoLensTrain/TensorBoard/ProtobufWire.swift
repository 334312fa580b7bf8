import Foundation

/// The protocol-buffer wire format, by hand, for the few TensorBoard messages GeoLens writes and
/// reads (`Event`, `Summary`, `Summary.Value`, `Summary.Image`, `SessionLog`): fields in field-number
/// order, proto3 defaults left out, as protobuf's own serializers do.
struct ProtobufWriter {
    private(set) var data = Data()

    mutating func varint(_ value: UInt64) {
        var v = value
        while v >= 0x80 { data.append(UInt8(v & 0x7F) | 0x80); v >>= 7 }
        data.append(UInt8(v))
    }

    private mutating func key(_ field: Int, _ wireType: UInt64) { varint(UInt64(field) << 3 | wireType) }

    /// An int64/int32/enum field (negative values as ten-byte two's complement); 0 is left out.
    mutating func int(_ field: Int, _ value: Int64) {
        guard value != 0 else { return }
        key(field, 0)
        varint(UInt64(bitPattern: value))
    }

    /// A double field; 0 is left out.
    mutating func double(_ field: Int, _ value: Double) {
        guard value != 0 else { return }
        key(field, 1)
        var bits = value.bitPattern.littleEndian
        withUnsafeBytes(of: &bits) { data.append(contentsOf: $0) }
    }

    /// A float field, always written (members of a oneof have presence).
    mutating func float(_ field: Int, _ value: Float) {
        key(field, 5)
        var bits = value.bitPattern.littleEndian
        withUnsafeBytes(of: &bits) { data.append(contentsOf: $0) }
    }

    /// A length-delimited field (string, bytes, message); empty is left out unless `always`.
    mutating func bytes(_ field: Int, _ value: Data, always: Bool = false) {
        guard always || !value.isEmpty else { return }
        key(field, 2)
        varint(UInt64(value.count))
        data.append(value)
    }

    mutating func string(_ field: Int, _ value: String, always: Bool = false) { bytes(field, Data(value.utf8), always: always) }
}

/// Reads the fields of one protocol-buffer message; unknown fields are skipped.
struct ProtobufReader {
    enum Value {
        case varint(UInt64), fixed64(UInt64), fixed32(UInt32), bytes(Data)
    }

    private let data: Data
    private var offset = 0
    private let source: String

    init(_ data: Data, source: String) {
        self.data = Data(data)
        self.source = source
    }

    /// The next field number and value, or nil at the end.
    mutating func next() throws(TrainingError) -> (field: Int, value: Value)? {
        guard offset < data.count else { return nil }
        let key = try varint()
        let field = Int(key >> 3)
        switch key & 7 {
        case 0: return (field, .varint(try varint()))
        case 1: return (field, .fixed64(UInt64(littleEndian: try fixed(8))))
        case 2:
            let length = Int(try varint())
            guard length >= 0, offset + length <= data.count else { throw malformed("a field runs past the end") }
            defer { offset += length }
            return (field, .bytes(data[offset..<(offset + length)]))
        case 5: return (field, .fixed32(UInt32(truncatingIfNeeded: try fixed(4))))
        default: throw malformed("wire type \(key & 7) is not supported")
        }
    }

    private mutating func varint() throws(TrainingError) -> UInt64 {
        var result: UInt64 = 0
        var shift: UInt64 = 0
        while offset < data.count {
            let byte = data[offset]
            offset += 1
            result |= UInt64(byte & 0x7F) << shift
            if byte < 0x80 { return result }
            shift += 7
            if shift > 63 { break }
        }
        throw malformed("a varint is cut short")
    }

    private mutating func fixed(_ count: Int) throws(TrainingError) -> UInt64 {
        guard offset + count <= data.count else { throw malformed("a fixed-width field is cut short") }
        defer { offset += count }
        return data[offset..<(offset + count)].reversed().reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
    }

    private func malformed(_ why: String) -> TrainingError {
        .data("\(source): not a valid TensorBoard event (\(why) at byte \(offset))")
    }
}
