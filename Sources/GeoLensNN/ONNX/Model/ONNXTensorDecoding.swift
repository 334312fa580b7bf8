import Foundation
import GeoLensTensor
import SwiftProtobuf

/// Turns `TensorProto`s into `ONNXConstant`s: typed fields or `raw_data`, or bytes in an
/// external data file beside the model (`location`/`offset`/`length` entries, the layout
/// `onnx.save_model(..., save_as_external_data=True)` writes).
///
/// One decoder serves one model load; it maps each external data file once.
final class ONNXTensorDecoder {
    private let modelURL: URL
    private var externalFiles: [String: Data] = [:]

    init(modelURL: URL) {
        self.modelURL = modelURL
    }

    /// Decodes `proto`; `context` names where the tensor came from, for error messages.
    func decode(_ proto: Onnx_TensorProto, context: String) throws -> ONNXConstant {
        let type = ONNXElementType(code: Int(proto.dataType))
        let shape = proto.dims.map { Int($0) }
        let label = "tensor '\(proto.name.isEmpty ? context : proto.name)' in \(modelURL.path)"
        guard shape.allSatisfy({ $0 >= 0 }) else {
            throw ONNXError(.invalidTensor, "\(label) has negative dimensions \(shape); the file is corrupt")
        }
        guard type.isFloatingPoint || type.isInteger, let width = type.byteWidth else {
            throw ONNXError(.invalidTensor,
                            "\(label) has element type \(type) (code \(proto.dataType)), which GeoLens cannot use")
        }
        // Dimensions come from the file: refuse products that overflow before anything is allocated.
        var count = 1
        for d in shape + [width] {
            let (product, overflow) = count.multipliedReportingOverflow(by: d)
            guard !overflow, product < 1 << 40 else {
                throw ONNXError(.invalidTensor, "\(label) declares dimensions \(shape), far too large to be real; the file is corrupt")
            }
            count = product
        }
        count /= width
        if proto.dataLocation == .external {
            let bytes = try externalBytes(proto, byteCount: count * width, label: label)
            return try ONNXRawTensorBytes.decode(bytes, type: type, shape: shape, label: label)
        }
        if !proto.rawData.isEmpty {
            guard proto.rawData.count == count * width else {
                throw ONNXError(.invalidTensor, "\(label): "
                    + "raw_data holds \(proto.rawData.count) bytes but shape \(shape) of \(type) needs \(count * width); the file is truncated or corrupt")
            }
            return try ONNXRawTensorBytes.decode(proto.rawData, type: type, shape: shape, label: label)
        }
        return try decodeTypedFields(proto, type: type, shape: shape, count: count, label: label)
    }

    /// The values stored in the type-specific repeated fields (small tensors, hand-made graphs).
    private func decodeTypedFields(_ proto: Onnx_TensorProto, type: ONNXElementType, shape: [Int],
                                   count: Int, label: String) throws -> ONNXConstant {
        func checked<T>(_ values: [T], field: String) throws -> [T] {
            guard values.count == count else {
                throw ONNXError(.invalidTensor, "\(label): \(field) holds \(values.count) values but shape \(shape) needs \(count)")
            }
            return values
        }
        switch type {
        case .float:
            return ONNXConstant(Tensor(shape: shape, scalars: try checked(proto.floatData, field: "float_data")))
        case .double:
            let values = try checked(proto.doubleData, field: "double_data").map { Float($0) }
            return ONNXConstant(Tensor(shape: shape, scalars: values), elementType: type)
        case .float16, .bfloat16:
            let bits = try checked(proto.int32Data, field: "int32_data").map { UInt16(truncatingIfNeeded: $0) }
            let values = bits.map { type == .float16 ? ONNXRawTensorBytes.float(fromHalf: $0)
                                                      : Float(bitPattern: UInt32($0) << 16) }
            return ONNXConstant(Tensor(shape: shape, scalars: values), elementType: type)
        case .int64:
            return ONNXConstant(integers: try checked(proto.int64Data, field: "int64_data").map { Int($0) },
                                shape: shape, elementType: type)
        case .uint32, .uint64:
            return ONNXConstant(integers: try checked(proto.uint64Data, field: "uint64_data").map { Int(truncatingIfNeeded: $0) },
                                shape: shape, elementType: type)
        default:
            return ONNXConstant(integers: try checked(proto.int32Data, field: "int32_data").map { Int($0) },
                                shape: shape, elementType: type)
        }
    }

    /// The bytes of an externally stored tensor, after checking the file and range exist.
    private func externalBytes(_ proto: Onnx_TensorProto, byteCount: Int, label: String) throws -> Data {
        var entries: [String: String] = [:]
        for entry in proto.externalData { entries[entry.key] = entry.value }
        guard let location = entries["location"], !location.isEmpty else {
            throw ONNXError(.externalData, "\(label) is marked as external data but has no 'location' entry; "
                + "re-save the model with onnx.save_model(..., save_as_external_data=True)")
        }
        guard !location.hasPrefix("/"), !location.split(separator: "/").contains("..") else {
            throw ONNXError(.externalData, "\(label): external data location '\(location)' must be a relative path inside the model's folder")
        }
        let offset = Int(entries["offset"] ?? "0") ?? -1
        let length = entries["length"].flatMap { Int($0) } ?? byteCount
        guard offset >= 0, length == byteCount else {
            throw ONNXError(.externalData, "\(label): external data offset '\(entries["offset"] ?? "")' / length \(length) do not describe the \(byteCount) bytes its shape needs")
        }
        let file = try externalFile(location, label: label)
        guard offset <= file.count, length <= file.count - offset else {
            throw ONNXError(.externalData, "\(label): \(length) bytes from offset \(offset) lie beyond the end of '\(location)' (\(file.count) bytes); the data file is truncated or belongs to another export")
        }
        return file.subdata(in: file.startIndex + offset ..< file.startIndex + offset + length)
    }

    /// Maps an external data file once, resolved against the model's folder.
    private func externalFile(_ location: String, label: String) throws -> Data {
        if let data = externalFiles[location] { return data }
        let url = modelURL.deletingLastPathComponent().appendingPathComponent(location)
        guard FileManager.default.fileExists(atPath: url.path) else {
            throw ONNXError(.externalData, "\(label) is stored in '\(url.path)', which does not exist; keep the '.onnx.data' file beside the model")
        }
        do {
            let data = try Data(contentsOf: url, options: .alwaysMapped)
            externalFiles[location] = data
            return data
        } catch {
            throw ONNXError(.externalData, "cannot read external data file '\(url.path)' for \(label)", cause: error)
        }
    }
}
