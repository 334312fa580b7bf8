import Foundation

/// Bounds-checked reads of opcode arguments. Each throws `.truncated` naming the archive entry
/// and the opcode's byte offset when the stream ends early, so a cut file never reads past its end.
extension SafeUnpickler {
    /// Bytes left after the read position; a declared length above it means truncation.
    private var remaining: Int { bytes.count - position }

    mutating func readByte(_ at: Int) throws(CheckpointError) -> UInt8 {
        guard position < bytes.count else { throw endOfStream(at) }
        defer { position += 1 }
        return bytes[position]
    }

    /// An unsigned little-endian integer of `width` bytes (1, 2, 4 or 8).
    mutating func readInteger(_ width: Int, _ at: Int) throws(CheckpointError) -> Int {
        guard remaining >= width else { throw endOfStream(at) }
        var value: UInt64 = 0
        for i in (0..<width).reversed() { value = value << 8 | UInt64(bytes[position + i]) }
        position += width
        guard value <= UInt64(Int.max) else { throw corrupt(at, "has a length or index \(value) that cannot be right") }
        return Int(value)
    }

    /// `count` raw bytes.
    mutating func readSlice(_ count: Int, _ at: Int) throws(CheckpointError) -> [UInt8] {
        guard count <= remaining else { throw endOfStream(at) }
        defer { position += count }
        return Array(bytes[position..<position + count])
    }

    /// `count` bytes of UTF-8 text; invalid UTF-8 is corruption.
    mutating func readText(_ count: Int, _ at: Int) throws(CheckpointError) -> String {
        let raw = try readSlice(count, at)
        guard let text = String(validating: raw, as: UTF8.self) else { throw corrupt(at, "has a string that is not UTF-8") }
        return text
    }

    /// A newline-terminated ASCII line (the arguments of GLOBAL and INST).
    mutating func readLine(_ at: Int) throws(CheckpointError) -> String {
        guard let end = bytes[position...].firstIndex(of: 0x0A) else { throw endOfStream(at) }
        defer { position = end + 1 }
        return String(decoding: bytes[position..<end], as: UTF8.self)
    }

    /// A little-endian two's-complement integer of `count` bytes (LONG1, LONG4).
    mutating func readLong(_ count: Int, _ at: Int) throws(CheckpointError) -> PickleValue {
        let raw = try readSlice(count, at)
        guard count <= 8 else { return .bigInt(raw) }
        guard let last = raw.last else { return .int(0) }
        var value: UInt64 = last & 0x80 != 0 ? ~0 : 0   // sign-extend
        for byte in raw.reversed() { value = value << 8 | UInt64(byte) }
        return .int(Int64(bitPattern: value))
    }

    private func endOfStream(_ at: Int) -> CheckpointError {
        .truncated(file, "\(entry) ends inside the pickle opcode at byte \(at)")
    }
}
