/// Zero-based spatial padding of an NCHW tensor, per side (ONNX `pads` may be asymmetric).
public struct Padding2D: Sendable, Hashable, CustomStringConvertible {
    public var top: Int, left: Int, bottom: Int, right: Int

    public init(top: Int, left: Int, bottom: Int, right: Int) {
        precondition(top >= 0 && left >= 0 && bottom >= 0 && right >= 0,
                     "Padding2D: negative padding (top \(top), left \(left), bottom \(bottom), right \(right))")
        self.top = top; self.left = left; self.bottom = bottom; self.right = right
    }

    /// The same padding on every side.
    public init(_ all: Int) { self.init(top: all, left: all, bottom: all, right: all) }

    /// PyTorch's `padding=(h, w)`: `h` above and below, `w` left and right.
    public init(height: Int, width: Int) { self.init(top: height, left: width, bottom: height, right: width) }

    public static let zero = Padding2D(0)

    public var isSymmetric: Bool { top == bottom && left == right }

    public var description: String { "(top \(top), left \(left), bottom \(bottom), right \(right))" }
}
