/// Unfolding image patches into GEMM operands ("im2col") and folding them back ("col2im").
///
/// The column matrix of a block of output rows `[rowStart, rowStart + rowCount)` has one row per
/// (input channel, ky, kx) and one column per output pixel of the block, so that
/// `weight [Cout, Cin*kH*kW] x columns` is the convolution of that block. Rows are ordered by
/// channel first, which makes each group's rows (and each channel's rows) contiguous.
enum Im2Col {
    /// The output positions `o` whose input index `o * stride - pad + offset` lies in `0..<inCount`.
    @inline(__always)
    static func validOutputs(outCount: Int, inCount: Int, stride: Int, pad: Int, offset: Int) -> Range<Int> {
        let first = pad - offset
        let lower = first <= 0 ? 0 : (first + stride - 1) / stride
        let last = inCount - 1 + pad - offset
        guard last >= 0 else { return 0..<0 }
        let upper = Swift.min(outCount, last / stride + 1)
        return lower < upper ? lower..<upper : 0..<0
    }

    /// Writes the column matrix of channels `channels` of one image (`image` points at `[Cin, H, W]`)
    /// for output rows `rows` into `columns` (row length `rows.count * outWidth`).
    static func unfold(_ image: UnsafePointer<Float>, _ g: ConvGeometry, channels: Range<Int>, rows: Range<Int>,
                       into columns: UnsafeMutablePointer<Float>) {
        let width = rows.count * g.outWidth
        var dst = columns
        for c in channels {
            let plane = image + c * g.inPlane
            for ky in 0..<g.kernelHeight {
                let validRows = validOutputs(outCount: g.outHeight, inCount: g.inHeight, stride: g.strideY,
                                             pad: g.padTop, offset: ky * g.dilationY)
                for kx in 0..<g.kernelWidth {
                    let offsetX = kx * g.dilationX - g.padLeft
                    let valid = validOutputs(outCount: g.outWidth, inCount: g.inWidth, stride: g.strideX,
                                             pad: g.padLeft, offset: kx * g.dilationX)
                    for oy in rows {
                        let out = dst + (oy - rows.lowerBound) * g.outWidth
                        guard validRows.contains(oy), !valid.isEmpty else {
                            out.initialize(repeating: 0, count: g.outWidth)
                            continue
                        }
                        let src = plane + (oy * g.strideY - g.padTop + ky * g.dilationY) * g.inWidth + offsetX
                        out.initialize(repeating: 0, count: valid.lowerBound)
                        if g.strideX == 1 {
                            (out + valid.lowerBound).update(from: src + valid.lowerBound, count: valid.count)
                        } else {
                            for ox in valid { out[ox] = src[ox * g.strideX] }
                        }
                        (out + valid.upperBound).initialize(repeating: 0, count: g.outWidth - valid.upperBound)
                    }
                    dst += width
                }
            }
        }
    }

    /// Adds the column matrix of channels `channels` (all output rows, row length `outPlane`) back
    /// onto the image planes they came from (`image` points at `[Cin, H, W]`); the inverse scatter of
    /// `unfold`, used for input gradients and transposed convolutions.
    static func foldAdding(_ columns: UnsafePointer<Float>, _ g: ConvGeometry, channels: Range<Int>,
                           into image: UnsafeMutablePointer<Float>) {
        var src = columns
        for c in channels {
            let plane = image + c * g.inPlane
            for ky in 0..<g.kernelHeight {
                let validRows = validOutputs(outCount: g.outHeight, inCount: g.inHeight, stride: g.strideY,
                                             pad: g.padTop, offset: ky * g.dilationY)
                for kx in 0..<g.kernelWidth {
                    let offsetX = kx * g.dilationX - g.padLeft
                    let valid = validOutputs(outCount: g.outWidth, inCount: g.inWidth, stride: g.strideX,
                                             pad: g.padLeft, offset: kx * g.dilationX)
                    if !valid.isEmpty {
                        for oy in validRows {
                            let row = src + oy * g.outWidth
                            let dst = plane + (oy * g.strideY - g.padTop + ky * g.dilationY) * g.inWidth + offsetX
                            if g.strideX == 1 {
                                VectorKernels.add(row + valid.lowerBound, into: dst + valid.lowerBound, count: valid.count)
                            } else {
                                for ox in valid { dst[ox * g.strideX] += row[ox] }
                            }
                        }
                    }
                    src += g.outPlane
                }
            }
        }
    }
}
