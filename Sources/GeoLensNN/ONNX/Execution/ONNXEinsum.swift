import GeoLensTensor

/// An ONNX `Einsum` equation of one or two operands, as the permutes, sums and one batched matrix
/// product it amounts to: the patterns attention and relative-position code write
/// (`bhid,bhjd->bhij`, `bhij,bhjd->bhid`, `bhwc,wkc->bhwk`, `...ij->...ji`).
///
/// Letters only one operand has and the output lacks are summed first; letters in both operands
/// and the output are batch axes (broadcast by `matmul`), letters in both operands only are
/// contracted, and the rest are the free rows and columns of the product. Ellipses broadcast from
/// the right. A letter repeated within one operand (a diagonal) is refused.
struct ONNXEinsum {
    /// The letters of each operand (ellipsis axes as private placeholder letters) and of the output.
    let operands: [[Character]]
    let output: [Character]
    /// The extent of every letter.
    let extents: [Character: Int]

    var outputShape: [Int] { output.map { extents[$0]! } }

    /// Parses `equation` for operands of `shapes`.
    init(_ equation: String, shapes: [[Int]], node: String) throws {
        func fail(_ problem: String) -> ONNXError {
            ONNXError(.invalidAttribute, "Einsum node '\(node)': equation '\(equation)' \(problem)")
        }
        let cleaned = equation.filter { !$0.isWhitespace }
        let sides = cleaned.components(separatedBy: "->")
        guard sides.count <= 2 else { throw fail("has more than one '->'") }
        let inputs = sides[0].split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        guard inputs.count == shapes.count, (1...2).contains(inputs.count) else {
            throw fail("names \(inputs.count) operands for \(shapes.count) inputs; GeoLens runs Einsum of one or two operands")
        }
        let ellipsisRank = zip(inputs, shapes).map { term, shape in shape.count - term.replacingOccurrences(of: "...", with: "").count }.max() ?? 0
        let placeholders = (0..<max(ellipsisRank, 0)).map { Character(Unicode.Scalar(0xE000 + $0)!) }
        func expand(_ term: String, rank: Int) throws -> [Character] {
            let letters = term.replacingOccurrences(of: "...", with: "")
            guard letters.allSatisfy({ $0.isLetter }) else { throw fail("has a term '\(term)' with characters other than letters and '...'") }
            guard term.contains("...") else {
                guard letters.count == rank else { throw fail("gives '\(term)' for an operand of rank \(rank)") }
                return Array(letters)
            }
            let spanned = rank - letters.count
            guard spanned >= 0 else { throw fail("gives '\(term)' for an operand of rank \(rank)") }
            let parts = term.components(separatedBy: "...")
            return Array(parts[0]) + Array(placeholders.suffix(spanned)) + Array(parts[1])
        }
        operands = try zip(inputs, shapes).map { try expand($0, rank: $1.count) }
        var extents: [Character: Int] = [:]
        for (letters, shape) in zip(operands, shapes) {
            guard Set(letters).count == letters.count else { throw fail("repeats a letter within one operand (a diagonal), which GeoLens does not run") }
            for (letter, extent) in zip(letters, shape) {
                if let known = extents[letter], known != extent {
                    guard known == 1 || extent == 1, placeholders.contains(letter) || operands.count == 2 else {
                        throw fail("gives letter '\(letter)' extents \(known) and \(extent)")
                    }
                    extents[letter] = max(known, extent)
                } else {
                    extents[letter] = extent
                }
            }
        }
        self.extents = extents
        if sides.count == 2 {
            let expanded = try expand(sides[1], rank: sides[1].replacingOccurrences(of: "...", with: "").count
                                      + (sides[1].contains("...") ? placeholders.count : 0))
            guard expanded.allSatisfy({ extents[$0] != nil }), Set(expanded).count == expanded.count else {
                throw fail("has output letters that no operand has, or repeats one")
            }
            output = expanded
        } else {
            // Implicit output: ellipsis axes, then the letters used once, in alphabetical order.
            let all = operands.flatMap { $0 }
            output = placeholders + all.filter { letter in !placeholders.contains(letter) && all.filter { $0 == letter }.count == 1 }.sorted()
        }
    }

    /// Evaluates the equation on `tensors` (on the tape: every step is a differentiable op).
    func apply(_ tensors: [Tensor]) -> Tensor {
        // Sum out letters only this operand has that the output drops.
        var terms: [(letters: [Character], tensor: Tensor)] = []
        for (index, (letters, tensor)) in zip(operands, tensors).enumerated() {
            let others = operands.enumerated().filter { $0.offset != index }.flatMap(\.element)
            let dropped = letters.indices.filter { !output.contains(letters[$0]) && !others.contains(letters[$0]) }
            if dropped.isEmpty { terms.append((letters, tensor)); continue }
            let kept = letters.indices.filter { !dropped.contains($0) }
            terms.append((kept.map { letters[$0] }, tensor.sum(alongAxes: dropped)))
        }
        if terms.count == 1 { return arranged(terms[0].tensor, from: terms[0].letters) }
        let (a, b) = (terms[0], terms[1])
        let batch = output.filter { a.letters.contains($0) && b.letters.contains($0) }
        let contracted = a.letters.filter { b.letters.contains($0) && !output.contains($0) }
        let rows = a.letters.filter { !b.letters.contains($0) }
        let columns = b.letters.filter { !a.letters.contains($0) }
        func size(_ letters: [Character], in term: (letters: [Character], tensor: Tensor)) -> Int {
            letters.reduce(1) { $0 * term.tensor.shape[term.letters.firstIndex(of: $1)!] }
        }
        func batchShape(_ term: (letters: [Character], tensor: Tensor)) -> [Int] {
            batch.map { term.tensor.shape[term.letters.firstIndex(of: $0)!] }
        }
        let left = permuted(a.tensor, from: a.letters, to: batch + rows + contracted)
            .reshaped(batchShape(a) + [size(rows, in: a), size(contracted, in: a)])
        let right = permuted(b.tensor, from: b.letters, to: batch + contracted + columns)
            .reshaped(batchShape(b) + [size(contracted, in: b), size(columns, in: b)])
        let product = left.matmul(right)
        let letters = batch + rows + columns
        let unfolded = product.reshaped(Array(product.shape.dropLast(2)) + (rows + columns).map { extents[$0]! })
        return arranged(unfolded, from: letters)
    }

    /// `tensor` (axes named `letters`) with its axes in output order.
    private func arranged(_ tensor: Tensor, from letters: [Character]) -> Tensor {
        permuted(tensor, from: letters, to: output)
    }

    private func permuted(_ tensor: Tensor, from letters: [Character], to order: [Character]) -> Tensor {
        let permutation = order.map { letters.firstIndex(of: $0)! }
        return permutation == Array(permutation.indices) ? tensor : tensor.permuted(permutation)
    }
}
