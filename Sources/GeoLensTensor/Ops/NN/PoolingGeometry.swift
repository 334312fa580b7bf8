/// Window arithmetic shared by max and average pooling (PyTorch `pooling_output_shape` rules).
///
/// Output length = floor_or_ceil((in + padBefore + padAfter - dilation * (kernel - 1) - 1) / stride) + 1.
/// With `ceilMode`, the last window is dropped when it would start at or beyond the end of the
/// input plus the leading padding: PyTorch's (and onnxruntime's) rule that every window must
/// start inside the input or the left padding.
struct PoolAxis: Sendable {
    let input: Int
    let kernel: Int
    let stride: Int
    let padBefore: Int
    let padAfter: Int
    let dilation: Int
    let output: Int

    init(input: Int, kernel: Int, stride: Int, padBefore: Int, padAfter: Int, dilation: Int,
         ceilMode: Bool, describe: @autoclosure () -> String) {
        precondition(kernel >= 1 && stride >= 1 && dilation >= 1,
                     "\(describe()): kernel, stride and dilation must be positive")
        let span = input + padBefore + padAfter - dilation * (kernel - 1) - 1
        precondition(span >= 0, "\(describe()): the window is larger than the padded input")
        var output = (ceilMode ? (span + stride - 1) / stride : span / stride) + 1
        if ceilMode && (output - 1) * stride >= input + padBefore { output -= 1 }
        self.input = input
        self.kernel = kernel
        self.stride = stride
        self.padBefore = padBefore
        self.padAfter = padAfter
        self.dilation = dilation
        self.output = output
    }

    /// First input position (possibly negative, in the padding) of window `o`.
    @inline(__always)
    func start(_ o: Int) -> Int { o * stride - padBefore }
}

/// Both spatial axes of a 2-D pooling op on an NCHW tensor.
struct Pool2DGeometry: Sendable {
    let rows: PoolAxis
    let columns: PoolAxis
    let planes: Int
    let inputShape: [Int]

    init(_ shape: [Int], op: String, kernel: (Int, Int), stride: (Int, Int)?, padding: Padding2D,
         dilation: (Int, Int), ceilMode: Bool) {
        let layout = PlaneLayout(shape, op: op)
        let stride = stride ?? kernel
        let describe = {
            "\(op): kernel \(kernel), stride \(stride), padding \(padding), dilation \(dilation) on input of shape \(shape)"
        }
        rows = PoolAxis(input: layout.height, kernel: kernel.0, stride: stride.0, padBefore: padding.top,
                        padAfter: padding.bottom, dilation: dilation.0, ceilMode: ceilMode, describe: describe())
        columns = PoolAxis(input: layout.width, kernel: kernel.1, stride: stride.1, padBefore: padding.left,
                           padAfter: padding.right, dilation: dilation.1, ceilMode: ceilMode, describe: describe())
        planes = layout.planes
        inputShape = shape
    }

    var outputShape: [Int] { PlaneLayout.shape(inputShape, height: rows.output, width: columns.output) }
    var inputPlaneSize: Int { rows.input * columns.input }
    var outputPlaneSize: Int { rows.output * columns.output }
}

/// Average-pool windows: the clipped input range and the divisor of each output position along one axis.
///
/// PyTorch divides by the window clipped to the padded input (`countIncludePad`) or by the number
/// of input elements it covers; a window entirely in the padding averages to 0.
struct AverageWindows: Sendable {
    var start: [Int]
    var end: [Int]
    /// Window length counted for the divisor when padding is included.
    var paddedLength: [Int]

    init(_ axis: PoolAxis) {
        start = []; end = []; paddedLength = []
        for o in 0..<axis.output {
            let s = axis.start(o)
            let paddedEnd = Swift.min(s + axis.kernel, axis.input + axis.padAfter)
            paddedLength.append(paddedEnd - s)
            start.append(Swift.max(s, 0))
            end.append(Swift.min(paddedEnd, axis.input))
        }
    }

    /// Adaptive pooling windows: [floor(o * in / out), ceil((o + 1) * in / out)).
    init(adaptiveInput input: Int, output: Int) {
        start = (0..<output).map { $0 * input / output }
        end = (0..<output).map { (($0 + 1) * input + output - 1) / output }
        paddedLength = zip(start, end).map { $1 - $0 }
    }
}
