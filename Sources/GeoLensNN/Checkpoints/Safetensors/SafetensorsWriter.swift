public import Foundation
import GeoLensTensor
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Writes a `StateDict` as a `.safetensors` file, atomically.
///
/// Float tensors are written as F32, integer buffers in their own dtype; names keep the state
/// dict's order and the header is padded with spaces to a multiple of 8 bytes so every tensor
/// starts 8-byte aligned (and is borrowed without a copy when read back). The file is written
/// to a temporary name beside the destination, flushed, then renamed over it, so a reader never
/// sees a half-written checkpoint.
public enum SafetensorsWriter {
    /// Writes `stateDict` with `metadata` (default: the state dict's own metadata) to `url`.
    public static func write(_ stateDict: StateDict, metadata: [String: String]? = nil,
                             to url: URL) throws(CheckpointError) {
        let header = headerBytes(stateDict, metadata: metadata ?? stateDict.metadata)
        let temporary = url.deletingLastPathComponent()
            .appendingPathComponent(".\(url.lastPathComponent).\(getpid()).\(UInt32.random(in: 0...UInt32.max)).tmp")
        let fd = open(temporary.path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        guard fd >= 0 else { throw unwritable(url, "cannot create \(temporary.lastPathComponent)") }
        var closed = false
        defer {
            if !closed { close(fd); unlink(temporary.path) }
        }
        var ok = withUnsafeBytes(of: UInt64(header.count).littleEndian) { writeAll(fd, $0) }
        ok = ok && header.withUnsafeBytes { writeAll(fd, $0) }
        for name in stateDict.names where ok {
            switch stateDict[name]! {
            case .float(let tensor):
                ok = tensor.withUnsafeBufferPointer { writeAll(fd, UnsafeRawBufferPointer($0)) }
            case .integer(let buffer):
                ok = integerBytes(buffer).withUnsafeBytes { writeAll(fd, $0) }
            }
        }
        guard ok else { throw unwritable(url, "cannot write \(temporary.lastPathComponent)") }
        guard fsync(fd) == 0 else { throw unwritable(url, "cannot flush \(temporary.lastPathComponent)") }
        closed = true
        guard close(fd) == 0 else { unlink(temporary.path); throw unwritable(url, "cannot close the temporary file") }
        guard rename(temporary.path, url.path) == 0 else {
            let reason = unwritable(url, "cannot rename \(temporary.lastPathComponent) over the destination")
            unlink(temporary.path)
            throw reason
        }
    }

    /// The JSON header, space-padded to a multiple of 8 bytes.
    static func headerBytes(_ stateDict: StateDict, metadata: [String: String]) -> [UInt8] {
        var parts: [String] = []
        if !metadata.isEmpty {
            let items = metadata.keys.sorted().map {
                SafetensorsJSONText.quoted($0) + ":" + SafetensorsJSONText.quoted(metadata[$0]!)
            }
            parts.append("\"__metadata__\":{" + items.joined(separator: ",") + "}")
        }
        var offset = 0
        for name in stateDict.names {
            let entry = stateDict[name]!
            let dtype: CheckpointDType
            let count: Int
            switch entry {
            case .float(let t): dtype = .float32; count = t.count
            case .integer(let t): dtype = t.dtype; count = t.values.count
            }
            let end = offset + count * dtype.byteSize
            parts.append(SafetensorsJSONText.quoted(name) + ":{\"dtype\":\"\(dtype.rawValue)\",\"shape\":["
                         + entry.shape.map(String.init).joined(separator: ",")
                         + "],\"data_offsets\":[\(offset),\(end)]}")
            offset = end
        }
        var bytes = Array(("{" + parts.joined(separator: ",") + "}").utf8)
        while bytes.count % 8 != 0 { bytes.append(0x20) }
        return bytes
    }

    /// Little-endian bytes of an integer buffer in its own dtype.
    private static func integerBytes(_ buffer: IntegerTensor) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(buffer.values.count * buffer.dtype.byteSize)
        for value in buffer.values {
            var v = value.littleEndian
            withUnsafeBytes(of: &v) { out.append(contentsOf: $0.prefix(buffer.dtype.byteSize)) }
        }
        return out
    }

    /// Writes all of `bytes`, retrying short writes; false on failure (errno tells why).
    private static func writeAll(_ fd: Int32, _ bytes: UnsafeRawBufferPointer) -> Bool {
        var done = 0
        while done < bytes.count {
            let n = systemWrite(fd, bytes.baseAddress! + done, bytes.count - done)
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { return false }
            done += n
        }
        return true
    }

    private static func unwritable(_ url: URL, _ what: String) -> CheckpointError {
        CheckpointError(.unwritable, file: url,
                        "\(what) (\(String(cString: strerror(errno)))); check that the folder exists, is writable and has space")
    }
}

/// The POSIX `write`, reachable here although `SafetensorsWriter.write` shadows the name inside the type.
private func systemWrite(_ fd: Int32, _ bytes: UnsafeRawPointer, _ count: Int) -> Int {
    write(fd, bytes, count)
}
