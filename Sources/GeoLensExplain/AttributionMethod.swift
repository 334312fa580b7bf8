/// Every attribution method GeoLens computes, by the name commands, configs, file names
/// (`<stem>_<method>_<class>.tif`) and `attributions.json` use. This is the one list: explain
/// validates against it, and the report and comparison galleries recognize maps by it.
public enum AttributionMethod: String, Sendable, CaseIterable, Codable {
    case gradcam
    case gradcamPlusPlus = "gradcam++"
    case hirescam
    case layercam
    case shapExact = "shap-exact"
    case kernelShap = "kernel-shap"
    case gradientShap = "gradient-shap"
    case integratedGradients = "integrated-gradients"
    case deeplift
    case deepshap

    /// The CAM method of a CAM family member, nil for the SHAP family.
    public var camMethod: CAMMethod? { CAMMethod(rawValue: rawValue) }

    /// True for GradCAM, GradCAM++, HiResCAM and LayerCAM (maps at a layer, no features).
    public var isCAM: Bool { camMethod != nil }

    /// True for DeepLIFT and DeepSHAP (rescale-rule multipliers, `DeepLift`).
    public var isDeepLift: Bool { self == .deeplift || self == .deepshap }

    /// True for methods whose values are Shapley values of features (exact or sampled).
    public var isShapleySampling: Bool { self == .shapExact || self == .kernelShap }

    /// The name people know the method by, for figure titles: "GradCAM++", "SHAP (exact)".
    public var displayName: String {
        switch self {
        case .gradcam: "GradCAM"
        case .gradcamPlusPlus: "GradCAM++"
        case .hirescam: "HiResCAM"
        case .layercam: "LayerCAM"
        case .shapExact: "SHAP (exact)"
        case .kernelShap: "KernelSHAP"
        case .gradientShap: "GradientSHAP"
        case .integratedGradients: "Integrated gradients"
        case .deeplift: "DeepLIFT"
        case .deepshap: "DeepSHAP"
        }
    }

    /// What a value of the method's maps measures, for colour bars and axes: CAM maps are
    /// min-max normalized to 0...1; the SHAP family splits the target's summed logit (the score
    /// of `SegmentationTarget`), so its values are in logit units.
    public var valueDescription: String {
        switch self {
        case .gradcam, .gradcamPlusPlus, .hirescam, .layercam: "\(displayName) (normalized)"
        case .shapExact, .kernelShap: "SHAP value (logit units)"
        case .gradientShap: "GradientSHAP value (logit units)"
        case .integratedGradients: "Integrated gradients (logit units)"
        case .deeplift: "DeepLIFT value (logit units)"
        case .deepshap: "DeepSHAP value (logit units)"
        }
    }

    /// The names, comma-separated, for messages and help texts.
    public static var names: String { allCases.map(\.rawValue).joined(separator: ", ") }

    /// Splits an output file stem `<tile>_<method>_<class>` into its parts, trying longer method
    /// names first (`gradcam++` before `gradcam`); nil when no method name is in it.
    public static func parseFileStem(_ stem: String) -> (tile: String, method: AttributionMethod, className: String)? {
        for method in allCases.sorted(by: { $0.rawValue.count > $1.rawValue.count }) {
            guard let range = stem.range(of: "_\(method.rawValue)_", options: .backwards) else { continue }
            let tile = String(stem[..<range.lowerBound]), className = String(stem[range.upperBound...])
            if !tile.isEmpty && !className.isEmpty { return (tile, method, className) }
        }
        return nil
    }
}
