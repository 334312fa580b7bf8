import GeoLensTensor
import GeoLensTestSupport
import Testing

/// max |a - b| <= tolerance * max(1, max |b|): the agreement the engine promises against PyTorch.
func expectClose(_ actual: Tensor, _ expected: ReferenceTensor, tolerance: Float = 1e-5,
                 _ what: String, sourceLocation: SourceLocation = #_sourceLocation) {
    guard let (worst, scale) = referenceError(actual, expected) else {
        Issue.record("\(what): shape \(actual.shape) != \(expected.shape)", sourceLocation: sourceLocation)
        return
    }
    #expect(worst <= tolerance * scale, "\(what): max abs error \(worst) (scale \(scale))", sourceLocation: sourceLocation)
}

/// Runs every case of a fixture file through `apply` (which maps the case and its inputs to the
/// GeoLens result) and checks forward values and, when present, input gradients.
func checkAgainstReference(_ file: String, tolerance: Float = 1e-5,
                           sourceLocation: SourceLocation = #_sourceLocation,
                           _ apply: (ReferenceCase, [Tensor]) -> Tensor?) throws {
    let cases = try Fixtures.referenceCases("fixtures/reference/tensor/\(file)")
    #expect(!cases.isEmpty, "\(file) holds no cases", sourceLocation: sourceLocation)
    for c in cases {
        let inputs = c.inputs.map { $0.tensor.requiringGradient() }
        guard let y = apply(c, inputs) else {
            Issue.record("\(file): no GeoLens op for reference case \(c.name) (op \(c.op))", sourceLocation: sourceLocation)
            continue
        }
        expectClose(y, c.output, tolerance: tolerance, "\(c.name) forward", sourceLocation: sourceLocation)
        guard let upstream = c.upstream, let grads = c.grads else { continue }
        let computed = gradients(of: y, seed: upstream.tensor, wrt: inputs)
        for (i, expected) in grads.enumerated() {
            guard let expected else { continue }
            expectClose(computed[i], expected, tolerance: tolerance, "\(c.name) gradient of input \(i)", sourceLocation: sourceLocation)
        }
    }
}
