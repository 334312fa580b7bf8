/// SLIC's last step: k-means labels need not be connected, so the label map is split into
/// 4-connected components, components smaller than `minimumSize` are merged into an adjacent
/// component, and the result is numbered 1...K in raster order.
///
/// A small component joins the first neighbouring component met when its pixels are visited in
/// flood-fill order (left, up, right, down neighbours), as Achanta et al.'s reference code joins
/// an orphan to an adjacent segment. A merged set stays 4-connected because it is the union of
/// adjacent connected sets; a small component with no valid neighbour (an island among nodata)
/// stays a segment of its own.
enum SLICConnectivity {
    /// `labels` are k-means assignments (any Int32, -1 for unassigned valid pixels); `valid`
    /// pixels are segmented, the others get 0.
    static func enforce(labels: [Int32], valid: [Bool], height: Int, width: Int, minimumSize: Int) -> [Int32] {
        let plane = height * width
        // Component of each pixel (-1: invalid), and every component's pixels, contiguous in
        // flood-fill order: pixels[starts[c]..<starts[c + 1]].
        var component = [Int32](repeating: -1, count: plane)
        var pixels = [Int32](repeating: 0, count: plane)
        var starts: [Int] = [0]
        var filled = 0
        component.withUnsafeMutableBufferPointer { comp in
            pixels.withUnsafeMutableBufferPointer { queue in
                labels.withUnsafeBufferPointer { l in
                    valid.withUnsafeBufferPointer { v in
                        for seed in 0..<plane where v[seed] && comp[seed] < 0 {
                            let id = Int32(starts.count - 1), old = l[seed]
                            comp[seed] = id
                            queue[filled] = Int32(seed)
                            var head = filled
                            filled += 1
                            while head < filled {
                                let i = Int(queue[head])
                                head += 1
                                let (y, x) = (i / width, i % width)
                                for direction in 0..<4 {
                                    let n = neighbour(direction, y: y, x: x, height: height, width: width)
                                    if n >= 0 && v[n] && comp[n] < 0 && l[n] == old {
                                        comp[n] = id
                                        queue[filled] = Int32(n)
                                        filled += 1
                                    }
                                }
                            }
                            starts.append(filled)
                        }
                    }
                }
            }
        }
        let count = starts.count - 1
        var parent = (0..<count).map { Int32($0) }
        var size = (0..<count).map { starts[$0 + 1] - starts[$0] }
        func root(_ c: Int32) -> Int32 {
            var r = c
            while parent[Int(r)] != r { r = parent[Int(r)] }
            var walk = c
            while parent[Int(walk)] != r { let next = parent[Int(walk)]; parent[Int(walk)] = r; walk = next }
            return r
        }
        for c in 0..<count {
            let own = root(Int32(c))
            guard size[Int(own)] < minimumSize else { continue }
            var target: Int32?
            search: for p in starts[c]..<starts[c + 1] {
                let i = Int(pixels[p])
                for direction in 0..<4 {
                    let n = neighbour(direction, y: i / width, x: i % width, height: height, width: width)
                    guard n >= 0 && component[n] >= 0 else { continue }
                    let other = root(component[n])
                    if other != own { target = other; break search }
                }
            }
            guard let target else { continue }
            parent[Int(own)] = target
            size[Int(target)] += size[Int(own)]
        }
        // Number the merged sets 1...K in raster order of their first pixel.
        var number = [Int32](repeating: 0, count: count)
        var next: Int32 = 1
        var result = [Int32](repeating: 0, count: plane)
        for i in 0..<plane where component[i] >= 0 {
            let r = Int(root(component[i]))
            if number[r] == 0 { number[r] = next; next += 1 }
            result[i] = number[r]
        }
        return result
    }

    /// Row-major index of the left (0), upper (1), right (2) or lower (3) neighbour of (y, x);
    /// -1 outside the tile.
    @inline(__always)
    static func neighbour(_ direction: Int, y: Int, x: Int, height: Int, width: Int) -> Int {
        switch direction {
        case 0: return x > 0 ? y * width + x - 1 : -1
        case 1: return y > 0 ? (y - 1) * width + x : -1
        case 2: return x + 1 < width ? y * width + x + 1 : -1
        default: return y + 1 < height ? (y + 1) * width + x : -1
        }
    }
}
