import GeoLensNN

/// `--groups` over the inputs of a multi-input card: each `;`-separated group names whole inputs
/// and bands within them, and is rewritten into the 1-based channels of the stacked model input
/// that `FeatureGroups.parse` takes.
///
/// `optical=image;terrain=dem;meteo=weather` gives three groups of whole inputs;
/// `vis=image:1,2,3;dem` a group of the image input's first three channels (positions in the
/// input's `bands` or `columns`, 1-based) and a group `dem`; `both=t1+t2` joins inputs in one
/// group. A group of plain numbers (`nir=4`) keeps naming stacked channels.
enum InputGroups {
    static func resolve(_ text: String, layout: ModelInputLayout) throws(PipelineError) -> String {
        var groups: [String] = []
        for item in text.split(separator: ";").map({ $0.trimmingCharacters(in: .whitespaces) }) where !item.isEmpty {
            let parts = item.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            let (name, spec) = parts.count == 2 ? (parts[0], parts[1]) : (parts[0], parts[0])
            if spec.allSatisfy({ $0.isNumber || $0 == "," || $0 == " " }) {
                groups.append("\(name)=\(spec)")
                continue
            }
            var channels: [Int] = []
            for member in spec.split(separator: "+").map({ $0.trimmingCharacters(in: .whitespaces) }) {
                let pieces = member.split(separator: ":", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
                guard let entry = layout.entry(named: pieces[0]) else {
                    throw .usage("--groups '\(item)' names input '\(pieces[0])', but the model card's inputs are "
                                 + "\(layout.entries.map(\.name).joined(separator: ", "))")
                }
                guard pieces.count == 2 else {
                    channels += entry.channels.map { $0 + 1 }
                    continue
                }
                for token in pieces[1].split(separator: ",") {
                    guard let k = Int(token.trimmingCharacters(in: .whitespaces)), (1...entry.channels.count).contains(k) else {
                        throw .usage("--groups '\(item)': '\(token)' is not a channel of input '\(entry.name)', which has "
                                     + "channels 1 to \(entry.channels.count)")
                    }
                    channels.append(entry.channels.lowerBound + k)
                }
            }
            groups.append("\(name)=\(channels.map(String.init).joined(separator: ","))")
        }
        return groups.joined(separator: ";")
    }

    /// One group per input (the default features of a multi-input card).
    static func perInput(_ layout: ModelInputLayout) -> String {
        layout.entries.map { "\($0.name)=\($0.channels.map { String($0 + 1) }.joined(separator: ","))" }.joined(separator: ";")
    }
}
