/// CRC-32C (Castagnoli), the checksum of TFRecord framing, and its masked form.
///
/// TensorBoard event files frame every record with the masked CRC-32C of its length and of its
/// data; the mask (rotate right by 15, add a constant) keeps checksums of data that holds
/// checksums from being degenerate.
public enum CRC32C {
    /// The reflected polynomial 0x1EDC6F41.
    private static let table: [UInt32] = (0..<256).map { index in
        var crc = UInt32(index)
        for _ in 0..<8 { crc = crc & 1 != 0 ? (crc >> 1) ^ 0x82F6_3B78 : crc >> 1 }
        return crc
    }

    /// The CRC-32C of `bytes`.
    public static func checksum<Bytes: Sequence>(_ bytes: Bytes) -> UInt32 where Bytes.Element == UInt8 {
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in bytes { crc = table[Int((crc ^ UInt32(byte)) & 0xFF)] ^ (crc >> 8) }
        return crc ^ 0xFFFF_FFFF
    }

    /// The masked CRC-32C TFRecords store: `((crc >> 15) | (crc << 17)) + 0xA282EAD8`.
    public static func masked<Bytes: Sequence>(_ bytes: Bytes) -> UInt32 where Bytes.Element == UInt8 {
        let crc = checksum(bytes)
        return ((crc >> 15) | (crc << 17)) &+ 0xA282_EAD8
    }
}
