/// DeepLIFT's rescale rule (Shrikumar et al. 2017) for the nonlinear ops, as captum's `DeepLift`
/// computes it: the pullbacks recorded inside `GradientMode.withRescaleRule`.
///
/// The op's batch holds `[inputs; references]`: element `i` of the first half is paired with
/// element `i + count / 2` of the second half. With Δx = x - x0 and Δy = f(x) - f(x0) of a pair,
/// both halves receive g * Δy / Δx (each half its own upstream gradient g) where |Δx| >= epsilon,
/// and the ordinary gradient f'(x) g, f'(x0) g elsewhere.
///
/// The rules compose as captum's module hooks do: a listed nonlinearity (ReLU, leaky ReLU,
/// sigmoid, tanh, max pooling) whose input is directly the output of another listed one passes
/// its ordinary gradient back to it (captum's hook on the shared tensor records the gradient
/// before the second module's hook rewrites it), e.g. the max pooling after a U-Net block's ReLU.
/// Elsewhere each one applies its rule.
enum RescaleRule {
    /// The suffix of the tape names of listed nonlinearities recorded inside `withRescaleRule`.
    static let opSuffix = "_rescale"

    /// Records `output` of the listed nonlinearity `op` applied to `input`: `rule` as its
    /// pullback, or `ordinary` when `input` is itself the output of a listed nonlinearity.
    static func record(_ output: Tensor, op: String, input: Tensor, ordinary: @escaping @Sendable (Tensor) -> Tensor,
                       rule: @escaping @Sendable (Tensor) -> Tensor) -> Tensor {
        let followsListed = input.node?.op.hasSuffix(opSuffix) ?? false
        return Tape.record(output, op: op + opSuffix, input, pullback: followsListed ? ordinary : rule)
    }

    /// The pullback of an elementwise activation under the rescale rule.
    static func activationGradient<F: ElementwiseActivation>(_ g: Tensor, input x: Tensor, output y: Tensor,
                                                             epsilon: Float, function: F) -> Tensor {
        let half = pairedHalf(x.shape, op: "rescale rule")
        return Tensor(shape: g.shape) { dx in
            g.withUnsafeBufferPointer { gp in
                x.withUnsafeBufferPointer { xp in
                    y.withUnsafeBufferPointer { yp in
                        ParallelKernels.forEachChunk(half) { range in
                            for i in range {
                                let j = i + half
                                let deltaIn = xp[i] - xp[j], deltaOut = yp[i] - yp[j]
                                if Swift.abs(deltaIn) < epsilon {
                                    dx[i] = function.gradient(gp[i], input: xp[i], output: yp[i])
                                    dx[j] = function.gradient(gp[j], input: xp[j], output: yp[j])
                                } else {
                                    dx[i] = gp[i] * deltaOut / deltaIn
                                    dx[j] = gp[j] * deltaOut / deltaIn
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    /// captum's max-pool rule: with m = max(y, y0) per output, the input's argmax receives
    /// g (m - y0), the reference's argmax g0 (y - m) (scattered as `max_unpool2d` does: the last
    /// window in scan order wins where windows share an argmax); their sum U divided by Δx is the
    /// multiplier of both halves, the ordinary max-pool gradient where |Δx| < epsilon.
    static func maxPoolGradient(_ g: Tensor, input x: Tensor, output y: Tensor, argmax: [Int32],
                                geometry geo: Pool2DGeometry, epsilon: Float) -> Tensor {
        let half = pairedHalf(x.shape, op: "max-pool rescale rule")
        let ordinary = MaxPoolKernel.backward(g, argmax, geo)
        let inPlane = geo.inputPlaneSize, outPlane = geo.outputPlaneSize
        let pairedPlanes = half / inPlane
        return Tensor(shape: geo.inputShape) { dx in
            g.withUnsafeBufferPointer { gp in
                x.withUnsafeBufferPointer { xp in
                    y.withUnsafeBufferPointer { yp in
                        ordinary.withUnsafeBufferPointer { op in
                            argmax.withUnsafeBufferPointer { idx in
                                ParallelKernels.forEachPlane(pairedPlanes, planeSize: inPlane) { p in
                                    let (q, inBase, inBaseRef) = (p + pairedPlanes, p * inPlane, (p + pairedPlanes) * inPlane)
                                    // U, built in the input plane of this pair's first half.
                                    for i in 0..<inPlane { dx[inBase + i] = 0; dx[inBaseRef + i] = 0 }
                                    for o in 0..<outPlane {
                                        let (a, b) = (p * outPlane + o, q * outPlane + o)
                                        let top = Swift.max(yp[a], yp[b])
                                        if idx[a] >= 0 { dx[inBase + Int(idx[a])] = gp[a] * (top - yp[b]) }
                                    }
                                    for o in 0..<outPlane {
                                        let (a, b) = (p * outPlane + o, q * outPlane + o)
                                        let top = Swift.max(yp[a], yp[b])
                                        if idx[b] >= 0 { dx[inBaseRef + Int(idx[b])] = gp[b] * (yp[a] - top) }
                                    }
                                    for i in 0..<inPlane {
                                        let u = dx[inBase + i] + dx[inBaseRef + i]
                                        let deltaIn = xp[inBase + i] - xp[inBaseRef + i]
                                        if Swift.abs(deltaIn) < epsilon {
                                            dx[inBase + i] = op[inBase + i]
                                            dx[inBaseRef + i] = op[inBaseRef + i]
                                        } else {
                                            dx[inBase + i] = u / deltaIn
                                            dx[inBaseRef + i] = u / deltaIn
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    /// Half the element count of an op's input on the rescale tape; traps when the batch cannot be
    /// `[inputs; references]`.
    private static func pairedHalf(_ shape: [Int], op: String) -> Int {
        precondition(shape.first.map { $0 % 2 == 0 } ?? false,
                     "\(op): input of shape \(shape) is not a batch of [inputs; references] (an even leading dimension)")
        return Shape.count(shape) / 2
    }
}
