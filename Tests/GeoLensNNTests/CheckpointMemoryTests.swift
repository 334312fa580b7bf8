import Foundation
import GeoLensTensor
import Testing
@testable import GeoLensNN
#if canImport(Glibc)
import Glibc
#endif

/// Peak memory of reading a large safetensors file, run on request only:
///
///     GEOLENS_CHECKPOINT_RSS_MB=100 GEOLENS_CHECKPOINT_RSS_MODE=borrow \
///         swift test --skip-build --filter CheckpointMemoryTests
///
/// (`MODE=copy` converts every tensor into owned storage instead of borrowing the mapping.)
/// The file is generated in a temporary folder in 4 MB chunks, so generating it adds no peak;
/// the test prints the process's peak resident set before and after reading and touching every
/// element, and checks the growth stays near one file size (no second copy).
@Suite("Checkpoint memory")
struct CheckpointMemoryTests {
    static let megabytes = ProcessInfo.processInfo.environment["GEOLENS_CHECKPOINT_RSS_MB"].flatMap { Int($0) }
    static let borrowing = ProcessInfo.processInfo.environment["GEOLENS_CHECKPOINT_RSS_MODE"] != "copy"

    /// Resident memory of this process in MiB from /proc/self/status: current total (`VmRSS`),
    /// anonymous (`RssAnon`, private copies) and file-backed (`RssFile`, mapped file pages),
    /// and the peak (`VmHWM`). Zeros where /proc is unavailable.
    static func residentMiB() -> (total: Double, anonymous: Double, file: Double, peak: Double) {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return (0, 0, 0, 0) }
        func field(_ name: String) -> Double {
            guard let line = status.split(separator: "\n").first(where: { $0.hasPrefix(name + ":") }),
                  let kib = line.split(separator: " ").dropFirst().first.flatMap({ Double($0) }) else { return 0 }
            return kib / 1024
        }
        return (field("VmRSS"), field("RssAnon"), field("RssFile"), field("VmHWM"))
    }

    /// Writes `tensors` Float32 tensors of 1 Mi elements (4 MiB each) without holding them in memory.
    static func writeLargeFile(_ url: URL, tensors: Int) throws {
        let elements = 1 << 20
        var header = "{"
        for i in 0..<tensors {
            header += (i > 0 ? "," : "") + "\"layer\(i).weight\":{\"dtype\":\"F32\",\"shape\":[1024,1024],"
                + "\"data_offsets\":[\(i * elements * 4),\((i + 1) * elements * 4)]}"
        }
        header += "}"
        while (header.utf8.count % 8) != 0 { header += " " }
        guard FileManager.default.createFile(atPath: url.path, contents: nil) else { throw CocoaError(.fileWriteUnknown) }
        let handle = try FileHandle(forWritingTo: url)
        defer { try? handle.close() }
        handle.write(withUnsafeBytes(of: UInt64(header.utf8.count).littleEndian) { Data($0) })
        handle.write(Data(header.utf8))
        var chunk = [Float](repeating: 0, count: elements)
        for i in 0..<tensors {
            for j in 0..<elements { chunk[j] = Float(i) + Float(j % 7) }
            handle.write(chunk.withUnsafeBytes { Data($0) })
        }
    }

    @Test(.enabled(if: megabytes != nil))
    func peakMemoryOfALargeReadStaysNearOneFileSize() throws {
        let megabytes = try #require(Self.megabytes)
        let tensors = max(1, megabytes / 4)
        let scratch = try CheckpointScratch()
        let url = scratch.url("large.safetensors")
        try Self.writeLargeFile(url, tensors: tensors)
        let fileMiB = Double(try FileManager.default.attributesOfItem(atPath: url.path)[.size] as! Int) / 1_048_576

        let before = Self.residentMiB()
        let start = Date()
        let dict = try SafetensorsReader.read(url, borrowingMappedMemory: Self.borrowing)
        let readSeconds = Date().timeIntervalSince(start)
        let afterRead = Self.residentMiB()
        var total: Double = 0
        for name in dict.names {
            try #require(dict.tensor(name)).withUnsafeBufferPointer { buffer in
                var sum: Float = 0
                for v in buffer { sum += v }
                total += Double(sum)
            }
        }
        let after = Self.residentMiB()
        print(String(format: "checkpoint-rss mode=%@ file=%.1f MiB tensors=%d read=%.3f s | before: rss=%.1f anon=%.1f file=%.1f "
                     + "| after read: rss=%.1f | after touching every element: rss=%.1f anon=%.1f file=%.1f peak=%.1f "
                     + "| growth rss=%.1f anon=%.1f MiB",
                     Self.borrowing ? "borrow" : "copy", fileMiB, dict.count, readSeconds,
                     before.total, before.anonymous, before.file, afterRead.total,
                     after.total, after.anonymous, after.file, after.peak,
                     after.total - before.total, after.anonymous - before.anonymous))
        #expect(total > 0)
        // Borrowing: the mapped pages are the only new memory (about one file size, file-backed,
        // no private copy); copying: one private copy plus the mapped pages it was read from.
        let growth = after.total - before.total, privateGrowth = after.anonymous - before.anonymous
        #expect(growth < fileMiB * (Self.borrowing ? 1.2 : 2.2))
        #expect(privateGrowth < fileMiB * (Self.borrowing ? 0.2 : 1.2))
    }
}
