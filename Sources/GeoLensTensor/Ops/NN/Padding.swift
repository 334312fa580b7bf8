/// How `padded` fills the border.
public enum PaddingMode: Sendable, Hashable {
    /// A constant value (ONNX Pad `constant`, PyTorch `F.pad(value:)`).
    case constant(Float)
    /// Mirror without repeating the edge: [a b c] padded by 2 gives [c b | a b c | b a] (PyTorch `reflect`).
    case reflect
    /// Repeat the edge value (PyTorch `replicate`, ONNX `edge`).
    case replicate
}

extension Tensor {
    /// Pads the last two axes. Reflect padding must be smaller than the axis it mirrors.
    public func padded(_ padding: Padding2D, mode: PaddingMode = .constant(0)) -> Tensor {
        let layout = PlaneLayout(shape, op: "padded", minimumRank: 2)
        let rows = PaddingAxis(input: layout.height, before: padding.top, after: padding.bottom, mode: mode,
                               describe: "padded: \(mode) padding \(padding) on input of shape \(shape)")
        let columns = PaddingAxis(input: layout.width, before: padding.left, after: padding.right, mode: mode,
                                  describe: "padded: \(mode) padding \(padding) on input of shape \(shape)")
        var fill: Float = 0
        if case .constant(let value) = mode { fill = value }
        let outH = rows.source.count, outW = columns.source.count, inW = layout.width
        let (left, inner) = (padding.left, layout.width)
        let y = Tensor(shape: PlaneLayout.shape(shape, height: outH, width: outW)) { out in
            withUnsafeBufferPointer { src in
                columns.source.withUnsafeBufferPointer { colSource in
                    ParallelKernels.forEachPlane(layout.planes, planeSize: outH * outW) { p in
                        for oh in 0..<outH {
                            let dst = out.baseAddress! + (p * outH + oh) * outW
                            let ih = rows.source[oh]
                            guard ih >= 0 else {
                                dst.update(repeating: fill, count: outW)
                                continue
                            }
                            let row = src.baseAddress! + (p * layout.height + ih) * inW
                            for ow in 0..<left { dst[ow] = colSource[ow] >= 0 ? row[colSource[ow]] : fill }
                            (dst + left).update(from: row, count: inner)
                            for ow in (left + inner)..<outW { dst[ow] = colSource[ow] >= 0 ? row[colSource[ow]] : fill }
                        }
                    }
                }
            }
        }
        let inputShape = shape
        return Tape.record(y, op: "pad", self) { g in
            Tensor(shape: inputShape) { dx in
                dx.initialize(repeating: 0)
                g.withUnsafeBufferPointer { gp in
                    columns.source.withUnsafeBufferPointer { colSource in
                        ParallelKernels.forEachPlane(layout.planes, planeSize: outH * outW) { p in
                            for oh in 0..<outH where rows.source[oh] >= 0 {
                                let grad = gp.baseAddress! + (p * outH + oh) * outW
                                let row = dx.baseAddress! + (p * layout.height + rows.source[oh]) * inW
                                for ow in 0..<outW where colSource[ow] >= 0 { row[colSource[ow]] += grad[ow] }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// The source index of every padded position along one axis (-1 for a constant fill).
struct PaddingAxis: Sendable {
    let source: [Int]

    init(input: Int, before: Int, after: Int, mode: PaddingMode, describe: @autoclosure () -> String) {
        if case .reflect = mode {
            precondition(before < input && after < input,
                         "\(describe()): reflect padding must be smaller than the axis length \(input)")
        }
        if case .replicate = mode {
            precondition(input > 0 || before + after == 0, "\(describe()): cannot replicate an empty axis")
        }
        source = (-before ..< input + after).map { i in
            if i >= 0 && i < input { return i }
            switch mode {
            case .constant: return -1
            case .replicate: return i < 0 ? 0 : input - 1
            case .reflect: return i < 0 ? -i : 2 * (input - 1) - i
            }
        }
    }
}
