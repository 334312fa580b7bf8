public import Foundation
import GeoLensTensor

/// Reads `.safetensors` files into a `StateDict`.
///
/// The file is memory-mapped (`MappedFile`), never read into a buffer, so tensor bytes are copied
/// at most once:
/// - Float32 tensors whose data is 4-byte aligned in the mapping (the usual case: writers pad the
///   header to 8 bytes) are borrowed with `Tensor(shape:borrowing:owner:)`: no copy at all until
///   a tensor is written, when that tensor alone is copied.
/// - F16, BF16, F64 (and unaligned F32) are converted in one pass from the mapping straight into
///   freshly allocated tensor storage.
/// - Integer buffers are widened in one pass into `IntegerTensor` values.
public enum SafetensorsReader {
    /// Reads every tensor and the `__metadata__` of `url`.
    ///
    /// - Parameter borrowingMappedMemory: when false, Float32 tensors are copied out of the
    ///   mapping too, and the file is unmapped before returning.
    public static func read(_ url: URL, borrowingMappedMemory: Bool = true) throws(CheckpointError) -> StateDict {
        let file = try MappedFile(url: url)
        return try read(file, borrowingMappedMemory: borrowingMappedMemory)
    }

    static func read(_ file: MappedFile, borrowingMappedMemory: Bool) throws(CheckpointError) -> StateDict {
        let all = file.bytes(0..<file.count)
        let header = try SafetensorsHeader(bytes: all, url: file.url)
        var dict = StateDict(format: .safetensors, metadata: header.metadata)
        for record in header.tensors {
            dict.storedTypes[record.name] = record.dtype
            let start = header.dataStart + record.span.lowerBound
            let source = file.base + start
            let elements = record.span.count / record.dtype.byteSize
            if record.dtype.isFloatingPoint {
                dict[record.name] = .float(floatTensor(record, source: source, elements: elements,
                                                       owner: borrowingMappedMemory ? file : nil))
            } else {
                let values = record.dtype.convertIntegers(from: source, count: elements, gather: nil)
                dict[record.name] = .integer(IntegerTensor(shape: record.shape, values: values, dtype: record.dtype))
            }
        }
        return dict
    }

    /// A Float32 tensor of `record`: borrowed from the mapping when allowed and possible,
    /// otherwise converted once into new storage.
    private static func floatTensor(_ record: SafetensorsHeader.TensorRecord, source: UnsafeRawPointer,
                                    elements: Int, owner: MappedFile?) -> Tensor {
        #if _endian(little)
        if let owner, record.dtype == .float32, elements > 0,
           Int(bitPattern: source) % MemoryLayout<Float>.alignment == 0 {
            let pointer = UnsafeMutableRawPointer(mutating: source).assumingMemoryBound(to: Float.self)
            return Tensor(shape: record.shape, borrowing: pointer, owner: owner)
        }
        #endif
        return Tensor(shape: record.shape) { out in
            record.dtype.convertFloats(from: source, gather: nil, into: out)
        }
    }
}
