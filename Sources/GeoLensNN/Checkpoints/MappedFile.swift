import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A read-only memory mapping of a whole file, unmapped when the last reference goes away.
///
/// Checkpoint readers map the file instead of reading it into a buffer, so tensor bytes are
/// touched once: either converted straight into tensor storage, or (Float32, aligned) borrowed
/// by `Tensor(shape:borrowing:owner:)` with this object as the owner, which keeps the mapping
/// alive for as long as any tensor uses it. Pages are read from disk lazily by the kernel and
/// count as shared, reclaimable memory rather than a private copy.
///
/// The mapping is private and read-only; a tensor that is written copies its elements first.
/// As with any mapping, truncating the file on disk while it is mapped makes later reads fault,
/// so checkpoints should be replaced by rename (as `SafetensorsWriter` does), never rewritten in place.
final class MappedFile: @unchecked Sendable {
    let url: URL
    /// The first byte of the mapping (a valid dangling pointer when the file is empty).
    let base: UnsafeRawPointer
    /// File size in bytes.
    let count: Int
    private let mapping: UnsafeMutableRawPointer?

    /// Maps `url` read-only; throws `.unreadable` naming the file and the system's reason.
    init(url: URL) throws(CheckpointError) {
        self.url = url
        let fd = open(url.path, O_RDONLY)
        guard fd >= 0 else {
            throw CheckpointError(.unreadable, file: url,
                                  "cannot open the checkpoint (\(Self.systemError())); check the path and permissions")
        }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else {
            throw CheckpointError(.unreadable, file: url, "cannot stat the checkpoint (\(Self.systemError()))")
        }
        guard (info.st_mode & S_IFMT) == S_IFREG else {
            throw CheckpointError(.unreadable, file: url, "is not a regular file; pass the checkpoint file itself")
        }
        count = Int(info.st_size)
        if count == 0 {
            mapping = nil
            base = UnsafeRawPointer(bitPattern: 64)!
            return
        }
        let pointer = mmap(nil, count, PROT_READ, MAP_PRIVATE, fd, 0)
        guard let pointer, pointer != MAP_FAILED else {
            throw CheckpointError(.unreadable, file: url,
                                  "cannot memory-map the checkpoint (\(Self.systemError())); check free address space")
        }
        mapping = pointer
        base = UnsafeRawPointer(pointer)
    }

    deinit {
        if let mapping { munmap(mapping, count) }
    }

    /// The bytes `range` of the file (the caller has checked the range).
    func bytes(_ range: Range<Int>) -> UnsafeRawBufferPointer {
        precondition(range.lowerBound >= 0 && range.upperBound <= count,
                     "MappedFile: range \(range) outside a file of \(count) bytes")
        return UnsafeRawBufferPointer(start: base + range.lowerBound, count: range.count)
    }

    /// The first `n` bytes (fewer when the file is shorter), for format detection.
    func prefix(_ n: Int) -> [UInt8] {
        Array(bytes(0..<min(n, count)))
    }

    private static func systemError() -> String {
        String(cString: strerror(errno))
    }
}
