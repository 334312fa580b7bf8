public import Foundation

/// Reads any supported weights file into a `StateDict`, choosing the reader by content.
///
/// Detection looks at the first bytes, then the extension:
/// - `PK\u{3}\u{4}` (zip): a `torch.save` archive or Lightning `.ckpt` (`PyTorchZipReader`);
/// - an 8-byte length followed by `{`: safetensors (`SafetensorsReader`);
/// - `0x80` (pickle protocol marker): a pre-1.6 PyTorch pickle, refused with advice to re-save;
/// - otherwise `.safetensors` files go to the safetensors reader (which reports what is wrong),
///   `.pt`/`.pth`/`.ckpt`/`.bin` files are reported as corrupt torch archives.
public enum CheckpointReader {
    /// The format `url` holds, judged from its first bytes and its extension.
    public static func detectFormat(_ url: URL) throws(CheckpointError) -> CheckpointFormat {
        let file = try MappedFile(url: url)
        return try detect(file)
    }

    /// Reads the state dict in `url`, whatever its supported format.
    public static func read(_ url: URL) throws(CheckpointError) -> StateDict {
        let file = try MappedFile(url: url)
        switch try detect(file) {
        case .safetensors: return try SafetensorsReader.read(file, borrowingMappedMemory: true)
        default: return try PyTorchZipReader.read(url)
        }
    }

    static let torchExtensions: Set<String> = ["pt", "pth", "ckpt", "bin", "tar"]

    static func detect(_ file: MappedFile) throws(CheckpointError) -> CheckpointFormat {
        let head = file.prefix(9)
        let ext = file.url.pathExtension.lowercased()
        if head.starts(with: [0x50, 0x4B, 0x03, 0x04]) || head.starts(with: [0x50, 0x4B, 0x05, 0x06]) {
            return ext == "ckpt" ? .lightning : .pytorch
        }
        // Checked before the pickle marker: a header length whose low byte is 0x80 starts like a pickle.
        if head.count == 9, head[8] == UInt8(ascii: "{") { return .safetensors }
        if head.first == 0x80 {
            throw CheckpointError(.legacyPickle, file: file.url,
                                  "is a legacy (pre-1.6, non-zip) PyTorch pickle, which GeoLens does not read because "
                                  + "it cannot be checked safely; re-save it in a current PyTorch with "
                                  + "torch.save(model.state_dict(), path), or export it with safetensors.torch.save_file")
        }
        if ext == "safetensors" { return .safetensors }
        if torchExtensions.contains(ext) {
            throw CheckpointError.corrupt(file.url, "has a .\(ext) name but is neither a torch.save zip archive nor a pickle")
        }
        throw CheckpointError(.unknownFormat, file: file.url,
                              "is not a safetensors file or a PyTorch zip checkpoint (.pt, .pth, .ckpt); "
                              + "ONNX graphs are loaded as models, other formats need converting to .safetensors")
    }
}
