public import Foundation
import ZIPFoundation

/// Reads the zip checkpoints `torch.save` writes since PyTorch 1.6 (`.pt`, `.pth`, `.bin`, and
/// Lightning `.ckpt`) without running any Python code.
///
/// Layout: `<archive>/data.pkl` (the pickled object), `<archive>/data/<key>` (one raw storage per
/// key), `<archive>/byteorder` (`little`), `<archive>/version`. `data.pkl` is interpreted by
/// `SafeUnpickler`; the state dict is then found with `TorchStateDictLocator` and each tensor
/// view is converted from its storage, extracted once per storage key and shared by the views
/// that use it (a storage is copied out of the archive once, then converted once into tensors).
public enum PyTorchZipReader {
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

        let pickle = try extract(pickleEntry, from: archive, url: url)
        var unpickler = SafeUnpickler(pickle, file: url, entry: pickleEntry.path)
        let root = try unpickler.load()
        let located = try TorchStateDictLocator.locate(root, file: url)

        var dict = StateDict(format: located.format, metadata: located.metadata)
        var storages: [String: [UInt8]] = [:]
        for (name, view) in located.tensors {
            let key = view.storage.key
            if storages[key] == nil {
                let path = prefix + "data/" + key
                guard let entry = archive[path] else {
                    throw CheckpointError.truncated(url, "tensor \(name) needs storage \(path), which the archive lacks")
                }
                storages[key] = try extract(entry, from: archive, url: url)
            }
            let result = storages[key]!.withUnsafeBytes { bytes in
                Result { () throws(CheckpointError) in try TorchTensorView.entry(view, storage: bytes, name: name, file: url) }
            }
            dict[name] = try result.get()
        }
        return dict
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
        bytes.reserveCapacity(Int(min(entry.uncompressedSize, 1 << 32)))
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
