internal import CGeoLensKernels

/// What happens to a block of convolution output right after it is computed, while it is still in
/// cache: add the bias, then apply an activation.
///
/// The public ops use only the bias; the activation is the hook for fused layers (conv + ReLU in one
/// pass), whose pullback masks the output gradient before calling the same gradient kernels.
struct ConvEpilogue: Sendable {
    /// Elementwise functions cheap enough to run inside the convolution's store pass.
    enum Activation: Sendable, Equatable {
        case identity
        case relu
        case silu
        case sigmoid

        /// The C kernel's code for this activation.
        var kernelCode: gl_activation {
            switch self {
            case .identity: GL_ACTIVATION_IDENTITY
            case .relu: GL_ACTIVATION_RELU
            case .silu: GL_ACTIVATION_SILU
            case .sigmoid: GL_ACTIVATION_SIGMOID
            }
        }
    }

    /// One value per output channel, or nil.
    var bias: Tensor?
    var activation: Activation = .identity

    static let none = ConvEpilogue()

    /// Runs `body` with the epilogue's data pinned in memory for the kernels.
    func withKernel<R>(_ body: (Kernel) -> R) -> R {
        guard let bias else { return body(Kernel(bias: nil, activation: activation)) }
        return bias.withUnsafeBufferPointer { body(Kernel(bias: $0.baseAddress, activation: activation)) }
    }

    /// The epilogue with raw pointers, valid inside `withKernel`.
    struct Kernel {
        let bias: UnsafePointer<Float>?
        let activation: Activation

        var isIdentity: Bool { bias == nil && activation == .identity }

        /// Applies to `channels.count` rows of `width` values, row `i` belonging to output channel
        /// `channels.lowerBound + i` and starting at `block + i * rowStride`.
        func apply(to block: UnsafeMutablePointer<Float>, channels: Range<Int>, rowStride: Int, width: Int) {
            if isIdentity { return }
            for (i, channel) in channels.enumerated() {
                let row = block + i * rowStride
                let shift = bias.map { $0[channel] } ?? 0
                switch activation {
                case .identity:
                    for j in 0..<width { row[j] += shift }
                case .relu:
                    for j in 0..<width { row[j] = Swift.max(row[j] + shift, 0) }
                case .silu, .sigmoid:
                    gl_bias_activation(row, width, shift, activation.kernelCode)
                }
            }
        }
    }
}
