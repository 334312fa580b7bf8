import Foundation
import GeoLensTensor

/// Turns a `_rebuild_tensor_v2` view (storage, offset, size, stride) into a state dict entry.
///
/// PyTorch saves whole storages; a tensor is a strided window into one. Contiguous row-major
/// views are converted in one pass from the storage bytes; any other layout (a transposed
/// weight, a slice with a step) is gathered element by element in row-major order of the view.
/// The view must lie inside its storage: `offset + sum((size[i] - 1) * stride[i]) < numel`.
enum TorchTensorView {
    /// Builds the entry for `view` from `storage`, the raw bytes of `archive/data/<key>`.
    static func entry(_ view: TorchTensorReference, storage: UnsafeRawBufferPointer, name: String,
                      file: URL?) throws(CheckpointError) -> StateDict.Entry {
        let dtype = view.storage.dtype
        guard storage.count == view.storage.elementCount * dtype.byteSize else {
            throw CheckpointError.truncated(file, "tensor \(name): storage \(view.storage.key) has \(storage.count) bytes, "
                                                  + "expected \(view.storage.elementCount) x \(dtype.byteSize)")
        }
        let count = view.shape.reduce(1, *)   // overflow-checked in AllowedGlobal.rebuildTensor
        // A view holds at most its storage's elements, except a broadcast (stride 0) view, which
        // may repeat them: that is allowed up to `maximumBroadcastElements`, so a header of a few
        // bytes cannot make the reader allocate terabytes.
        guard count <= max(view.storage.elementCount, maximumBroadcastElements) else {
            throw CheckpointError.corrupt(file, "tensor \(name) of shape \(view.shape) has \(count) elements but its storage "
                                                + "\(view.storage.key) holds \(view.storage.elementCount); re-save it with "
                                                + "tensor.contiguous() or clone()")
        }
        let inBounds = count == 0 ? view.offset <= view.storage.elementCount
                                  : lastElement(view).map { $0 < view.storage.elementCount } ?? false
        guard inBounds else {
            throw CheckpointError.corrupt(file, "tensor \(name) of shape \(view.shape), strides \(view.strides) and offset "
                                                + "\(view.offset) reaches past its \(view.storage.elementCount)-element storage")
        }
        let source = storage.baseAddress.map { UnsafeRawPointer($0) + view.offset * dtype.byteSize }
            ?? UnsafeRawPointer(bitPattern: 64)!
        let gather = isRowMajor(view) ? nil : gatherIndices(shape: view.shape, strides: view.strides)
        return withGather(gather) { indices in
            if dtype.isFloatingPoint {
                return .float(Tensor(shape: view.shape) { out in
                    dtype.convertFloats(from: source, gather: indices, into: out)
                })
            }
            let values = dtype.convertIntegers(from: source, count: count, gather: indices)
            return .integer(IntegerTensor(shape: view.shape, values: values, dtype: dtype))
        }
    }

    /// The most elements a view may have beyond its storage's (repeating elements with stride 0).
    static let maximumBroadcastElements = 1 << 24

    /// The storage index of the view's last element, `offset + sum((size - 1) * stride)`
    /// (the offset itself for an empty view), or nil when that overflows.
    static func lastElement(_ view: TorchTensorReference) -> Int? {
        var last = view.offset
        for (size, stride) in zip(view.shape, view.strides) where size > 0 {
            let (span, overflow) = (size - 1).multipliedReportingOverflow(by: stride)
            let (sum, overflowSum) = last.addingReportingOverflow(span)
            guard !overflow, !overflowSum else { return nil }
            last = sum
        }
        return last
    }

    /// True when the strides are those of a contiguous row-major array (size-1 dimensions ignored).
    static func isRowMajor(_ view: TorchTensorReference) -> Bool {
        var expected = 1
        for (size, stride) in zip(view.shape, view.strides).reversed() where size != 1 {
            if stride != expected { return false }
            expected *= size
        }
        return true
    }

    /// True for a row-major Float32 view of a whole storage, which needs no conversion on a
    /// little-endian machine.
    static func isWholeFloat32Storage(_ view: TorchTensorReference) -> Bool {
        #if _endian(little)
        return view.storage.dtype == .float32 && view.offset == 0 && isRowMajor(view)
            && view.shape.reduce(1, *) == view.storage.elementCount
        #else
        return false
        #endif
    }

    /// Storage element indices (relative to the offset) of the view's elements in row-major order.
    static func gatherIndices(shape: [Int], strides: [Int]) -> [Int] {
        let count = shape.reduce(1, *)
        var indices = [Int](repeating: 0, count: count)
        var position = [Int](repeating: 0, count: shape.count)
        var current = 0
        for i in 0..<count {
            indices[i] = current
            // Odometer increment of the multi-index, keeping `current` = sum(position * strides).
            var axis = shape.count - 1
            while axis >= 0 {
                position[axis] += 1
                current += strides[axis]
                if position[axis] < shape[axis] { break }
                current -= strides[axis] * shape[axis]
                position[axis] = 0
                axis -= 1
            }
        }
        return indices
    }

    private static func withGather<R>(_ gather: [Int]?, _ body: (UnsafeBufferPointer<Int>?) -> R) -> R {
        guard let gather else { return body(nil) }
        return gather.withUnsafeBufferPointer { body($0) }
    }
}
