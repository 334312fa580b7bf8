/// Which checkpoint produced an evaluation: the `model` block of metrics.json and state.json.
/// Filled by the caller (the CLI hashes the checkpoint file); shard states merge only when
/// their identities agree.
public struct ModelIdentity: Sendable, Codable, Equatable {
    /// The checkpoint path as given by the user.
    public var path: String
    /// Hex SHA-256 of the checkpoint file.
    public var sha256: String
    /// `onnx`, `safetensors` or `pytorch`.
    public var format: String

    public init(path: String, sha256: String, format: String) {
        self.path = path
        self.sha256 = sha256
        self.format = format
    }
}
