/// A zip archive of stored (uncompressed) entries with correct CRCs, built in memory.
///
/// The pickle harness wraps the fuzzed `data.pkl` in one, so mutations reach the unpickler
/// instead of failing the archive's checksums.
public struct StoredZip {
    private var local: [UInt8] = []
    private var central: [UInt8] = []
    private var count = 0

    public init() {}

    public mutating func add(_ path: String, _ contents: some Collection<UInt8>) {
        let name = Array(path.utf8)
        let body = Array(contents)
        let crc = Self.crc32(body)
        let offset = UInt32(local.count)
        local += Self.le32(0x0403_4B50) + Self.le16(20) + Self.le16(0) + Self.le16(0) + Self.le16(0) + Self.le16(0)
        local += Self.le32(crc) + Self.le32(UInt32(body.count)) + Self.le32(UInt32(body.count))
        local += Self.le16(UInt16(name.count)) + Self.le16(0) + name + body
        central += Self.le32(0x0201_4B50) + Self.le16(20) + Self.le16(20) + Self.le16(0) + Self.le16(0)
        central += Self.le16(0) + Self.le16(0) + Self.le32(crc) + Self.le32(UInt32(body.count)) + Self.le32(UInt32(body.count))
        central += Self.le16(UInt16(name.count)) + Self.le16(0) + Self.le16(0) + Self.le16(0) + Self.le16(0)
        central += Self.le32(0) + Self.le32(offset) + name
        count += 1
    }

    /// The archive's bytes: entries, central directory, end record.
    public var bytes: [UInt8] {
        local + central + Self.le32(0x0605_4B50) + Self.le16(0) + Self.le16(0)
            + Self.le16(UInt16(count)) + Self.le16(UInt16(count)) + Self.le32(UInt32(central.count))
            + Self.le32(UInt32(local.count)) + Self.le16(0)
    }

    private static let table: [UInt32] = (0..<256).map { n in
        var c = UInt32(n)
        for _ in 0..<8 { c = c & 1 != 0 ? 0xEDB8_8320 ^ (c >> 1) : c >> 1 }
        return c
    }

    static func crc32(_ bytes: [UInt8]) -> UInt32 {
        var c: UInt32 = 0xFFFF_FFFF
        for b in bytes { c = table[Int((c ^ UInt32(b)) & 0xFF)] ^ (c >> 8) }
        return c ^ 0xFFFF_FFFF
    }

    private static func le16(_ v: UInt16) -> [UInt8] { [UInt8(v & 0xFF), UInt8(v >> 8)] }
    private static func le32(_ v: UInt32) -> [UInt8] { (0..<4).map { UInt8((v >> (8 * $0)) & 0xFF) } }
}
