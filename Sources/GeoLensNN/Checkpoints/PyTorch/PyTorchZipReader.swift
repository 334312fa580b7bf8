public import Foundation
import GeoLensTensor
import ZIPFoundation

/// Reads the zip checkpoints `torch.save` writes since PyTorch 1.6 (`.pt`, `.pth`, `.bin`, and
/// Lightning `.ckpt`) without running any Python code.
///
/// Layout: `<archive>/data.pkl` (the pickled object), `<archive>/data/<key>` (one raw storage per
/// key), `<archive>/byteorder` (`little`), `<archive>/version`. `data.pkl` is interpreted by
/// `SafeUnpickler`; the state dict is then found with `TorchStateDictLocator` and each tensor
/// view is converted from its storage. A Float32 tensor alone in its storage (the usual weight)
/// is streamed from the archive straight into tensor storage (one copy); other storages are
/// extracted once, shared by the views that use them, converted, and freed after their last view.
public enum PyTorchZipReader {
    /// `data.pkl` holds names and shapes only (tensor bytes are separate entries): anything larger
    /// than this is a hostile or broken archive, refused before it is decompressed.
    static let maximumPickleBytes: UInt64 = 1 << 30

    /// Reads the state dict stored in the zip checkpoint at `url`.
    public static func read(_ url: URL) throws(CheckpointError) -> StateDict {
        let archive: Archive
        do {
            archive = try Archive(url: url, accessMode: .read)
        } catch {
            throw CheckpointError.corrupt(url, "is not a readable zip archive (\(error))")
        }
        guard let pickleEntry = archive.first(where: { $0.type == .file && $0.path.hasSuffix("data.pkl")
                                                       && !$0.path.dropLast(8).dropLast().contains("/") }) else {
            throw CheckpointError(.unknownFormat, file: url,
                                  "is a zip archive without <archive>/data.pkl, so not a torch.save checkpoint; "
                                  + "save the weights with torch.save(model.state_dict(), path) or as .safetensors")
        }
        let prefix = String(pickleEntry.path.dropLast("data.pkl".count))
        try checkByteOrder(archive, prefix: prefix, url: url)

        guard pickleEntry.uncompressedSize <= maximumPickleBytes else {
            throw CheckpointError.corrupt(url, "\(pickleEntry.path) declares \(pickleEntry.uncompressedSize) bytes, more than "
                                               + "any state dict's pickle (\(maximumPickleBytes))")
        }
        let pickle = try extract(pickleEntry, from: archive, url: url)
        var unpickler = SafeUnpickler(pickle, file: url, entry: pickleEntry.path)
        var root: PickleValue?
        defer { unpickler.dismantle(root) }
        root = try unpickler.load()
        let located = try TorchStateDictLocator.locate(root!, file: url)

        var dict = StateDict(format: located.format, metadata: located.metadata)
        let users = Dictionary(grouping: located.tensors.indices) { located.tensors[$0].1.storage.key }
        var storages: [String: [UInt8]] = [:]
        for (index, (name, view)) in located.tensors.enumerated() {
            let key = view.storage.key
            let path = prefix + "data/" + key
            guard let entry = archive[path] else {
                throw CheckpointError.truncated(url, "tensor \(name) needs storage \(path), which the archive lacks")
            }
            if users[key]!.count == 1, TorchTensorView.isWholeFloat32Storage(view) {
                // The common case (a weight alone in its storage): stream it straight into the tensor.
                dict[name] = .float(try extractFloat32(entry, shape: view.shape, from: archive, name: name, url: url))
                continue
            }
            if storages[key] == nil {
                let declared = view.storage.elementCount * view.storage.dtype.byteSize
                guard entry.uncompressedSize == UInt64(declared) else {
                    throw CheckpointError.truncated(url, "tensor \(name): storage \(path) has \(entry.uncompressedSize) bytes, "
                                                         + "expected \(declared)")
                }
                storages[key] = try extract(entry, from: archive, url: url)
            }
            let result = storages[key]!.withUnsafeBytes { bytes in
                Result { () throws(CheckpointError) in try TorchTensorView.entry(view, storage: bytes, name: name, file: url) }
            }
            dict[name] = try result.get()
            if users[key]!.last == index { storages[key] = nil }   // free a storage after its last view
        }
        return dict
    }

    /// A Float32 tensor filled by streaming the archive entry into its storage: one copy.
    private static func extractFloat32(_ entry: Entry, shape: [Int], from archive: Archive, name: String,
                                       url: URL) throws(CheckpointError) -> Tensor {
        let byteCount = shape.reduce(1, *) * 4
        guard entry.uncompressedSize == UInt64(byteCount) else {
            throw CheckpointError.truncated(url, "tensor \(name): storage \(entry.path) has \(entry.uncompressedSize) bytes, "
                                                 + "expected \(byteCount)")
        }
        struct Overflow: Error {}
        var filled = 0
        var failure: (any Error)?
        let tensor = Tensor(shape: shape) { out in
            let destination = UnsafeMutableRawBufferPointer(out)
            do {
                _ = try archive.extract(entry, skipCRC32: false) { chunk in
                    guard filled + chunk.count <= byteCount else { throw Overflow() }
                    chunk.copyBytes(to: UnsafeMutableRawBufferPointer(rebasing: destination[filled..<filled + chunk.count]))
                    filled += chunk.count
                }
            } catch {
                failure = error
            }
        }
        guard failure == nil, filled == byteCount else {
            throw CheckpointError.corrupt(url, "archive entry \(entry.path) of tensor \(name) cannot be extracted "
                                               + "(\(failure.map { "\($0)" } ?? "\(filled) of \(byteCount) bytes"))")
        }
        return tensor
    }

    /// Refuses big-endian archives (`byteorder` other than `little`); archives without the record
    /// predate it and were little-endian.
    private static func checkByteOrder(_ archive: Archive, prefix: String, url: URL) throws(CheckpointError) {
        guard let entry = archive[prefix + "byteorder"] else { return }
        let text = String(decoding: try extract(entry, from: archive, url: url), as: UTF8.self)
            .trimmingCharacters(in: .whitespacesAndNewlines)
        guard text == "little" else {
            throw CheckpointError(.corrupt, file: url,
                                  "records byte order \"\(text)\"; GeoLens reads little-endian checkpoints, "
                                  + "re-save it on a little-endian machine or as .safetensors")
        }
    }

    /// The bytes of one archive entry, CRC-checked.
    private static func extract(_ entry: Entry, from archive: Archive, url: URL) throws(CheckpointError) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(Int(min(entry.uncompressedSize, 1 << 26)))   // a hint, not trusted
        do {
            _ = try archive.extract(entry, skipCRC32: false) { chunk in bytes.append(contentsOf: chunk) }
        } catch {
            throw CheckpointError.corrupt(url, "archive entry \(entry.path) cannot be extracted (\(error))")
        }
        guard UInt64(bytes.count) == entry.uncompressedSize else {
            throw CheckpointError.truncated(url, "archive entry \(entry.path) has \(bytes.count) of \(entry.uncompressedSize) bytes")
        }
        return bytes
    }
}
