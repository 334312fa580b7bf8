public import Foundation

/// TFRecord framing, the container of TensorBoard event files: each record is its length
/// (UInt64, little-endian), the masked CRC-32C of those 8 bytes, the data, and the masked
/// CRC-32C of the data.
public enum TFRecord {
    /// One framed record.
    public static func frame(_ data: Data) -> Data {
        var out = Data(capacity: data.count + 16)
        var length = UInt64(data.count).littleEndian
        let lengthBytes = withUnsafeBytes(of: &length) { Data($0) }
        out.append(lengthBytes)
        appendLittleEndian(CRC32C.masked(lengthBytes), to: &out)
        out.append(data)
        appendLittleEndian(CRC32C.masked(data), to: &out)
        return out
    }

    /// The records of a TFRecord file's bytes; a truncated record or a checksum that does not
    /// match is an error naming `source` and the record's offset.
    public static func records(in bytes: Data, source: String) throws(TrainingError) -> [Data] {
        let bytes = Data(bytes)  // zero-based indices
        var records: [Data] = []
        var offset = 0
        while offset < bytes.count {
            guard offset + 12 <= bytes.count else {
                throw .data("\(source): truncated TFRecord header at byte \(offset)")
            }
            let lengthBytes = bytes[offset..<(offset + 8)]
            let length = lengthBytes.reversed().reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
            guard readUInt32(bytes, at: offset + 8) == CRC32C.masked(lengthBytes) else {
                throw .data("\(source): the length checksum of the record at byte \(offset) does not match")
            }
            let start = offset + 12
            guard length <= UInt64(bytes.count - start), bytes.count - start - Int(length) >= 4 else {
                throw .data("\(source): the record at byte \(offset) is cut short (\(length) bytes announced)")
            }
            let data = bytes[start..<(start + Int(length))]
            guard readUInt32(bytes, at: start + Int(length)) == CRC32C.masked(data) else {
                throw .data("\(source): the data checksum of the record at byte \(offset) does not match")
            }
            records.append(Data(data))
            offset = start + Int(length) + 4
        }
        return records
    }

    private static func appendLittleEndian(_ value: UInt32, to data: inout Data) {
        var v = value.littleEndian
        withUnsafeBytes(of: &v) { data.append(contentsOf: $0) }
    }

    private static func readUInt32(_ bytes: Data, at offset: Int) -> UInt32 {
        bytes[offset..<(offset + 4)].reversed().reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
    }
}
